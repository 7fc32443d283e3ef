package compiled

import (
	"math/rand/v2"
	"slices"
	"testing"

	"qkv/task"
)

func TestQuickDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		v := 2 + r.IntN(10)
		ne := r.IntN(2 * v)
		var edges []task.Edge
		for range ne {
			edges = append(edges, task.Edge{From: 1 + r.IntN(v), To: 1 + r.IntN(v)})
		}
		m, err := New(v, 3*ne+4+v)
		if err != nil {
			t.Fatal(err)
		}
		s, err := m.NewSession(edges)
		if err != nil {
			t.Fatal(err)
		}
		for c := 1; c <= v; c++ {
			for g := 1; g <= v; g++ {
				ans, err := s.Answer(c, g, []int{c})
				if err != nil {
					t.Fatal(err)
				}
				want := CorrectNext(v, edges, c, g)
				if !slices.Equal(ans.Correct, want) {
					t.Fatalf("edges %v c=%d g=%d: got %v want %v scores %v", edges, c, g, ans.Correct, want, ans.Scores)
				}
			}
		}
	}
}
