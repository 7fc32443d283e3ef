package compiled

import (
	"slices"

	"qkv/task"
)

// adjacency returns the children lists of vertex ids 1..n (index v−1),
// keeping duplicate edges and self-loops as given.
func adjacency(n int, edges []task.Edge) [][]int {
	adj := make([][]int, n)
	for _, e := range edges {
		adj[e.From-1] = append(adj[e.From-1], e.To)
	}
	return adj
}

// ball returns the number of vertices within hops edges of v, v included,
// by breadth-first search.
func ball(adj [][]int, v, hops int) int {
	dist := map[int]int{v: 0}
	frontier := []int{v}
	for d := 1; d <= hops && len(frontier) > 0; d++ {
		var next []int
		for _, u := range frontier {
			for _, w := range adj[u-1] {
				if _, seen := dist[w]; !seen {
					dist[w] = d
					next = append(next, w)
				}
			}
		}
		frontier = next
	}
	return len(dist)
}

// reaches reports, for every vertex id (index v−1), whether goal can be
// reached from it (breadth-first search on reversed edges).
func reaches(adj [][]int, goal int) []bool {
	parents := make([][]int, len(adj))
	for u, ch := range adj {
		for _, w := range ch {
			parents[w-1] = append(parents[w-1], u+1)
		}
	}
	ok := make([]bool, len(adj))
	ok[goal-1] = true
	queue := []int{goal}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, p := range parents[v-1] {
			if !ok[p-1] {
				ok[p-1] = true
				queue = append(queue, p)
			}
		}
	}
	return ok
}

// CorrectNext returns, in ascending order and without repeats, every
// child of current from which goal is reachable: the answer set of the
// graph-search task, computed by breadth-first search. It is the oracle
// the model is tested against.
func CorrectNext(vertices int, edges []task.Edge, current, goal int) []int {
	adj := adjacency(vertices, edges)
	ok := reaches(adj, goal)
	seen := make([]bool, vertices)
	var out []int
	for _, w := range adj[current-1] {
		if ok[w-1] && !seen[w-1] {
			seen[w-1] = true
			out = append(out, w)
		}
	}
	slices.Sort(out)
	return out
}
