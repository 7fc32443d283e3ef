package kernel

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestGemmRowsPackedRejectsMisalignedRange(t *testing.T) {
	nr := PanelWidth[float32]()
	b := PackBT(2*nr, 3, make([]float32, 6*nr), 3, nil)
	defer func() {
		if recover() == nil {
			t.Error("no panic for a range starting at column 1")
		}
	}()
	GemmRowsPacked(2, 3, make([]float32, 6), 3, b, 0, 1, nr, make([]float32, 2*nr), nr)
}

// TestGemmRowsPackedAccMatchesGemmNNAcc checks products with a packed B
// over row ranges against GemmNNAcc, bit for bit.
func TestGemmRowsPackedAccMatchesGemmNNAcc(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, s := range [][4]int{{1, 1, 1, 0}, {7, 33, 5, 3}, {17, 65, 64, 100}, {64, 64, 256, 256}, {9, 40, 300, 0}} {
			t.Run(fmt.Sprintf("m=%d,n=%d,k=%d,p0=%d", s[0], s[1], s[2], s[3]), func(t *testing.T) {
				rowsPackedMatches[float32](t, s[0], s[1], s[2], s[3])
				rowsPackedMatches[float64](t, s[0], s[1], s[2], s[3])
			})
		}
	})
}

func rowsPackedMatches[T Float](t *testing.T, m, n, k, p0 int) {
	rng := rand.New(rand.NewPCG(uint64(m), uint64(k)))
	a := newGuarded[T](rng, m, k, 3)
	b := newGuarded[T](rng, p0+k+2, n, 1)
	c := newGuarded[T](rng, m, n, 2)
	want := c.clone()
	GemmNNAcc(m, n, k, a.data, a.ld, b.data[p0*b.ld:], b.ld, want.data, want.ld)

	pb := PackB(b.rows, n, b.data, b.ld, nil)
	GemmRowsPackedAcc(m, k, a.data, a.ld, pb, p0, c.data, c.ld)
	c.checkGuards(t, "c")
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			if got := c.at(i, j); got != want.at(i, j) {
				t.Fatalf("c[%d][%d] = %v, want %v", i, j, got, want.at(i, j))
			}
		}
	}
}

// TestGemmRowsPackedMatchesGemmNT checks the overwriting form with column
// ranges and a scaled packed Bᵀ against GemmNT of scaled inputs.
func TestGemmRowsPackedMatchesGemmNT(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, s := range [][3]int{{1, 1, 1}, {7, 33, 5}, {17, 65, 64}, {64, 256, 64}, {9, 100, 300}} {
			t.Run(fmt.Sprintf("m=%d,n=%d,k=%d", s[0], s[1], s[2]), func(t *testing.T) {
				rowsPackedRanges[float32](t, s[0], s[1], s[2])
				rowsPackedRanges[float64](t, s[0], s[1], s[2])
			})
		}
	})
}

func rowsPackedRanges[T Float](t *testing.T, m, n, k int) {
	rng := rand.New(rand.NewPCG(uint64(n), uint64(k)))
	a := newGuarded[T](rng, m, k, 1)
	b := newGuarded[T](rng, n, k, 2)
	const scale = 0.125 // a power of two: scaling is exact
	scaled := b.clone()
	for i := range scaled.data {
		scaled.data[i] *= scale
	}
	want := make([]T, m*n)
	GemmNT(m, n, k, a.data, a.ld, scaled.data, scaled.ld, want, n)

	pb := PackBTScaled(n, k, b.data, b.ld, scale, nil)
	nr := PanelWidth[T]()
	for j0 := 0; j0 < n; j0 += nr {
		j1 := min(j0+nr+5, n)
		c := newGuarded[T](rng, m, j1-j0, 3)
		GemmRowsPacked(m, k, a.data, a.ld, pb, 0, j0, j1, c.data, c.ld)
		c.checkGuards(t, "c")
		for i := 0; i < m; i++ {
			for j := j0; j < j1; j++ {
				if got := c.at(i, j-j0); got != want[i*n+j] {
					t.Fatalf("[%d, %d): c[%d][%d] = %v, want %v", j0, j1, i, j, got, want[i*n+j])
				}
			}
		}
	}
}
