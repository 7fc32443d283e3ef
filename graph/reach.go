package graph

import (
	"errors"
	"fmt"
)

// ErrNoPath is matched (with errors.Is) by every NoPathError. A missing
// path is a fact about the graph, not a failure of the program, so callers
// usually report it and go on.
var ErrNoPath = errors.New("no path")

// NoPathError reports that no directed path leads from one vertex to
// another.
type NoPathError struct {
	From, To string
}

func (e *NoPathError) Error() string {
	return fmt.Sprintf("no directed path from %q to %q", e.From, e.To)
}

// Is makes errors.Is(err, ErrNoPath) true.
func (e *NoPathError) Is(target error) bool { return target == ErrNoPath }

// Reachable returns, for every vertex, whether it can be reached from
// vertex from by a directed path. A vertex reaches itself.
func (g *Digraph) Reachable(from int) []bool {
	return search(g.children, from)
}

// CanReach returns, for every vertex, whether vertex to can be reached
// from it by a directed path. A vertex reaches itself.
func (g *Digraph) CanReach(to int) []bool {
	return search(g.parents, to)
}

// HasPath reports whether a directed path leads from u to v.
func (g *Digraph) HasPath(u, v int) bool {
	return g.Distances(u)[v] >= 0
}

func search(adj [][]int, root int) []bool {
	seen := make([]bool, len(adj))
	seen[root] = true
	stack := []int{root}
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, w := range adj[u] {
			if !seen[w] {
				seen[w] = true
				stack = append(stack, w)
			}
		}
	}
	return seen
}

// Distances returns the number of edges on a shortest directed path from
// vertex from to every vertex, or -1 where there is no path (breadth-first
// search).
func (g *Digraph) Distances(from int) []int {
	return BFS(g.children, from)
}

// BFS returns the breadth-first distance from root to every vertex of the
// adjacency lists adj (adj[u] lists the children of u), or -1 where there
// is no path.
func BFS(adj [][]int, root int) []int {
	dist := make([]int, len(adj))
	for i := range dist {
		dist[i] = -1
	}
	dist[root] = 0
	queue := []int{root}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, w := range adj[u] {
			if dist[w] < 0 {
				dist[w] = dist[u] + 1
				queue = append(queue, w)
			}
		}
	}
	return dist
}

// ShortestPath returns the vertices of a shortest directed path from u to
// v, both included. Among several shortest paths it returns the one that
// breadth-first search finds first, preferring earlier edges. It returns a
// *NoPathError when v cannot be reached.
func (g *Digraph) ShortestPath(u, v int) ([]int, error) {
	prev := make([]int, g.Len())
	for i := range prev {
		prev[i] = -2
	}
	prev[u] = -1
	queue := []int{u}
	for len(queue) > 0 && prev[v] == -2 {
		x := queue[0]
		queue = queue[1:]
		for _, w := range g.children[x] {
			if prev[w] == -2 {
				prev[w] = x
				queue = append(queue, w)
			}
		}
	}
	if prev[v] == -2 {
		return nil, &NoPathError{From: g.names[u], To: g.names[v]}
	}
	var path []int
	for x := v; x != -1; x = prev[x] {
		path = append(path, x)
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path, nil
}

// HasCycle reports whether the graph contains a directed cycle.
func (g *Digraph) HasCycle() bool {
	_, ok := g.TopologicalOrder()
	return !ok
}

// TopologicalOrder returns the vertices ordered so that every edge goes
// from an earlier to a later vertex, and true. Ties are broken by vertex
// index (Kahn's algorithm with a sorted queue). On a graph with cycles it
// returns false, and the vertices Kahn's algorithm cannot place (those on
// a cycle or reachable from one) follow the others in index order.
func (g *Digraph) TopologicalOrder() ([]int, bool) {
	n := g.Len()
	indeg := make([]int, n)
	for _, e := range g.edges {
		indeg[e.To]++
	}
	ready := &minHeap{}
	for i := 0; i < n; i++ {
		if indeg[i] == 0 {
			ready.push(i)
		}
	}
	order := make([]int, 0, n)
	for ready.len() > 0 {
		u := ready.pop()
		order = append(order, u)
		for _, w := range g.children[u] {
			indeg[w]--
			if indeg[w] == 0 {
				ready.push(w)
			}
		}
	}
	if len(order) == n {
		return order, true
	}
	placed := make([]bool, n)
	for _, u := range order {
		placed[u] = true
	}
	for i := 0; i < n; i++ {
		if !placed[i] {
			order = append(order, i)
		}
	}
	return order, false
}

// minHeap is a binary heap of ints, smallest first.
type minHeap struct{ a []int }

func (h *minHeap) len() int { return len(h.a) }

func (h *minHeap) push(x int) {
	h.a = append(h.a, x)
	i := len(h.a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h.a[p] <= h.a[i] {
			break
		}
		h.a[p], h.a[i] = h.a[i], h.a[p]
		i = p
	}
}

func (h *minHeap) pop() int {
	top := h.a[0]
	last := len(h.a) - 1
	h.a[0] = h.a[last]
	h.a = h.a[:last]
	i := 0
	for {
		l, r, small := 2*i+1, 2*i+2, i
		if l < last && h.a[l] < h.a[small] {
			small = l
		}
		if r < last && h.a[r] < h.a[small] {
			small = r
		}
		if small == i {
			return top
		}
		h.a[i], h.a[small] = h.a[small], h.a[i]
		i = small
	}
}
