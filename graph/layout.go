package graph

import "slices"

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

// layout places the vertices in columns from left to right, one column
// per layer. An edge that spans several layers gets a dummy node in
// every column it crosses, so it can be drawn around the boxes there.
// Nodes 0..n−1 are the vertices; higher numbers are dummy nodes.
type layout struct {
	n        int
	layer    []int
	up, down [][]int // neighbours in the previous and next column
	chains   map[Edge][]int
	columns  [][]int // nodes of each column, top to bottom
	x, y     []float64
	width    []float64
	w, h     float64
	top      float64 // y of the first row
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
	lay := &layout{n: n, layer: g.Layers(), chains: map[Edge][]int{}, top: top}
	lay.up = make([][]int, n)
	lay.down = make([][]int, n)
	link := func(u, v int) {
		lay.down[u] = append(lay.down[u], v)
		lay.up[v] = append(lay.up[v], u)
	}
	for _, e := range g.edges {
		if lay.layer[e.To] <= lay.layer[e.From] {
			continue
		}
		prev := e.From
		for l := lay.layer[e.From] + 1; l < lay.layer[e.To]; l++ {
			d := len(lay.layer)
			lay.layer = append(lay.layer, l)
			lay.up = append(lay.up, nil)
			lay.down = append(lay.down, nil)
			lay.chains[e] = append(lay.chains[e], d)
			link(prev, d)
			prev = d
		}
		link(prev, e.To)
	}

	nodes := len(lay.layer)
	depth := 0
	for _, l := range lay.layer {
		depth = max(depth, l+1)
	}
	lay.columns = make([][]int, depth)
	for v := 0; v < nodes; v++ {
		lay.columns[lay.layer[v]] = append(lay.columns[lay.layer[v]], v)
	}
	lay.orderColumns()
	lay.place(g)
	return lay
}

// place computes box positions and the picture size.
func (lay *layout) place(g *Digraph) {
	nodes := len(lay.layer)
	lay.x = make([]float64, nodes)
	lay.y = make([]float64, nodes)
	lay.width = make([]float64, nodes)
	colWidth := make([]float64, len(lay.columns))
	for v := 0; v < lay.n; v++ {
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
			if v >= lay.n {
				// A dummy node spans the whole column.
				lay.width[v] = colWidth[c]
			}
			lay.x[v] = x + (colWidth[c]-lay.width[v])/2
			lay.y[v] = lay.top + offset + float64(r)*(boxHeight+rowGap)
		}
		x += colWidth[c] + columnGap
	}
	lay.w = x - columnGap + margin
	lay.h = lay.top + height + margin
}

// orderColumns reduces edge crossings with a few sweeps of the barycenter
// heuristic: each node moves to the mean row of its neighbours in the
// column before (forward sweep) or after (backward sweep).
func (lay *layout) orderColumns() {
	row := make([]float64, len(lay.layer))
	for _, col := range lay.columns {
		for r, v := range col {
			row[v] = float64(r)
		}
	}
	sweep := func(col []int, neighbours [][]int) {
		key := make(map[int]float64, len(col))
		for _, v := range col {
			key[v] = row[v]
			if nb := neighbours[v]; len(nb) > 0 {
				sum := 0.0
				for _, u := range nb {
					sum += row[u]
				}
				key[v] = sum / float64(len(nb))
			}
		}
		slices.SortStableFunc(col, func(a, b int) int {
			switch {
			case key[a] < key[b]:
				return -1
			case key[a] > key[b]:
				return 1
			}
			return 0
		})
		for r, v := range col {
			row[v] = float64(r)
		}
	}
	for iter := 0; iter < 6; iter++ {
		for c := 1; c < len(lay.columns); c++ {
			sweep(lay.columns[c], lay.up)
		}
		for c := len(lay.columns) - 2; c >= 0; c-- {
			sweep(lay.columns[c], lay.down)
		}
	}
}
