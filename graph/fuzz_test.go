package graph

import "testing"

// checkGraph verifies the invariants every parsed graph must satisfy.
func checkGraph(t *testing.T, g *Digraph) {
	t.Helper()
	for _, e := range g.Edges() {
		if e.From == e.To {
			t.Fatalf("self-loop %q kept", g.Name(e.From))
		}
		if !g.HasEdge(e.From, e.To) {
			t.Fatalf("edge %v missing from the edge set", e)
		}
	}
	for i, name := range g.Names() {
		if j, ok := g.Index(name); !ok || j != i {
			t.Fatalf("vertex %q has index %d, Index returns %d", name, i, j)
		}
	}
}

func fuzzFormat(f *testing.F, format Format, seeds []string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, _, err := ParseBytes(data, "fuzz", format)
		if err != nil {
			return
		}
		checkGraph(t, g)
	})
}

func FuzzParseEdgeList(f *testing.F) {
	fuzzFormat(f, FormatEdgeList, []string{"a b\n# c\nb -> c\n", "x\n", "a -> b -> c", "a b c"})
}

func FuzzParseDOT(f *testing.F) {
	fuzzFormat(f, FormatDOT, []string{
		"digraph g { a -> b -> c [x=y]; \"q\\\"\" -> {d e} }",
		"strict digraph { subgraph s { a } a:p:n -> b; node [shape=box] x=1 }",
		"/* c */ digraph { <b>x</b> -> y // z\n}",
		"graph { a -- b }",
	})
}

func FuzzParseGoModGraph(f *testing.F) {
	fuzzFormat(f, FormatGoModGraph, []string{"m a@v1\na@v1 b@v2\n", "a b"})
}

func FuzzParseAuto(f *testing.F) {
	fuzzFormat(f, FormatAuto, []string{"m a@v1\n", "digraph { a -> b }", "a b\n"})
}
