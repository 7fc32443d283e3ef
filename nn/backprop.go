package nn

import (
	"fmt"
	"math"
	"sync"

	"qkv/internal/parallel"
)

// Batch is a set of left-padded search inputs and their target tokens.
type Batch struct {
	Tokens [][]int // [B][N] token ids
	Labels []int   // [B] target token ids
}

// Stats summarises one pass over a batch.
type Stats struct {
	Loss    float64 // mean cross-entropy over the batch, in nats
	Correct int     // examples whose argmax logit equals the label
	Count   int     // examples in the batch
}

// Backprop computes the loss and gradient of a SearchModel on batches.
//
// It is the fast path of the model: it runs only the non-PAD rows of each
// input (PAD keys are masked, so PAD rows never affect the others), stacks
// the rows of several examples into one matrix for the linear layers, and
// in the last block computes only the last row, the one the loss reads.
// The batch is cut into a fixed number of shards; each shard's gradient
// goes to its own buffer and the buffers are summed in shard order, so the
// result is bit-identical for any number of threads.
type Backprop[T Float] struct {
	model  *SearchModel[T]
	shards int

	mu         sync.Mutex
	free       []*workspace[T]
	shardGrads [][]T
}

// NewBackprop returns a Backprop for m that cuts every batch into the
// given number of shards (at least 1). The shard count, not the thread
// count, fixes the order of the floating-point sums.
func NewBackprop[T Float](m *SearchModel[T], shards int) (*Backprop[T], error) {
	if shards < 1 {
		return nil, fmt.Errorf("nn: %d shards is invalid: use at least 1", shards)
	}
	return &Backprop[T]{model: m, shards: shards}, nil
}

// Gradient adds to grad (laid out like Params) the gradient of the mean
// cross-entropy over the batch, and returns the batch statistics. Zero
// grad first unless accumulating is intended.
func (bp *Backprop[T]) Gradient(b Batch, grad []T) (Stats, error) {
	if len(grad) != len(bp.model.Params) {
		return Stats{}, fmt.Errorf("nn: gradient has %d elements, the model has %d parameters", len(grad), len(bp.model.Params))
	}
	return bp.run(b, grad, nil)
}

// Predict returns the argmax token of each input's last-position logits,
// and the batch statistics against b.Labels when they are given.
func (bp *Backprop[T]) Predict(b Batch) ([]int, Stats, error) {
	pred := make([]int, len(b.Tokens))
	st, err := bp.run(b, nil, pred)
	return pred, st, err
}

// run is Gradient (grad non-nil) or Predict (pred non-nil).
func (bp *Backprop[T]) run(b Batch, grad []T, pred []int) (Stats, error) {
	cfg := bp.model.Config
	n := len(b.Tokens)
	if n == 0 {
		return Stats{}, fmt.Errorf("nn: empty batch")
	}
	if b.Labels != nil && len(b.Labels) != n {
		return Stats{}, fmt.Errorf("nn: batch has %d inputs but %d labels", n, len(b.Labels))
	}
	if grad != nil && b.Labels == nil {
		return Stats{}, fmt.Errorf("nn: a gradient needs labels")
	}
	leads := make([]int, n)
	for i, toks := range b.Tokens {
		lead, err := cfg.checkTokens(toks)
		if err != nil {
			return Stats{}, fmt.Errorf("input %d: %w", i, err)
		}
		leads[i] = lead
		if b.Labels != nil && (b.Labels[i] < 0 || b.Labels[i] >= cfg.Vocab()) {
			return Stats{}, fmt.Errorf("nn: label %d of input %d is outside the vocabulary 0..%d", b.Labels[i], i, cfg.Vocab()-1)
		}
	}

	shards := min(bp.shards, n)
	if grad != nil {
		bp.ensureShardGrads(shards)
	}
	losses := make([]float64, shards)
	correct := make([]int, shards)
	parallel.For(shards, 1, func(lo, hi int) {
		ws := bp.acquire()
		defer bp.release(ws)
		for s := lo; s < hi; s++ {
			from, to := s*n/shards, (s+1)*n/shards
			var g []T
			if grad != nil {
				g = bp.shardGrads[s]
				clear(g)
			}
			var labels []int
			if b.Labels != nil {
				labels = b.Labels[from:to]
			}
			var p []int
			if pred != nil {
				p = pred[from:to]
			}
			losses[s], correct[s] = ws.pass(b.Tokens[from:to], leads[from:to], labels, n, g, p)
		}
	})

	st := Stats{Count: n}
	for s := 0; s < shards; s++ {
		st.Loss += losses[s]
		st.Correct += correct[s]
		if grad != nil {
			for i, v := range bp.shardGrads[s] {
				grad[i] += v
			}
		}
	}
	st.Loss /= float64(n)
	if math.IsNaN(st.Loss) || math.IsInf(st.Loss, 0) {
		return st, fmt.Errorf("nn: loss is %v; lower the learning rate or check the inputs", st.Loss)
	}
	return st, nil
}

func (bp *Backprop[T]) ensureShardGrads(shards int) {
	for len(bp.shardGrads) < shards {
		bp.shardGrads = append(bp.shardGrads, make([]T, len(bp.model.Params)))
	}
}

func (bp *Backprop[T]) acquire() *workspace[T] {
	bp.mu.Lock()
	defer bp.mu.Unlock()
	if k := len(bp.free); k > 0 {
		ws := bp.free[k-1]
		bp.free = bp.free[:k-1]
		return ws
	}
	return newWorkspace(bp.model)
}

func (bp *Backprop[T]) release(ws *workspace[T]) {
	bp.mu.Lock()
	bp.free = append(bp.free, ws)
	bp.mu.Unlock()
}
