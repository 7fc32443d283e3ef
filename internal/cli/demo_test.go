package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Tolerances for comparing computed values.
const (
	// exactTol is for values that float64 arithmetic reproduces to a few
	// ulps.
	exactTol = 1e-12
	// printedTol is for the four-decimal values that the help text states.
	printedTol = 5e-5
)

// runCLIEnv runs the command line with a terminal flag and environment
// variables, returning the exit status, stdout and stderr.
func runCLIEnv(t *testing.T, terminal bool, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := &Env{
		Stdin:            strings.NewReader(""),
		Stdout:           &stdout,
		Stderr:           &stderr,
		StdoutIsTerminal: terminal,
		Getenv:           func(k string) string { return vars[k] },
	}
	code := RunEnv(args, env)
	return code, stdout.String(), stderr.String()
}

func decodeCase(t *testing.T, out string) caseJSON {
	t.Helper()
	var c caseJSON
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("decode --json output: %v\n%s", err, out)
	}
	return c
}

func TestDemoSharpWeights(t *testing.T) {
	code, out, errOut := runCLI(t, "demo", "sharp", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	c := decodeCase(t, out)
	if strings.Join(c.Tokens, " ") != "the cat sat down" {
		t.Fatalf("tokens = %v", c.Tokens)
	}

	e4 := math.Exp(4)
	onTarget, offTarget := e4/(e4+3), 1/(e4+3)
	if math.Abs(onTarget-0.9479) > printedTol || math.Abs(offTarget-0.0174) > printedTol {
		t.Fatalf("test constants wrong: %v %v", onTarget, offTarget)
	}
	for i, row := range c.Weights {
		for j, w := range row {
			want := offTarget
			if j == sharpTargets[i] {
				want = onTarget
			}
			if math.Abs(w-want) > exactTol {
				t.Errorf("A[%s→%s] = %.15f, want %.15f", c.Tokens[i], c.Tokens[j], w, want)
			}
		}
	}

	for i, row := range c.Scores {
		for j, s := range row {
			want := 0.0
			if j == sharpTargets[i] {
				want = 4
			}
			if s != want {
				t.Errorf("S[%d][%d] = %v, want %v", i, j, s, want)
			}
		}
	}

	// Z = A·V with V = I, so Z equals A.
	for i := range c.Output {
		for j := range c.Output[i] {
			if math.Abs(c.Output[i][j]-c.Weights[i][j]) > exactTol {
				t.Errorf("Z[%d][%d] = %v, want A[%d][%d] = %v", i, j, c.Output[i][j], i, j, c.Weights[i][j])
			}
		}
	}

	if len(c.X) != 4 || len(c.WQ) != 4 || len(c.WK) != 4 || len(c.WV) != 4 || c.WK[2][2] != 8 {
		t.Errorf("x, wq, wk, wv missing or wrong: W_K = %v", c.WK)
	}
	if c.Scale != 0.5 {
		t.Errorf("scale = %v, want 1/√4 = 0.5", c.Scale)
	}
}

func TestDemoSharpTables(t *testing.T) {
	code, out, _ := runCLI(t, "demo", "sharp")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("output has ANSI escapes although stdout is not a terminal")
	}
	for _, want := range []string{
		"weights A = softmax(S) by row [4×4]",
		"down  0.0174  0.0174  0.9479  0.0174",
		"the   0.0174  0.9479  0.0174  0.0174",
		"W_Q [4×4]", "W_K [4×4]", "W_V [4×4]", "Q = X·W_Q", "output Z = A·V",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestDemoJSONRowPerLine(t *testing.T) {
	code, out, errOut := runCLI(t, "demo", "sharp", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	c := decodeCase(t, out)
	if len(c.Weights) != 4 || len(c.Output) != 4 || c.Scale != 0.5 {
		t.Fatalf("decoded %d weight rows, %d output rows, scale %v; want 4, 4, 0.5", len(c.Weights), len(c.Output), c.Scale)
	}
	rows := 0
	for _, line := range strings.Split(out, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "[") && strings.Count(trimmed, ",") >= 3 {
			rows++
		}
		if trimmed != "" && strings.Trim(trimmed, "0123456789.e+-,") == "" {
			t.Fatalf("line %q holds a lone number; want one matrix row per line", line)
		}
	}
	// X, W_Q, W_K, W_V, Q, K, V, S, A and Z have four rows of at least
	// four columns each.
	if want := 10 * 4; rows != want {
		t.Errorf("found %d row lines, want %d:\n%s", rows, want, out)
	}
}

func TestDemoColorOnTerminal(t *testing.T) {
	cases := []struct {
		name      string
		terminal  bool
		vars      map[string]string
		wantColor bool
	}{
		{"terminal", true, nil, true},
		{"terminal with NO_COLOR", true, map[string]string{"NO_COLOR": "1"}, false},
		{"terminal with TERM=dumb", true, map[string]string{"TERM": "dumb"}, false},
		{"terminal with TERM=xterm", true, map[string]string{"TERM": "xterm-256color"}, true},
		{"pipe", false, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, _ := runCLIEnv(t, c.terminal, c.vars, "demo", "sharp")
			if code != exitOK {
				t.Fatalf("exit %d", code)
			}
			gotColor := strings.Contains(out, "\x1b[48;2;")
			if gotColor != c.wantColor {
				t.Errorf("24-bit colour escapes present = %v, want %v", gotColor, c.wantColor)
			}
			if !strings.Contains(out, "0.9479") {
				t.Errorf("values missing from the output")
			}
		})
	}
}

func TestDemoSharpPlot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "figs")
	code, _, errOut := runCLI(t, "demo", "sharp", "--plot", dir, "--plot-format", "png,svg,pdf")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(filepath.Join(dir, "attention.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode attention.png: %v", err)
	}
	if img.Bounds().Dx() < 1000 || img.Bounds().Dy() < 400 {
		t.Errorf("attention.png is %v px, want a three-panel figure at least 1000×400", img.Bounds().Size())
	}

	svg, err := os.ReadFile(filepath.Join(dir, "attention.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{">the<", ">cat<", ">sat<", ">down<", ">query (from)<", ">key (to)<"} {
		if !bytes.Contains(svg, []byte(tok)) {
			t.Errorf("attention.svg lacks the text %s", tok)
		}
	}

	if _, err := os.Stat(filepath.Join(dir, "attention.pdf")); err != nil {
		t.Errorf("attention.pdf: %v", err)
	}
	for _, want := range []string{"attention.png", "attention.svg", "attention.pdf"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr does not name %s: %q", want, errOut)
		}
	}
}

func TestDemoHTMLReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sharp.html")
	code, _, errOut := runCLI(t, "demo", "sharp", "--html", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	for _, want := range []string{"<svg", "@media print", "size: A4", "down → sat", "94.8 %", "row sums of A"} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, banned := range []string{"<script", "<link", "src=\"http", "url(http", "<?xml"} {
		if strings.Contains(page, banned) {
			t.Errorf("report contains %q; it must be self-contained", banned)
		}
	}
}

func TestDemoUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", []string{"demo"}, "needs a subcommand"},
		{"unknown demo", []string{"demo", "blurry"}, "blurry"},
		{"bad format", []string{"demo", "sharp", "--plot", "x", "--plot-format", "gif"}, `"gif"`},
		{"extra argument", []string{"demo", "sharp", "extra"}, "extra"},
		{"both seeds", []string{"demo", "random", "--seed", "1", "--numpy-seed", "2"}, "exclude each other"},
		{"negative numpy seed", []string{"demo", "random", "--numpy-seed", "-1"}, "0 to 4294967295"},
		{"huge numpy seed", []string{"demo", "random", "--numpy-seed", "4294967296"}, "4294967296"},
		{"word as numpy seed", []string{"demo", "random", "--numpy-seed", "abc"}, `invalid --numpy-seed "abc": want an integer from 0 to 4294967295`},
		{"negative seed", []string{"demo", "random", "--seed", "-5"}, `invalid --seed "-5": want a non-negative integer`},
		{"plot-format without plot", []string{"demo", "sharp", "--plot-format", "svg"}, "--plot-format needs --plot"},
		{"plot-format with html only", []string{"demo", "sharp", "--html", "x.html", "--plot-format", "pdf"}, "--plot-format needs --plot"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, c.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %q", code, exitUsage, errOut)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
			if !strings.Contains(errOut, c.want) {
				t.Errorf("stderr %q lacks %q", errOut, c.want)
			}
			if strings.Contains(errOut, "strconv") {
				t.Errorf("stderr %q quotes strconv", errOut)
			}
		})
	}
}

func TestDemoBadFormatWritesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "figs")
	runCLI(t, "demo", "sharp", "--plot", dir, "--plot-format", "png,gif")
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("output directory exists after a usage error: %v", err)
	}
}

func TestDemoRandomSeedsDiffer(t *testing.T) {
	_, a, _ := runCLI(t, "demo", "random", "--seed", "1", "--json")
	_, b, _ := runCLI(t, "demo", "random", "--seed", "2", "--json")
	_, a2, _ := runCLI(t, "demo", "random", "--seed", "1", "--json")
	if a == b {
		t.Errorf("seeds 1 and 2 give the same output")
	}
	if a != a2 {
		t.Errorf("seed 1 gives different output on two runs")
	}
	c := decodeCase(t, a)
	if len(c.X) != 4 || len(c.X[0]) != 4 || len(c.WQ) != 4 || len(c.WQ[0]) != 3 {
		t.Fatalf("shapes: X %d×%d, W_Q %d×%d; want 4×4 and 4×3", len(c.X), len(c.X[0]), len(c.WQ), len(c.WQ[0]))
	}
	for _, m := range [][][]float64{c.X, c.WQ, c.WK, c.WV} {
		for _, row := range m {
			for _, v := range row {
				if v < -1 || v >= 1 {
					t.Errorf("value %v outside [-1, 1)", v)
				}
			}
		}
	}
	for i, row := range c.Weights {
		sum := 0.0
		for _, w := range row {
			sum += w
		}
		if math.Abs(sum-1) > exactTol {
			t.Errorf("row %d of A sums to %v", i, sum)
		}
	}
}

// TestDemoRandomMatchesNumpy compares --numpy-seed output with values
// that numpy computed (scripts/fixtures/demo_random.py): the drawn inputs
// must be identical and every derived matrix within exactTol.
func TestDemoRandomMatchesNumpy(t *testing.T) {
	data, err := os.ReadFile("testdata/demo_random_numpy.json")
	if err != nil {
		t.Fatal(err)
	}
	var fixture struct {
		Cases []struct {
			Seed int64 `json:"seed"`
			caseJSON
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &fixture); err != nil {
		t.Fatalf("decode fixture: %v", err)
	}
	if len(fixture.Cases) == 0 {
		t.Fatal("fixture has no cases")
	}
	for _, want := range fixture.Cases {
		seed := fmt.Sprint(want.Seed)
		t.Run("seed="+seed, func(t *testing.T) {
			code, out, errOut := runCLI(t, "demo", "random", "--numpy-seed", seed, "--json")
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			got := decodeCase(t, out)
			for _, m := range []struct {
				name      string
				got, want [][]float64
				tol       float64
			}{
				{"x", got.X, want.X, 0},
				{"wq", got.WQ, want.WQ, 0},
				{"wk", got.WK, want.WK, 0},
				{"wv", got.WV, want.WV, 0},
				{"q", got.Q, want.Q, exactTol},
				{"k", got.K, want.K, exactTol},
				{"v", got.V, want.V, exactTol},
				{"scores", got.Scores, want.Scores, exactTol},
				{"weights", got.Weights, want.Weights, exactTol},
				{"output", got.Output, want.Output, exactTol},
			} {
				compareRows(t, m.name, m.got, m.want, m.tol)
			}
			if math.Abs(got.Scale-want.Scale) > exactTol {
				t.Errorf("scale = %v, want %v", got.Scale, want.Scale)
			}
		})
	}
}

// compareRows reports every entry of got that differs from want by more
// than tol.
func compareRows(t *testing.T, name string, got, want [][]float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s has %d rows, want %d", name, len(got), len(want))
		return
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Errorf("%s row %d has %d entries, want %d", name, i, len(got[i]), len(want[i]))
			continue
		}
		for j := range want[i] {
			if d := math.Abs(got[i][j] - want[i][j]); d > tol || math.IsNaN(d) {
				t.Errorf("%s[%d][%d] = %.17g, want %.17g (difference %.3g, tolerance %g)", name, i, j, got[i][j], want[i][j], d, tol)
			}
		}
	}
}
