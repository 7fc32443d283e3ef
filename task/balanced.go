package task

import "math/rand/v2"

// balancedGraph builds a graph whose start (vertex 0) has lookahead L
// towards its goal unless the random extra vertices add shortcuts, which
// callers detect by recomputing the lookahead. maxEdges bounds the number
// of branches; prefix allows a chain of ancestors into the start.
//
// Construction: numPaths branches leave the start, the goal branch
// 0→1→…→L and numPaths−1 competitors of L or L+1 vertices each, so the
// goal is at distance L and every competitor lasts at least L levels.
// Then comes a chain of m ancestors of the start (prefix vertices), and
// every remaining vertex attaches to earlier ones by preferential
// attachment: up to three children weighted by 0.5 + in-degree, and up to
// three parents, never descendants of the new vertex, weighted by 0.5 +
// out-degree.
func balancedGraph(r *rand.Rand, L, V, maxEdges int, prefix bool) (d *dag, goal int) {
	numPaths := 1 + r.IntN(2)
	if L > 0 {
		numPaths = 2 + r.IntN((maxEdges-1)/L-1)
	}
	nReq := min(L*numPaths+1+r.IntN(6), V, maxEdges+1)
	n := max(2, nReq, 1+numPaths*L)
	d = newDAG(n)

	// Goal branch 0→1→…→L (0→1 for L = 0).
	goal = max(1, L)
	for v := 1; v <= goal; v++ {
		d.addEdge(v-1, v)
	}
	index := goal + 1

	// Competing branches, each at least as long as the goal branch.
	if L > 0 {
		for b := 0; b < numPaths-1; b++ {
			remaining := numPaths - 1 - b
			length := L
			if n-index-L*remaining >= 1 {
				length += r.IntN(2)
			}
			prev := 0
			for k := 0; k < length; k++ {
				d.addEdge(prev, index)
				prev = index
				index++
			}
		}
	}

	// Prefix vertices: a chain of ancestors leading into the start.
	if prefix {
		m := r.IntN(n - index + 1)
		prev := 0
		for k := 0; k < m; k++ {
			d.addEdge(index, prev)
			prev = index
			index++
		}
	}

	for i := index; i < n; i++ {
		attachExtraVertex(r, d, i)
	}
	return d, goal
}

// attachExtraVertex connects vertex i to the earlier vertices 0..i−1.
func attachExtraVertex(r *rand.Rand, d *dag, i int) {
	numChildren := r.IntN(4)
	numParents := r.IntN(4)
	if numChildren == 0 {
		numParents = 1 + r.IntN(3)
	}
	numChildren, numParents = min(numChildren, i), min(numParents, i)

	earlier := make([]int, i)
	for k := range earlier {
		earlier[k] = k
	}
	inWeight := func(v int) float64 { return 0.5 + float64(d.indeg[v]) }
	for _, c := range sampleWeighted(r, earlier, inWeight, numChildren) {
		d.addEdge(i, c)
	}

	descendant := searchFrom(d.children, i)
	allowed := earlier[:0]
	for v := 0; v < i; v++ {
		if !descendant[v] {
			allowed = append(allowed, v)
		}
	}
	outWeight := func(v int) float64 { return 0.5 + float64(d.outdeg[v]) }
	for _, p := range sampleWeighted(r, allowed, outWeight, numParents) {
		d.addEdge(p, i)
	}
}

// searchFrom returns which vertices are reachable from root.
func searchFrom(children [][]int, root int) []bool {
	seen := make([]bool, len(children))
	seen[root] = true
	stack := []int{root}
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, w := range children[u] {
			if !seen[w] {
				seen[w] = true
				stack = append(stack, w)
			}
		}
	}
	return seen
}

// balanced draws balanced graphs for the requested lookahead L until one
// is accepted, and returns its example.
func (g *Generator) balanced(r *rand.Rand, L int) (Example, bool) {
	V := g.vocab.MaxVertex()
	d, goal := balancedGraph(r, L, V, V, g.cfg.Dist == Balanced)
	want := L
	if g.cfg.PaperEra {
		want = -1
	}
	ex, ok := g.finish(r, d, 0, goal, want)
	if ok && g.cfg.PaperEra && ex.Lookahead > g.cfg.MaxLookahead {
		return Example{}, false
	}
	return ex, ok
}

// starPairs returns every (length, count) pair of the star distribution:
// 1 ≤ length ≤ maxLen and 1 ≤ count ≤ (V−1)/length.
func starPairs(maxLen, V int) [][2]int {
	var pairs [][2]int
	for length := 1; length <= maxLen; length++ {
		for count := 1; count <= (V-1)/length; count++ {
			pairs = append(pairs, [2]int{length, count})
		}
	}
	return pairs
}

// starGraph builds count spokes of length vertices around vertex 0; the
// goal is the end of the first spoke.
func starGraph(length, count int) (d *dag, goal int) {
	d = newDAG(1 + length*count)
	index := 1
	for s := 0; s < count; s++ {
		prev := 0
		for k := 0; k < length; k++ {
			d.addEdge(prev, index)
			prev = index
			index++
		}
	}
	return d, length
}

// star draws a star example; length = 0 draws (length, count) uniformly
// from starPairs.
func (g *Generator) star(r *rand.Rand, length, count int) (Example, bool) {
	if length == 0 {
		pairs := starPairs(g.cfg.MaxLookahead, g.vocab.MaxVertex())
		p := pairs[r.IntN(len(pairs))]
		length, count = p[0], p[1]
	}
	d, goal := starGraph(length, count)
	return g.finish(r, d, 0, goal, -1)
}
