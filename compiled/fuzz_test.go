package compiled

import (
	"slices"
	"testing"

	"qkv/task"
)

// FuzzAnswer decodes arbitrary bytes into a graph of up to 12 vertices and
// a sequence of queries, and checks every answer of one session against
// breadth-first search.
func FuzzAnswer(f *testing.F) {
	f.Add([]byte{5, 1, 2, 2, 3, 3, 4, 4, 5, 0, 1, 5, 1, 2})
	f.Add([]byte{3, 1, 1, 1, 2, 2, 1, 0, 2, 1})
	f.Add([]byte{1, 0, 1, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 || len(data) > 200 {
			return
		}
		v := 1 + int(data[0])%12
		data = data[1:]
		var edges []task.Edge
		for len(data) >= 2 && data[0] != 0 {
			edges = append(edges, task.Edge{From: 1 + int(data[0])%v, To: 1 + int(data[1])%v})
			data = data[2:]
		}
		if len(data) > 0 {
			data = data[1:] // the 0 that ends the edges
		}
		m, err := New(v, 3*len(edges)+4+v)
		if err != nil {
			t.Fatal(err)
		}
		s, err := m.NewSession(edges)
		if err != nil {
			t.Fatal(err)
		}
		adj := adjacency(v, edges)
		for len(data) >= 3 {
			start, goal := 1+int(data[0])%v, 1+int(data[1])%v
			steps := int(data[2]) % v
			data = data[3:]
			path := []int{start}
			for range steps {
				ch := adj[path[len(path)-1]-1]
				if len(ch) == 0 || len(data) == 0 {
					break
				}
				path = append(path, ch[int(data[0])%len(ch)])
				data = data[1:]
			}
			ans, err := s.Answer(start, goal, path)
			if err != nil {
				t.Fatal(err)
			}
			if want := CorrectNext(v, edges, path[len(path)-1], goal); !slices.Equal(ans.Correct, want) {
				t.Fatalf("edges %s, path %v, goal %d: model scores %v, breadth-first search finds %v", formatEdges(edges), path, goal, ans.Correct, want)
			}
		}
	})
}
