package compiled

import (
	"fmt"
	"math"

	"qkv/attention"
	"qkv/nn"
	"qkv/task"
	"qkv/tensor"
)

// Forward runs every block of the model on the whole token sequence of ex
// (edges, query and path prefix, no padding) with nn.Model.Forward and
// returns the trace. It is the plain reference for Session, which gives
// the same answers faster, and the source of the attention plots.
func (m *Model) Forward(ex *task.Example) (*nn.Trace[float64], error) {
	if err := m.checkQuery(ex.Edges, ex.Start, ex.Goal, ex.Path); err != nil {
		return nil, err
	}
	prefix := edgeTokens(ex.Edges)
	seq := append(prefix, queryTokens(ex.Start, ex.Goal, ex.Path)...)
	// The trace keeps the n×n scores and weights of every head of every
	// block: 2 + 2 + M + 1 heads.
	n := int64(len(seq))
	need := EstimateBytes(m.Vertices, len(seq)) + 16*n*n*int64(5+m.MergeLayers)
	if need > maxForwardBytes {
		return nil, fmt.Errorf("compiled: a full trace of %d tokens needs about %d MiB, more than %d MiB; use a Session, which keeps no n×n matrices", len(seq), need>>20, maxForwardBytes>>20)
	}
	x := m.embed(seq, 0)
	return m.Net.Forward(x, prefixMask(len(seq), len(prefix)))
}

// maxForwardBytes bounds the estimated memory of Forward.
const maxForwardBytes = 1 << 30

// headKV holds one head's keys [n×d_k] and values [n×d_v] for the edge
// tokens at the input of one block, in buffers with room for the rows of
// a query's tokens after them.
type headKV struct{ k, v *tensor.Matrix[float64] }

// withRoom copies m [n×d] into a buffer with room for extra more rows.
func withRoom(m *tensor.Matrix[float64], extra int) *tensor.Matrix[float64] {
	buf := make([]float64, (m.Rows+extra)*m.Cols)
	copy(buf, m.Data)
	return &tensor.Matrix[float64]{Rows: m.Rows, Cols: m.Cols, Data: buf[:len(m.Data)]}
}

// appendRows returns the matrix of base's rows, the kept rows that follow
// them in base's spare capacity, and the rows of more, which it writes
// after the kept ones. base itself is unchanged.
func appendRows(base *tensor.Matrix[float64], kept int, more *tensor.Matrix[float64]) *tensor.Matrix[float64] {
	n := base.Rows + kept + more.Rows
	data := base.Data[:n*base.Cols]
	copy(data[(base.Rows+kept)*base.Cols:], more.Data)
	return &tensor.Matrix[float64]{Rows: n, Cols: base.Cols, Data: data}
}

// Session holds one graph's edge tokens after each block, so that queries
// on that graph (start, goal, path prefix) only compute their own few
// tokens. Because edge tokens never attend to later tokens, their states
// are the same as in a full Forward of any query on the graph.
type Session struct {
	m      *Model
	edges  []task.Edge
	prefix int // number of edge tokens, 3·len(edges)

	// plan lists the blocks that run, in order: roles, load, the merge
	// blocks until the reach sets are closed, and readout.
	plan []int
	// kv holds, for each block of plan, the edge tokens' keys and values
	// per head. Queries write their own rows after them, so a Session
	// is not safe for concurrent use.
	kv [][]headKV
	// reachAfter holds, for the load block and each merge block of plan,
	// the reach set of every vertex decoded from the edge tokens after it:
	// the union over the vertex's tokens, as a bitset per vertex.
	reachAfter [][]bitset
	// fixedPoint reports that the reach sets were closed, so that the
	// remaining merge blocks were skipped.
	fixedPoint bool
	// sparse holds every block's weights by their nonzero entries. Both
	// the edge tokens and the query tokens are projected with them.
	sparse []*sparseBlock
	// cachedTail lists the query tokens whose keys and values the kv
	// buffers hold after the edge tokens, from the last query. A query
	// that starts with the same tokens reuses them: query tokens attend
	// causally, so a token's state depends only on the tokens before it.
	cachedTail []token
}

// NewSession runs the edge tokens of a graph through the model.
//
// It skips the remaining merge blocks once the decoded reach sets are
// closed: when for every edge token t and every vertex z in its set S(t),
// the union U(z) of the sets of z's tokens lies inside S(t). A merge block
// maps S(t) to the union of U(z) over z ∈ S(t), so it would change no set,
// and all merge blocks share their weights. The tests check that the
// answers equal those of Forward, which runs every block.
func (m *Model) NewSession(edges []task.Edge) (*Session, error) {
	if err := m.checkEdges(edges); err != nil {
		return nil, err
	}
	prefix := edgeTokens(edges)
	s := &Session{m: m, edges: edges, prefix: len(prefix), sparse: m.sparseBlocks()}
	room := 4 + m.Vertices // Q s g P and a path of up to V vertices
	x := m.embed(prefix, 0)
	last := len(m.Net.Blocks) - 1
	for b := 0; b < last; b++ {
		if s.fixedPoint && b >= firstMerge {
			continue
		}
		out, kv, err := forwardEdges(&m.Net.Blocks[b], s.sparse[b], x)
		if err != nil {
			return nil, fmt.Errorf("compiled: %s block: %w", m.LayerName(b), err)
		}
		s.plan = append(s.plan, b)
		s.kv = append(s.kv, withRoomAll(kv, room))
		x = out
		if b == blockRoles {
			continue
		}
		sets := m.decodeRows(x, m.lay.reach)
		union := m.vertexUnion(prefix, sets)
		s.reachAfter = append(s.reachAfter, union)
		if closed(prefix, sets, union) {
			s.fixedPoint = true
		}
	}
	// The readout block only needs the edge tokens' keys and values: no
	// later token reads the edge tokens' readout output.
	ro, sro := &m.Net.Blocks[last], s.sparse[last]
	a := x
	if ro.LN1 != nil {
		a = ro.LN1.Forward(x)
	}
	kv, err := splitHeads(ro.Attn.Heads, sro.k.forward(a), sro.v.forward(a))
	if err != nil {
		return nil, fmt.Errorf("compiled: readout block: %w", err)
	}
	kv = withRoomAll(kv, room)
	s.plan = append(s.plan, last)
	s.kv = append(s.kv, kv)
	return s, nil
}

// LayersRun returns the number of blocks the session runs per query.
func (s *Session) LayersRun() int { return len(s.plan) }

// SkippedMerges returns the number of merge blocks skipped because the
// reach sets were already closed.
func (s *Session) SkippedMerges() int { return s.m.Layers() - len(s.plan) }

// run computes the query tokens "Q s g P path…" after every block of the
// plan. With reuse it keeps the rows of the tokens that the last query
// started with, and computes only the rest. It returns, per block, the new
// tokens' output [t'×D] (the last block's is the final state) and, with
// keepWeights, their attention weights per head [t'×(prefix+t)], where
// t' ≤ t tokens are new.
func (s *Session) run(start, goal int, path []int, reuse, keepWeights bool) ([]*tensor.Matrix[float64], [][]*tensor.Matrix[float64], error) {
	m := s.m
	if err := m.checkQuery(s.edges, start, goal, path); err != nil {
		return nil, nil, err
	}
	tail := queryTokens(start, goal, path)

	// Reuse the rows of the longest common start with the last query, but
	// always compute the last token.
	kept := 0
	if reuse {
		for kept < len(s.cachedTail) && kept < len(tail)-1 && s.cachedTail[kept] == tail[kept] {
			kept++
		}
	}
	s.cachedTail = nil // the buffers change below; set again on success

	x := m.embed(tail[kept:], s.prefix+kept)
	var outs []*tensor.Matrix[float64]
	var weights [][]*tensor.Matrix[float64]
	for i, b := range s.plan {
		out, w, err := extend(&m.Net.Blocks[b], s.sparse[b], x, s.kv[i], kept, keepWeights)
		if err != nil {
			return nil, nil, fmt.Errorf("compiled: %s block: %w", m.LayerName(b), err)
		}
		outs = append(outs, out)
		weights = append(weights, w)
		x = out
	}
	s.cachedTail = tail
	return outs, weights, nil
}

// QueryWeights runs the query and returns, for each block that runs, its
// name and the attention weights of the query's tokens "Q s g P path…"
// per head [t×(3·edges+t)]. It shows the attention of large inputs,
// whose full n×n matrices Forward would not keep.
func (s *Session) QueryWeights(start, goal int, path []int) ([]string, [][]*tensor.Matrix[float64], error) {
	_, weights, err := s.run(start, goal, path, false, true)
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, len(s.plan))
	for i, b := range s.plan {
		names[i] = s.m.LayerName(b)
	}
	return names, weights, nil
}

// Answer runs the query on the session's graph and returns the scores of
// the next vertex: Scores[v−1] is the readout coordinate next[v] of the
// last token, 1 for every child of the current vertex from which the goal
// is reachable and 0 for every other vertex.
func (s *Session) Answer(start, goal int, path []int) (Answer, error) {
	outs, _, err := s.run(start, goal, path, true, false)
	if err != nil {
		return Answer{}, err
	}
	final := outs[len(outs)-1]
	row := final.Row(final.Rows - 1)
	l := s.m.lay
	scores := append([]float64(nil), row[l.next:l.next+l.vertices]...)
	return newAnswer(scores)
}

// extend runs block b on new tokens x [t×D] that come after the edge
// tokens, whose keys and values are kv, and after the first kept query
// tokens, whose keys and values follow them in kv's buffers. It returns
// the new tokens' output [t×D] and attention weights per head
// [t×(edges+kept+t)], and stores the new tokens' keys and values after the
// kept ones. The new tokens attend to every earlier token and causally to
// each other, so this computes the last t rows of Block.Forward under
// prefixMask. The projections use sb, the sparse form of b's weights.
// Without keepWeights the weights are nil, which lets the attention
// engine stream over the keys instead of materialising the scores.
func extend(b *nn.Block[float64], sb *sparseBlock, x *tensor.Matrix[float64], kv []headKV, kept int, keepWeights bool) (*tensor.Matrix[float64], []*tensor.Matrix[float64], error) {
	a := x
	if b.LN1 != nil {
		a = b.LN1.Forward(x)
	}
	mine, err := splitHeads(b.Attn.Heads, sb.k.forward(a), sb.v.forward(a))
	if err != nil {
		return nil, nil, err
	}
	q := sb.q.forward(a)
	heads := make([]attention.Projections[float64], b.Attn.Heads)
	dq := q.Cols / b.Attn.Heads
	for h := range heads {
		heads[h] = attention.Projections[float64]{
			Q: columns(q, h*dq, (h+1)*dq),
			K: appendRows(kv[h].k, kept, mine[h].k),
			V: appendRows(kv[h].v, kept, mine[h].v),
		}
	}
	res, err := attention.AttendHeads(heads, nil, attention.Options[float64]{
		Scale: blockScale(b, dq), Mask: attention.Mask[float64]{Causal: true}, KeepWeights: keepWeights,
	})
	if err != nil {
		return nil, nil, err
	}
	var weights []*tensor.Matrix[float64]
	if keepWeights {
		weights = make([]*tensor.Matrix[float64], len(res.Heads))
		for h, r := range res.Heads {
			weights[h] = r.Weights
		}
	}
	return finishBlock(b, sb, x, res.Concat), weights, nil
}

// forwardEdges runs block b on the edge tokens x [n×D], which attend to
// each other in both directions, with the sparse projections sb. It
// computes Block.Forward under an empty mask, up to the order of the
// floating-point additions, and also returns the keys and values per
// head.
func forwardEdges(b *nn.Block[float64], sb *sparseBlock, x *tensor.Matrix[float64]) (*tensor.Matrix[float64], []headKV, error) {
	a := x
	if b.LN1 != nil {
		a = b.LN1.Forward(x)
	}
	kv, err := splitHeads(b.Attn.Heads, sb.k.forward(a), sb.v.forward(a))
	if err != nil {
		return nil, nil, err
	}
	q := sb.q.forward(a)
	heads := make([]attention.Projections[float64], b.Attn.Heads)
	dq := q.Cols / b.Attn.Heads
	for h := range heads {
		heads[h] = attention.Projections[float64]{Q: columns(q, h*dq, (h+1)*dq), K: kv[h].k, V: kv[h].v}
	}
	res, err := attention.AttendHeads(heads, nil, attention.Options[float64]{Scale: blockScale(b, dq)})
	if err != nil {
		return nil, nil, err
	}
	return finishBlock(b, sb, x, res.Concat), kv, nil
}

// blockScale returns the score scale of block b for heads of width dq.
func blockScale(b *nn.Block[float64], dq int) float64 {
	if b.Attn.Scale != 0 {
		return b.Attn.Scale
	}
	return 1 / math.Sqrt(float64(dq))
}

// finishBlock returns the block's output for input x [t×D] whose heads
// produced concat: the output projection and the MLP, each added to the
// residual stream.
func finishBlock(b *nn.Block[float64], sb *sparseBlock, x, concat *tensor.Matrix[float64]) *tensor.Matrix[float64] {
	mid := add(x, sb.o.forward(concat))
	if b.MLP == nil {
		return mid
	}
	mi := mid
	if b.LN2 != nil {
		mi = b.LN2.Forward(mid)
	}
	hid := sb.up.forward(mi)
	for i, v := range hid.Data {
		hid.Data[i] = max(v, 0)
	}
	return add(mid, sb.down.forward(hid))
}

// splitHeads splits keys k and values v column-wise into h heads.
func splitHeads(h int, k, v *tensor.Matrix[float64]) ([]headKV, error) {
	if h < 1 || k.Cols%h != 0 || v.Cols%h != 0 {
		return nil, fmt.Errorf("attention widths %d and %d do not split into %d heads", k.Cols, v.Cols, h)
	}
	out := make([]headKV, h)
	dk, dv := k.Cols/h, v.Cols/h
	for i := range out {
		out[i] = headKV{k: columns(k, i*dk, (i+1)*dk), v: columns(v, i*dv, (i+1)*dv)}
	}
	return out, nil
}

// withRoomAll copies every head's keys and values into buffers with room
// for extra more rows.
func withRoomAll(kv []headKV, extra int) []headKV {
	out := make([]headKV, len(kv))
	for i, h := range kv {
		out[i] = headKV{k: withRoom(h.k, extra), v: withRoom(h.v, extra)}
	}
	return out
}

// columns copies columns [lo, hi) of m.
func columns(m *tensor.Matrix[float64], lo, hi int) *tensor.Matrix[float64] {
	if lo == 0 && hi == m.Cols {
		return m
	}
	c := tensor.New[float64](m.Rows, hi-lo)
	for i := 0; i < m.Rows; i++ {
		copy(c.Row(i), m.Row(i)[lo:hi])
	}
	return c
}

func add(a, b *tensor.Matrix[float64]) *tensor.Matrix[float64] {
	c := tensor.New[float64](a.Rows, a.Cols)
	for i := range c.Data {
		c.Data[i] = a.Data[i] + b.Data[i]
	}
	return c
}
