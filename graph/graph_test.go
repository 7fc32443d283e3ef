package graph

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// edgeNames renders the edges of g as "a>b" strings for comparisons.
func edgeNames(g *Digraph) []string {
	var out []string
	for _, e := range g.Edges() {
		out = append(out, g.Name(e.From)+">"+g.Name(e.To))
	}
	return out
}

func TestParseFormats(t *testing.T) {
	cases := []struct {
		name   string
		format Format // detected format
		input  string
		edges  []string
		names  []string
	}{
		{"edge list", FormatEdgeList,
			"# comment\na b\n\nb -> c  # trailing comment\nd\nc->a\n",
			[]string{"a>b", "b>c", "c>a"}, []string{"a", "b", "c", "d"}},
		{"edge list chain", FormatEdgeList,
			"x -> y -> z\n", []string{"x>y", "y>z"}, []string{"x", "y", "z"}},
		{"dot", FormatDOT,
			`// leading comment
digraph "my graph" {
  rankdir=LR; node [shape=box]
  a -> b -> c [label="x, y"];
  "quoted \"name\"" -> a /* block
  comment */
  d
  subgraph cluster_0 { e -> f; }
  g:port:n -> { h i }
}`,
			[]string{"a>b", "b>c", `quoted "name">a`, "e>f", "g>h", "g>i"},
			[]string{"a", "b", "c", `quoted "name"`, "d", "e", "f", "g", "h", "i"}},
		{"strict dot with numerals", FormatDOT,
			"strict digraph { 1 -> 2.5; -3 -> 1 }",
			[]string{"1>2.5", "-3>1"}, []string{"1", "2.5", "-3"}},
		{"dot string concatenation", FormatDOT,
			`digraph { "go" + "lang" -> "x" + "/" + "sys"; a [label="p" + "q"] }`,
			[]string{"golang>x/sys"}, []string{"golang", "x/sys", "a"}},
		{"go mod graph", FormatGoModGraph,
			"qkv github.com/spf13/cobra@v1.10.2\ngithub.com/spf13/cobra@v1.10.2 github.com/spf13/pflag@v1.0.9\n",
			[]string{"qkv>github.com/spf13/cobra@v1.10.2", "github.com/spf13/cobra@v1.10.2>github.com/spf13/pflag@v1.0.9"},
			[]string{"qkv", "github.com/spf13/cobra@v1.10.2", "github.com/spf13/pflag@v1.0.9"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, f, err := ParseBytes([]byte(tc.input), "test", FormatAuto)
			if err != nil {
				t.Fatal(err)
			}
			if f != tc.format {
				t.Errorf("detected format %v, want %v", f, tc.format)
			}
			if got := edgeNames(g); !slices.Equal(got, tc.edges) {
				t.Errorf("edges = %q, want %q", got, tc.edges)
			}
			if !slices.Equal(g.Names(), tc.names) {
				t.Errorf("vertices = %q, want %q", g.Names(), tc.names)
			}
		})
	}
}

func TestDuplicatesAndSelfLoops(t *testing.T) {
	g, _, err := ParseBytes([]byte("a b\na b\nb b\nb c\n"), "x", FormatEdgeList)
	if err != nil {
		t.Fatal(err)
	}
	if g.NumEdges() != 2 {
		t.Errorf("NumEdges = %d, want 2", g.NumEdges())
	}
	if g.DuplicateEdges() != 1 {
		t.Errorf("DuplicateEdges = %d, want 1", g.DuplicateEdges())
	}
	if !slices.Equal(g.SelfLoops(), []string{"b"}) {
		t.Errorf("SelfLoops = %q, want [b]", g.SelfLoops())
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name   string
		format Format
		input  string
		want   string
	}{
		{"edge list three names", FormatEdgeList, "a b\na b c\n", "g.txt:2: invalid edge"},
		{"edge list empty side", FormatEdgeList, "a ->\n", "g.txt:1: invalid edge"},
		{"undirected graph", FormatAuto, "graph { a -- b }", "g.txt:1: undirected graph"},
		{"undirected edge", FormatDOT, "digraph {\n a -- b }", "g.txt:2: undirected edge"},
		{"missing brace", FormatDOT, "digraph {\n a -> b\n", "g.txt:3: missing '}'"},
		{"two graphs", FormatDOT, "digraph { a }\ndigraph { b }", "g.txt:2: unexpected 'digraph'"},
		{"unterminated string", FormatDOT, "digraph { \"a -> b }", "unterminated quoted id"},
		{"unterminated comment", FormatDOT, "digraph { /* a -> b }", "unterminated /* comment"},
		{"bad numeral", FormatDOT, "digraph { 1a -> b }", "cannot start with a digit"},
		{"dangling arrow", FormatDOT, "digraph { a -> }", "expected a vertex id after '->'"},
		{"go mod graph one field", FormatGoModGraph, "a@v1 b@v2\nc\n", "g.txt:2: invalid go mod graph line"},
		{"go mod graph no version", FormatGoModGraph, "a@v1 b\n", "g.txt:1: invalid dependency"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseBytes([]byte(tc.input), "g.txt", tc.format)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestReachability(t *testing.T) {
	g, _, err := ParseBytes([]byte("a b\nb c\nc a\nc d\ne d\n"), "", FormatEdgeList)
	if err != nil {
		t.Fatal(err)
	}
	idx := func(s string) int { i, _ := g.Index(s); return i }
	if got := g.Distances(idx("a")); !slices.Equal(got, []int{0, 1, 2, 3, -1}) {
		t.Errorf("Distances(a) = %v", got)
	}
	if got := g.Reachable(idx("d")); !slices.Equal(got, []bool{false, false, false, true, false}) {
		t.Errorf("Reachable(d) = %v", got)
	}
	if got := g.CanReach(idx("d")); !slices.Equal(got, []bool{true, true, true, true, true}) {
		t.Errorf("CanReach(d) = %v", got)
	}
	path, err := g.ShortestPath(idx("b"), idx("d"))
	if err != nil || !slices.Equal(path, []int{1, 2, 3}) {
		t.Errorf("ShortestPath(b, d) = %v, %v", path, err)
	}
	_, err = g.ShortestPath(idx("d"), idx("a"))
	if !errors.Is(err, ErrNoPath) || !strings.Contains(err.Error(), `from "d" to "a"`) {
		t.Errorf("ShortestPath(d, a) error = %v, want ErrNoPath naming both vertices", err)
	}
	if !g.HasCycle() {
		t.Error("HasCycle = false on a graph with the cycle a→b→c→a")
	}
}

func TestLookupSuggests(t *testing.T) {
	g := New()
	for _, n := range []string{"golang.org/x/sys@v0.50.0", "golang.org/x/term@v0.48.0", "alpha", "beta"} {
		g.AddVertex(n)
	}
	_, err := g.Lookup("alpah")
	var uv *UnknownVertexError
	if !errors.As(err, &uv) || !errors.Is(err, ErrUnknownVertex) {
		t.Fatalf("Lookup error = %v, want *UnknownVertexError", err)
	}
	if !slices.Contains(uv.Suggestions, "alpha") {
		t.Errorf("suggestions for alpah = %q, want alpha among them", uv.Suggestions)
	}
	_, err = g.Lookup("golang.org/x/sys")
	if !errors.As(err, &uv) || len(uv.Suggestions) == 0 || uv.Suggestions[0] != "golang.org/x/sys@v0.50.0" {
		t.Errorf("suggestions for a module path without version = %v", err)
	}
}

func TestTopologicalOrder(t *testing.T) {
	g, _, _ := ParseBytes([]byte("c a\nb a\nc b\n"), "", FormatEdgeList)
	order, ok := g.TopologicalOrder()
	if !ok {
		t.Fatal("acyclic graph reported as cyclic")
	}
	pos := make([]int, g.Len())
	for i, v := range order {
		pos[v] = i
	}
	for _, e := range g.Edges() {
		if pos[e.From] >= pos[e.To] {
			t.Errorf("edge %s→%s goes backwards in %v", g.Name(e.From), g.Name(e.To), order)
		}
	}
}

func TestSubgraphKeepsOrder(t *testing.T) {
	g, _, _ := ParseBytes([]byte("a b\nc d\nb d\nd e\n"), "", FormatEdgeList)
	keep := g.Reachable(0)
	sub := g.Subgraph(keep)
	if !slices.Equal(sub.Names(), []string{"a", "b", "d", "e"}) {
		t.Errorf("vertices = %q", sub.Names())
	}
	if got := edgeNames(sub); !slices.Equal(got, []string{"a>b", "b>d", "d>e"}) {
		t.Errorf("edges = %q", got)
	}
}

func TestParseGoModGraphFixtures(t *testing.T) {
	cases := []struct {
		file            string
		vertices, edges int
	}{
		{"testdata/qkv-go-mod-graph.txt", 114, 184},
		{"testdata/gonum-plot-go-mod-graph.txt", 85, 135},
	}
	for _, tc := range cases {
		g, format, err := ParseFile(tc.file, FormatAuto)
		if err != nil {
			t.Fatal(err)
		}
		if format != FormatGoModGraph || g.Len() != tc.vertices || g.NumEdges() != tc.edges {
			t.Errorf("%s: format %v, %d vertices, %d edges; want gomod, %d, %d",
				tc.file, format, g.Len(), g.NumEdges(), tc.vertices, tc.edges)
		}
		if !slices.Equal(g.Reachable(0), slices.Repeat([]bool{true}, g.Len())) {
			t.Errorf("%s: the main module does not reach every module", tc.file)
		}
	}
}

// TestDocsGoModNumbers checks the numbers that docs/graph-task.md states
// about the committed go mod graph of this repository.
func TestDocsGoModNumbers(t *testing.T) {
	doc, err := os.ReadFile("../docs/graph-task.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(doc)), " ")
	g, _, err := ParseFile("testdata/qkv-go-mod-graph.txt", FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	minN := 3*g.NumEdges() + 5
	if want := fmt.Sprintf("(%d vertices, %d edges,", g.Len(), g.NumEdges()); !strings.Contains(text, want) {
		t.Errorf("docs/graph-task.md lacks %q", want)
	}
	if want := fmt.Sprintf("needs N ≥ %d", minN); !strings.Contains(text, want) {
		t.Errorf("docs/graph-task.md lacks %q", want)
	}

	start, err := g.Lookup("github.com/spf13/cobra@v1.10.2")
	if err != nil {
		t.Fatal(err)
	}
	goal, err := g.Lookup("golang.org/x/sys@v0.50.0")
	if err != nil {
		t.Fatal(err)
	}
	keep := g.Reachable(start)
	reached := 0
	for _, k := range keep {
		if k {
			reached++
		}
	}
	keep[goal] = true
	sub := g.Subgraph(keep)
	want := fmt.Sprintf("it keeps %d vertices (the %d that cobra reaches, itself included, plus the goal, which cobra cannot reach) and %d edges",
		sub.Len(), reached, sub.NumEdges())
	if !strings.Contains(text, want) {
		t.Errorf("docs/graph-task.md lacks %q", want)
	}
}

func TestParseRejectsBinaryNames(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"NUL in edge list", "a b\nc\x00d e\n", "g.txt:2: NUL byte at column 2"},
		{"invalid UTF-8 in edge list", "a b\nc d\nx\xffy z\n", "g.txt:3: invalid UTF-8 at byte 2"},
		{"invalid UTF-8 in DOT", "digraph {\n \"a\xfe\" -> b\n}\n", "g.txt:2: invalid UTF-8 at byte 4"},
		{"NUL in go mod graph", "m@v1 n@v2\x00\n", "g.txt:1: NUL byte at column 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseBytes([]byte(tt.data), "g.txt", FormatAuto)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
