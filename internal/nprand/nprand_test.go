package nprand

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

// fixtureCase is one seed's numbers as numpy 1.24 printed them (see
// testdata/make_fixture.py).
type fixtureCase struct {
	Seed          uint32
	Uint32        []uint32
	SampleIndices []int `json:"sample_indices"`
	Samples       []float64
	UniformLow    float64 `json:"uniform_low"`
	UniformHigh   float64 `json:"uniform_high"`
	Uniform       [][]float64
	Demo          struct{ X, WQ, WK, WV [][]float64 }
}

func loadFixture(t *testing.T) []fixtureCase {
	t.Helper()
	data, err := os.ReadFile("testdata/numpy.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Cases []fixtureCase }
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) == 0 {
		t.Fatal("testdata/numpy.json has no cases")
	}
	return f.Cases
}

// equalMatrix returns an error naming the first element of got that is
// not exactly equal to want.
func equalMatrix(got, want [][]float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("got %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			return fmt.Errorf("row %d has %d columns, want %d", i, len(got[i]), len(want[i]))
		}
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				return fmt.Errorf("element [%d][%d] = %v, want %v", i, j, got[i][j], want[i][j])
			}
		}
	}
	return nil
}

func TestUint32MatchesNumpy(t *testing.T) {
	for _, c := range loadFixture(t) {
		r := New(c.Seed)
		for i, want := range c.Uint32 {
			if got := r.Uint32(); got != want {
				t.Errorf("seed %d: output %d = %d, want %d", c.Seed, i, got, want)
			}
		}
	}
}

func TestRandomSampleMatchesNumpy(t *testing.T) {
	for _, c := range loadFixture(t) {
		r := New(c.Seed)
		samples := make([]float64, 1000)
		for i := range samples {
			samples[i] = r.RandomSample()
		}
		for k, idx := range c.SampleIndices {
			if got, want := samples[idx], c.Samples[k]; got != want {
				t.Errorf("seed %d: sample %d = %v, want %v", c.Seed, idx, got, want)
			}
		}
	}
}

func TestUniformMatrixMatchesNumpy(t *testing.T) {
	for _, c := range loadFixture(t) {
		got := New(c.Seed).UniformMatrix(c.UniformLow, c.UniformHigh, len(c.Uniform), len(c.Uniform[0]))
		if err := equalMatrix(got, c.Uniform); err != nil {
			t.Errorf("seed %d: uniform(%v, %v): %v", c.Seed, c.UniformLow, c.UniformHigh, err)
		}
	}
}

func TestDemoRandomMatchesNumpy(t *testing.T) {
	for _, c := range loadFixture(t) {
		x, wq, wk, wv := DemoRandom(c.Seed)
		for _, m := range []struct {
			name      string
			got, want [][]float64
		}{{"X", x, c.Demo.X}, {"W_Q", wq, c.Demo.WQ}, {"W_K", wk, c.Demo.WK}, {"W_V", wv, c.Demo.WV}} {
			if err := equalMatrix(m.got, m.want); err != nil {
				t.Errorf("seed %d: %s: %v", c.Seed, m.name, err)
			}
		}
	}
}

func TestSeedResetsState(t *testing.T) {
	r := New(7)
	first := r.RandomSample()
	for i := 0; i < 2000; i++ {
		r.Uint32()
	}
	r.Seed(7)
	if got := r.RandomSample(); got != first {
		t.Errorf("after Seed(7) the first sample is %v, want %v", got, first)
	}
}

func TestRandomSampleRange(t *testing.T) {
	r := New(3)
	for i := 0; i < 10000; i++ {
		if s := r.RandomSample(); s < 0 || s >= 1 {
			t.Fatalf("sample %d = %v, want a value in [0, 1)", i, s)
		}
	}
}

func ExampleDemoRandom() {
	x, _, _, _ := DemoRandom(0)
	fmt.Printf("%.6f\n", x[0])
	// Output: [0.097627 0.430379 0.205527 0.089766]
}

func BenchmarkRandomSample(b *testing.B) {
	r := New(1)
	for b.Loop() {
		r.RandomSample()
	}
}
