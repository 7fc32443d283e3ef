package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkBackpropGradient times one gradient of a batch of random
// inputs whose non-PAD length is about three quarters of N, the typical
// fill of balanced-distribution examples.
func BenchmarkBackpropGradient(b *testing.B) {
	sizes := []struct {
		cfg   SearchConfig
		batch int
	}{
		{SearchConfig{SeqLen: 32, Layers: 6, Hidden: 16, Heads: 1}, 64},
		{SearchConfig{SeqLen: 128, Layers: 6, Hidden: 16, Heads: 1}, 256},
	}
	for _, s := range sizes {
		b.Run(fmt.Sprintf("N=%d,L=%d,D=%d,B=%d", s.cfg.SeqLen, s.cfg.Layers, s.cfg.Width(), s.batch), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			m, err := NewSearchModel[float32](s.cfg, rng)
			if err != nil {
				b.Fatal(err)
			}
			batch := randomBatch(s.cfg, s.batch, s.cfg.SeqLen*3/4, rng)
			bp, _ := NewBackprop(m, 16)
			grad := make([]float32, len(m.Params))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				clear(grad)
				if _, err := bp.Gradient(batch, grad); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(s.batch*b.N)/b.Elapsed().Seconds(), "examples/s")
		})
	}
}
