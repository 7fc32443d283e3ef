package viz

import (
	"fmt"
	"testing"

	"qkv/tensor"
)

// BenchmarkHeatmap renders a weight-like matrix of each size as PNG and
// SVG. Above 64×64 the matrix is drawn as one raster image, so the cost
// beyond reading the entries stays flat.
func BenchmarkHeatmap(b *testing.B) {
	for _, n := range []int{4, 64, 512, 4096} {
		m := tensor.New[float64](n, n)
		for i := 0; i < n; i++ {
			m.Set(i, (i*5+1)%n, 1)
		}
		for _, f := range []Format{PNG, SVG} {
			b.Run(fmt.Sprintf("n=%d/%s", n, f), func(b *testing.B) {
				h := &Heatmap{Values: m}
				for b.Loop() {
					if _, err := Render(h, f); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n*n), "cells")
			})
		}
	}
}
