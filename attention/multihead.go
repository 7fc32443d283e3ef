package attention

import (
	"fmt"

	"qkv/tensor"
)

// Head holds the projections of one attention head.
type Head[T Float] struct {
	WQ *tensor.Matrix[T] // [d_model×d_k]
	WK *tensor.Matrix[T] // [d_model×d_k]
	WV *tensor.Matrix[T] // [d_model×d_v]
}

// Projections holds one head's queries, keys and values.
type Projections[T Float] struct {
	Q *tensor.Matrix[T] // [n_q×d_k]
	K *tensor.Matrix[T] // [n_k×d_k]
	V *tensor.Matrix[T] // [n_k×d_v]
}

// Project computes Q = Xq·W_Q, K = Xkv·W_K and V = Xkv·W_V. For
// self-attention pass the same X twice.
func Project[T Float](xq, xkv *tensor.Matrix[T], h Head[T]) (Projections[T], error) {
	if h.WQ == nil || h.WK == nil || h.WV == nil {
		return Projections[T]{}, fmt.Errorf("attention: a head needs W_Q, W_K and W_V")
	}
	if err := tensor.CheckFinite("attention: X", xq); err != nil {
		return Projections[T]{}, err
	}
	if xkv != xq {
		if err := tensor.CheckFinite("attention: X (keys and values)", xkv); err != nil {
			return Projections[T]{}, err
		}
	}
	for _, w := range []struct {
		name string
		m    *tensor.Matrix[T]
		x    *tensor.Matrix[T]
	}{{"W_Q", h.WQ, xq}, {"W_K", h.WK, xkv}, {"W_V", h.WV, xkv}} {
		if w.m.Rows != w.x.Cols {
			return Projections[T]{}, fmt.Errorf("attention: %s %v needs d_model = %d rows to match X %v", w.name, w.m.Shape(), w.x.Cols, w.x.Shape())
		}
		if err := tensor.CheckFinite("attention: "+w.name, w.m); err != nil {
			return Projections[T]{}, err
		}
	}
	if h.WQ.Cols != h.WK.Cols {
		return Projections[T]{}, fmt.Errorf("attention: W_Q %v and W_K %v must have the same number of columns (d_k)", h.WQ.Shape(), h.WK.Shape())
	}
	q, _ := tensor.MatMul(xq, h.WQ)
	k, _ := tensor.MatMul(xkv, h.WK)
	v, _ := tensor.MatMul(xkv, h.WV)
	return Projections[T]{Q: q, K: k, V: v}, nil
}

// MultiHead is multi-head attention: h heads, each with its own
// projections, whose outputs are concatenated and optionally multiplied by
// an output projection.
type MultiHead[T Float] struct {
	Heads []Head[T]
	// WO is the output projection [h·d_v×d_out]; nil leaves the
	// concatenated head outputs as the result.
	WO *tensor.Matrix[T]
}

// MultiResult holds the outputs of multi-head attention.
type MultiResult[T Float] struct {
	// Projections holds each head's Q, K and V.
	Projections []Projections[T]
	// Heads holds each head's Result: S and A when requested, Z always.
	Heads []Result[T]
	// Concat is the head outputs side by side, [n_q×(sum of d_v)].
	Concat *tensor.Matrix[T]
	// Output is Concat·W_O [n_q×d_out], or Concat when W_O is nil.
	Output *tensor.Matrix[T]
}

// SelfAttend computes multi-head self-attention of the token embeddings x
// [n×d_model].
func (m MultiHead[T]) SelfAttend(x *tensor.Matrix[T], opts Options[T]) (MultiResult[T], error) {
	return m.Attend(x, x, opts)
}

// Attend computes multi-head attention with queries from xq [n_q×d_model]
// and keys and values from xkv [n_k×d_model].
func (m MultiHead[T]) Attend(xq, xkv *tensor.Matrix[T], opts Options[T]) (MultiResult[T], error) {
	if len(m.Heads) == 0 {
		return MultiResult[T]{}, fmt.Errorf("attention: multi-head attention needs at least one head")
	}
	projs := make([]Projections[T], len(m.Heads))
	for i, h := range m.Heads {
		p, err := Project(xq, xkv, h)
		if err != nil {
			return MultiResult[T]{}, fmt.Errorf("head %d: %w", i, err)
		}
		projs[i] = p
	}
	return AttendHeads(projs, m.WO, opts)
}

// AttendHeads computes attention for each head's given Q, K and V,
// concatenates the outputs and applies wo [h·d_v×d_out] if it is non-nil.
// The heads go through AttendMany, so they run in parallel with a fixed
// partition and the result does not depend on GOMAXPROCS.
func AttendHeads[T Float](heads []Projections[T], wo *tensor.Matrix[T], opts Options[T]) (MultiResult[T], error) {
	if len(heads) == 0 {
		return MultiResult[T]{}, fmt.Errorf("attention: multi-head attention needs at least one head")
	}
	nq := heads[0].Q.Rows
	width := 0
	for i, h := range heads {
		if h.Q == nil || h.K == nil || h.V == nil {
			return MultiResult[T]{}, fmt.Errorf("attention: head %d needs Q, K and V", i)
		}
		if h.Q.Rows != nq {
			return MultiResult[T]{}, fmt.Errorf("attention: head %d has Q %v but head 0 has %d queries; all heads need the same n_q", i, h.Q.Shape(), nq)
		}
		width += h.V.Cols
	}
	if wo != nil {
		if wo.Rows != width {
			return MultiResult[T]{}, fmt.Errorf("attention: W_O %v needs %d rows, the total width of the %d head outputs", wo.Shape(), width, len(heads))
		}
		if err := tensor.CheckFinite("attention: W_O", wo); err != nil {
			return MultiResult[T]{}, err
		}
	}

	res := MultiResult[T]{Projections: heads, Heads: make([]Result[T], len(heads))}
	res.Concat = tensor.New[T](nq, width)
	results, i, err := attendMany(heads, opts)
	if err != nil {
		return MultiResult[T]{}, fmt.Errorf("head %d: %w", i, err)
	}
	off := 0
	for i, h := range heads {
		r := results[i]
		res.Heads[i] = r
		dv := h.V.Cols
		for row := 0; row < nq; row++ {
			copy(res.Concat.Data[row*width+off:row*width+off+dv], r.Output.Row(row))
		}
		off += dv
	}

	res.Output = res.Concat
	if wo != nil {
		out, err := tensor.MatMul(res.Concat, wo)
		if err != nil {
			return MultiResult[T]{}, err
		}
		res.Output = out
	}
	return res, nil
}
