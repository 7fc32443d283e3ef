package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// forEachPath runs f once with every kernel path this machine supports
// (AVX-512, AVX2, pure Go), restoring the default afterwards.
func forEachPath(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	saved := active
	defer func() { active = saved }()
	for _, p := range availablePaths() {
		active = p
		t.Run(p.name, f)
	}
}

// guarded is a matrix stored with leading dimension ld > cols inside a
// slice with NaN sentinels before, between and after its rows.
type guarded[T Float] struct {
	rows, cols, ld int
	buf            []T // guard, data, guard
	data           []T // the rows·ld window passed to the kernel
}

const guardLen = 17

func newGuarded[T Float](rng *rand.Rand, rows, cols, pad int) *guarded[T] {
	ld := cols + pad
	g := &guarded[T]{rows: rows, cols: cols, ld: ld}
	size := 0
	if rows > 0 {
		size = (rows-1)*ld + cols
	}
	g.buf = make([]T, size+2*guardLen)
	nan := T(math.NaN())
	for i := range g.buf {
		g.buf[i] = nan
	}
	g.data = g.buf[guardLen : guardLen+size]
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			g.data[i*ld+j] = T(rng.Float64()*2 - 1)
		}
	}
	return g
}

// checkGuards reports every sentinel that is no longer NaN: a write out of
// bounds.
func (g *guarded[T]) checkGuards(t *testing.T, name string) {
	t.Helper()
	bad := 0
	for idx, v := range g.buf {
		pos := idx - guardLen
		inside := pos >= 0 && pos < len(g.data) && pos%g.ld < g.cols
		if !inside && !math.IsNaN(float64(v)) {
			bad++
			if bad <= 3 {
				t.Errorf("%s: sentinel at offset %d overwritten with %v", name, pos, v)
			}
		}
	}
}

func (g *guarded[T]) at(i, j int) T { return g.data[i*g.ld+j] }

func (g *guarded[T]) clone() *guarded[T] {
	c := *g
	c.buf = append([]T(nil), g.buf...)
	c.data = c.buf[guardLen : guardLen+len(g.data)]
	return &c
}
