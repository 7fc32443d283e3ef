package attention

import (
	"math"

	"qkv/tensor"
)

// AttendReference computes the same result as Attend with plain loops on
// one goroutine, always returning S and A. It is the test oracle for the
// fast path and validates its arguments the same way.
func AttendReference[T Float](q, k, v *tensor.Matrix[T], opts Options[T]) (Result[T], error) {
	p, err := prepare(q, k, v, &opts)
	if err != nil {
		return Result[T]{}, err
	}
	s := tensor.New[T](p.nq, p.nk)
	a := tensor.New[T](p.nq, p.nk)
	z := tensor.New[T](p.nq, p.dv)
	negInf := math.Inf(-1)

	for i := 0; i < p.nq; i++ {
		// Scores of query i against every key, -Inf where masked.
		maxV := negInf
		for j := 0; j < p.nk; j++ {
			if !opts.Mask.allowed(i, j, p.nq, p.nk) {
				s.Set(i, j, T(negInf))
				continue
			}
			var dot T
			for c := 0; c < p.dk; c++ {
				dot += q.At(i, c) * k.At(j, c)
			}
			x := dot * T(p.scale)
			if opts.Mask.Bias != nil {
				x += opts.Mask.Bias.At(i, j)
			}
			if err := checkScore(i, j, float64(x)); err != nil {
				return Result[T]{}, err
			}
			s.Set(i, j, x)
			maxV = math.Max(maxV, float64(x))
		}
		if math.IsInf(maxV, -1) {
			continue // every key masked: A and Z rows stay zero
		}

		// Softmax over the unmasked entries.
		var sum T
		for j := 0; j < p.nk; j++ {
			if x := s.At(i, j); !math.IsInf(float64(x), -1) {
				e := T(math.Exp(float64(x - T(maxV))))
				a.Set(i, j, e)
				sum += e
			}
		}
		for j := 0; j < p.nk; j++ {
			a.Set(i, j, a.At(i, j)/sum)
		}

		// Weighted sum of the values.
		for c := 0; c < p.dv; c++ {
			var acc T
			for j := 0; j < p.nk; j++ {
				acc += a.At(i, j) * v.At(j, c)
			}
			z.Set(i, c, acc)
		}
	}
	return Result[T]{Scores: s, Weights: a, Output: z}, nil
}
