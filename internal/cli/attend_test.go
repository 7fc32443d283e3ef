package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"qkv/npy"
)

// Tolerances against the torch fixtures, relative to max(1, |want|): a
// few ulps of summation-order difference in float64, and float32
// rounding of each product and sum.
const (
	attendTol64 = 1e-12
	attendTol32 = 1e-5
)

const attendFixtureDir = "../../testdata/attention"

// attendCase is one entry of testdata/attention/cases.json, written by
// scripts/fixtures/attention.py.
type attendCase struct {
	Name  string
	Flags map[string]string // flag name → file in the case directory
	Mask  string            // "none", "causal" or a file name
	Scale *float64
	DType string
	Heads int
}

func loadAttendCases(t *testing.T) []attendCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(attendFixtureDir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Cases []attendCase }
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) == 0 {
		t.Fatal("cases.json lists no cases")
	}
	return f.Cases
}

// args returns the qkv attend command line of case c.
func (c attendCase) args() []string {
	dir := filepath.Join(attendFixtureDir, c.Name)
	args := []string{"attend"}
	for _, flag := range []string{"x", "wq", "wk", "wv", "q", "k", "v", "wo"} {
		if file, ok := c.Flags[flag]; ok {
			args = append(args, "--"+flag, filepath.Join(dir, file))
		}
	}
	switch c.Mask {
	case "none", "causal":
		args = append(args, "--mask", c.Mask)
	default:
		args = append(args, "--mask", filepath.Join(dir, c.Mask))
	}
	if c.Scale != nil {
		args = append(args, "--scale", fmt.Sprint(*c.Scale))
	}
	return args
}

func (c attendCase) tolerance() float64 {
	if c.DType == "float32" {
		return attendTol32
	}
	return attendTol64
}

// runAttendCLI runs qkv with args and returns the exit status, stdout and
// stderr.
func runAttendCLI(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	env := &Env{
		Stdin:  strings.NewReader(""),
		Stdout: &stdout,
		Stderr: &stderr,
		Getenv: func(string) string { return "" },
	}
	code := RunEnv(args, env)
	return code, stdout.String(), stderr.String()
}

// attendCloseTo reports whether got is within tol·max(1, |want|) of want, with
// infinities equal only to themselves.
func attendCloseTo(got, want, tol float64) bool {
	if math.IsInf(want, 0) || math.IsInf(got, 0) {
		return got == want
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// compareAttendArrays returns an error for the first element of got that is not
// close to want, or for a shape or dtype difference.
func compareAttendArrays(what string, got, want *npy.Array, tol float64) error {
	if npy.ShapeString(got.Shape) != npy.ShapeString(want.Shape) || got.DType != want.DType {
		return fmt.Errorf("%s is %v, want %v", what, got, want)
	}
	g, w := got.Float64(), want.Float64()
	for i := range w {
		if !attendCloseTo(g[i], w[i], tol) {
			return fmt.Errorf("%s element %d = %v, want %v (tolerance %g)", what, i, g[i], w[i], tol)
		}
	}
	return nil
}

// flattenAttendJSON flattens nested JSON arrays, mapping null to -Inf.
func flattenAttendJSON(v any, out *[]float64) error {
	switch x := v.(type) {
	case nil:
		*out = append(*out, math.Inf(-1))
	case float64:
		*out = append(*out, x)
	case []any:
		for _, e := range x {
			if err := flattenAttendJSON(e, out); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("unexpected JSON value %v", v)
	}
	return nil
}

func TestAttendMatchesTorchFixtures(t *testing.T) {
	for _, c := range loadAttendCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "result")
			code, stdout, stderr := runAttendCLI(append(c.args(), "--out", out, "--json")...)
			if code != exitOK {
				t.Fatalf("exit status %d, stderr:\n%s", code, stderr)
			}
			var decoded map[string]any
			if err := json.Unmarshal([]byte(stdout), &decoded); err != nil {
				t.Fatalf("--json output is not JSON: %v\n%s", err, stdout)
			}
			for _, name := range []string{"scores", "weights", "output"} {
				want, err := npy.ReadFile(filepath.Join(attendFixtureDir, c.Name, name+".npy"))
				if err != nil {
					t.Fatal(err)
				}
				got, err := npy.ReadFile(filepath.Join(out, name+".npy"))
				if err != nil {
					t.Fatal(err)
				}
				if err := compareAttendArrays(name+".npy", got, want, c.tolerance()); err != nil {
					t.Error(err)
				}

				var values []float64
				if err := flattenAttendJSON(decoded[name], &values); err != nil {
					t.Fatalf("--json %s: %v", name, err)
				}
				fromJSON, err := npy.NewFloat64(want.Shape, values)
				if err != nil {
					t.Fatalf("--json %s: %v", name, err)
				}
				if err := compareAttendArrays("--json "+name, fromJSON, attendAsFloat64(t, want), c.tolerance()); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// attendAsFloat64 returns a as a float64 array.
func attendAsFloat64(t *testing.T, a *npy.Array) *npy.Array {
	t.Helper()
	b, err := npy.NewFloat64(a.Shape, a.Float64())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// saveAttendNPY saves data with the given shape in dir/name and returns the
// path.
func saveAttendNPY(t *testing.T, dir, name string, shape []int, data any) string {
	t.Helper()
	b, err := npy.Marshal(shape, data)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// attendPattern returns n values in [-1, 1) from a fixed integer recurrence,
// so tests need no random generator.
func attendPattern(n, seed int) []float64 {
	out := make([]float64, n)
	state := uint32(seed*2654435761 + 1)
	for i := range out {
		state = state*1664525 + 1013904223
		out[i] = float64(state>>8)/float64(1<<23) - 1
	}
	return out
}

func TestAttendBitIdenticalAcrossGOMAXPROCS(t *testing.T) {
	dir := t.TempDir()
	// Large enough (n_q·n_k·(d_k + d_v) ≥ 2¹⁶) for the parallel path.
	q := saveAttendNPY(t, dir, "q.npy", []int{2, 300, 16}, attendPattern(2*300*16, 1))
	k := saveAttendNPY(t, dir, "k.npy", []int{2, 257, 16}, attendPattern(2*257*16, 2))
	v := saveAttendNPY(t, dir, "v.npy", []int{2, 257, 8}, attendPattern(2*257*8, 3))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))

	var first map[string][]byte
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		out := filepath.Join(dir, fmt.Sprintf("out%d", procs))
		code, stdout, stderr := runAttendCLI("attend", "--q", q, "--k", k, "--v", v, "--mask", "causal", "--out", out, "--json")
		if code != exitOK {
			t.Fatalf("GOMAXPROCS=%d: exit status %d: %s", procs, code, stderr)
		}
		files := map[string][]byte{"stdout": []byte(stdout)}
		for _, name := range []string{"scores.npy", "weights.npy", "output.npy"} {
			b, err := os.ReadFile(filepath.Join(out, name))
			if err != nil {
				t.Fatal(err)
			}
			files[name] = b
		}
		if first == nil {
			first = files
			continue
		}
		for name, b := range files {
			if !bytes.Equal(b, first[name]) {
				t.Errorf("%s differs between GOMAXPROCS=1 and GOMAXPROCS=%d", name, procs)
			}
		}
	}
}

func TestAttendSummary(t *testing.T) {
	dir := t.TempDir()
	q := saveAttendNPY(t, dir, "q.npy", []int{2, 2}, []float64{1, 0, 0, 1})
	k := saveAttendNPY(t, dir, "k.npy", []int{2, 2}, []float64{1, 0, 0, 1})
	v := saveAttendNPY(t, dir, "v.npy", []int{2, 1}, []float64{10, 20})
	code, stdout, stderr := runAttendCLI("attend", "--q", q, "--k", k, "--v", v, "--mask", "causal", "--scale", "1")
	if code != exitOK {
		t.Fatalf("exit status %d: %s", code, stderr)
	}
	// Row 1 of A is softmax(0, 1) = (0.2689, 0.7311), so Z[1] = 17.31.
	for _, want := range []string{
		"1 head(s), n_q = 2, n_k = 2, d_k = 2, scale = 1, dtype float64, mask causal",
		"q0     1  -Inf",
		"q1  0.2689  0.7311",
		"q1  17.31",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
}

func TestAttendReadsJSONInputs(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"q.json": "[[1, 0], [0, 1]]",
		"k.json": "[[1, 0], [0, 1]]",
		"v.json": "[[10], [20]]",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := runAttendCLI("attend", "--q", filepath.Join(dir, "q.json"), "--k", filepath.Join(dir, "k.json"),
		"--v", filepath.Join(dir, "v.json"), "--scale", "1", "--mask", "causal", "--json")
	if code != exitOK {
		t.Fatalf("exit status %d: %s", code, stderr)
	}
	var got struct{ Scores [][][]*float64 }
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	if s := got.Scores[0]; s[0][1] != nil || s[0][0] == nil || *s[0][0] != 1 || *s[1][1] != 1 {
		t.Errorf("scores = %s, want [[1, null], [0, 1]]", stdout)
	}
}

func TestAttendJSONBoolMask(t *testing.T) {
	dir := t.TempDir()
	q := writeJSONFile(t, dir, "q.json", "[[1, 0], [0, 1]]")
	v := writeJSONFile(t, dir, "v.json", "[[10], [20]]")
	mask := writeJSONFile(t, dir, "mask.json", "[[true, false], [true, true]]")
	code, stdout, stderr := runAttendCLI("attend", "--q", q, "--k", q, "--v", v, "--scale", "1", "--mask", mask, "--json")
	if code != exitOK {
		t.Fatalf("exit status %d: %s", code, stderr)
	}
	var got struct{ Weights [][][]float64 }
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	if w := got.Weights[0]; w[0][0] != 1 || w[0][1] != 0 || w[1][0] == 0 {
		t.Errorf("weights = %v, want row 0 = [1 0] and row 1 over both keys", w)
	}
}

func TestAttendMixedDTypesNote(t *testing.T) {
	dir := t.TempDir()
	q := saveAttendNPY(t, dir, "q.npy", []int{1, 2}, []float32{1, 2})
	k := saveAttendNPY(t, dir, "k.npy", []int{1, 2}, []float64{3, 4})
	v := saveAttendNPY(t, dir, "v.npy", []int{1, 1}, []float32{5})
	out := filepath.Join(dir, "out")
	code, _, stderr := runAttendCLI("attend", "--q", q, "--k", k, "--v", v, "--out", out)
	if code != exitOK {
		t.Fatalf("exit status %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "the inputs mix float32 (Q, V) and float64 (K), so attend computes in float64") {
		t.Errorf("stderr lacks the promotion note:\n%s", stderr)
	}
	a, err := npy.ReadFile(filepath.Join(out, "output.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if a.DType != npy.Float64 {
		t.Errorf("output.npy is %v, want float64 after promotion", a)
	}

	out32 := filepath.Join(dir, "out32")
	if code, _, stderr := runAttendCLI("attend", "--q", q, "--k", k, "--v", v, "--out", out32, "--dtype", "float32"); code != exitOK {
		t.Fatalf("--dtype float32: exit status %d: %s", code, stderr)
	}
	if a, err := npy.ReadFile(filepath.Join(out32, "scores.npy")); err != nil || a.DType != npy.Float32 {
		t.Errorf("--dtype float32: scores.npy is %v (%v), want float32", a, err)
	}
}

func TestAttendErrors(t *testing.T) {
	dir := t.TempDir()
	path := func(name string) string { return filepath.Join(dir, name) }
	m23 := attendPattern(6, 1)
	saveAttendNPY(t, dir, "x.npy", []int{2, 3}, m23)
	saveAttendNPY(t, dir, "w.npy", []int{3, 2}, attendPattern(6, 2))
	saveAttendNPY(t, dir, "w4.npy", []int{4, 2}, attendPattern(8, 3))
	saveAttendNPY(t, dir, "w3d.npy", []int{2, 3, 2}, attendPattern(12, 4))
	saveAttendNPY(t, dir, "k.npy", []int{3, 3}, attendPattern(9, 5))
	saveAttendNPY(t, dir, "v.npy", []int{3, 2}, attendPattern(6, 6))
	saveAttendNPY(t, dir, "v4.npy", []int{4, 2}, attendPattern(8, 7))
	withNaN := append([]float64(nil), m23...)
	withNaN[4] = math.NaN()
	saveAttendNPY(t, dir, "nan.npy", []int{2, 3}, withNaN)
	saveAttendNPY(t, dir, "ints.npy", []int{2, 3}, []int32{1, 2, 3, 4, 5, 6})
	saveAttendNPY(t, dir, "huge.npy", []int{2, 3}, []float64{1e39, 0, 0, 0, 0, 0})
	saveAttendNPY(t, dir, "overflow.npy", []int{2, 3}, []float64{1e200, 1e200, 1e200, 1, 1, 1})
	saveAttendNPY(t, dir, "v2.npy", []int{2, 2}, attendPattern(4, 9))
	saveAttendNPY(t, dir, "vector.npy", []int{3}, []float64{1, 2, 3})
	saveAttendNPY(t, dir, "mask_shape.npy", []int{3, 2}, []bool{true, true, true, true, true, true})
	saveAttendNPY(t, dir, "mask_two.npy", []int{2, 3}, []int8{1, 0, 1, 2, 1, 1})
	saveAttendNPY(t, dir, "mask_inf.npy", []int{2, 3}, []float64{0, math.Inf(1), 0, 0, 0, 0})
	saveAttendNPY(t, dir, "wo_bad.npy", []int{5, 2}, attendPattern(10, 8))
	if err := os.WriteFile(path("mask.json"), []byte("[[1, 1, 1], [1, 1, 1]]"), 0o644); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path("x.npy"))
	if err := os.WriteFile(path("truncated.npy"), good[:len(good)-8], 0o644); err != nil {
		t.Fatal(err)
	}

	fromX := func(extra ...string) []string {
		return append([]string{"attend", "--x", path("x.npy"), "--wq", path("w.npy"), "--wk", path("w.npy"), "--wv", path("w.npy")}, extra...)
	}
	direct := func(q, k, v string, extra ...string) []string {
		return append([]string{"attend", "--q", path(q), "--k", path(k), "--v", path(v)}, extra...)
	}
	cases := []struct {
		name string
		args []string
		code int
		want []string // substrings of stderr
	}{
		{"no inputs", []string{"attend"}, exitUsage, []string{"no inputs"}},
		{"x with q", fromX("--q", path("x.npy")), exitUsage, []string{"--x/--wq/--wk/--wv and --q/--k/--v"}},
		{"missing wk", []string{"attend", "--x", path("x.npy"), "--wq", path("w.npy"), "--wv", path("w.npy")}, exitUsage, []string{"missing --wk"}},
		{"missing k and v", []string{"attend", "--q", path("x.npy")}, exitUsage, []string{"missing --k and --v"}},
		{"missing wk names the group", []string{"attend", "--x", path("x.npy"), "--wq", path("w.npy"), "--wv", path("w.npy")}, exitUsage, []string{"--x, --wq, --wk and --wv must be given together: missing --wk"}},
		{"bad dtype", fromX("--dtype", "float16"), exitUsage, []string{`invalid --dtype "float16"`}},
		{"zero scale", fromX("--scale", "0"), exitUsage, []string{"invalid --scale 0"}},
		{"infinite scale", fromX("--scale", "inf"), exitUsage, []string{"invalid --scale +Inf"}},
		{"extra argument", fromX("stray"), exitUsage, []string{"stray"}},
		{"missing file", direct("nope.npy", "k.npy", "v.npy"), exitFailure, []string{"nope.npy"}},
		{"truncated file", direct("truncated.npy", "k.npy", "v.npy"), exitFailure, []string{"truncated.npy", "header says [2 3] float64 = 48 bytes, file has 40"}},
		{"NaN in Q", direct("nan.npy", "k.npy", "v.npy"), exitFailure, []string{"Q in " + path("nan.npy"), "NaN at [1 1]"}},
		{"NaN in X", []string{"attend", "--x", path("nan.npy"), "--wq", path("w.npy"), "--wk", path("w.npy"), "--wv", path("w.npy")}, exitFailure, []string{"X in", "NaN"}},
		{"NaN in W_V", []string{"attend", "--x", path("x.npy"), "--wq", path("w.npy"), "--wk", path("w.npy"), "--wv", path("nan.npy")}, exitFailure, []string{"W_V in", "NaN"}},
		{"integer input", direct("ints.npy", "k.npy", "v.npy"), exitFailure, []string{"ints.npy", "int32", "want float32 or float64"}},
		{"vector input", direct("vector.npy", "k.npy", "v.npy"), exitFailure, []string{"vector.npy", "shape [3]"}},
		{"d_k mismatch", direct("x.npy", "w4.npy", "v4.npy"), exitFailure, []string{"same d_k"}},
		{"n_k mismatch", direct("x.npy", "k.npy", "v4.npy"), exitFailure, []string{"same number of keys"}},
		{"W rows differ from d_model", []string{"attend", "--x", path("x.npy"), "--wq", path("w4.npy"), "--wk", path("w.npy"), "--wv", path("w.npy")}, exitFailure, []string{"W_Q in", "w4.npy", "X in", "3 columns"}},
		{"2-D and 3-D weights", []string{"attend", "--x", path("x.npy"), "--wq", path("w3d.npy"), "--wk", path("w.npy"), "--wv", path("w.npy")}, exitFailure, []string{"3-D [2 3 2]", "2-D [3 2]"}},
		{"W_O rows", fromX("--wo", path("wo_bad.npy")), exitFailure, []string{"wo_bad.npy", "h·d_v = 2"}},
		{"mask shape", fromX("--mask", path("mask_shape.npy")), exitFailure, []string{"mask_shape.npy", "want [n_q, n_k] = [2 2]"}},
		{"mask integer 2", direct("x.npy", "k.npy", "v.npy", "--mask", path("mask_two.npy")), exitFailure, []string{"mask_two.npy", "has 2 at [1 0]"}},
		{"mask +Inf bias", direct("x.npy", "k.npy", "v.npy", "--mask", path("mask_inf.npy")), exitFailure, []string{"mask_inf.npy", "+Inf at [0 1]"}},
		{"JSON number mask", direct("x.npy", "k.npy", "v.npy", "--mask", path("mask.json")), exitFailure, []string{"mask.json", "cannot tell a 0/1 mask from a float bias"}},
		{"mask word in capitals", fromX("--mask", "Causal"), exitUsage, []string{`invalid --mask "Causal"`, "none and causal, in lower case"}},
		{"missing v", []string{"attend", "--q", path("x.npy"), "--k", path("k.npy")}, exitUsage, []string{"--q, --k and --v must be given together: missing --v"}},
		{"plot-format without plot", fromX("--plot-format", "svg"), exitUsage, []string{"--plot-format needs --plot"}},
		{"missing mask file", fromX("--mask", path("nomask.npy")), exitFailure, []string{"nomask.npy"}},
		{"float32 overflow", direct("huge.npy", "k.npy", "v.npy", "--dtype", "float32"), exitFailure, []string{"huge.npy", "outside the float32 range"}},
		{"score overflow", direct("overflow.npy", "overflow.npy", "v2.npy"), exitFailure, []string{"compute in float64: head 0: attention: score", "overflows to +Inf"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			code, stdout, stderr := runAttendCLI(append(tc.args, "--out", out)...)
			if code != tc.code {
				t.Fatalf("exit status %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			for _, want := range tc.want {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
				t.Errorf("output directory has %d entries after a failure, want none", len(entries))
			}
		})
	}
}

func TestAttendOverflowLeavesNoFiles(t *testing.T) {
	dir := t.TempDir()
	q := saveAttendNPY(t, dir, "q.npy", []int{1, 1}, []float32{1e20})
	v := saveAttendNPY(t, dir, "v.npy", []int{1, 1}, []float32{1})
	out := filepath.Join(dir, "existing")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	// 1e20·1e20 = 1e40 is beyond float32, so the score overflows.
	code, _, stderr := runAttendCLI("attend", "--q", q, "--k", q, "--v", v, "--out", out)
	if code != exitFailure || !strings.Contains(stderr, "overflows") {
		t.Fatalf("exit status %d, stderr %q; want %d and an overflow error", code, stderr, exitFailure)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("output directory has %d entries, want none", len(entries))
	}
}

func TestAttendSummaryOfNoTokens(t *testing.T) {
	dir := t.TempDir()
	x := saveAttendNPY(t, dir, "x.npy", []int{0, 2}, []float64{})
	w := saveAttendNPY(t, dir, "w.npy", []int{2, 2}, []float64{1, 0, 0, 1})
	code, stdout, stderr := runAttendCLI("attend", "--x", x, "--wq", w, "--wk", w, "--wv", w)
	if code != exitOK {
		t.Fatalf("exit status %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "n_q = 0, n_k = 0") || !strings.Contains(stdout, "(empty)") {
		t.Errorf("summary of zero tokens lacks the shapes or (empty):\n%s", stdout)
	}
}
