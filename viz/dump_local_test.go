package viz

import (
	"os"
	"path/filepath"
	"testing"

	"qkv/tensor"
)

func TestDumpLocal(t *testing.T) {
	dir := os.Getenv("VIZ_DUMP")
	if dir == "" {
		t.Skip()
	}
	k := []float64{1, 2, 3, 4, 5}
	chart := &LineChart{
		Title: "reach per layer", XLabel: "layer", YLabel: "vertices reached",
		Series: []Series{{Name: "measured", X: k, Y: []float64{2, 4, 7, 15, 30}, Points: true}, {Name: "2^k", X: k, Y: []float64{2, 4, 8, 16, 32}, Dashed: true}},
		LogY:   true,
	}
	data, _ := Render(chart, PNG)
	os.WriteFile(filepath.Join(dir, "line.png"), data, 0o644)
	n := 40
	m := tensor.New[float64](n, n)
	labels := make([]string, n)
	for i := 0; i < n; i++ {
		labels[i] = "E " + string(rune('0'+i%10)) + " " + string(rune('0'+(i*3)%10))
		for j := 0; j <= i; j++ {
			m.Set(i, j, 1/float64(i+1))
		}
	}
	f := &AttentionFigure{Title: "causal, 40 tokens", Tokens: labels, Heads: []HeadMatrices{{Name: "head 0", Weights: m}, {Name: "head 1", Weights: m}}}
	data, err := Render(f, PNG)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "many.png"), data, 0o644)
}
