package attention

import (
	"fmt"
	"math"
	"sync"
	"unsafe"

	"qkv/internal/kernel"
	"qkv/internal/parallel"
	"qkv/tensor"
)

// Block sizes of the streaming forward. A work item is a block of at most
// streamQueryRows queries, and it walks the keys streamKeyCols at a time.
// Its scratch is therefore one block of scores of at most 128×256 (128 KiB
// in float32) however long the sequence is. streamKeyCols is a multiple of
// every register tile of package kernel.
const (
	streamQueryRows = 128
	streamKeyCols   = 256
)

// streamMinItems is the number of work items below which the query blocks
// are halved (down to 32 rows), so that small problems still keep two
// threads busy. The rows of a block do not interact, so the block size
// changes no result.
const streamMinItems = 8

// streamMinWork is the multiply-add count of a whole call below which the
// streaming forward runs on the calling goroutine: starting goroutines
// costs more than they save. At n = 128, d = 64 (2²¹ multiply-adds) one
// goroutine took about two thirds of the wall and CPU time of two on the
// 2-core machine of docs/benchmarks.md.
const streamMinWork = 1 << 22

// streamJob is one attention problem prepared for the streaming forward.
type streamJob[T Float] struct {
	p         problem
	q, v      *tensor.Matrix[T] // Q [n_q×d_k], V [n_k×d_v]
	mask      *Mask[T]
	queryRows int // rows per block of queries

	kPacked *kernel.PackedB[T] // scale·Kᵀ [d_k×n_k], packed
	out     *tensor.Matrix[T]  // Z [n_q×d_v]
}

func (j *streamJob[T]) blocks() int { return (j.p.nq + j.queryRows - 1) / j.queryRows }

// streamScratch is the per-goroutine working memory of one query block.
type streamScratch[T Float] struct {
	s    []T // scores, then weights [rows×streamKeyCols]
	o    []T // unnormalised output [rows×d_v]
	m, l []T // running row maximum and row sum of exp(s − m)
}

// AttendMany computes Attend for several independent problems, such as
// the heads of a layer or the entries of a batch, and returns their
// results in order. The work is split over (problem, block of queries)
// pairs with a fixed partition, so results are bit-identical for any
// GOMAXPROCS and equal to those of Attend one problem at a time. The
// options apply to every problem.
func AttendMany[T Float](problems []Projections[T], opts Options[T]) ([]Result[T], error) {
	results, i, err := attendMany(problems, opts)
	if err != nil {
		return nil, fmt.Errorf("problem %d: %w", i, err)
	}
	return results, nil
}

// attendMany is AttendMany, returning on failure the index of the first
// problem that failed and its error unwrapped.
func attendMany[T Float](problems []Projections[T], opts Options[T]) ([]Result[T], int, error) {
	results := make([]Result[T], len(problems))
	if opts.KeepScores || opts.KeepWeights {
		return attendManyMaterialise(problems, opts, results)
	}

	jobs := make([]*streamJob[T], len(problems))
	for i, pr := range problems {
		o := opts
		p, err := prepareForward(pr.Q, pr.K, pr.V, &o)
		if err != nil {
			return nil, i, err
		}
		results[i].Output = tensor.New[T](p.nq, p.dv)
		if !p.safe {
			// Scores could overflow: the materialising path checks each.
			r, err := Attend(pr.Q, pr.K, pr.V, o)
			if err != nil {
				return nil, i, err
			}
			results[i] = r
			continue
		}
		jobs[i] = &streamJob[T]{p: p, q: pr.Q, v: pr.V, mask: &o.Mask, out: results[i].Output}
	}
	ks := make([]*tensor.Matrix[T], len(problems))
	for i, pr := range problems {
		ks[i] = pr.K
	}
	runStreamJobs(jobs, ks)
	return results, 0, nil
}

// manyMaxSerialWork is the multiply-add count n_q·n_k·(d_k + d_v) of a
// problem up to which AttendMany and BackwardMany run several problems in
// parallel, each on one goroutine, rather than one problem at a time with
// its own blocks in parallel. Small problems then pay for goroutines once
// per call instead of once per problem.
const manyMaxSerialWork = 1 << 22

// attendManyMaterialise is AttendMany for options that keep A or S.
// Errors are kept per problem and the first in problem order is returned,
// so the message does not depend on scheduling.
func attendManyMaterialise[T Float](problems []Projections[T], opts Options[T], results []Result[T]) ([]Result[T], int, error) {
	i, err := runProblems(len(problems), allSmall(problems), func(i int, serial bool) error {
		pr := problems[i]
		var err error
		results[i], err = attend(pr.Q, pr.K, pr.V, opts, serial)
		return err
	})
	if err != nil {
		return nil, i, err
	}
	return results, 0, nil
}

// runProblems calls one(i, serial) for each of n independent problems.
// When several problems are all small it runs them in parallel with each
// other, one goroutine per problem (serial = true, so a problem does not
// start goroutines of its own); otherwise it runs them one at a time and
// lets each parallelise its own blocks. It returns the index and error of
// the first problem that failed, in problem order.
func runProblems(n int, small bool, one func(i int, serial bool) error) (int, error) {
	errs := make([]error, n)
	if n > 1 && small {
		parallel.For(n, 1, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				errs[i] = one(i, true)
			}
		})
	} else {
		for i := 0; i < n; i++ {
			if errs[i] = one(i, false); errs[i] != nil {
				break
			}
		}
	}
	for i, err := range errs {
		if err != nil {
			return i, err
		}
	}
	return 0, nil
}

// allSmall reports whether every problem's multiply-add count is at most
// manyMaxSerialWork. Problems with a nil matrix count as small: attend
// rejects them.
func allSmall[T Float](problems []Projections[T]) bool {
	for _, pr := range problems {
		if pr.Q == nil || pr.K == nil || pr.V == nil {
			continue
		}
		if pr.Q.Rows*pr.K.Rows*(pr.Q.Cols+pr.V.Cols) > manyMaxSerialWork {
			return false
		}
	}
	return true
}

// attendStream computes Z for one problem whose scores cannot overflow.
func attendStream[T Float](p problem, q, k, v *tensor.Matrix[T], mask *Mask[T], out *tensor.Matrix[T]) {
	job := &streamJob[T]{p: p, q: q, v: v, mask: mask, out: out}
	runStreamJobs([]*streamJob[T]{job}, []*tensor.Matrix[T]{k})
}

// runStreamJobs packs each job's K, then runs every (job, query block)
// pair. Nil jobs are skipped.
func runStreamJobs[T Float](jobs []*streamJob[T], ks []*tensor.Matrix[T]) {
	// The largest block size that still gives streamMinItems work items.
	queryRows := streamQueryRows
	for ; queryRows > 32; queryRows /= 2 {
		blocks := 0
		for _, j := range jobs {
			if j != nil {
				blocks += (j.p.nq + queryRows - 1) / queryRows
			}
		}
		if blocks >= streamMinItems {
			break
		}
	}

	type item struct{ job, block int }
	var items []item
	work := 0
	for i, j := range jobs {
		if j != nil {
			j.queryRows = queryRows
		}
		if j == nil || j.p.nq == 0 {
			continue
		}
		for b := 0; b < j.blocks(); b++ {
			items = append(items, item{i, b})
		}
		work += j.p.nq * j.p.nk * (j.p.dk + j.p.dv)
	}
	if len(items) == 0 {
		return
	}
	defer func() {
		for _, j := range jobs {
			if j != nil {
				putPacked(j.kPacked)
				j.kPacked = nil
			}
		}
	}()

	pack := func(i int) {
		if j := jobs[i]; j != nil && j.p.nq > 0 {
			j.kPacked = kernel.PackBTScaled(j.p.nk, j.p.dk, ks[i].Data, j.p.dk, T(j.p.scale), getPacked[T]())
		}
	}
	run := func(lo, hi int) {
		ws := getScratch[T]()
		defer putScratch(ws)
		for _, it := range items[lo:hi] {
			jobs[it.job].runBlock(it.block, ws)
		}
	}
	if work < streamMinWork {
		for i := range jobs {
			pack(i)
		}
		run(0, len(items))
		return
	}
	parallel.For(len(jobs), 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			pack(i)
		}
	})
	parallel.For(len(items), 1, run)
}

// runBlock computes output rows [b·j.queryRows, …) of the job with the
// online softmax: for each block of keys it updates the running maximum
// m_i, the running sum l_i = Σ_j exp(s_ij − m_i) and the unnormalised
// output o_i = Σ_j exp(s_ij − m_i)·v_j, rescaling l_i and o_i by
// exp(m_old − m_new) whenever the maximum grows. Z = o_i / l_i at the end.
func (j *streamJob[T]) runBlock(b int, ws *streamScratch[T]) {
	p := j.p
	lo := b * j.queryRows
	hi := min(lo+j.queryRows, p.nq)
	rows := hi - lo
	ws.size(rows, p.dv)

	negInf := T(math.Inf(-1))
	for r := 0; r < rows; r++ {
		ws.m[r] = negInf
		ws.l[r] = 0
	}
	clear(ws.o)

	// With a causal mask, query i may attend to keys j ≤ i + n_k − n_q.
	// Keys past the limit of the block's last row are skipped whole.
	keyEnd := p.nk
	if j.mask.Causal {
		keyEnd = max(0, min(p.nk, hi-1+p.nk-p.nq+1))
	}
	for k0 := 0; k0 < keyEnd; k0 += streamKeyCols {
		k1 := min(k0+streamKeyCols, keyEnd)
		j.keyBlock(ws, lo, rows, k0, k1)
	}

	// Normalise; a row with no visible key stays zero.
	for r := 0; r < rows; r++ {
		out := j.out.Data[(lo+r)*p.dv : (lo+r+1)*p.dv]
		if ws.l[r] == 0 {
			clear(out)
			continue
		}
		inv := 1 / ws.l[r]
		for c, x := range ws.o[r*p.dv : (r+1)*p.dv] {
			out[c] = x * inv
		}
	}
}

// keyBlock folds keys [k0, k1) into the running softmax of the block's
// rows.
func (j *streamJob[T]) keyBlock(ws *streamScratch[T], lo, rows, k0, k1 int) {
	p := j.p
	cols := k1 - k0
	ld := streamKeyCols

	// Scores S = Q·(scale·K)ᵀ for this block of keys.
	kernel.GemmRowsPacked(rows, p.dk, j.q.Data[lo*p.dk:], p.dk, j.kPacked, 0, k0, k1, ws.s, ld)

	negInf := T(math.Inf(-1))
	for r := 0; r < rows; r++ {
		i := lo + r
		row := ws.s[r*ld : r*ld+cols]
		j.applyMask(i, k0, row)

		// Online softmax update of row r.
		rowMax := kernel.Max(row)
		if rowMax == negInf {
			clear(row) // no visible key in this block
			continue
		}
		mNew := max(ws.m[r], rowMax)
		sum := kernel.ExpShiftSum(row, mNew)
		if ws.m[r] != mNew && ws.l[r] != 0 {
			alpha := T(math.Exp(float64(ws.m[r] - mNew)))
			ws.l[r] *= alpha
			o := ws.o[r*p.dv : (r+1)*p.dv]
			for c := range o {
				o[c] *= alpha
			}
		}
		ws.m[r] = mNew
		ws.l[r] += sum
	}

	// O += P·V for this block of keys.
	kernel.GemmNNAcc(rows, p.dv, cols, ws.s, ld, j.v.Data[k0*p.dv:], p.dv, ws.o, p.dv)
}

// applyMask adds the bias and sets masked entries of row, the scores of
// query i against keys k0, k0+1, …, to -Inf.
func (j *streamJob[T]) applyMask(i, k0 int, row []T) {
	p, m := j.p, j.mask
	negInf := T(math.Inf(-1))
	if m.Bias != nil {
		bias := m.Bias.Data[i*p.nk+k0:][:len(row)]
		for c, b := range bias {
			row[c] += b
		}
	}
	if m.Allow != nil {
		allow := m.Allow[i*p.nk+k0:][:len(row)]
		for c, ok := range allow {
			if !ok {
				row[c] = negInf
			}
		}
	}
	if m.Causal {
		// Keys past i + n_k − n_q are masked.
		first := max(0, i+p.nk-p.nq+1-k0)
		for c := first; c < len(row); c++ {
			row[c] = negInf
		}
	}
}

// scoreBound returns an upper bound of |s_ij| over the problem: by the
// Cauchy–Schwarz inequality |s_ij| ≤ scale·‖q_i‖·‖k_j‖ + |bias_ij|. The
// squared norms are summed in T, four lanes at a time, so the result is
// NaN or +Inf when Q or K holds a non-finite element, and +Inf as well
// when a squared norm overflows.
func scoreBound[T Float](p problem, q, k *tensor.Matrix[T], mask *Mask[T]) float64 {
	maxNorm := func(m *tensor.Matrix[T], rows, cols int) float64 {
		var best T
		for i := 0; i < rows; i++ {
			row := m.Data[i*cols : (i+1)*cols]
			var s0, s1, s2, s3 T
			c := 0
			for ; c+4 <= len(row); c += 4 {
				s0 += row[c] * row[c]
				s1 += row[c+1] * row[c+1]
				s2 += row[c+2] * row[c+2]
				s3 += row[c+3] * row[c+3]
			}
			for ; c < len(row); c++ {
				s0 += row[c] * row[c]
			}
			s := (s0 + s1) + (s2 + s3)
			if s != s { // NaN: max would drop it
				return math.NaN()
			}
			best = max(best, s)
		}
		return math.Sqrt(float64(best))
	}
	bound := math.Abs(p.scale) * maxNorm(q, p.nq, p.dk) * maxNorm(k, p.nk, p.dk)
	if mask.Bias != nil {
		maxBias := 0.0
		for _, b := range mask.Bias.Data {
			if f := float64(b); !math.IsInf(f, -1) {
				maxBias = max(maxBias, math.Abs(f))
			}
		}
		bound += maxBias
	}
	return bound
}

// boundIsSafe reports whether scores bounded by bound cannot overflow T:
// the bound must stay below a quarter of the largest finite T, which
// leaves room for the rounding of the dot products.
func boundIsSafe[T Float](bound float64) bool {
	var z T
	limit := math.MaxFloat64
	if unsafe.Sizeof(z) == 4 {
		limit = math.MaxFloat32
	}
	return bound < limit/4
}

// size makes the scratch fit a block of rows queries.
func (ws *streamScratch[T]) size(rows, dv int) {
	grow := func(s []T, n int) []T {
		if cap(s) < n {
			return make([]T, n)
		}
		return s[:n]
	}
	ws.s = grow(ws.s, rows*streamKeyCols)
	ws.o = grow(ws.o, rows*dv)
	ws.m = grow(ws.m, rows)
	ws.l = grow(ws.l, rows)
}

var scratchPool32, scratchPool64 sync.Pool

// Packed operands, reused across calls.
var packedPool32, packedPool64 sync.Pool

// getPacked returns a packed operand to pack into, or nil, which makes
// the kernel.Pack functions allocate.
func getPacked[T Float]() *kernel.PackedB[T] {
	var z T
	var pool *sync.Pool
	switch any(z).(type) {
	case float32:
		pool = &packedPool32
	case float64:
		pool = &packedPool64
	default:
		return nil
	}
	pb, _ := pool.Get().(*kernel.PackedB[T])
	return pb
}

// putPacked makes pb available to getPacked; the caller must not use it
// afterwards.
func putPacked[T Float](pb *kernel.PackedB[T]) {
	if pb == nil {
		return
	}
	var z T
	switch any(z).(type) {
	case float32:
		packedPool32.Put(pb)
	case float64:
		packedPool64.Put(pb)
	}
}

func getScratch[T Float]() *streamScratch[T] {
	pool := scratchPoolFor[T]()
	if pool != nil {
		if ws, ok := pool.Get().(*streamScratch[T]); ok {
			return ws
		}
	}
	return &streamScratch[T]{}
}

func putScratch[T Float](ws *streamScratch[T]) {
	if pool := scratchPoolFor[T](); pool != nil {
		pool.Put(ws)
	}
}

func scratchPoolFor[T Float]() *sync.Pool {
	var z T
	switch any(z).(type) {
	case float32:
		return &scratchPool32
	case float64:
		return &scratchPool64
	}
	return nil
}
