package compiled

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"qkv/task"
)

// randomGraph returns a graph with the given numbers of vertex ids and
// edges drawn uniformly with a fixed seed (cycles and repeats included).
func randomGraph(vertices, edges int, seed uint64) []task.Edge {
	r := rand.New(rand.NewPCG(seed, seed))
	out := make([]task.Edge, edges)
	for i := range out {
		out[i] = task.Edge{From: 1 + r.IntN(vertices), To: 1 + r.IntN(vertices)}
	}
	return out
}

// BenchmarkSearch measures a whole answer: building the model, running
// the edge tokens (NewSession), the next vertex and the full path.
func BenchmarkSearch(b *testing.B) {
	for _, size := range []struct{ vertices, edges int }{{41, 41}, {100, 300}, {300, 1000}} {
		b.Run(fmt.Sprintf("V=%d,E=%d", size.vertices, size.edges), func(b *testing.B) {
			edges := randomGraph(size.vertices, size.edges, 1)
			adj := adjacency(size.vertices, edges)
			// The goal is the vertex farthest from vertex 1, for a long path.
			goal, far := 1, 0
			for v := 2; v <= size.vertices; v++ {
				if d := distance(adj, 1, v); d > far {
					goal, far = v, d
				}
			}
			for b.Loop() {
				m, err := New(size.vertices, 3*len(edges)+4+size.vertices)
				if err != nil {
					b.Fatal(err)
				}
				s, err := m.NewSession(edges)
				if err != nil {
					b.Fatal(err)
				}
				res, err := s.Search(1, goal)
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Path) < 2 {
					b.Fatalf("path %v", res.Path)
				}
			}
			b.ReportMetric(float64(far), "path-edges")
		})
	}
}

// distance returns the number of edges on a shortest path from u to v,
// or −1.
func distance(adj [][]int, u, v int) int {
	dist := map[int]int{u: 0}
	queue := []int{u}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		if x == v {
			return dist[x]
		}
		for _, w := range adj[x-1] {
			if _, ok := dist[w]; !ok {
				dist[w] = dist[x] + 1
				queue = append(queue, w)
			}
		}
	}
	return -1
}

// BenchmarkSearchChain measures the whole-path walk on a chain 1→2→…→V,
// whose path has V−1 edges and so needs V−1 model queries.
func BenchmarkSearchChain(b *testing.B) {
	for _, vertices := range []int{100, 300} {
		b.Run(fmt.Sprintf("V=%d", vertices), func(b *testing.B) {
			edges := make([]task.Edge, vertices-1)
			for i := range edges {
				edges[i] = task.Edge{From: i + 1, To: i + 2}
			}
			for b.Loop() {
				m, err := New(vertices, 3*len(edges)+4+vertices)
				if err != nil {
					b.Fatal(err)
				}
				s, err := m.NewSession(edges)
				if err != nil {
					b.Fatal(err)
				}
				res, err := s.Search(1, vertices)
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Path) != vertices {
					b.Fatalf("path has %d vertices, want %d", len(res.Path), vertices)
				}
			}
		})
	}
}
