package attention

import (
	"fmt"
	"math"

	"qkv/internal/kernel"
	"qkv/internal/parallel"
	"qkv/tensor"
)

// Float is the element type: float32 or float64.
type Float = tensor.Float

// Mask selects which keys each query may attend to. The zero Mask allows
// every key. When several parts are set, an entry is masked if any part
// masks it.
type Mask[T Float] struct {
	// Causal lets query i attend to key j only when j ≤ i + (n_k − n_q):
	// the queries are aligned with the last n_q keys, as when the queries
	// are the newest tokens of a sequence whose keys include earlier ones.
	// For n_q = n_k this is the usual lower-triangular mask; for n_q > n_k
	// the first n_q − n_k queries see no key and get zero rows.
	Causal bool

	// Allow, when non-nil, is an n_q·n_k row-major slice in which true
	// means "query i may attend to key j".
	Allow []bool

	// Bias, when non-nil, is an [n_q×n_k] matrix added to the scaled
	// scores before the softmax. -Inf entries are masked.
	Bias *tensor.Matrix[T]
}

// Options configures Attend.
type Options[T Float] struct {
	// Scale multiplies Q·Kᵀ. Zero selects the default 1/√d_k.
	Scale float64

	Mask Mask[T]

	// KeepScores and KeepWeights ask for S and A in the Result. A caller
	// that leaves both false gets only Z from the streaming forward, which
	// never stores the n_q×n_k matrices: it walks the keys in blocks with
	// an online softmax, in scratch memory of a few blocks per goroutine.
	KeepScores  bool
	KeepWeights bool
}

// Result holds the outputs of Attend.
type Result[T Float] struct {
	// Scores is S = Q·Kᵀ·scale + bias [n_q×n_k], with -Inf at masked
	// entries; nil unless Options.KeepScores.
	Scores *tensor.Matrix[T]
	// Weights is A = row-softmax(S) [n_q×n_k], 0 at masked entries and in
	// fully masked rows; nil unless Options.KeepWeights.
	Weights *tensor.Matrix[T]
	// Output is Z = A·V [n_q×d_v].
	Output *tensor.Matrix[T]
}

// queryBlock is the number of query rows computed together: their scores
// fit a scratch block of queryBlock×n_k elements. The partition of rows
// into blocks is fixed, so it does not change results.
const queryBlock = 32

// Attend computes scaled dot-product attention Z = softmax(Q·Kᵀ·scale)·V
// for Q [n_q×d_k], K [n_k×d_k] and V [n_k×d_v]. It returns an error if the
// shapes do not fit, an input holds NaN or Inf, or a score overflows.
//
// Without KeepScores and KeepWeights, and when no score can overflow
// (see scoreBound), it runs the streaming forward of stream.go. Otherwise
// it computes blocks of queryBlock rows of S and A in full.
func Attend[T Float](q, k, v *tensor.Matrix[T], opts Options[T]) (Result[T], error) {
	return attend(q, k, v, opts, false)
}

// attend is Attend; with serial set the materialising path runs on the
// calling goroutine, for callers that already run problems in parallel.
func attend[T Float](q, k, v *tensor.Matrix[T], opts Options[T], serial bool) (Result[T], error) {
	p, err := prepareForward(q, k, v, &opts)
	if err != nil {
		return Result[T]{}, err
	}

	res := Result[T]{Output: tensor.New[T](p.nq, p.dv)}
	if !opts.KeepScores && !opts.KeepWeights && p.safe {
		attendStream(p, q, k, v, &opts.Mask, res.Output)
		return res, nil
	}

	if opts.KeepScores {
		res.Scores = tensor.New[T](p.nq, p.nk)
	}
	if opts.KeepWeights {
		res.Weights = tensor.New[T](p.nq, p.nk)
	}
	if p.nq == 0 {
		return res, nil
	}

	// scale·Kᵀ and V are packed once for all blocks of queries.
	ops := blockOperands[T]{
		k: kernel.PackBTScaled(p.nk, p.dk, k.Data, p.dk, T(p.scale), getPacked[T]()),
		v: kernel.PackB(p.nk, p.dv, v.Data, p.dv, getPacked[T]()),
	}
	defer putPacked(ops.k)
	defer putPacked(ops.v)
	errs := make([]error, (p.nq+queryBlock-1)/queryBlock)
	work := p.nq * p.nk * (p.dk + p.dv)
	grain := queryBlock
	run := func(lo, hi int) {
		// Each goroutine handles whole blocks; a block never straddles two
		// calls because lo and hi are multiples of queryBlock (or nq).
		local := ops
		if res.Weights == nil {
			local.scratch = make([]T, queryBlock*p.nk)
		}
		for b := lo; b < hi; b += queryBlock {
			errs[b/queryBlock] = computeBlock(p, b, min(b+queryBlock, hi), q, &local, &opts, &res)
		}
	}
	if serial || work <= manyMaxSerialWork {
		run(0, p.nq)
	} else {
		parallel.For(p.nq, grain, run)
	}
	for _, err := range errs {
		if err != nil {
			return Result[T]{}, err
		}
	}
	return res, nil
}

// problem holds the validated dimensions of one attention call.
type problem struct {
	nq, nk, dk, dv int
	scale          float64

	// safe records that no score can overflow (see scoreBound), so the
	// softmax may skip its per-score check.
	safe bool
}

// prepare validates shapes, masks and values and resolves the scale.
func prepare[T Float](q, k, v *tensor.Matrix[T], opts *Options[T]) (problem, error) {
	p, err := prepareShapes(q, k, v, opts)
	if err != nil {
		return problem{}, err
	}
	return p, checkInputs(q, k, v)
}

// prepareForward is prepare for the forward passes, which also need to
// know whether a score can overflow (problem.safe). The squared norms
// behind that bound are finite only if Q and K are, so Q and K are searched
// for non-finite elements only when a norm is not finite.
func prepareForward[T Float](q, k, v *tensor.Matrix[T], opts *Options[T]) (problem, error) {
	p, err := prepareShapes(q, k, v, opts)
	if err != nil {
		return problem{}, err
	}
	bound := scoreBound(p, q, k, &opts.Mask)
	if math.IsNaN(bound) || math.IsInf(bound, 0) {
		if err := checkInputs(q, k, v); err != nil {
			return problem{}, err
		}
	} else if err := checkFinite("attention: V", v); err != nil {
		return problem{}, err
	}
	p.safe = boundIsSafe[T](bound)
	return p, nil
}

// checkInputs reports the first non-finite element of Q, K or V.
func checkInputs[T Float](q, k, v *tensor.Matrix[T]) error {
	for _, in := range []struct {
		name string
		m    *tensor.Matrix[T]
	}{{"Q", q}, {"K", k}, {"V", v}} {
		if err := checkFinite("attention: "+in.name, in.m); err != nil {
			return err
		}
	}
	return nil
}

// prepareShapes validates shapes and masks and resolves the scale.
func prepareShapes[T Float](q, k, v *tensor.Matrix[T], opts *Options[T]) (problem, error) {
	if q == nil || k == nil || v == nil {
		return problem{}, fmt.Errorf("attention: Q, K and V must all be non-nil")
	}
	if q.Cols != k.Cols {
		return problem{}, fmt.Errorf("attention: Q %v and K %v must have the same number of columns (d_k)", q.Shape(), k.Shape())
	}
	if k.Rows != v.Rows {
		return problem{}, fmt.Errorf("attention: K %v and V %v must have the same number of rows (n_k)", k.Shape(), v.Shape())
	}
	p := problem{nq: q.Rows, nk: k.Rows, dk: q.Cols, dv: v.Cols, scale: opts.Scale}
	if p.scale == 0 {
		if p.dk == 0 {
			p.scale = 1
		} else {
			p.scale = 1 / math.Sqrt(float64(p.dk))
		}
	}
	if math.IsNaN(p.scale) || math.IsInf(p.scale, 0) {
		return problem{}, fmt.Errorf("attention: scale %v is not a finite number", p.scale)
	}
	if err := checkMask(&opts.Mask, p.nq, p.nk); err != nil {
		return problem{}, err
	}
	return p, nil
}

// checkFinite is tensor.CheckFinite with a fast path for the usual case:
// only when allFinite fails does it search element by element for the
// message.
func checkFinite[T Float](name string, m *tensor.Matrix[T]) error {
	if allFinite(m.Data) {
		return nil
	}
	return tensor.CheckFinite(name, m)
}

// allFinite reports whether every element of d is finite: x·0 is ±0 for
// finite x and NaN otherwise, so four running sums of x·0 stay zero
// exactly when every element is finite.
func allFinite[T Float](d []T) bool {
	var s0, s1, s2, s3 T
	i := 0
	for ; i+4 <= len(d); i += 4 {
		s0 += d[i] * 0
		s1 += d[i+1] * 0
		s2 += d[i+2] * 0
		s3 += d[i+3] * 0
	}
	for ; i < len(d); i++ {
		s0 += d[i] * 0
	}
	return (s0+s1)+(s2+s3) == 0
}

func checkMask[T Float](m *Mask[T], nq, nk int) error {
	if m.Allow != nil && len(m.Allow) != nq*nk {
		return fmt.Errorf("attention: mask has %d entries, want n_q·n_k = %d·%d = %d", len(m.Allow), nq, nk, nq*nk)
	}
	if m.Bias != nil {
		if m.Bias.Rows != nq || m.Bias.Cols != nk {
			return fmt.Errorf("attention: bias %v does not match the scores [%d×%d] (n_q×n_k)", m.Bias.Shape(), nq, nk)
		}
		for idx, b := range m.Bias.Data {
			f := float64(b)
			if math.IsNaN(f) || math.IsInf(f, 1) {
				return fmt.Errorf("attention: bias has %v at row %d, column %d; use -Inf to mask an entry, finite values otherwise", f, idx/nk, idx%nk)
			}
		}
	}
	return nil
}

// allowed reports whether query i may attend to key j.
func (m *Mask[T]) allowed(i, j, nq, nk int) bool {
	if m.Causal && j > i+nk-nq {
		return false
	}
	if m.Allow != nil && !m.Allow[i*nk+j] {
		return false
	}
	if m.Bias != nil && math.IsInf(float64(m.Bias.Data[i*nk+j]), -1) {
		return false
	}
	return true
}

// computeBlock computes query rows [lo, hi) of S, A and Z.
func computeBlock[T Float](p problem, lo, hi int, q *tensor.Matrix[T], ops *blockOperands[T], opts *Options[T], res *Result[T]) error {
	rows := hi - lo
	// The scores become the weights in place: in A itself when it is kept.
	var s []T
	if res.Weights != nil {
		s = res.Weights.Data[lo*p.nk : hi*p.nk]
	} else {
		s = ops.scratch[:rows*p.nk]
	}

	// Scores: S = Q·(scale·K)ᵀ for this block of queries.
	kernel.GemmRowsPacked(rows, p.dk, q.Data[lo*p.dk:], p.dk, ops.k, 0, 0, p.nk, s, p.nk)

	for r := 0; r < rows; r++ {
		i := lo + r
		row := s[r*p.nk : (r+1)*p.nk]
		if err := softmaxRow(p, i, row, &opts.Mask, res.Scores); err != nil {
			return err
		}
	}

	// Output: Z = A·V for this block, added to the zero rows of Z.
	kernel.GemmRowsPackedAcc(rows, p.nk, s, p.nk, ops.v, 0, res.Output.Data[lo*p.dv:], p.dv)
	return nil
}

// blockOperands holds the packed operands of the materialising forward,
// Kᵀ and V, shared by all goroutines, and the scores owned by one.
type blockOperands[T Float] struct {
	k, v    *kernel.PackedB[T]
	scratch []T // scores, then weights [queryBlock×n_k], when A is not kept
}

// softmaxRow turns row, the raw scores q_i·Kᵀ of query i, into attention
// weights in place, storing the scaled and masked scores in scores (if
// non-nil) on the way.
func softmaxRow[T Float](p problem, i int, row []T, mask *Mask[T], scores *tensor.Matrix[T]) error {
	if !p.safe {
		return softmaxRowChecked(p, i, row, mask, scores)
	}
	negInf := T(math.Inf(-1))

	// Bias and mask; the scale is already folded into the packed Kᵀ. No
	// score can overflow, so none is checked.
	if mask.Bias != nil {
		for j, b := range mask.Bias.Data[i*p.nk : (i+1)*p.nk] {
			row[j] += b
		}
	}
	if mask.Allow != nil {
		for j, ok := range mask.Allow[i*p.nk : (i+1)*p.nk] {
			if !ok {
				row[j] = negInf
			}
		}
	}
	if mask.Causal {
		for j := max(0, i+p.nk-p.nq+1); j < len(row); j++ {
			row[j] = negInf
		}
	}
	if scores != nil {
		copy(scores.Row(i), row)
	}
	return normaliseRow(row)
}

// normaliseRow replaces the scaled, masked scores in row by their softmax.
// Masked entries, at -Inf, become exactly 0; a fully masked row becomes
// zeros.
func normaliseRow[T Float](row []T) error {
	maxV := kernel.Max(row)
	if math.IsInf(float64(maxV), -1) {
		clear(row)
		return nil
	}
	sum := kernel.ExpShiftSum(row, maxV)
	scaleSlice(row, 1/sum)
	return nil
}

// softmaxRowChecked is softmaxRow for problems whose scores might
// overflow: it checks every unmasked score and reports the first that is
// not finite.
func softmaxRowChecked[T Float](p problem, i int, row []T, mask *Mask[T], scores *tensor.Matrix[T]) error {
	negInf := T(math.Inf(-1))
	for j := range row {
		if !mask.allowed(i, j, p.nq, p.nk) {
			row[j] = negInf
			continue
		}
		x := row[j]
		if mask.Bias != nil {
			x += mask.Bias.Data[i*p.nk+j]
		}
		if err := checkScore(i, j, float64(x)); err != nil {
			return err
		}
		row[j] = x
	}
	if scores != nil {
		copy(scores.Row(i), row)
	}
	return normaliseRow(row)
}

// checkScore rejects a score that overflowed although its inputs were
// finite.
func checkScore(i, j int, x float64) error {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return fmt.Errorf("attention: score of query %d and key %d overflows to %v; rescale Q, K or the bias", i, j, x)
	}
	return nil
}
