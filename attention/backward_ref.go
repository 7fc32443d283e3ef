package attention

import "qkv/tensor"

// BackwardReference computes the same gradients as Backward with plain
// loops on one goroutine. It is the test oracle for the fast path and
// validates its arguments the same way.
func BackwardReference[T Float](q, k, v, weights, dOut *tensor.Matrix[T], opts Options[T]) (Grads[T], error) {
	p, err := prepareBackward(q, k, v, weights, dOut, &opts)
	if err != nil {
		return Grads[T]{}, err
	}
	if err := checkWeightRows(p, weights, &opts.Mask, 0, p.nq); err != nil {
		return Grads[T]{}, err
	}
	dq := tensor.New[T](p.nq, p.dk)
	dk := tensor.New[T](p.nk, p.dk)
	dv := tensor.New[T](p.nk, p.dv)
	ds := tensor.New[T](p.nq, p.nk)
	scale := T(p.scale)

	// Z = A·V gives dV = Aᵀ·dZ.
	for j := 0; j < p.nk; j++ {
		for c := 0; c < p.dv; c++ {
			var acc T
			for i := 0; i < p.nq; i++ {
				acc += weights.At(i, j) * dOut.At(i, c)
			}
			dv.Set(j, c, acc)
		}
	}

	// Z = A·V gives dA = dZ·Vᵀ; A = softmax(S) row by row gives
	// dS_ij = A_ij·(dA_ij − Σ_l A_il·dA_il).
	for i := 0; i < p.nq; i++ {
		da := make([]T, p.nk)
		for j := 0; j < p.nk; j++ {
			var acc T
			for c := 0; c < p.dv; c++ {
				acc += dOut.At(i, c) * v.At(j, c)
			}
			da[j] = acc
		}
		var dot T
		for j := 0; j < p.nk; j++ {
			dot += weights.At(i, j) * da[j]
		}
		for j := 0; j < p.nk; j++ {
			ds.Set(i, j, weights.At(i, j)*(da[j]-dot))
		}
	}

	// S = Q·Kᵀ·scale gives dQ = scale·dS·K.
	for i := 0; i < p.nq; i++ {
		for c := 0; c < p.dk; c++ {
			var acc T
			for j := 0; j < p.nk; j++ {
				acc += ds.At(i, j) * k.At(j, c)
			}
			dq.Set(i, c, scale*acc)
		}
	}

	// S = Q·Kᵀ·scale gives dK = scale·dSᵀ·Q.
	for j := 0; j < p.nk; j++ {
		for c := 0; c < p.dk; c++ {
			var acc T
			for i := 0; i < p.nq; i++ {
				acc += ds.At(i, j) * q.At(i, c)
			}
			dk.Set(j, c, scale*acc)
		}
	}

	g := Grads[T]{DQ: dq, DK: dk, DV: dv}
	if opts.Mask.Bias != nil {
		g.DBias = ds // S = … + bias gives dBias = dS
	}
	if err := checkGradRows(&g, true, 0, p.nq); err != nil {
		return Grads[T]{}, err
	}
	if err := checkGradRows(&g, false, 0, p.nk); err != nil {
		return Grads[T]{}, err
	}
	return g, nil
}
