package compiled

import (
	"fmt"
	"math"

	"qkv/nn"
	"qkv/tensor"
)

// Sharpness is the score gap, in softmax logits, between a token that a
// merge or readout head must attend to and one it must ignore. The
// position heads keep a gap of 2·Sharpness. An ignored token gets at most
// e^(−Sharpness) times the weight of an attended one. With at most
// MaxTokens keys the leak into a set coordinate therefore stays below
// MaxTokens·e^(−64) ≈ 1e-24, far under the re-binarisation threshold.
const Sharpness = 64.0

// Limits of one compiled model. With MaxBytes they bound the memory that
// the weights and the attention matrices take (see EstimateBytes).
const (
	MaxVertices = 1024
	MaxTokens   = 8192
)

// Model is the compiled path-merging transformer for graphs whose vertex
// ids are 1..Vertices, on sequences of at most MaxSeq tokens.
type Model struct {
	Net *nn.Model[float64]

	Vertices    int // V
	MaxSeq      int // maximum sequence length, in tokens
	MergeLayers int // M = ⌈log₂ V⌉

	lay layout
}

// Block indices in Net.Blocks.
const (
	blockRoles = 0
	blockLoad  = 1
	firstMerge = 2
)

// MergeLayersFor returns ⌈log₂ d⌉, the number of merge layers that answer
// correctly whenever the goal is at most d edges from the current vertex;
// it is 0 for d ≤ 1.
func MergeLayersFor(d int) int {
	m := 0
	for 1<<m < d {
		m++
	}
	return m
}

// LayersFor returns the number of blocks of a model for graphs with the
// given number of vertex ids: 3 + ⌈log₂ V⌉ (roles, load, merges,
// readout). A correct next vertex x can be as far as V−1 edges from the
// goal, and after M merges a target token's reach set covers 2^M − 1
// edges, so M = ⌈log₂ V⌉.
func LayersFor(vertices int) int { return 3 + MergeLayersFor(vertices) }

// EstimateBytes estimates the peak memory, in bytes, of running a model
// for the given vertex count on a sequence of n tokens. It counts the
// weights (the merge blocks share theirs), the n×n score and weight
// matrices of the two heads of the load block, a few n×D copies of the
// residual stream, and the cached keys and values of a Session. It is an
// estimate, not a bound: on V = 300 and n = 3,304 it gives 0.81 GB. The
// measured peak resident size of a search was 0.86 to 0.96 GB with dense
// projections and 0.43 GB with the sparse weights of a Session.
func EstimateBytes(vertices, n int) int64 {
	l := newLayout(vertices, max(n, 1))
	d, v, p := int64(l.width), int64(vertices), int64(2*l.freqs)
	nn := int64(n)
	weights := d * (26*v + 4*p + 32)
	attention := 4 * nn * nn
	stream := 6 * nn * d
	cache := nn * int64(MergeLayersFor(vertices)+3) * (2*v + 1)
	return 8 * (weights + attention + stream + cache)
}

// MaxBytes is the largest EstimateBytes that New accepts.
const MaxBytes = 2 << 30

// New builds the compiled model for vertex ids 1..vertices and sequences
// of at most maxSeq tokens.
func New(vertices, maxSeq int) (*Model, error) {
	if vertices < 1 || vertices > MaxVertices {
		return nil, fmt.Errorf("compiled: %d vertex ids is out of range: the model supports 1 to %d vertices", vertices, MaxVertices)
	}
	if maxSeq < 4 || maxSeq > MaxTokens {
		return nil, fmt.Errorf("compiled: sequence length %d is out of range: the model supports 4 to %d tokens (3 per edge plus the query and path)", maxSeq, MaxTokens)
	}
	if b := EstimateBytes(vertices, maxSeq); b > MaxBytes {
		return nil, fmt.Errorf("compiled: %d vertices on %d tokens need about %d MiB, more than the %d MiB limit; use a smaller graph", vertices, maxSeq, b>>20, MaxBytes>>20)
	}
	l := newLayout(vertices, maxSeq)
	m := &Model{
		Vertices:    vertices,
		MaxSeq:      maxSeq,
		MergeLayers: MergeLayersFor(vertices),
		lay:         l,
	}
	blocks := []nn.Block[float64]{rolesBlock(l), loadBlock(l, maxSeq)}
	merge := mergeBlock(l, maxSeq)
	for range m.MergeLayers {
		blocks = append(blocks, merge) // the merge blocks share their weights
	}
	blocks = append(blocks, readoutBlock(l, maxSeq))
	m.Net = &nn.Model[float64]{Blocks: blocks, DimNames: l.names()}
	return m, nil
}

// Layers returns the number of blocks.
func (m *Model) Layers() int { return len(m.Net.Blocks) }

// LayerName returns what block i does: "roles", "load", "merge k" or
// "readout".
func (m *Model) LayerName(i int) string {
	switch {
	case i == blockRoles:
		return "roles"
	case i == blockLoad:
		return "load"
	case i == len(m.Net.Blocks)-1:
		return "readout"
	default:
		return fmt.Sprintf("merge %d", i-firstMerge+1)
	}
}

// linear returns a zero Linear layer [in×out] with a zero bias.
func linear(in, out int) nn.Linear[float64] {
	return nn.Linear[float64]{W: tensor.New[float64](in, out), B: make([]float64, out)}
}

// setShift writes into w the query map of a position head that looks s
// tokens ahead. Columns col..col+2(F+1) receive the position code of
// i + s, scaled by alpha, so its dot product with the code of j is
// alpha·Σ_f cos(π(i+s−j)/2^f). That sum is F+1 when j = i+s. Otherwise it
// is at most F−1, because the term whose 2^f is the largest power of two
// dividing i+s−j equals −1.
func setShift(w *tensor.Matrix[float64], l layout, col, s int, alpha float64) {
	for f := 0; f < l.freqs; f++ {
		theta := math.Pi * float64(s) / float64(int(1)<<f)
		c, sn := math.Cos(theta), math.Sin(theta)
		cosRow, sinRow := l.pos+2*f, l.pos+2*f+1
		w.Set(cosRow, col+2*f, alpha*c)
		w.Set(sinRow, col+2*f, -alpha*sn)
		w.Set(cosRow, col+2*f+1, alpha*sn)
		w.Set(sinRow, col+2*f+1, alpha*c)
	}
}

// setPositionKey copies the position code into columns col.. of w.
func setPositionKey(w *tensor.Matrix[float64], l layout, col int) {
	for j := 0; j < 2*l.freqs; j++ {
		w.Set(l.pos+j, col+j, 1)
	}
}

// setSinkKey makes column col of w the "sink" key: 1 on the E, Q and P
// tokens, whose vertex blocks are all zero, so a query that finds nothing
// better averages zeros.
func setSinkKey(w *tensor.Matrix[float64], l layout, col int) {
	for _, k := range []int{kindEdge, kindQuery, kindPath} {
		w.Set(l.kind+k, col, 1)
	}
}

// rolesBlock builds block 1. Its two heads read the kinds of the previous
// and the second previous token; its MLP turns them into the roles
// source = prev1 is E ∧ vertex, target = prev2 is E ∧ prev1 is a vertex ∧
// vertex, goal = prev2 is Q ∧ prev1 is a vertex ∧ vertex, and clears the
// scratch coordinates again.
func rolesBlock(l layout) nn.Block[float64] {
	d, p := l.width, 2*l.freqs
	at := nn.Attention[float64]{Heads: 2, Scale: 1,
		Q: linear(d, 2*p), K: linear(d, 2*p), V: linear(d, 4), O: linear(4, d)}
	for h, shift := range []int{-1, -2} {
		setShift(at.Q.W, l, h*p, shift, Sharpness)
		setPositionKey(at.K.W, l, h*p)
	}
	at.V.W.Set(l.kind+kindEdge, 0, 1)
	at.V.W.Set(l.kind+kindVertex, 1, 1)
	at.V.W.Set(l.kind+kindEdge, 2, 1)
	at.V.W.Set(l.kind+kindQuery, 3, 1)
	for c, s := range []int{prev1Edge, prev1Vertex, prev2Edge, prev2Query} {
		at.O.W.Set(c, l.scratch+s, 1)
	}

	mlp := &nn.MLP[float64]{Up: linear(d, numRoles+numScratch), Down: linear(numRoles+numScratch, d)}
	up, down := mlp.Up, mlp.Down
	// role[source] = ReLU(prev1[E] + kind[vertex] − 1)
	up.W.Set(l.scratch+prev1Edge, roleSource, 1)
	up.W.Set(l.kind+kindVertex, roleSource, 1)
	up.B[roleSource] = -1
	// role[target] = ReLU(prev2[E] + prev1[vertex] + kind[vertex] − 2)
	up.W.Set(l.scratch+prev2Edge, roleTarget, 1)
	up.W.Set(l.scratch+prev1Vertex, roleTarget, 1)
	up.W.Set(l.kind+kindVertex, roleTarget, 1)
	up.B[roleTarget] = -2
	// role[goal] = ReLU(prev2[Q] + prev1[vertex] + kind[vertex] − 2)
	up.W.Set(l.scratch+prev2Query, roleGoal, 1)
	up.W.Set(l.scratch+prev1Vertex, roleGoal, 1)
	up.W.Set(l.kind+kindVertex, roleGoal, 1)
	up.B[roleGoal] = -2
	for r := 0; r < numRoles; r++ {
		down.W.Set(r, l.role+r, 1)
	}
	// The scratch values are averages of flags, never negative, so
	// subtracting ReLU(s) removes them.
	for s := 0; s < numScratch; s++ {
		up.W.Set(l.scratch+s, numRoles+s, 1)
		down.W.Set(numRoles+s, l.scratch+s, -1)
	}
	return nn.Block[float64]{Attn: at, MLP: mlp}
}

// loadBlock builds block 2. Head 1 lets every source token attend to the
// next token, its edge's target, and adds that vertex to its reach set.
// Head 2 lets every target token attend to the previous token and writes
// the edge's source into its partner block. A path token instead finds
// the goal token and writes the goal there. Tokens without such a role attend
// to the sink tokens and add nothing. The MLP re-binarises the reach sets.
func loadBlock(l layout, maxSeq int) nn.Block[float64] {
	d, p := l.width, 2*l.freqs
	dk := p + 2 // position code, sink, goal
	// The position term alpha·Σcos lies in [−alpha(F+1), alpha(F+1)]: the
	// token at the shift scores alpha(F+1) and every other token at most
	// alpha(F−1). A token without the head's role adds sink = 2·alpha(F+2)
	// to the sink keys, which lifts every sink token above any position
	// match by at least 2·alpha. The goal key scores 2·sink, at least
	// 4·alpha above every sink token.
	alpha := Sharpness
	sink := 2 * alpha * float64(l.freqs+1)
	at := nn.Attention[float64]{Heads: 2, Scale: 1,
		Q: linear(d, 2*dk), K: linear(d, 2*dk), V: linear(d, 2*l.vertices), O: linear(2*l.vertices, d)}
	for h, c := range []struct{ shift, role int }{{+1, roleSource}, {-1, roleTarget}} {
		off := h * dk
		setShift(at.Q.W, l, off, c.shift, alpha)
		setPositionKey(at.K.W, l, off)
		setSinkKey(at.K.W, l, off+p)
		at.Q.B[off+p] = sink
		at.Q.W.Set(l.role+c.role, off+p, -sink)
		at.K.W.Set(l.role+roleGoal, off+p+1, 1)
	}
	// Only vertex tokens look for the goal: a P or Q token holding the goal
	// would outscore the children in the readout, where it is a sink key.
	at.Q.W.Set(l.kind+kindVertex, dk+p+1, 2*sink)
	for v := 0; v < l.vertices; v++ {
		at.V.W.Set(l.self+v, v, 1)
		at.V.W.Set(l.self+v, l.vertices+v, 1)
		at.O.W.Set(v, l.reach+v, 1)
		at.O.W.Set(l.vertices+v, l.partner+v, 1)
	}
	return nn.Block[float64]{Attn: at, MLP: binarize(l, l.reach, maxSeq)}
}

// mergeBlock builds one merge block. Every token's query is its reach set
// and every key is a token's own vertex, so a token attends evenly to all
// tokens of the vertices it reaches. The MLP turns the average of their
// reach sets into their union. The sink key scores half as much as a
// member, so tokens without a reach set (E, Q, P) keep an empty one.
func mergeBlock(l layout, maxSeq int) nn.Block[float64] {
	d, v := l.width, l.vertices
	beta := Sharpness * 2
	at := nn.Attention[float64]{Heads: 1, Scale: 1,
		Q: linear(d, v+1), K: linear(d, v+1), V: linear(d, v), O: linear(v, d)}
	for i := 0; i < v; i++ {
		at.Q.W.Set(l.reach+i, i, beta)
		at.K.W.Set(l.self+i, i, 1)
		at.V.W.Set(l.reach+i, i, 1)
		at.O.W.Set(i, l.reach+i, 1)
	}
	at.Q.B[v] = beta / 2
	setSinkKey(at.K.W, l, v)
	return nn.Block[float64]{Attn: at, MLP: binarize(l, l.reach, maxSeq)}
}

// readoutBlock builds the last block. The query of a path token selects
// target tokens whose partner (the edge's source) is the token's own
// vertex, the current vertex c, and whose reach set contains the goal g
// held in the token's partner block. Such a token scores 3·beta, the sink
// 2.5·beta and every other token at most 2·beta, so the output averages
// the vertices of exactly the children of c that reach g, or nothing.
func readoutBlock(l layout, maxSeq int) nn.Block[float64] {
	d, v := l.width, l.vertices
	beta := Sharpness * 2
	dk := 2*v + 2
	at := nn.Attention[float64]{Heads: 1, Scale: 1,
		Q: linear(d, dk), K: linear(d, dk), V: linear(d, v), O: linear(v, d)}
	for i := 0; i < v; i++ {
		at.Q.W.Set(l.self+i, i, beta)
		at.K.W.Set(l.partner+i, i, 1)
		at.Q.W.Set(l.partner+i, v+i, beta)
		at.K.W.Set(l.reach+i, v+i, 1)
		at.V.W.Set(l.self+i, i, 1)
		at.O.W.Set(i, l.next+i, 1)
	}
	at.Q.B[2*v] = beta
	at.K.W.Set(l.role+roleTarget, 2*v, 1)
	at.Q.B[2*v+1] = 2.5 * beta
	setSinkKey(at.K.W, l, 2*v+1)
	return nn.Block[float64]{Attn: at, MLP: binarize(l, l.next, maxSeq)}
}

// binarize returns the MLP that rounds the vertex block at offset block to
// 0 or 1. After attention a coordinate r is either a leak below
// 1/(4n) or at least 1/n (one of at most n evenly attended keys holds it).
// With lo = 1/(4n) and hi = 1/(2n) the MLP adds
//
//	f(r) = a·ReLU(r − lo) + b·ReLU(r − hi),  a = (1 − hi)/(hi − lo), b = −1 − a,
//
// which is 0 for r ≤ lo and 1 − r for r ≥ hi, so r + f(r) is r (a leak
// that stays tiny) or exactly 1 up to rounding.
func binarize(l layout, block, maxSeq int) *nn.MLP[float64] {
	v := l.vertices
	n := float64(maxSeq)
	lo, hi := 1/(4*n), 1/(2*n)
	a := (1 - hi) / (hi - lo)
	b := -1 - a
	mlp := &nn.MLP[float64]{Up: linear(l.width, 2*v), Down: linear(2*v, l.width)}
	for i := 0; i < v; i++ {
		mlp.Up.W.Set(block+i, 2*i, 1)
		mlp.Up.B[2*i] = -lo
		mlp.Up.W.Set(block+i, 2*i+1, 1)
		mlp.Up.B[2*i+1] = -hi
		mlp.Down.W.Set(2*i, block+i, a)
		mlp.Down.W.Set(2*i+1, block+i, b)
	}
	return mlp
}
