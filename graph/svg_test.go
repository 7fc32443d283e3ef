package graph

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

func TestWriteSVGWellFormed(t *testing.T) {
	cases := []struct{ name, input string }{
		{"chain with long edge", "a b\nb c\nc d\na d\n"},
		{"cycle", "a b\nb c\nc a\nc d\n"},
		{"names needing escapes", "digraph { \"<x&y>\" -> \"quote \\\" here\" }"},
		{"long name", strings.Repeat("n", 80) + " short\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, _, err := ParseBytes([]byte(tc.input), "", FormatAuto)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := g.WriteSVG(&buf, DrawOptions{Title: "t & <u>", Start: 0, Goal: g.Len() - 1}); err != nil {
				t.Fatal(err)
			}
			dec := xml.NewDecoder(&buf)
			rects, paths := 0, 0
			for {
				tok, err := dec.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("invalid XML: %v", err)
				}
				if se, ok := tok.(xml.StartElement); ok {
					switch {
					case se.Name.Local == "rect":
						rects++
					case se.Name.Local == "path" && len(se.Attr) > 0 && se.Attr[0].Value[0] == 'M' && len(se.Attr) > 3:
						paths++
					}
				}
			}
			// One background rectangle plus one box per vertex.
			if rects != g.Len()+1 {
				t.Errorf("%d rectangles, want %d", rects, g.Len()+1)
			}
			if paths != g.NumEdges() {
				t.Errorf("%d edge paths, want %d", paths, g.NumEdges())
			}
		})
	}
}

func TestLayersRespectEdges(t *testing.T) {
	g, _, _ := ParseBytes([]byte("a b\nb c\na c\nd c\n"), "", FormatEdgeList)
	layer := g.Layers()
	for _, e := range g.Edges() {
		if layer[e.To] <= layer[e.From] {
			t.Errorf("edge %s→%s goes from layer %d to %d", g.Name(e.From), g.Name(e.To), layer[e.From], layer[e.To])
		}
	}
	if layer[2] != 2 {
		t.Errorf("c is in layer %d, want 2 (the longest path a→b→c)", layer[2])
	}
}
