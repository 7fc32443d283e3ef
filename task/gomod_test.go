package task

import (
	"errors"
	"testing"

	"qkv/graph"
)

func TestEncodeGoModGraphs(t *testing.T) {
	cases := []struct{ file, start, goal string }{
		{"qkv-go-mod-graph.txt", "qkv", "golang.org/x/sys@v0.50.0"},
		{"gonum-plot-go-mod-graph.txt", "gonum.org/v1/plot", "golang.org/x/text@v0.28.0"},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			g, format, err := graph.ParseFile("../graph/testdata/"+tc.file, graph.FormatAuto)
			if err != nil {
				t.Fatal(err)
			}
			if format != graph.FormatGoModGraph {
				t.Fatalf("detected %v, want gomod", format)
			}
			_, err = EncodeGraph(g, tc.start, tc.goal, MustVocab(128), EncodeOptions{})
			var tooLarge *GraphTooLargeError
			if !errors.As(err, &tooLarge) {
				t.Fatalf("N = 128: error %v, want GraphTooLargeError", err)
			}
			v := MustVocab(tooLarge.MinN)
			enc, err := EncodeGraph(g, tc.start, tc.goal, v, EncodeOptions{})
			if err != nil {
				t.Fatalf("N = %d (the suggested minimum): %v", tooLarge.MinN, err)
			}
			if _, err := EncodeGraph(g, tc.start, tc.goal, MustVocab(tooLarge.MinN-1), EncodeOptions{}); err == nil {
				t.Errorf("N = %d, one below the suggested minimum, succeeded", tooLarge.MinN-1)
			}
			ids, err := enc.Example.Tokens(v)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Decode(v, ids)
			if err != nil {
				t.Fatal(err)
			}
			if err := back.Annotate(nil); err != nil {
				t.Fatal(err)
			}
			checkExample(t, v, &back)
			if len(back.Edges) != g.NumEdges() {
				t.Errorf("decoded %d edges, graph has %d", len(back.Edges), g.NumEdges())
			}
			for _, id := range back.Labels {
				name := enc.NameOf(id)
				s, _ := g.Index(name)
				goal, _ := g.Index(tc.goal)
				if !g.HasPath(s, goal) {
					t.Errorf("label %s cannot reach %s", name, tc.goal)
				}
			}
		})
	}
}

func TestEncodeGraphErrors(t *testing.T) {
	g, _, err := graph.ParseBytes([]byte("a b\nb c\nd a\n"), "", graph.FormatEdgeList)
	if err != nil {
		t.Fatal(err)
	}
	v := MustVocab(128)
	if _, err := EncodeGraph(g, "x", "c", v, EncodeOptions{}); !errors.Is(err, graph.ErrUnknownVertex) {
		t.Errorf("unknown start: error %v", err)
	}
	if _, err := EncodeGraph(g, "a", "a", v, EncodeOptions{}); err == nil {
		t.Error("start = goal succeeded")
	}
	enc, err := EncodeGraph(g, "c", "a", v, EncodeOptions{})
	if !errors.Is(err, graph.ErrNoPath) || enc == nil || len(enc.Example.Labels) != 0 {
		t.Errorf("no path: encoding %v, error %v; want the encoding and ErrNoPath", enc, err)
	}
	enc, err = EncodeGraph(g, "d", "c", v, EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := enc.Example.Text(); got != "E 1 2 E 2 3 E 4 1 Q 4 3 P 4" {
		t.Errorf("text = %q", got)
	}
	if enc.Example.Lookahead != 0 || enc.NameOf(enc.Example.Labels[0]) != "a" {
		t.Errorf("lookahead %d, labels %v", enc.Example.Lookahead, enc.Example.Labels)
	}
}
