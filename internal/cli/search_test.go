package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"qkv/tensor"
)

// gomodGraph is the output of "go mod graph" for this repository,
// committed as test data.
const gomodGraph = "../../compiled/testdata/gomod-qkv.txt"

func writeGraphFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "graph.txt")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSearchEdgeList(t *testing.T) {
	path := writeGraphFile(t, "a b\nb c\nc d\nb e\ne f\nx a\n")
	code, out, errOut := runCLI(t, "search", "--graph", path, "--start", "a", "--goal", "d")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	for _, want := range []string{
		"next:     b\n",
		"correct:  b\n",
		"path:     a → b → c → d (3 edges",
		"layers:   6 (roles, load, merge 1, merge 2, merge 3, readout)",
		"3 + ⌈log₂ V⌉",
		"x       2/2           3/3              7/7",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestSearchNoPathIsAnAnswer(t *testing.T) {
	path := writeGraphFile(t, "a b\nb c\n")
	code, out, _ := runCLI(t, "search", "--graph", path, "--start", "c", "--goal", "a")
	if code != exitOK {
		t.Fatalf("exit %d, want %d", code, exitOK)
	}
	if !strings.Contains(out, "path:     no path: a cannot be reached from c") || !strings.Contains(out, "correct:  none") {
		t.Errorf("output does not report no path:\n%s", out)
	}
}

func TestSearchTokens(t *testing.T) {
	code, out, errOut := runCLI(t, "search", "--tokens", "E 4 1 E 8 3 E 1 6 E 3 4 Q 8 6 P 8", "--json")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	var got searchJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, out)
	}
	if got.Next == nil || *got.Next != "3" {
		t.Errorf("next = %v, want 3", got.Next)
	}
	if !slices.Equal(got.Correct, []string{"3"}) {
		t.Errorf("correct = %v, want [3]", got.Correct)
	}
	if !slices.Equal(got.Path, []string{"8", "3", "4", "1", "6"}) {
		t.Errorf("path = %v, want [8 3 4 1 6]", got.Path)
	}
	if got.Layers != 6 || len(got.LayerNames) != 6 {
		t.Errorf("layers = %d (%v), want 6", got.Layers, got.LayerNames)
	}
	if len(got.Reach) != 4 {
		t.Fatalf("reach has %d layers, want 4 (load and 3 merges)", len(got.Reach))
	}
	for _, l := range got.Reach {
		for _, v := range l.Vertices {
			if v.Decoded == nil || *v.Decoded != v.True {
				t.Errorf("layer k=%d, vertex %s: decoded %v, true %d", l.K, v.Vertex, v.Decoded, v.True)
			}
		}
	}
}

func TestSearchTokensLongerPrefix(t *testing.T) {
	// A naive-distribution example in which every child of 4 reaches 21.
	// With the prefix 4 → 7 the current vertex is 7, and of its children
	// 13 and 1 only 13 reaches 21.
	text := "E 29 33 E 13 21 E 7 13 E 4 7 E 29 21 E 29 39 E 4 29 E 4 21 E 4 13 E 21 24 E 21 6 E 7 1 Q 4 21 P 4"
	code, out, _ := runCLI(t, "search", "--tokens", text, "--json")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var got searchJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Correct, []string{"7", "13", "21", "29"}) {
		t.Errorf("correct = %v, want [7 13 21 29]", got.Correct)
	}
	code, out, _ = runCLI(t, "search", "--tokens", text+" 7", "--json")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Correct, []string{"13"}) || !slices.Equal(got.Path, []string{"4", "7", "13", "21"}) {
		t.Errorf("with prefix 4 7: correct = %v, path = %v; want [13] and [4 7 13 21]", got.Correct, got.Path)
	}
}

func TestSearchGoModGraph(t *testing.T) {
	code, out, errOut := runCLI(t, "search", "--graph", gomodGraph, "--format", "gomod", "--start", "qkv", "--goal", "golang.org/x/text@v0.3.0", "--json")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	var got searchJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Path) < 2 || got.Path[0] != "qkv" || got.Path[len(got.Path)-1] != "golang.org/x/text@v0.3.0" {
		t.Fatalf("path = %v, want one from qkv to golang.org/x/text@v0.3.0", got.Path)
	}
	if got.Next == nil || *got.Next != got.Path[1] {
		t.Errorf("next = %v but the path starts %v", got.Next, got.Path[:2])
	}
}

func TestSearchGonumPlotModuleGraph(t *testing.T) {
	// "go mod graph" of gonum.org/v1/plot v0.17.0, also committed.
	code, out, errOut := runCLI(t, "search", "--graph", "../../compiled/testdata/gomod-gonum-plot.txt", "--start", "gonum.org/v1/plot", "--goal", "golang.org/x/text@v0.3.0", "--json")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	var got searchJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Path) < 2 || got.Path[len(got.Path)-1] != "golang.org/x/text@v0.3.0" {
		t.Errorf("path = %v, want one that ends at golang.org/x/text@v0.3.0", got.Path)
	}
}

func TestSearchStandardInput(t *testing.T) {
	var stdout, stderr bytes.Buffer
	env := &Env{
		Stdin:  strings.NewReader("digraph { a -> b -> c; a -> d }\n"),
		Stdout: &stdout,
		Stderr: &stderr,
		Getenv: func(string) string { return "" },
	}
	code := RunEnv([]string{"search", "--graph", "-", "--start", "a", "--goal", "c"}, env)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "path:     a → b → c (2 edges") {
		t.Errorf("output:\n%s", stdout.String())
	}
}

func TestEmptyStandardInputNamed(t *testing.T) {
	for _, args := range [][]string{
		{"search", "--graph", "-", "--start", "a", "--goal", "b"},
		{"graph", "encode", "--graph", "-", "--start", "a", "--goal", "b"},
	} {
		var stdout, stderr bytes.Buffer
		env := &Env{Stdin: strings.NewReader("# no edges\n"), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
		if code := RunEnv(args, env); code != exitFailure {
			t.Errorf("%v: exit %d, want %d", args, code, exitFailure)
		}
		if !strings.Contains(stderr.String(), "graph from standard input has no vertices") {
			t.Errorf("%v: stderr does not name standard input:\n%s", args, stderr.String())
		}
	}
}

func TestSearchReachSummary(t *testing.T) {
	args := []string{"search", "--graph", gomodGraph, "--start", "qkv", "--goal", "golang.org/x/text@v0.3.0"}
	code, out, _ := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out, "\nmedian  ") || !strings.Contains(out, "--reach-all prints each one") {
		t.Errorf("a 115-vertex graph does not get summary rows:\n%s", out)
	}
	code, out, _ = runCLI(t, append(args, "--reach-all")...)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if strings.Contains(out, "\nmedian  ") || !strings.Contains(out, "\ngolang.org/x/text@v0.3.0  ") {
		t.Errorf("--reach-all does not list every vertex:\n%s", out)
	}
}

func TestSearchPlot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "plots")
	code, _, errOut := runCLI(t, "search", "--tokens", "E 1 2 E 2 3 Q 1 3 P 1", "--plot", dir, "--plot-format", "svg")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	// The reach sets of 1→2→3 close after merge 1, so merge 2 does not
	// run and gets no heatmap.
	want := []string{"layer01-roles.svg", "layer02-load.svg", "layer03-merge1.svg", "layer05-readout.svg", "reach.svg"}
	if !slices.Equal(names, want) {
		t.Errorf("files = %v, want %v", names, want)
	}
	svg, err := os.ReadFile(filepath.Join(dir, "layer02-load.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svg, []byte("E 1→2")) {
		t.Error("the load heatmap does not label the edge token as E 1→2")
	}
}

func TestSearchPlotLargeInput(t *testing.T) {
	// 150 edges make 454 tokens, more than maxPlotTokens: only the query
	// tokens' rows are drawn.
	var b strings.Builder
	for i := 0; i < 150; i++ {
		fmt.Fprintf(&b, "v%d v%d\n", i, i+1)
	}
	dir := filepath.Join(t.TempDir(), "plots")
	code, _, errOut := runCLI(t, "search", "--graph", writeGraphFile(t, b.String()), "--start", "v0", "--goal", "v150", "--plot", dir, "--plot-format", "svg")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	for _, name := range []string{"layer01-roles-query-head0.svg", "layer03-merge1-query.svg", "reach.svg"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}
	svg, err := os.ReadFile(filepath.Join(dir, "layer03-merge1-query.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(svg), "weight / row max, max over 2 adjacent keys") {
		t.Errorf("merge heatmap title does not state its scale and bins")
	}
}

func TestRowMaxBinned(t *testing.T) {
	// Two rows of weights over 5 keys; bins of 2 keys leave 3 columns.
	w := &tensor.Matrix[float64]{Rows: 2, Cols: 5, Data: []float64{
		0.1, 0.2, 0.4, 0.2, 0.1,
		0.001, 0.001, 0.001, 0.001, 0.002,
	}}
	labels := []string{"a", "b", "c", "d", "e"}
	got, cols, bin := rowMaxBinned(w, labels, 3)
	if bin != 2 {
		t.Fatalf("bin %d, want 2", bin)
	}
	if !slices.Equal(cols, []string{"a", "c", "e"}) {
		t.Errorf("column labels %v, want [a c e]", cols)
	}
	const tol = 1e-12
	want := []float64{0.5, 1, 0.25, 0.5, 0.5, 1}
	for i, x := range got.Data {
		if math.Abs(x-want[i]) > tol {
			t.Errorf("value %d = %g, want %g", i, x, want[i])
		}
	}
}

func TestSearchErrors(t *testing.T) {
	graphFile := writeGraphFile(t, "alpha beta\nbeta gamma\n")
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no input", []string{"search"}, exitUsage, "give --graph FILE"},
		{"both inputs", []string{"search", "--graph", graphFile, "--tokens", "Q 1 2 P 1"}, exitUsage, "exclude each other"},
		{"missing goal", []string{"search", "--graph", graphFile, "--start", "alpha"}, exitUsage, "needs --start and --goal"},
		{"unknown start", []string{"search", "--graph", graphFile, "--start", "alpah", "--goal", "gamma"}, exitUsage, "alpha"},
		{"bad format", []string{"search", "--graph", graphFile, "--format", "xml", "--start", "alpha", "--goal", "gamma"}, exitUsage, "invalid --format"},
		{"missing file", []string{"search", "--graph", filepath.Join(t.TempDir(), "none.txt"), "--start", "a", "--goal", "b"}, exitFailure, "none.txt"},
		{"missing file message", []string{"search", "--graph", "none.txt", "--start", "a", "--goal", "b"}, exitFailure, "graph file none.txt not found"},
		{"bad tokens", []string{"search", "--tokens", "E 1 X Q 1 2 P 1"}, exitUsage, "invalid --tokens"},
		{"prefix not at start", []string{"search", "--tokens", "E 1 2 Q 1 2 P 2"}, exitUsage, "invalid --tokens"},
		{"too many vertices", []string{"search", "--tokens", "E 1 5000 Q 1 5000 P 1"}, exitUsage, "larger than 1024"},
		{"prefix step not an edge", []string{"search", "--tokens", "E 1 2 E 2 3 Q 1 3 P 1 3"}, exitUsage, "step 1, 1 → 3, is not an edge"},
		{"prefix revisits", []string{"search", "--tokens", "E 1 2 E 2 1 E 1 3 E 3 4 Q 1 4 P 1 2 1"}, exitUsage, "visits 1 twice"},
		{"prefix at goal", []string{"search", "--tokens", "E 1 2 E 2 3 Q 1 2 P 1 2"}, exitUsage, "already ends at the goal 2"},
		{"start is goal tokens", []string{"search", "--tokens", "E 3 4 Q 3 3 P 3"}, exitUsage, "the start and the goal are both 3"},
		{"start is goal graph", []string{"search", "--graph", graphFile, "--start", "beta", "--goal", "beta"}, exitUsage, "--start and --goal are both \"beta\""},
		{"start is goal encode", []string{"graph", "encode", "--graph", graphFile, "--start", "beta", "--goal", "beta", "--n", "128"}, exitUsage, "--start and --goal are both \"beta\""},
		{"start with tokens", []string{"search", "--tokens", "E 1 2 Q 1 2 P 1", "--start", "1"}, exitUsage, "--start and --goal only work with --graph"},
		{"bad plot format", []string{"search", "--tokens", "E 1 2 Q 1 2 P 1", "--plot", t.TempDir(), "--plot-format", "gif"}, exitUsage, "invalid --plot-format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut)
			}
			if !strings.Contains(errOut, tt.msg) {
				t.Errorf("stderr lacks %q:\n%s", tt.msg, errOut)
			}
		})
	}
}

func TestSearchDropsSelfLoopsInTokens(t *testing.T) {
	// The self-loop 1→1 must not make 1 a correct next vertex: the same
	// graph as a file drops it, and so must --tokens.
	code, out, errOut := runCLI(t, "search", "--tokens", "E 1 1 E 1 2 E 1 2 Q 1 2 P 1")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"next:     2\n", "correct:  2\n", "path:     1 → 2 (1 edge, 1 model query)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, want := range []string{"dropped 1 self-loop", "merged 1 duplicate edge"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestSearchGraphWarnings(t *testing.T) {
	path := writeGraphFile(t, "a a\na b\na b\n")
	code, out, errOut := runCLI(t, "search", "--graph", path, "--start", "a", "--goal", "b")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if !strings.Contains(out, "next:     b\n") {
		t.Errorf("output lacks the next vertex b:\n%s", out)
	}
	for _, want := range []string{"dropped 1 self-loop", "merged 1 duplicate edge"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestSearchVertexCountAndIDs(t *testing.T) {
	code, out, errOut := runCLI(t, "search", "--tokens", "E 1 40 Q 1 40 P 1", "--next-only")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"graph:    2 vertices, 1 edge (vertex ids up to 40)", "next:     40\n", "path:     not searched (--next-only)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "none:") {
		t.Errorf("output has a doubled colon:\n%s", out)
	}
}

func TestSearchReachListsIsolatedVertices(t *testing.T) {
	path := writeGraphFile(t, "a b\nc\n")
	code, out, errOut := runCLI(t, "search", "--graph", path, "--start", "a", "--goal", "c")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if !strings.Contains(out, "\nc       -/1") || !strings.Contains(out, "1 vertex has no edge tokens") {
		t.Errorf("reach table does not list the isolated vertex c:\n%s", out)
	}
	if !strings.Contains(out, "next:     none (the model scores no child of a)") {
		t.Errorf("output lacks the no-answer line:\n%s", out)
	}
}

func TestWalkProgressLines(t *testing.T) {
	clock := time.Unix(0, 0)
	walkClock = func() time.Time { return clock }
	defer func() { walkClock = time.Now }()
	var errOut bytes.Buffer
	p := newWalkProgress(&Env{Stderr: &errOut})
	p.update(1, 1) // at 0 s: too early to show
	clock = clock.Add(2 * time.Second)
	p.update(2, 2) // first line
	clock = clock.Add(time.Second)
	p.update(3, 3) // within 5 s of the last line: no line
	clock = clock.Add(5 * time.Second)
	p.update(4, 4)
	p.finish()
	want := "search: 2 model queries so far, path at 2 vertices (2 s)\n" +
		"search: 4 model queries so far, path at 4 vertices (8 s)\n" +
		"search: done after 4 model queries (8.0 s)\n"
	if errOut.String() != want {
		t.Errorf("progress lines:\n%s\nwant:\n%s", errOut.String(), want)
	}
	var quiet bytes.Buffer
	p = newWalkProgress(&Env{Stderr: &quiet})
	p.update(1, 1)
	p.finish()
	if quiet.Len() != 0 {
		t.Errorf("a short walk printed progress: %q", quiet.String())
	}
}

func TestSearchTooLargeGraph(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&b, "v%d v%d\n", i, i+1)
	}
	path := writeGraphFile(t, b.String())
	code, _, errOut := runCLI(t, "search", "--graph", path, "--start", "v0", "--goal", "v5")
	if code != exitFailure {
		t.Fatalf("exit %d, want %d", code, exitFailure)
	}
	if !strings.Contains(errOut, "too large for the compiled model") || !strings.Contains(errOut, "MiB") {
		t.Errorf("stderr does not explain the limit:\n%s", errOut)
	}
}

// FuzzSearch drives the search command with arbitrary --tokens text and
// arbitrary graph files in every format: it must exit 0, 1 or 2 and never
// panic, and a successful run must name a path or report no path.
func FuzzSearch(f *testing.F) {
	f.Add("E 4 1 E 8 3 E 1 6 E 3 4 Q 8 6 P 8", "a b\nb c\n", "a", "c", "auto")
	f.Add("Q 1 2 P 1", "digraph { a -> b -> c }", "a", "c", "dot")
	f.Add("E 1 1 E 1 2 Q 1 2 P 1 1", "m@v1 n@v2\nn@v2 o@v3\n", "m@v1", "o@v3", "gomod")
	f.Add("PAD PAD E 2 3 Q 2 3 P 2", "x", "x", "x", "edges")
	f.Fuzz(func(t *testing.T, tokens, graphText, start, goal, format string) {
		if len(tokens) > 2000 || len(graphText) > 2000 {
			return
		}
		for _, args := range [][]string{
			{"search", "--tokens", tokens},
			{"search", "--graph", writeGraphFile(t, graphText), "--format", format, "--start", start, "--goal", goal, "--json"},
		} {
			code, out, _ := runCLI(t, args...)
			if code != exitOK && code != exitFailure && code != exitUsage {
				t.Fatalf("%q: exit %d", args, code)
			}
			if code != exitOK {
				continue
			}
			if !strings.Contains(out, "path") {
				t.Fatalf("%q: exit 0 without a path line:\n%s", args, out)
			}
		}
	})
}

func TestPowerOfTwoTicks(t *testing.T) {
	var labels []string
	for _, tick := range (powerOfTwoTicks{}).Ticks(1, 128) {
		labels = append(labels, tick.Label)
	}
	if want := []string{"1", "2", "4", "8", "16", "32", "64", "128"}; !slices.Equal(labels, want) {
		t.Errorf("tick labels %v, want %v", labels, want)
	}
}

func TestSearchPlotSkipsLayersNotRun(t *testing.T) {
	// On a 5-vertex chain the reach sets close after merge 2, so the
	// search never runs merge 3 and draws no heatmap for it.
	dir := filepath.Join(t.TempDir(), "plots")
	code, _, errOut := runCLI(t, "search", "--tokens", "E 1 2 E 2 3 E 3 4 E 4 5 Q 1 5 P 1", "--plot", dir, "--plot-format", "svg")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "layer05-merge3.svg")); err == nil {
		t.Error("a heatmap was written for merge 3, which the search did not run")
	}
	if _, err := os.Stat(filepath.Join(dir, "layer04-merge2.svg")); err != nil {
		t.Errorf("missing the heatmap of merge 2: %v", err)
	}
	if !strings.Contains(errOut, "no heatmap for merge 3") {
		t.Errorf("stderr does not say why merge 3 has no heatmap:\n%s", errOut)
	}
	svg, err := os.ReadFile(filepath.Join(dir, "reach.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(svg), "not run: reach sets already closed") {
		t.Error("the reach chart does not mark the merge layer that did not run")
	}
}

func TestOutputRejectsNonRegularFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	code, out, errOut := runCLI(t, "tour", "--html", fifo)
	if code != exitFailure || out != "" {
		t.Errorf("exit %d with %d bytes of output, want %d and none", code, len(out), exitFailure)
	}
	if !strings.Contains(errOut, "is not a regular file") {
		t.Errorf("stderr lacks the reason:\n%s", errOut)
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the named pipe was replaced: %v, %v", st.Mode(), err)
	}
}
