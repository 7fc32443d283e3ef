package cli

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

// mergeTolerance bounds the softmax weight a non-member key keeps:
// 1/(2e^10+1) ≈ 2.3e-5 for a score gap of 10.
const mergeTolerance = 1e-4

func TestDemoMergeJSON(t *testing.T) {
	code, out, errOut := runCLI(t, "demo", "merge", "--json")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	var got mergeJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, out)
	}
	wantScores := [][]float64{{10, 10, 0}, {0, 10, 10}, {0, 0, 10}}
	for i, row := range wantScores {
		if !slices.Equal(got.Scores[i], row) {
			t.Errorf("scores row %d = %v, want %v", i, got.Scores[i], row)
		}
	}
	wantWeights := [][]float64{{0.5, 0.5, 0}, {0, 0.5, 0.5}, {0, 0, 1}}
	for i, row := range wantWeights {
		for j, w := range row {
			if math.Abs(got.Weights[i][j]-w) > mergeTolerance {
				t.Errorf("weight [%d][%d] = %v, want %v", i, j, got.Weights[i][j], w)
			}
		}
	}
	wantFrontier := [][]float64{{1, 1, 1}, {0, 1, 1}, {0, 0, 1}}
	for i, row := range wantFrontier {
		if !slices.Equal(got.Frontier[i], row) {
			t.Errorf("new frontier row %d = %v, want %v", i, got.Frontier[i], row)
		}
	}
	if !slices.Equal(got.Winners[0], []string{"2", "3"}) {
		t.Errorf("vertex 2 attends to %v, want [2 3]", got.Winners[0])
	}
}

func TestDemoMergeText(t *testing.T) {
	code, out, _ := runCLI(t, "demo", "merge")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"frontier[6]", "W_Q", "W_K", "vertex 2 attends to 2 and 3 and now reaches {2, 3, 6}"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
