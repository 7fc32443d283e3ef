package attention

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"

	"qkv/tensor"
)

// benchLarge enables the n = 2048 and 4096 attention benchmarks, which
// take seconds per run: go test -bench Attention -args -bench.large.
var benchLarge = flag.Bool("bench.large", false, "also run the attention benchmarks with n = 2048 and 4096")

// benchHeadDim is d_k = d_v in the attention benchmarks.
const benchHeadDim = 64

// BenchmarkAttentionHeads times h heads of self-attention (n queries and
// keys, d = 64) through AttendMany and reports GFLOP/s.
//
// forward is the streaming forward, counting 4·n²·d operations per head
// (Q·Kᵀ and A·V). forward+backward is the materialising forward, which
// keeps A for the backward, followed by BackwardMany, counting 4·n²·d for the
// forward and 8·n²·d for the backward (dV = Aᵀ·dZ, dA = dZ·Vᵀ, dQ = dS·K,
// dK = dSᵀ·Q) per head.
func BenchmarkAttentionHeads(b *testing.B) {
	b.Run("forward", func(b *testing.B) { benchAttention(b, false) })
	b.Run("forward+backward", func(b *testing.B) { benchAttention(b, true) })
}

func benchAttention(b *testing.B, backward bool) {
	for _, n := range []int{128, 512, 2048, 4096} {
		for _, heads := range []int{1, 8} {
			name := fmt.Sprintf("n=%d,h=%d", n, heads)
			if n >= 2048 && !*benchLarge {
				continue
			}
			b.Run("float32/"+name, func(b *testing.B) { benchAttentionShape[float32](b, n, heads, backward) })
			b.Run("float64/"+name, func(b *testing.B) { benchAttentionShape[float64](b, n, heads, backward) })
		}
	}
}

func benchAttentionShape[T Float](b *testing.B, n, heads int, backward bool) {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	rnd := func() *tensor.Matrix[T] {
		m := tensor.New[T](n, benchHeadDim)
		for i := range m.Data {
			m.Data[i] = T(2*r.Float64() - 1)
		}
		return m
	}
	projs := make([]Projections[T], heads)
	for i := range projs {
		projs[i] = Projections[T]{Q: rnd(), K: rnd(), V: rnd()}
	}
	dOut := rnd()
	opts := Options[T]{Mask: Mask[T]{Causal: false}}
	flops := 4 * float64(n) * float64(n) * benchHeadDim * float64(heads)
	if backward {
		flops *= 3
		opts.KeepWeights = true
	}

	for b.Loop() {
		res, err := AttendMany(projs, opts)
		if err != nil {
			b.Fatal(err)
		}
		if backward {
			problems := make([]BackwardProblem[T], len(projs))
			for i, p := range projs {
				problems[i] = BackwardProblem[T]{Q: p.Q, K: p.K, V: p.V, Weights: res[i].Weights, DOut: dOut}
			}
			if _, err := BackwardMany(problems, opts); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
