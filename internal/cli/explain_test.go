package cli

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestExplainSharp(t *testing.T) {
	code, out, errOut := runCLI(t, "explain", "sharp")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, pattern := range []string{
		`the\s+→ cat\s+94\.8 %`,
		`cat\s+→ sat\s+94\.8 %`,
		`sat\s+→ cat\s+94\.8 %`,
		`down\s+→ sat\s+94\.8 %`,
		`Q·Kᵀ \[4×4\]`,
		`S = Q·Kᵀ/√d_k \[4×4\]`,
		`row sums of A \[4×1\]`,
		`Z = A·V \[4×4\]`,
		`W_Q \[4×4\]`,
		`131072\s+17179869184\s+64 GiB\s+128 GiB`,
		`\n\s+4\s+16\s+64 B\s+128 B\s+← this input`,
		`for n = 4 in float64 one n×n matrix takes 128 B`,
	} {
		if !regexp.MustCompile(pattern).MatchString(out) {
			t.Errorf("output does not match %q", pattern)
		}
	}
	if strings.Contains(out, "tied") {
		t.Errorf("sharp demo reports a tie")
	}
	// Every row sum prints as 1.
	sums := out[strings.Index(out, "row sums of A"):]
	sums = sums[:strings.Index(sums, "## 6")]
	if strings.Count(sums, "1.0000") != 4 {
		t.Errorf("row sums are not all 1.0000:\n%s", sums)
	}
}

func TestExplainRandomNumpySeed(t *testing.T) {
	code, out, errOut := runCLI(t, "explain", "random", "--numpy-seed", "0")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// Values from scripts/fixtures/demo_random.py for seed 0.
	for _, want := range []string{"t0   0.0976   0.4304   0.2055   0.0898", "W_Q [4×3]", "Z = A·V [4×3]"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// writeJSONFile writes text to dir/name and returns the path.
func writeJSONFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestExplainFiles(t *testing.T) {
	dir := t.TempDir()
	x := writeJSONFile(t, dir, "x.json", "[[1, 0], [0, 1], [1, 1]]")
	wq := writeJSONFile(t, dir, "wq.json", "[[2, 0], [0, 2]]")
	wk := writeJSONFile(t, dir, "wk.json", "[[2, 0], [0, 2]]")
	wv := writeJSONFile(t, dir, "wv.json", "[[1], [-1]]")
	code, out, errOut := runCLI(t, "explain", "--x", x, "--wq", wq, "--wk", wk, "--wv", wv, "--tokens", "a,b,c")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, pattern := range []string{
		`X \[3×2\]`, `W_V \[2×1\]`, `Q·Kᵀ \[3×3\]`, `Z = A·V \[3×1\]`,
		`n = 3 tokens, d_model = 2, d_k = 2, d_v = 1`,
		`c\s+→ c\s+\d`,
	} {
		if !regexp.MustCompile(pattern).MatchString(out) {
			t.Errorf("output does not match %q", pattern)
		}
	}
}

func TestExplainFloat32Memory(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, name := range []string{"x.npy", "wq.npy", "wk.npy", "wv.npy"} {
		writePlotNPY(t, dir, name, []int{2, 2}, []float32{1, 0, 0, 1})
		paths = append(paths, filepath.Join(dir, name))
	}
	code, out, errOut := runCLI(t, "explain", "--x", paths[0], "--wq", paths[1], "--wk", paths[2], "--wv", paths[3])
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "for n = 2 in float32 one n×n matrix takes 16 B") {
		t.Errorf("memory sentence does not use float32")
	}
}

func TestExplainReportsTies(t *testing.T) {
	dir := t.TempDir()
	x := writeJSONFile(t, dir, "x.json", "[[0, 0], [0, 0]]")
	w := writeJSONFile(t, dir, "w.json", "[[1, 0], [0, 1]]")
	code, out, errOut := runCLI(t, "explain", "--x", x, "--wq", w, "--wk", w, "--wv", w)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !regexp.MustCompile(`t0\s+→ t0\s+50\.0 %\s+\(tied with 1 other keys\)`).MatchString(out) {
		t.Errorf("uniform weights do not report the tie:\n%s", out[strings.Index(out, "## 7"):])
	}
}

func TestExplainOutputs(t *testing.T) {
	dir := t.TempDir()
	html := filepath.Join(dir, "report.html")
	figs := filepath.Join(dir, "figs")
	code, _, errOut := runCLI(t, "explain", "random", "--seed", "3", "--html", html, "--plot", figs)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"9. Memory of the n×n matrices", "<svg", "random attention, seed 3", "row sums of A"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(figs, "attention.png")); err != nil {
		t.Errorf("figure: %v", err)
	}
}

func TestExplainErrors(t *testing.T) {
	dir := t.TempDir()
	x := writeJSONFile(t, dir, "x.json", "[[1, 0], [0, 1]]")
	w := writeJSONFile(t, dir, "w.json", "[[1, 0], [0, 1]]")
	w3 := writeJSONFile(t, dir, "w3.json", "[[1, 0], [0, 1], [1, 1]]")
	cube := writeJSONFile(t, dir, "cube.json", "[[[1]]]")
	heads := writeJSONFile(t, dir, "heads.json", "[[[1, 0], [0, 1]], [[0, 1], [1, 0]]]")
	writePlotNPY(t, dir, "nan.npy", []int{2, 2}, []float64{1, 0, 0, math.NaN()})
	nan := filepath.Join(dir, "nan.npy")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"nothing", []string{"explain"}, exitUsage, "nothing to explain"},
		{"partial files", []string{"explain", "--x", x, "--wq", w}, exitUsage, "2 of 4 are set"},
		{"demo and files", []string{"explain", "sharp", "--x", x}, exitUsage, "not both"},
		{"unknown demo", []string{"explain", "fuzzy"}, exitUsage, `unknown demo "fuzzy"`},
		{"seed on sharp", []string{"explain", "sharp", "--seed", "2"}, exitUsage, "random demo only"},
		{"seed on files", []string{"explain", "--x", x, "--wq", w, "--wk", w, "--wv", w, "--seed", "2"}, exitUsage, "random demo only"},
		{"tokens on demo", []string{"explain", "sharp", "--tokens", "a,b"}, exitUsage, "--tokens and --head apply"},
		{"token count", []string{"explain", "--x", x, "--wq", w, "--wk", w, "--wv", w, "--tokens", "a"}, exitUsage, "--tokens has 1 labels"},
		{"missing file", []string{"explain", "--x", filepath.Join(dir, "none.json"), "--wq", w, "--wk", w, "--wv", w}, exitFailure, "none.json"},
		{"3-D input", []string{"explain", "--x", cube, "--wq", w, "--wk", w, "--wv", w}, exitFailure, "want a matrix [n, d_model]"},
		{"head out of range", []string{"explain", "--x", x, "--wq", w, "--wk", w, "--wv", w, "--head", "1"}, exitUsage, "invalid --head 1"},
		{"head on demo", []string{"explain", "sharp", "--head", "1"}, exitUsage, "--head apply to --x input only"},
		{"d_model mismatch", []string{"explain", "--x", x, "--wq", w3, "--wk", w, "--wv", w}, exitFailure, "W_Q in " + w3},
		{"3-D W_Q beside 2-D W_K", []string{"explain", "--x", x, "--wq", heads, "--wk", w, "--wv", heads}, exitFailure, "give every head's inputs as 2-D matrices or all as 3-D"},
		{"NaN input", []string{"explain", "--x", nan, "--wq", w, "--wk", w, "--wv", w}, exitFailure, "NaN"},
		{"too many args", []string{"explain", "sharp", "random"}, exitUsage, "explain takes at most one example name (sharp or random), got 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, c.code, errOut)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
			if !strings.Contains(errOut, c.want) {
				t.Errorf("stderr %q lacks %q", errOut, c.want)
			}
		})
	}
}

func TestExplainSelectsHead(t *testing.T) {
	dir := t.TempDir()
	x := writeJSONFile(t, dir, "x.json", "[[1, 0], [0, 1]]")
	// Head 0 makes every query attend to key 0, head 1 to key 1.
	wq := writeJSONFile(t, dir, "wq.json", "[[[1, 0], [1, 0]], [[0, 1], [0, 1]]]")
	wk := writeJSONFile(t, dir, "wk.json", "[[[20, 0], [0, 20]], [[20, 0], [0, 20]]]")
	wv := writeJSONFile(t, dir, "wv.json", "[[[1], [0]], [[1], [0]]]")
	for head, want := range []string{`t0\s+→ t0`, `t0\s+→ t1`} {
		code, out, errOut := runCLI(t, "explain", "--x", x, "--wq", wq, "--wk", wk, "--wv", wv, "--head", fmt.Sprint(head))
		if code != exitOK {
			t.Fatalf("head %d: exit %d: %s", head, code, errOut)
		}
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("head %d: output does not match %q", head, want)
		}
		if !strings.Contains(out, fmt.Sprintf("head %d", head)) {
			t.Errorf("head %d: title does not name the head", head)
		}
	}
}

func TestExplainLongInputIsShortened(t *testing.T) {
	const n = 100
	dir := t.TempDir()
	x := make([]float64, n*2)
	for i := 0; i < n; i++ {
		x[2*i] = float64(i % 7)
		x[2*i+1] = float64(i % 5)
	}
	writePlotNPY(t, dir, "x.npy", []int{n, 2}, x)
	writePlotNPY(t, dir, "w.npy", []int{2, 2}, []float64{1, 0, 0, 1})
	xPath, wPath := filepath.Join(dir, "x.npy"), filepath.Join(dir, "w.npy")
	code, out, errOut := runCLI(t, "explain", "--x", xPath, "--wq", wPath, "--wk", wPath, "--wv", wPath)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		fmt.Sprintf("(showing %d of %d queries)", maxTopKeys, n),
		fmt.Sprintf("(showing %d of %d rows and %d of %d columns)", maxPrintedSide, n, maxPrintedSide, n),
		"Q·Kᵀ, S, A  [100×100]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "t99 ") {
		t.Errorf("output lists token t99 although lists stop at %d", maxTopKeys)
	}
}
