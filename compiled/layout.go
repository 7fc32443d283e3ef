package compiled

import (
	"fmt"
	"math"
	"math/bits"
)

// Token kinds, one flag each in the residual stream.
const (
	kindEdge = iota
	kindQuery
	kindPath
	kindVertex
	numKinds
)

// Roles that the first block derives from the neighbouring tokens.
const (
	roleSource = iota // the first vertex of "E u v"
	roleTarget        // the second vertex of "E u v"
	roleGoal          // the vertex two tokens after Q
	numRoles
)

// Scratch coordinates written by the first block's attention and cleared
// by its MLP: the kinds of the previous and the second previous token.
const (
	prev1Edge = iota
	prev1Vertex
	prev2Edge
	prev2Query
	numScratch
)

// layout assigns the residual coordinates. Every block is a contiguous
// range; vertex blocks are indexed by vertex id − 1.
type layout struct {
	vertices int // V, vertex ids 1..V
	freqs    int // F+1 frequencies of the positional code

	kind, role, scratch, pos int
	self, reach, partner     int
	next                     int
	width                    int // D
}

func newLayout(vertices, maxTokens int) layout {
	// The frequencies π/2^f for f = 0..F must satisfy 2^(F+1) > |Δ| for every
	// offset Δ = i + s − j the position heads compare, and |Δ| ≤ n + 1 for
	// shifts s ∈ {−2, −1, +1}.
	freqs := bits.Len(uint(maxTokens + 1))
	l := layout{vertices: vertices, freqs: freqs}
	at := 0
	take := func(n int) int { o := at; at += n; return o }
	l.kind = take(numKinds)
	l.role = take(numRoles)
	l.scratch = take(numScratch)
	l.pos = take(2 * freqs)
	l.self = take(vertices)
	l.reach = take(vertices)
	l.partner = take(vertices)
	l.next = take(vertices)
	l.width = at
	return l
}

// names returns the name of every residual coordinate.
func (l layout) names() []string {
	names := make([]string, 0, l.width)
	names = append(names, "kind[E]", "kind[Q]", "kind[P]", "kind[vertex]")
	names = append(names, "role[source]", "role[target]", "role[goal]")
	names = append(names, "prev1[E]", "prev1[vertex]", "prev2[E]", "prev2[Q]")
	for f := 0; f < l.freqs; f++ {
		names = append(names, fmt.Sprintf("pos.cos[%d]", f), fmt.Sprintf("pos.sin[%d]", f))
	}
	for _, block := range []string{"self", "reach", "partner", "next"} {
		for v := 1; v <= l.vertices; v++ {
			names = append(names, fmt.Sprintf("%s[v%d]", block, v))
		}
	}
	return names
}

// positionCode writes cos(π·i/2^f) and sin(π·i/2^f) for f = 0..F into
// dst [2(F+1)]. The angle is reduced modulo 2π in integers first, so the
// code of a large i is as accurate as that of a small one.
func positionCode(dst []float64, i, freqs int) {
	for f := 0; f < freqs; f++ {
		period := 1 << (f + 1) // 2^(f+1) positions per turn
		angle := math.Pi * float64(i%period) / float64(int(1)<<f)
		dst[2*f] = math.Cos(angle)
		dst[2*f+1] = math.Sin(angle)
	}
}
