package attention

// Backward pass of scaled dot-product attention.
//
// Glossary: for a scalar loss L, dX is ∂L/∂X, a matrix of the same shape
// as X. The forward pass computes
//
//	S = Q·Kᵀ·scale + bias   [n_q×n_k]
//	A = row-softmax(S)      [n_q×n_k]
//	Z = A·V                 [n_q×d_v]
//
// and its gradients, in reverse order, are
//
//	dV = Aᵀ·dZ                          [n_k×d_v]
//	dA = dZ·Vᵀ                          [n_q×n_k]
//	dS = A ⊙ (dA − rowsum(dA ⊙ A))      [n_q×n_k]  softmax Jacobian
//	dBias = dS
//	dQ = scale·dS·K                     [n_q×d_k]
//	dK = scale·dSᵀ·Q                    [n_k×d_k]
//
// A masked entry has A = 0, so its dS is 0 as well, and a fully masked
// row gets zero gradients without any special case.

import (
	"fmt"
	"math"
	"sync"

	"qkv/internal/kernel"
	"qkv/internal/parallel"
	"qkv/tensor"
)

// Grads holds the gradients of a scalar loss with respect to the inputs of
// one Attend call.
type Grads[T Float] struct {
	DQ *tensor.Matrix[T] // [n_q×d_k]
	DK *tensor.Matrix[T] // [n_k×d_k]
	DV *tensor.Matrix[T] // [n_k×d_v]
	// DBias is the gradient with respect to Mask.Bias [n_q×n_k], equal to
	// the gradient dS of the scores. It is 0 at masked entries, and nil
	// when the mask has no bias.
	DBias *tensor.Matrix[T]
}

// Partition of Backward: blocks of backwardQueryBlock queries, dealt to
// backwardGroups groups. The partition depends only on the shapes, so the
// gradients are bit-identical for any GOMAXPROCS.
const (
	backwardQueryBlock = 64
	backwardGroups     = 4
)

// backwardParallelWork is the multiply-add count below which Backward runs
// on the calling goroutine, because starting goroutines would cost more.
const backwardParallelWork = manyMaxSerialWork

// Backward returns the gradients of a scalar loss with respect to Q, K, V
// and the bias, given dOut = ∂loss/∂Z [n_q×d_v], the forward pass's inputs
// and its attention weights A [n_q×n_k] (Result.Weights from Attend with
// KeepWeights). opts must be the options of the forward pass: the scale
// and the mask are taken from them.
//
// Backward returns an error if a shape does not fit, an input holds NaN or
// Inf, or a gradient overflows. It also rejects weights that are not a
// softmax under the mask: every entry must lie in [0, 1] and be 0 where
// masked, and each row must sum to 1, or to 0 when all its keys are masked.
func Backward[T Float](q, k, v, weights, dOut *tensor.Matrix[T], opts Options[T]) (Grads[T], error) {
	return backward(q, k, v, weights, dOut, opts, false)
}

// BackwardProblem is one problem of BackwardMany: the inputs of a forward
// pass, its attention weights and the gradient of its output.
type BackwardProblem[T Float] struct {
	Q, K, V *tensor.Matrix[T] // [n_q×d_k], [n_k×d_k], [n_k×d_v]
	Weights *tensor.Matrix[T] // A [n_q×n_k], Result.Weights
	DOut    *tensor.Matrix[T] // ∂loss/∂Z [n_q×d_v]
}

// BackwardMany computes Backward for several independent problems, such
// as the heads of a layer, and returns their gradients in order. Small
// problems run in parallel with each other, and large ones one at a time
// with their blocks in parallel. Either way every gradient is
// bit-identical to that of Backward and does not depend on GOMAXPROCS.
// The options apply to every problem.
func BackwardMany[T Float](problems []BackwardProblem[T], opts Options[T]) ([]Grads[T], error) {
	grads, i, err := backwardMany(problems, opts)
	if err != nil {
		return nil, fmt.Errorf("problem %d: %w", i, err)
	}
	return grads, nil
}

// backwardMany is BackwardMany, returning on failure the index of the
// first problem that failed and its error unwrapped.
func backwardMany[T Float](problems []BackwardProblem[T], opts Options[T]) ([]Grads[T], int, error) {
	grads := make([]Grads[T], len(problems))
	projs := make([]Projections[T], len(problems))
	for i, pr := range problems {
		projs[i] = Projections[T]{Q: pr.Q, K: pr.K, V: pr.V}
	}
	i, err := runProblems(len(problems), allSmall(projs), func(i int, serial bool) error {
		pr := problems[i]
		var err error
		grads[i], err = backward(pr.Q, pr.K, pr.V, pr.Weights, pr.DOut, opts, serial)
		return err
	})
	if err != nil {
		return nil, i, err
	}
	return grads, 0, nil
}

// backward is Backward; with serial set it runs on the calling goroutine,
// for callers that already run problems in parallel.
func backward[T Float](q, k, v, weights, dOut *tensor.Matrix[T], opts Options[T], serial bool) (Grads[T], error) {
	p, err := prepareBackward(q, k, v, weights, dOut, &opts)
	if err != nil {
		return Grads[T]{}, err
	}
	g := Grads[T]{
		DQ: tensor.New[T](p.nq, p.dk),
		DK: tensor.New[T](p.nk, p.dk),
		DV: tensor.New[T](p.nk, p.dv),
	}
	if opts.Mask.Bias != nil {
		g.DBias = tensor.New[T](p.nq, p.nk)
	}
	if p.nq == 0 || p.nk == 0 {
		return g, nil
	}

	// Vᵀ is packed once for the products dA = dZ·Vᵀ of every query block.
	vt := kernel.PackBT(p.nk, p.dv, v.Data, p.dv, getPacked[T]())
	defer putPacked(vt)

	// The blocks of queries are dealt round-robin to a fixed number of
	// groups. Each group adds its blocks' terms of dK and dV, in block
	// order, into partial sums of its own: group 0 into g.DK and g.DV,
	// the others into scratch. The partial sums are then added in group
	// order, so every gradient has the same summation order for any
	// GOMAXPROCS.
	blocks := (p.nq + backwardQueryBlock - 1) / backwardQueryBlock
	groups := min(backwardGroups, blocks)
	partSize := p.nk * (p.dk + p.dv)
	partBuf := getBackwardBuf[T]((groups - 1) * partSize)
	defer putBackwardBuf(partBuf)
	parts := *partBuf
	clear(parts)

	// Each block also checks its rows of the weights and of dQ and dBias.
	// Errors are kept per block, and the first in row order is returned,
	// so the message does not depend on scheduling.
	errs := make([]error, blocks)
	causal := opts.Mask.Causal
	runGroup := func(gr int) {
		dk, dv := g.DK.Data, g.DV.Data
		if gr > 0 {
			part := parts[(gr-1)*partSize : gr*partSize]
			dk, dv = part[:p.nk*p.dk], part[p.nk*p.dk:]
		}
		var scratch *[]T
		if g.DBias == nil {
			scratch = getBackwardBuf[T](backwardQueryBlock * p.nk)
			defer putBackwardBuf(scratch)
		}
		for b := gr; b < blocks; b += groups {
			lo := b * backwardQueryBlock
			hi := min(lo+backwardQueryBlock, p.nq)
			if err := checkWeightRows(p, weights, &opts.Mask, lo, hi); err != nil {
				errs[b] = err
				continue
			}
			// dS (unscaled) [rows×n_k] is written into dBias when the
			// mask has a bias, and into the group's scratch otherwise.
			var ds []T
			if g.DBias != nil {
				ds = g.DBias.Data[lo*p.nk : hi*p.nk]
			} else {
				ds = (*scratch)[:(hi-lo)*p.nk]
			}
			gradBlock(p, causal, lo, hi, q, k, vt, weights, dOut, ds, g.DQ, dk, dv)
			errs[b] = checkGradRows(&g, true, lo, hi)
		}
	}
	serial = serial || p.nq*p.nk*(p.dk+p.dv) < backwardParallelWork
	if serial {
		for gr := 0; gr < groups; gr++ {
			runGroup(gr)
		}
	} else {
		parallel.For(groups, 1, func(lo, hi int) {
			for gr := lo; gr < hi; gr++ {
				runGroup(gr)
			}
		})
	}
	if err := firstError(errs); err != nil {
		return Grads[T]{}, err
	}

	// dK = scale·Σ_groups dSᵀ·Q and dV = Σ_groups Aᵀ·dZ.
	for gr := 1; gr < groups; gr++ {
		part := parts[(gr-1)*partSize : gr*partSize]
		addSlice(g.DK.Data, part[:p.nk*p.dk])
		addSlice(g.DV.Data, part[p.nk*p.dk:])
	}
	scaleSlice(g.DK.Data, T(p.scale))
	if err := checkGradRows(&g, false, 0, p.nk); err != nil {
		return Grads[T]{}, err
	}
	return g, nil
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// gradBlock computes rows [lo, hi) of dS (unscaled, into ds with leading
// dimension n_k) and of dQ, given Vᵀ packed in vt, and adds the block's
// terms Aᵀ·dZ and dSᵀ·Q (unscaled) to the partial sums dv and dk. Under a
// causal mask the keys past the block's last visible one are skipped:
// their weights are 0, so their dS entries are set to 0 without any
// product, and they get no terms.
func gradBlock[T Float](p problem, causal bool, lo, hi int, q, k *tensor.Matrix[T], vt *kernel.PackedB[T], weights, dOut *tensor.Matrix[T], ds []T, dq *tensor.Matrix[T], dk, dv []T) {
	rows := hi - lo
	keys := p.nk
	if causal {
		keys = min(max(hi+p.nk-p.nq, 0), p.nk)
	}

	// dA = dZ·Vᵀ, written into dS.
	kernel.GemmRowsPacked(rows, p.dv, dOut.Data[lo*p.dv:], p.dv, vt, 0, 0, keys, ds, p.nk)

	// dS = A ⊙ (dA − rowsum(dA ⊙ A)), in place.
	for r := 0; r < rows; r++ {
		a := weights.Row(lo + r)[:keys]
		d := ds[r*p.nk : r*p.nk+keys]
		softmaxGradRow(a, d)
		clear(ds[r*p.nk+keys : (r+1)*p.nk])
	}

	// dQ = scale·dS·K.
	dqBlock := dq.Data[lo*p.dk : hi*p.dk]
	kernel.GemmNN(rows, p.dk, keys, ds, p.nk, k.Data, p.dk, dqBlock, p.dk)
	scaleSlice(dqBlock, T(p.scale))

	// The block's terms of dV = Aᵀ·dZ and dK = dSᵀ·Q.
	kernel.GemmTNAcc(keys, p.dv, rows, weights.Data[lo*p.nk:], p.nk, dOut.Data[lo*p.dv:], p.dv, dv, p.dv)
	kernel.GemmTNAcc(keys, p.dk, rows, ds, p.nk, q.Data[lo*p.dk:], p.dk, dk, p.dk)
}

// addSlice adds src to dst element by element.
func addSlice[T Float](dst, src []T) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

// Scratch for dS, reused across calls.
var backwardPool32, backwardPool64 sync.Pool

// getBackwardBuf returns a slice of n elements with arbitrary contents.
func getBackwardBuf[T Float](n int) *[]T {
	pool := backwardPoolFor[T]()
	if v, ok := pool.Get().(*[]T); ok && cap(*v) >= n {
		*v = (*v)[:n]
		return v
	}
	s := make([]T, n)
	return &s
}

// putBackwardBuf makes buf available to getBackwardBuf; the caller must
// not use it afterwards.
func putBackwardBuf[T Float](buf *[]T) {
	backwardPoolFor[T]().Put(buf)
}

func backwardPoolFor[T Float]() *sync.Pool {
	var z T
	if _, ok := any(z).(float32); ok {
		return &backwardPool32
	}
	return &backwardPool64
}

// softmaxGradRow overwrites d = dA with dS = a ⊙ (dA − a·dA) for one row
// of weights a.
func softmaxGradRow[T Float](a, d []T) {
	dot := kernel.Dot(a, d)
	d = d[:len(a)]
	i := 0
	for ; i+4 <= len(a); i += 4 {
		d0, d1, d2, d3 := d[i]-dot, d[i+1]-dot, d[i+2]-dot, d[i+3]-dot
		d[i], d[i+1], d[i+2], d[i+3] = a[i]*d0, a[i+1]*d1, a[i+2]*d2, a[i+3]*d3
	}
	for ; i < len(a); i++ {
		d[i] = a[i] * (d[i] - dot)
	}
}

func scaleSlice[T Float](x []T, s T) {
	i := 0
	for ; i+4 <= len(x); i += 4 {
		x[i], x[i+1], x[i+2], x[i+3] = x[i]*s, x[i+1]*s, x[i+2]*s, x[i+3]*s
	}
	for ; i < len(x); i++ {
		x[i] *= s
	}
}

// prepareBackward validates the shapes and values of the arguments of
// Backward and BackwardReference, except the weights, which checkWeightRows
// checks block by block. It resolves the scale the way Attend does.
func prepareBackward[T Float](q, k, v, weights, dOut *tensor.Matrix[T], opts *Options[T]) (problem, error) {
	p, err := prepare(q, k, v, opts)
	if err != nil {
		return problem{}, err
	}
	if weights == nil {
		return problem{}, fmt.Errorf("attention: backward needs the attention weights A; run Attend with KeepWeights")
	}
	if dOut == nil {
		return problem{}, fmt.Errorf("attention: backward needs the output gradient dOut")
	}
	if weights.Rows != p.nq || weights.Cols != p.nk {
		return problem{}, fmt.Errorf("attention: weights %v do not match Q %v and K %v; want [%d×%d] (n_q×n_k)", weights.Shape(), q.Shape(), k.Shape(), p.nq, p.nk)
	}
	if dOut.Rows != p.nq || dOut.Cols != p.dv {
		return problem{}, fmt.Errorf("attention: dOut %v does not match the output of Q %v and V %v; want [%d×%d] (n_q×d_v)", dOut.Shape(), q.Shape(), v.Shape(), p.nq, p.dv)
	}
	if err := tensor.CheckFinite("attention: dOut", dOut); err != nil {
		return problem{}, err
	}
	return p, nil
}

// Tolerances on the row sums of the weights given to Backward. Rounding in
// a softmax of n entries moves the sum by at most about n·ε, so even in the
// worst case these accept rows of about 10⁴ (float32) and 10⁷ (float64)
// keys. Any matrix that is not a softmax, such as the scores, fails.
const (
	weightSumTol32 = 1e-3
	weightSumTol64 = 1e-9
)

// checkWeightRows checks that rows [lo, hi) of weights are a row-softmax
// that agrees with mask.
func checkWeightRows[T Float](p problem, weights *tensor.Matrix[T], mask *Mask[T], lo, hi int) error {
	tol := weightSumTol64
	var zero T
	if _, ok := any(zero).(float32); ok {
		tol = weightSumTol32
	}
	for i := lo; i < hi; i++ {
		row := weights.Row(i)

		// Mask.allowed for this row, with the per-entry work hoisted.
		visible := p.nk
		if mask.Causal {
			visible = min(max(i+1+p.nk-p.nq, 0), p.nk)
		}
		var allowRow []bool
		if mask.Allow != nil {
			allowRow = mask.Allow[i*p.nk : (i+1)*p.nk]
		}
		var biasRow []T
		if mask.Bias != nil {
			biasRow = mask.Bias.Row(i)
		}

		// Without Allow or Bias the visible entries form a prefix of the
		// row, which sumUnitInterval checks without per-entry mask tests.
		if allowRow == nil && biasRow == nil {
			sum, bad := sumUnitInterval(row[:visible])
			if bad >= 0 {
				return fmt.Errorf("attention: weights have %v at row %d, column %d; attention weights lie in [0, 1], so pass Result.Weights, not the scores", row[bad], i, bad)
			}
			for j := visible; j < p.nk; j++ {
				if row[j] != 0 {
					return fmt.Errorf("attention: weights have %v at row %d, column %d, which the mask excludes; pass the mask of the forward pass", row[j], i, j)
				}
			}
			if err := checkRowSum(i, sum, visible > 0, tol); err != nil {
				return err
			}
			continue
		}

		sum := 0.0
		open := false
		for j, a := range row {
			if !(a >= 0 && a <= 1) {
				return fmt.Errorf("attention: weights have %v at row %d, column %d; attention weights lie in [0, 1], so pass Result.Weights, not the scores", a, i, j)
			}
			masked := j >= visible ||
				(allowRow != nil && !allowRow[j]) ||
				(biasRow != nil && math.IsInf(float64(biasRow[j]), -1))
			if masked {
				if a != 0 {
					return fmt.Errorf("attention: weights have %v at row %d, column %d, which the mask excludes; pass the mask of the forward pass", a, i, j)
				}
				continue
			}
			open = true
			sum += float64(a)
		}

		if err := checkRowSum(i, sum, open, tol); err != nil {
			return err
		}
	}
	return nil
}

// checkRowSum checks that row i of the weights sums to 1 within tol, or
// to 0 when the row has no unmasked key (open false).
func checkRowSum(i int, sum float64, open bool, tol float64) error {
	want := 0.0
	if open {
		want = 1
	}
	if math.Abs(sum-want) > tol {
		return fmt.Errorf("attention: weights row %d sums to %v, want %v; pass Result.Weights from Attend with the same mask", i, sum, want)
	}
	return nil
}

// sumUnitInterval returns the sum of x in float64 and the index of the
// first element outside [0, 1] (NaN included), or -1 if there is none.
// Four partial sums keep the additions from waiting on each other.
func sumUnitInterval[T Float](x []T) (float64, int) {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		a0, a1, a2, a3 := x[i], x[i+1], x[i+2], x[i+3]
		if !(a0 >= 0 && a0 <= 1 && a1 >= 0 && a1 <= 1 && a2 >= 0 && a2 <= 1 && a3 >= 0 && a3 <= 1) {
			break
		}
		s0 += float64(a0)
		s1 += float64(a1)
		s2 += float64(a2)
		s3 += float64(a3)
	}
	for ; i < len(x); i++ {
		if !(x[i] >= 0 && x[i] <= 1) {
			return 0, i
		}
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3), -1
}

// checkGradRows returns an error naming the first non-finite entry in rows
// [lo, hi) of the query-side gradients dQ and dBias (queries true) or of
// the key-side gradients dK and dV. Finite inputs can still overflow in the
// products.
func checkGradRows[T Float](g *Grads[T], queries bool, lo, hi int) error {
	var grads []namedMatrix[T]
	if queries {
		if g.DBias != nil {
			grads = append(grads, namedMatrix[T]{"dBias", g.DBias})
		}
		grads = append(grads, namedMatrix[T]{"dQ", g.DQ})
	} else {
		grads = append(grads, namedMatrix[T]{"dK", g.DK}, namedMatrix[T]{"dV", g.DV})
	}
	for _, gr := range grads {
		if err := checkFiniteRows(gr.name, gr.m, lo, hi); err != nil {
			return err
		}
	}
	return nil
}

// namedMatrix pairs a matrix with its name in error messages.
type namedMatrix[T Float] struct {
	name string
	m    *tensor.Matrix[T]
}

// checkFiniteGrad returns an error naming the first non-finite entry of
// the gradient m.
func checkFiniteGrad[T Float](name string, m *tensor.Matrix[T]) error {
	return checkFiniteRows(name, m, 0, m.Rows)
}

// checkFiniteRows returns an error naming the first non-finite entry in
// rows [lo, hi) of the gradient m.
func checkFiniteRows[T Float](name string, m *tensor.Matrix[T], lo, hi int) error {
	if allFinite(m.Data[lo*m.Cols : hi*m.Cols]) {
		return nil
	}
	for idx, x := range m.Data[lo*m.Cols : hi*m.Cols] {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			idx += lo * m.Cols
			return fmt.Errorf("attention: gradient %s %v overflows to %v at row %d, column %d; rescale dOut or the inputs", name, m.Shape(), f, idx/m.Cols, idx%m.Cols)
		}
	}
	return nil
}
