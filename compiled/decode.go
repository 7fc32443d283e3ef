package compiled

import (
	"fmt"
	"math"
	"math/bits"

	"qkv/tensor"
)

// decodeThreshold separates the two values a set coordinate takes after
// re-binarisation: ≈0 (absent) and ≈1 (present).
const decodeThreshold = 0.5

// bitset is a set of vertex ids; bit v−1 stands for vertex v.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(v int)      { b[(v-1)/64] |= 1 << uint((v-1)%64) }
func (b bitset) has(v int) bool { return b[(v-1)/64]&(1<<uint((v-1)%64)) != 0 }

func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

func (b bitset) union(o bitset) {
	for i := range b {
		b[i] |= o[i]
	}
}

func (b bitset) subsetOf(o bitset) bool {
	for i := range b {
		if b[i]&^o[i] != 0 {
			return false
		}
	}
	return true
}

// decodeRows reads the vertex block at offset block of every row of x as
// a set.
func (m *Model) decodeRows(x *tensor.Matrix[float64], block int) []bitset {
	sets := make([]bitset, x.Rows)
	for i := range sets {
		sets[i] = newBitset(m.Vertices)
		row := x.Row(i)[block : block+m.Vertices]
		for v, val := range row {
			if val > decodeThreshold {
				sets[i].set(v + 1)
			}
		}
	}
	return sets
}

// closed reports whether one more merge would leave every token's set
// unchanged: for each vertex token t and each z in sets[t], union[z−1]
// is a subset of sets[t].
func closed(tokens []token, sets, union []bitset) bool {
	for i, t := range tokens {
		if t.kind != kindVertex {
			continue
		}
		s := sets[i]
		for w, word := range s {
			for word != 0 {
				z := w*64 + bits.TrailingZeros64(word) + 1
				word &= word - 1
				if !union[z-1].subsetOf(s) {
					return false
				}
			}
		}
	}
	return true
}

// vertexUnion returns, for every vertex id v (index v−1), the union of the
// sets of the tokens of v.
func (m *Model) vertexUnion(tokens []token, sets []bitset) []bitset {
	out := make([]bitset, m.Vertices)
	for i := range out {
		out[i] = newBitset(m.Vertices)
	}
	for i, t := range tokens {
		if t.kind == kindVertex {
			out[t.vertex-1].union(sets[i])
		}
	}
	return out
}

// Answer is the model's prediction of the next vertex.
type Answer struct {
	// Scores[v−1] is the readout coordinate next[v] at the last token:
	// ≈1 for a child of the current vertex that reaches the goal, ≈0
	// otherwise.
	Scores []float64
	// Correct lists the vertices scored above 0.5, in ascending order:
	// every child of the current vertex from which the goal is reachable.
	// It is empty when the goal cannot be reached.
	Correct []int
}

func newAnswer(scores []float64) (Answer, error) {
	a := Answer{Scores: scores}
	for i, s := range scores {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return Answer{}, fmt.Errorf("compiled: readout score of vertex %d is %v", i+1, s)
		}
		if s > decodeThreshold {
			a.Correct = append(a.Correct, i+1)
		}
	}
	return a, nil
}
