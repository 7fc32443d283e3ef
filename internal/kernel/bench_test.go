package kernel

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkGemm times GemmNN on square matrices and reports GFLOP/s,
// counting 2·m·n·k operations. It runs on one goroutine.
func BenchmarkGemm(b *testing.B) {
	for _, n := range []int{64, 256, 1024} {
		b.Run(fmt.Sprintf("float32/n=%d", n), func(b *testing.B) { benchGemm[float32](b, n) })
		b.Run(fmt.Sprintf("float64/n=%d", n), func(b *testing.B) { benchGemm[float64](b, n) })
	}
}

func benchGemm[T Float](b *testing.B, n int) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := newGuarded[T](rng, n, n, 0).data
	y := newGuarded[T](rng, n, n, 0).data
	z := make([]T, n*n)
	b.ResetTimer()
	for b.Loop() {
		GemmNN(n, n, n, x, n, y, n, z, n)
	}
	b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkExpShiftSum times the float32 exp over a row of 1024 scores.
func BenchmarkExpShiftSum(b *testing.B) {
	x := make([]float32, 1024)
	src := make([]float32, 1024)
	for i := range src {
		src[i] = -float32(i) / 64
	}
	for b.Loop() {
		copy(x, src)
		ExpShiftSum(x, 0)
	}
	b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gexp/s")
}

// BenchmarkFMALoop reports the single-core float32 FMA peak.
func BenchmarkFMALoop(b *testing.B) {
	flops := 0
	for b.Loop() {
		flops += FMALoop(1 << 16)
	}
	b.ReportMetric(float64(flops)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkPackBT times packing Kᵀ for one attention head (n = 128 or
// 2048 keys, d = 64), which the forward does once per head and call.
func BenchmarkPackBT(b *testing.B) {
	for _, n := range []int{128, 2048} {
		b.Run(fmt.Sprintf("float32/n=%d", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(2, 2))
			k := newGuarded[float32](rng, n, 64, 0).data
			var dst *PackedB[float32]
			for b.Loop() {
				dst = PackBTScaled(n, 64, k, 64, 0.125, dst)
			}
		})
	}
}
