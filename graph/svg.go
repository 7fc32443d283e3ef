package graph

import (
	"fmt"
	"io"
	"math"
	"slices"
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

// Layout geometry in SVG user units (pixels).
const (
	charWidth   = 7.2 // average width of a 12 px sans-serif character
	boxHeight   = 24
	boxPadding  = 8
	rowGap      = 12
	columnGap   = 70
	margin      = 20
	titleHeight = 28
	maxLabelLen = 48 // longer names are shortened with an ellipsis
)

// layout is the position of every vertex: layers are columns from left to
// right, and a vertex sits in column layer[v] at row row[v].
type layout struct {
	layer   []int
	columns [][]int // vertices of each column, top to bottom
	x, y    []float64
	width   []float64
	w, h    float64
}

// Layers assigns every vertex a layer so that edges point to higher
// layers: a vertex's layer is the length of the longest path reaching it
// from a vertex without parents. On a graph with cycles, edges that close
// a cycle (those against the order of TopologicalOrder) are ignored.
func (g *Digraph) Layers() []int {
	order, _ := g.TopologicalOrder()
	pos := make([]int, g.Len())
	for i, v := range order {
		pos[v] = i
	}
	layer := make([]int, g.Len())
	for _, v := range order {
		for _, w := range g.children[v] {
			if pos[w] > pos[v] {
				layer[w] = max(layer[w], layer[v]+1)
			}
		}
	}
	return layer
}

func (g *Digraph) layout(top float64) *layout {
	n := g.Len()
	lay := &layout{layer: g.Layers(), x: make([]float64, n), y: make([]float64, n), width: make([]float64, n)}
	depth := 0
	for _, l := range lay.layer {
		depth = max(depth, l+1)
	}
	lay.columns = make([][]int, depth)
	for v := 0; v < n; v++ {
		lay.columns[lay.layer[v]] = append(lay.columns[lay.layer[v]], v)
	}
	g.orderColumns(lay)

	colWidth := make([]float64, depth)
	for v := 0; v < n; v++ {
		lay.width[v] = float64(len([]rune(shorten(g.names[v]))))*charWidth + 2*boxPadding
		colWidth[lay.layer[v]] = max(colWidth[lay.layer[v]], lay.width[v])
	}
	tallest := 0
	for _, col := range lay.columns {
		tallest = max(tallest, len(col))
	}
	height := float64(tallest)*(boxHeight+rowGap) - rowGap
	x := float64(margin)
	for c, col := range lay.columns {
		offset := (height - (float64(len(col))*(boxHeight+rowGap) - rowGap)) / 2
		for r, v := range col {
			lay.x[v] = x + (colWidth[c]-lay.width[v])/2
			lay.y[v] = top + offset + float64(r)*(boxHeight+rowGap)
		}
		x += colWidth[c] + columnGap
	}
	lay.w = x - columnGap + margin
	lay.h = top + height + margin
	return lay
}

// orderColumns reduces edge crossings with a few sweeps of the barycenter
// heuristic: each vertex moves to the mean row of its neighbours in the
// column before (forward sweep) or after (backward sweep).
func (g *Digraph) orderColumns(lay *layout) {
	row := make([]float64, g.Len())
	setRows := func() {
		for _, col := range lay.columns {
			for r, v := range col {
				row[v] = float64(r)
			}
		}
	}
	setRows()
	sweep := func(c int, neighbours func(int) []int, adjacent int) {
		key := make(map[int]float64, len(lay.columns[c]))
		for _, v := range lay.columns[c] {
			sum, count := 0.0, 0
			for _, u := range neighbours(v) {
				if lay.layer[u] == adjacent {
					sum += row[u]
					count++
				}
			}
			if count > 0 {
				key[v] = sum / float64(count)
			} else {
				key[v] = row[v]
			}
		}
		slices.SortStableFunc(lay.columns[c], func(a, b int) int {
			switch {
			case key[a] < key[b]:
				return -1
			case key[a] > key[b]:
				return 1
			}
			return 0
		})
		for r, v := range lay.columns[c] {
			row[v] = float64(r)
		}
	}
	for iter := 0; iter < 4; iter++ {
		for c := 1; c < len(lay.columns); c++ {
			sweep(c, g.Parents, c-1)
		}
		for c := len(lay.columns) - 2; c >= 0; c-- {
			sweep(c, g.Children, c+1)
		}
	}
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
	lay := g.layout(top)
	onPath := map[Edge]bool{}
	if opts.Start >= 0 && opts.Goal >= 0 && opts.Start < g.Len() && opts.Goal < g.Len() {
		if path, err := g.ShortestPath(opts.Start, opts.Goal); err == nil {
			for i := 1; i < len(path); i++ {
				onPath[Edge{path[i-1], path[i]}] = true
			}
		}
	}

	var b strings.Builder
	width := max(lay.w, 240)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">`+"\n",
		width, lay.h, width, lay.h)
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
	x1 := lay.x[e.From] + lay.width[e.From]
	y1 := lay.y[e.From] + boxHeight/2
	x2 := lay.x[e.To]
	y2 := lay.y[e.To] + boxHeight/2
	if lay.layer[e.To] > lay.layer[e.From] {
		stroke, widthPx, marker := "#555", 1.0, "arrow"
		if bold {
			stroke, widthPx, marker = "#1f6fd1", 2.5, "arrow-path"
		}
		mid := (x1 + x2) / 2
		fmt.Fprintf(b, `<path d="M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="none" stroke="%s" stroke-width="%.1f" marker-end="url(#%s)"/>`+"\n",
			x1, y1, mid, y1, mid, y2, x2, y2, stroke, widthPx, marker)
		return
	}
	// An edge that closes a cycle runs backwards: leave from the bottom of
	// the source and enter the bottom of the target along a curve below.
	sx, sy := lay.x[e.From]+lay.width[e.From]/2, lay.y[e.From]+boxHeight
	tx, ty := lay.x[e.To]+lay.width[e.To]/2, lay.y[e.To]+boxHeight
	dip := 30 + 0.15*math.Abs(sx-tx)
	stroke, marker := "#999", "arrow-back"
	if bold {
		stroke, marker = "#1f6fd1", "arrow-path"
	}
	fmt.Fprintf(b, `<path d="M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="none" stroke="%s" stroke-width="1.2" stroke-dasharray="5,3" marker-end="url(#%s)"/>`+"\n",
		sx, sy, sx, max(sy, ty)+dip, tx, max(sy, ty)+dip, tx, ty, stroke, marker)
}
