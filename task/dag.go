package task

import (
	"math/rand/v2"
	"slices"
)

// dag is a graph under construction on internal vertex indices 0..n−1,
// before vertex ids are assigned.
type dag struct {
	children [][]int
	edges    []Edge
	indeg    []int
	outdeg   []int
}

func newDAG(n int) *dag {
	return &dag{
		children: make([][]int, n),
		indeg:    make([]int, n),
		outdeg:   make([]int, n),
	}
}

func (d *dag) len() int { return len(d.children) }

func (d *dag) addEdge(u, v int) {
	d.children[u] = append(d.children[u], v)
	d.edges = append(d.edges, Edge{From: u, To: v})
	d.outdeg[u]++
	d.indeg[v]++
}

// maxShortestPaths is the largest number of shortest start→goal paths a
// generated graph may have; graphs with more are rejected.
const maxShortestPaths = 64

// shortestPaths holds breadth-first distances from a root and the number
// of shortest paths to each vertex, capped at maxShortestPaths+1.
type shortestPaths struct {
	dist  []int
	count []int
}

func newShortestPaths(children [][]int, root int) shortestPaths {
	n := len(children)
	sp := shortestPaths{dist: make([]int, n), count: make([]int, n)}
	for i := range sp.dist {
		sp.dist[i] = -1
	}
	sp.dist[root], sp.count[root] = 0, 1
	queue := []int{root}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, w := range children[u] {
			switch {
			case sp.dist[w] < 0:
				sp.dist[w] = sp.dist[u] + 1
				sp.count[w] = sp.count[u]
				queue = append(queue, w)
			case sp.dist[w] == sp.dist[u]+1:
				sp.count[w] = min(sp.count[w]+sp.count[u], maxShortestPaths+1)
			}
		}
	}
	return sp
}

// sampleNext returns the second vertex of a shortest root→goal path drawn
// uniformly among all of them, walking back from goal and choosing each
// predecessor with probability proportional to its path count. parents
// are the reversed adjacency lists. The count cap makes the draw only
// approximately uniform above maxShortestPaths paths, which callers reject.
func (sp shortestPaths) sampleNext(parents [][]int, goal int, r *rand.Rand) int {
	v := goal
	for sp.dist[v] > 1 {
		total := 0
		for _, p := range parents[v] {
			if sp.dist[p] == sp.dist[v]-1 {
				total += sp.count[p]
			}
		}
		pick := r.IntN(total)
		for _, p := range parents[v] {
			if sp.dist[p] != sp.dist[v]-1 {
				continue
			}
			if pick < sp.count[p] {
				v = p
				break
			}
			pick -= sp.count[p]
		}
	}
	return v
}

func reverse(children [][]int) [][]int {
	parents := make([][]int, len(children))
	for u, cs := range children {
		for _, w := range cs {
			parents[w] = append(parents[w], u)
		}
	}
	return parents
}

// sampleWeighted draws k distinct indices from candidates without
// replacement, each with probability proportional to its weight.
func sampleWeighted(r *rand.Rand, candidates []int, weight func(int) float64, k int) []int {
	pool := slices.Clone(candidates)
	var out []int
	for len(out) < k && len(pool) > 0 {
		total := 0.0
		for _, c := range pool {
			total += weight(c)
		}
		x := r.Float64() * total
		chosen := len(pool) - 1
		for j, c := range pool {
			x -= weight(c)
			if x < 0 {
				chosen = j
				break
			}
		}
		out = append(out, pool[chosen])
		pool = slices.Delete(pool, chosen, chosen+1)
	}
	return out
}

// sampleDistinct draws k distinct integers from [0, n) uniformly, in
// random order. Small k redraws repeats, which avoids building a
// permutation of n.
func sampleDistinct(r *rand.Rand, n, k int) []int {
	if k > 8 || 2*k > n {
		return r.Perm(n)[:k]
	}
	out := make([]int, 0, k)
	for len(out) < k {
		x := r.IntN(n)
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// pathWeights returns, for each child of start (by position in
// children[start]), how many start→goal paths the original C++ generator
// enumerates through it, and their total (saturating at 1<<20).
//
// That generator walks back from the goal and, each time it reaches a
// vertex v, appends v once to the forward list of every predecessor of v
// on a shortest path. A vertex is reached once per shortest path from it
// to the goal, c(v) times, so a shortest path v₀ v₁ … v_k is enumerated
// c(v₁)·…·c(v_k) times; c(goal) = 1.
func pathWeights(children [][]int, dist []int, start, goal int) ([]int, int) {
	const limit = 1 << 20
	n := len(children)
	onPath := make([]bool, n)
	paths := make([]int, n) // c(v)
	enumerated := make([]int, n)
	var order []int
	for v := range n {
		if dist[v] >= 0 && dist[v] <= dist[goal] {
			order = append(order, v)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return dist[b] - dist[a] })

	onPath[goal], paths[goal], enumerated[goal] = true, 1, 1
	for _, v := range order {
		if v == goal {
			continue
		}
		sum := 0
		for _, w := range children[v] {
			if onPath[w] && dist[w] == dist[v]+1 {
				onPath[v] = true
				paths[v] = min(paths[v]+paths[w], limit)
				sum = min(sum+enumerated[w], limit)
			}
		}
		enumerated[v] = min(paths[v]*sum, limit)
	}

	weights := make([]int, len(children[start]))
	total := 0
	for k, x := range children[start] {
		if onPath[x] && dist[x] == 1 {
			weights[k] = enumerated[x]
			total = min(total+enumerated[x], limit)
		}
	}
	return weights, total
}
