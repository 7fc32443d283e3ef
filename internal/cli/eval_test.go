package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEvalTableJSONAndPlot(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := runCLI(t, tinyTrainArgs(out)...); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	ckpt := filepath.Join(out, "model.ckpt")

	code, stdout, stderr := runCLI(t, "eval", "--model", ckpt, "--count", "20", "--star", "--plot", filepath.Join(out, "eval"))
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"step 12", "lookahead-1", "lookahead-2", "naive", "star (mean)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "eval", "accuracy.png")); err != nil {
		t.Errorf("missing plot: %v", err)
	}

	code, stdout, _ = runCLI(t, "eval", "--model", ckpt, "--count", "20", "--json")
	if code != 0 {
		t.Fatalf("eval --json: exit %d", code)
	}
	var rep evalReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, stdout)
	}
	if len(rep.Groups) != 3 || rep.Step != 12 {
		t.Errorf("report has %d groups at step %d, want 3 at step 12", len(rep.Groups), rep.Step)
	}
	for _, g := range rep.Groups {
		if g.Count != 20 || g.Low > g.Accuracy || g.High < g.Accuracy {
			t.Errorf("group %+v: want 20 examples and low ≤ accuracy ≤ high", g)
		}
	}
}

func TestEvalErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.ckpt")
	os.WriteFile(bad, []byte("not a checkpoint"), 0o644)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no model", []string{"eval"}, 2, "--model is required"},
		{"zero count", []string{"eval", "--model", bad, "--count", "0"}, 2, "--count"},
		{"missing file", []string{"eval", "--model", filepath.Join(dir, "none.ckpt")}, 1, "no such file"},
		{"corrupt file", []string{"eval", "--model", bad}, 1, "corrupt checkpoint"},
	}
	for _, tc := range tests {
		code, _, stderr := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tc.name, code, stderr, tc.code, tc.want)
		}
	}
}
