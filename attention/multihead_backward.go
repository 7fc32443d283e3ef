package attention

import (
	"fmt"

	"qkv/tensor"
)

// HeadGrads holds the gradients of one head of multi-head attention.
type HeadGrads[T Float] struct {
	// Grads holds the gradients with respect to this head's Q, K and V,
	// and this head's share of the bias gradient.
	Grads[T]
	// DWQ, DWK and DWV are the gradients of the head's projections. They
	// are nil from BackwardHeads, which has no projections to differentiate.
	DWQ *tensor.Matrix[T] // [d_model×d_k]
	DWK *tensor.Matrix[T] // [d_model×d_k]
	DWV *tensor.Matrix[T] // [d_model×d_v]
}

// MultiGrads holds the gradients of a scalar loss with respect to the
// inputs and weights of multi-head attention.
type MultiGrads[T Float] struct {
	// DX is the gradient with respect to the token embeddings of
	// self-attention [n×d_model], the sum DXq + DXkv. It is nil for
	// cross-attention and from BackwardHeads.
	DX *tensor.Matrix[T]
	// DXq is the gradient through the queries [n_q×d_model] and DXkv the
	// gradient through the keys and values [n_k×d_model]. Both are nil
	// from BackwardHeads.
	DXq  *tensor.Matrix[T]
	DXkv *tensor.Matrix[T]

	Heads []HeadGrads[T]

	// DConcat is the gradient with respect to the concatenated head
	// outputs [n_q×(sum of d_v)].
	DConcat *tensor.Matrix[T]
	// DWO is the gradient of the output projection [h·d_v×d_out]. It is
	// nil when there is no output projection.
	DWO *tensor.Matrix[T]
	// DBias is the gradient with respect to Mask.Bias [n_q×n_k]. All
	// heads add the same bias, so it is the sum of the heads' DBias. It is
	// nil when there is no bias.
	DBias *tensor.Matrix[T]
}

// Backward returns the gradients of multi-head self-attention given dOut =
// ∂loss/∂Output [n×d_out] (or [n×(sum of d_v)] without W_O). x [n×d_model]
// and opts must be the arguments of the SelfAttend call that returned res,
// and opts must have had KeepWeights set.
func (m MultiHead[T]) Backward(x *tensor.Matrix[T], res MultiResult[T], dOut *tensor.Matrix[T], opts Options[T]) (MultiGrads[T], error) {
	g, err := m.BackwardCross(x, x, res, dOut, opts)
	if err != nil {
		return MultiGrads[T]{}, err
	}
	g.DX = tensor.New[T](g.DXq.Rows, g.DXq.Cols)
	for i := range g.DX.Data {
		g.DX.Data[i] = g.DXq.Data[i] + g.DXkv.Data[i]
	}
	if err := checkFiniteGrad("dX", g.DX); err != nil {
		return MultiGrads[T]{}, err
	}
	return g, nil
}

// BackwardCross returns the gradients of multi-head attention with queries
// from xq [n_q×d_model] and keys and values from xkv [n_k×d_model]. The
// arguments must be those of the Attend call that returned res, with
// KeepWeights set in opts. DXq and DXkv contain the two input gradients,
// and DX stays nil.
func (m MultiHead[T]) BackwardCross(xq, xkv *tensor.Matrix[T], res MultiResult[T], dOut *tensor.Matrix[T], opts Options[T]) (MultiGrads[T], error) {
	if err := m.checkBackward(xq, xkv, res); err != nil {
		return MultiGrads[T]{}, err
	}
	g, err := BackwardHeads(res, m.WO, dOut, opts)
	if err != nil {
		return MultiGrads[T]{}, err
	}

	// Q = Xq·W_Q, K = Xkv·W_K and V = Xkv·W_V give dW_Q = Xqᵀ·dQ,
	// dXq = dQ·W_Qᵀ and likewise for K and V. Heads are added in order.
	xqT := tensor.Transpose(xq)   // [d_model×n_q]
	xkvT := tensor.Transpose(xkv) // [d_model×n_k]
	g.DXq = tensor.New[T](xq.Rows, xq.Cols)
	g.DXkv = tensor.New[T](xkv.Rows, xkv.Cols)
	for i, h := range m.Heads {
		hg := &g.Heads[i]
		terms := []struct {
			x, xT, dx, w, d *tensor.Matrix[T]
			dw              **tensor.Matrix[T]
		}{
			{xq, xqT, g.DXq, h.WQ, hg.DQ, &hg.DWQ},
			{xkv, xkvT, g.DXkv, h.WK, hg.DK, &hg.DWK},
			{xkv, xkvT, g.DXkv, h.WV, hg.DV, &hg.DWV},
		}
		for _, term := range terms {
			dw, err := tensor.MatMul(term.xT, term.d)
			if err != nil {
				return MultiGrads[T]{}, fmt.Errorf("attention: head %d: %w", i, err)
			}
			*term.dw = dw
			dx, err := tensor.MatMulT(term.d, term.w)
			if err != nil {
				return MultiGrads[T]{}, fmt.Errorf("attention: head %d: %w", i, err)
			}
			addInto(term.dx, dx)
		}
	}

	for _, c := range []namedMatrix[T]{{"dXq", g.DXq}, {"dXkv", g.DXkv}} {
		if err := checkFiniteGrad(c.name, c.m); err != nil {
			return MultiGrads[T]{}, err
		}
	}
	for i, hg := range g.Heads {
		for _, c := range []namedMatrix[T]{{"dW_Q", hg.DWQ}, {"dW_K", hg.DWK}, {"dW_V", hg.DWV}} {
			if err := checkFiniteGrad(fmt.Sprintf("head %d %s", i, c.name), c.m); err != nil {
				return MultiGrads[T]{}, err
			}
		}
	}
	return g, nil
}

// checkBackward checks that res and the inputs fit the heads of m.
func (m MultiHead[T]) checkBackward(xq, xkv *tensor.Matrix[T], res MultiResult[T]) error {
	if xq == nil || xkv == nil {
		return fmt.Errorf("attention: backward needs the inputs X of the forward pass")
	}
	if len(m.Heads) == 0 {
		return fmt.Errorf("attention: multi-head attention needs at least one head")
	}
	if len(res.Projections) != len(m.Heads) {
		return fmt.Errorf("attention: result has %d heads' projections but the layer has %d heads; pass the result of this layer's forward pass", len(res.Projections), len(m.Heads))
	}
	for _, in := range []namedMatrix[T]{{"X", xq}, {"X (keys and values)", xkv}} {
		if err := tensor.CheckFinite("attention: "+in.name, in.m); err != nil {
			return err
		}
	}
	for i, h := range m.Heads {
		if h.WQ == nil || h.WK == nil || h.WV == nil {
			return fmt.Errorf("attention: head %d needs W_Q, W_K and W_V", i)
		}
		p := res.Projections[i]
		if p.Q == nil || p.K == nil || p.V == nil {
			return fmt.Errorf("attention: result head %d has no Q, K or V; pass the result of this layer's forward pass", i)
		}
		checks := []struct {
			name    string
			w, x, y *tensor.Matrix[T]
		}{{"W_Q", h.WQ, xq, p.Q}, {"W_K", h.WK, xkv, p.K}, {"W_V", h.WV, xkv, p.V}}
		for _, c := range checks {
			if c.w.Rows != c.x.Cols || c.w.Cols != c.y.Cols || c.x.Rows != c.y.Rows {
				return fmt.Errorf("attention: head %d: %s %v and X %v do not produce the forward pass's projection %v; pass the inputs and result of that pass", i, c.name, c.w.Shape(), c.x.Shape(), c.y.Shape())
			}
			if err := tensor.CheckFinite(fmt.Sprintf("attention: head %d %s", i, c.name), c.w); err != nil {
				return err
			}
		}
	}
	return nil
}

// BackwardHeads returns the gradients of AttendHeads with respect to each
// head's Q, K and V, to wo and to the bias, given dOut = ∂loss/∂Output
// [n_q×d_out] (or [n_q×(sum of d_v)] when wo is nil). res must come from
// AttendHeads with the same wo and opts, and with KeepWeights set. The
// projection and input gradients of the result stay nil.
// The heads go through BackwardMany.
func BackwardHeads[T Float](res MultiResult[T], wo, dOut *tensor.Matrix[T], opts Options[T]) (MultiGrads[T], error) {
	if err := checkHeadsResult(res, wo, dOut); err != nil {
		return MultiGrads[T]{}, err
	}
	nq := res.Concat.Rows
	width := res.Concat.Cols

	// Output = Concat·W_O gives dConcat = dOut·W_Oᵀ and dW_O = Concatᵀ·dOut.
	g := MultiGrads[T]{Heads: make([]HeadGrads[T], len(res.Heads))}
	if wo != nil {
		var err error
		if g.DConcat, err = tensor.MatMulT(dOut, wo); err != nil {
			return MultiGrads[T]{}, err
		}
		if g.DWO, err = tensor.MatMul(tensor.Transpose(res.Concat), dOut); err != nil {
			return MultiGrads[T]{}, err
		}
		for _, c := range []namedMatrix[T]{{"dConcat", g.DConcat}, {"dW_O", g.DWO}} {
			if err := checkFiniteGrad(c.name, c.m); err != nil {
				return MultiGrads[T]{}, err
			}
		}
	} else {
		g.DConcat = dOut.Clone()
	}
	if opts.Mask.Bias != nil {
		g.DBias = tensor.New[T](opts.Mask.Bias.Rows, opts.Mask.Bias.Cols)
	}

	// Concat places head i's Z in columns [off, off+d_v), so head i's dZ
	// is those columns of dConcat.
	problems := make([]BackwardProblem[T], len(res.Projections))
	off := 0
	for i, p := range res.Projections {
		dv := p.V.Cols
		dz := tensor.New[T](nq, dv)
		for r := 0; r < nq; r++ {
			copy(dz.Row(r), g.DConcat.Data[r*width+off:r*width+off+dv])
		}
		off += dv
		problems[i] = BackwardProblem[T]{Q: p.Q, K: p.K, V: p.V, Weights: res.Heads[i].Weights, DOut: dz}
	}
	grads, i, err := backwardMany(problems, opts)
	if err != nil {
		return MultiGrads[T]{}, fmt.Errorf("head %d: %w", i, err)
	}
	for i, hg := range grads {
		g.Heads[i].Grads = hg
		if g.DBias != nil {
			addInto(g.DBias, hg.DBias)
		}
	}
	if g.DBias != nil {
		if err := checkFiniteGrad("dBias", g.DBias); err != nil {
			return MultiGrads[T]{}, err
		}
	}
	return g, nil
}

// checkHeadsResult checks that res, wo and dOut fit together.
func checkHeadsResult[T Float](res MultiResult[T], wo, dOut *tensor.Matrix[T]) error {
	if len(res.Heads) == 0 || len(res.Heads) != len(res.Projections) || res.Concat == nil {
		return fmt.Errorf("attention: result has %d heads and %d heads' projections; pass the result of the forward pass", len(res.Heads), len(res.Projections))
	}
	width := 0
	for i, p := range res.Projections {
		if p.Q == nil || p.K == nil || p.V == nil {
			return fmt.Errorf("attention: result head %d has no Q, K or V; pass the result of the forward pass", i)
		}
		if res.Heads[i].Weights == nil {
			return fmt.Errorf("attention: result head %d has no attention weights; run the forward pass with KeepWeights", i)
		}
		width += p.V.Cols
	}
	if res.Concat.Cols != width || res.Concat.Rows != res.Projections[0].Q.Rows {
		return fmt.Errorf("attention: result Concat %v does not match the heads' outputs [%d×%d]; pass the result of the forward pass", res.Concat.Shape(), res.Projections[0].Q.Rows, width)
	}
	if dOut == nil {
		return fmt.Errorf("attention: backward needs the output gradient dOut")
	}
	outCols := width
	if wo != nil {
		if wo.Rows != width {
			return fmt.Errorf("attention: W_O %v needs %d rows, the total width of the %d head outputs", wo.Shape(), width, len(res.Heads))
		}
		if err := tensor.CheckFinite("attention: W_O", wo); err != nil {
			return err
		}
		outCols = wo.Cols
	}
	if dOut.Rows != res.Concat.Rows || dOut.Cols != outCols {
		return fmt.Errorf("attention: dOut %v does not match the output [%d×%d]", dOut.Shape(), res.Concat.Rows, outCols)
	}
	return tensor.CheckFinite("attention: dOut", dOut)
}

// addInto adds src to dst element by element; both have the same shape.
func addInto[T Float](dst, src *tensor.Matrix[T]) {
	for i, x := range src.Data {
		dst.Data[i] += x
	}
}
