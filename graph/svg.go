package graph

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// DrawOptions controls WriteSVG.
type DrawOptions struct {
	// Title is drawn above the graph when not empty.
	Title string
	// Start and Goal mark two vertices (filled green and orange), or -1
	// for none. When both are set and a path exists, the edges of a
	// shortest path are drawn bold.
	Start, Goal int
}

func shorten(name string) string {
	r := []rune(name)
	if len(r) <= maxLabelLen {
		return name
	}
	return string(r[:maxLabelLen-1]) + "…"
}

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		default:
			if r < 0x20 && r != '\t' {
				b.WriteRune('�')
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// WriteSVG draws the graph as an SVG image: vertices in columns by layer
// (see Layers), edges as arrows, and edges that close a cycle as dashed
// grey curves. A name longer than 48 characters is shortened in its box
// and given in full in the box's tooltip.
func (g *Digraph) WriteSVG(w io.Writer, opts DrawOptions) error {
	top := float64(margin)
	if opts.Title != "" {
		top += titleHeight
	}
	maxDip := 0.0
	if g.hasBackEdges() {
		// Leave room above and below for the curves of edges that close a
		// cycle; the layout itself does not depend on top.
		probe := g.layout(top)
		for _, e := range g.edges {
			if probe.layer[e.To] <= probe.layer[e.From] {
				maxDip = max(maxDip, backEdgeDip(probe, e))
			}
		}
		top += maxDip
	}
	lay := g.layout(top)
	lay.top = top
	onPath := map[Edge]bool{}
	if opts.Start >= 0 && opts.Goal >= 0 && opts.Start < g.Len() && opts.Goal < g.Len() {
		if path, err := g.ShortestPath(opts.Start, opts.Goal); err == nil {
			for i := 1; i < len(path); i++ {
				onPath[Edge{path[i-1], path[i]}] = true
			}
		}
	}

	height := lay.h + maxDip
	var b strings.Builder
	width := max(lay.w, 240, 2*margin+8.5*float64(len([]rune(opts.Title))))
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">`+"\n",
		width, height, width, height)
	b.WriteString(`<defs>
<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker>
<marker id="arrow-path" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1f6fd1"/></marker>
<marker id="arrow-back" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#999"/></marker>
</defs>
<rect width="100%" height="100%" fill="white"/>
`)
	if opts.Title != "" {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="15" font-weight="bold">%s</text>`+"\n", margin, margin+16, xmlEscape(opts.Title))
	}

	// Edges first, so boxes cover their ends.
	for _, e := range g.edges {
		g.writeEdge(&b, lay, e, onPath[e])
	}
	for v := range g.Len() {
		fill, stroke := "#f4f4f4", "#666"
		switch v {
		case opts.Start:
			fill, stroke = "#c8f0c8", "#2a7a2a"
		case opts.Goal:
			fill, stroke = "#ffd8a8", "#c05a00"
		}
		fmt.Fprintf(&b, `<g><title>%s</title><rect x="%.1f" y="%.1f" width="%.1f" height="%d" rx="5" fill="%s" stroke="%s"/>`,
			xmlEscape(g.names[v]), lay.x[v], lay.y[v], lay.width[v], boxHeight, fill, stroke)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text></g>`+"\n",
			lay.x[v]+lay.width[v]/2, lay.y[v]+boxHeight/2+4, xmlEscape(shorten(g.names[v])))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func (g *Digraph) writeEdge(b *strings.Builder, lay *layout, e Edge, bold bool) {
	if lay.layer[e.To] > lay.layer[e.From] {
		stroke, widthPx, marker := "#555", 1.0, "arrow"
		if bold {
			stroke, widthPx, marker = "#1f6fd1", 2.5, "arrow-path"
		}
		// The edge runs through the slots of its dummy vertices, one per
		// column it crosses, so it never passes behind a box.
		x, y := lay.x[e.From]+lay.width[e.From], lay.y[e.From]+boxHeight/2
		fmt.Fprintf(b, `<path d="M%.1f,%.1f`, x, y)
		curve := func(x2, y2 float64) {
			mid := (x + x2) / 2
			fmt.Fprintf(b, ` C%.1f,%.1f %.1f,%.1f %.1f,%.1f`, mid, y, mid, y2, x2, y2)
			x, y = x2, y2
		}
		for _, d := range lay.chains[e] {
			curve(lay.x[d], lay.y[d]+boxHeight/2)
			x += lay.width[d]
			fmt.Fprintf(b, ` L%.1f,%.1f`, x, y)
		}
		curve(lay.x[e.To], lay.y[e.To]+boxHeight/2)
		fmt.Fprintf(b, `" fill="none" stroke="%s" stroke-width="%.1f" marker-end="url(#%s)"/>`+"\n", stroke, widthPx, marker)
		return
	}
	// An edge that closes a cycle runs backwards. When the source lies in
	// the upper half of the picture, the edge leaves the top of the source
	// and enters the top of the target along an arch above the rows.
	// Otherwise it uses the bottoms and a curve below.
	sx, tx := lay.x[e.From]+lay.width[e.From]/2, lay.x[e.To]+lay.width[e.To]/2
	sy, ty := lay.y[e.From], lay.y[e.To]
	dip := backEdgeDip(lay, e)
	bend := min(sy, ty) - dip
	if sy-lay.top > (lay.h-margin-lay.top)/2 {
		sy, ty = sy+boxHeight, ty+boxHeight
		bend = max(sy, ty) + dip
	}
	stroke, marker := "#999", "arrow-back"
	if bold {
		stroke, marker = "#1f6fd1", "arrow-path"
	}
	fmt.Fprintf(b, `<path d="M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="none" stroke="%s" stroke-width="1.2" stroke-dasharray="5,3" marker-end="url(#%s)"/>`+"\n",
		sx, sy, sx, bend, tx, bend, tx, ty, stroke, marker)
}

// backEdgeDip returns how far below its lower end the curve of an edge
// that closes a cycle reaches.
func backEdgeDip(lay *layout, e Edge) float64 {
	return 30 + 0.15*math.Abs(lay.x[e.From]-lay.x[e.To])
}

func (g *Digraph) hasBackEdges() bool {
	layer := g.Layers()
	for _, e := range g.edges {
		if layer[e.To] <= layer[e.From] {
			return true
		}
	}
	return false
}
