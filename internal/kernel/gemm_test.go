package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Tolerances relative to Σ_p |a_ip|·|b_pj|, the scale of the rounding
// error of a length-k dot product: k·ε with ε the unit round-off, and
// k ≤ 600 here.
const (
	gemmTol32 = 600 * 6e-8
	gemmTol64 = 600 * 1.2e-16
)

type gemmVariant struct {
	name           string
	transA, transB bool
	accumulate     bool
	run            func(m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int)
	run32          func(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int)
}

var gemmVariants = []gemmVariant{
	{"NN", false, false, false, GemmNN[float64], GemmNN[float32]},
	{"NT", false, true, false, GemmNT[float64], GemmNT[float32]},
	{"TN", true, false, false, GemmTN[float64], GemmTN[float32]},
	{"NNAcc", false, false, true, GemmNNAcc[float64], GemmNNAcc[float32]},
	{"NTAcc", false, true, true, GemmNTAcc[float64], GemmNTAcc[float32]},
	{"TNAcc", true, false, true, GemmTNAcc[float64], GemmTNAcc[float32]},
}

// gemmSizes mixes odd sizes around the register tiles (6, 8, 16, 32) with
// sizes past the cache blocks (kc = 256, mc ≤ 128).
var gemmSizes = [][3]int{
	{1, 1, 1}, {1, 3, 7}, {3, 1, 15}, {7, 15, 17}, {17, 33, 3}, {33, 65, 7},
	{65, 17, 33}, {8, 32, 64}, {6, 16, 64}, {32, 64, 64}, {129, 31, 5},
	{5, 200, 300}, {70, 47, 513}, {140, 9, 260}, {2, 2, 0}, {0, 5, 5}, {5, 0, 5},
}

func TestGemmMatchesReference(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, v := range gemmVariants {
			for _, s := range gemmSizes {
				name := fmt.Sprintf("%s/m=%d,n=%d,k=%d", v.name, s[0], s[1], s[2])
				t.Run(name+"/float64", func(t *testing.T) {
					checkGemm(t, v, s[0], s[1], s[2], v.run, gemmTol64)
				})
				t.Run(name+"/float32", func(t *testing.T) {
					checkGemm(t, v, s[0], s[1], s[2], v.run32, gemmTol32)
				})
			}
		}
	})
}

// checkGemm runs one variant on guarded operands with leading dimensions
// larger than their widths and compares it with the plain loop.
func checkGemm[T Float](t *testing.T, v gemmVariant, m, n, k int, run func(int, int, int, []T, int, []T, int, []T, int), tol float64) {
	rng := rand.New(rand.NewPCG(uint64(m*1000+n), uint64(k)))
	var a, b *guarded[T]
	if v.transA {
		a = newGuarded[T](rng, k, m, 3)
	} else {
		a = newGuarded[T](rng, m, k, 3)
	}
	if v.transB {
		b = newGuarded[T](rng, n, k, 5)
	} else {
		b = newGuarded[T](rng, k, n, 5)
	}
	c := newGuarded[T](rng, m, n, 2)
	a0, b0, c0 := a.clone(), b.clone(), c.clone()

	run(m, n, k, a.data, a.ld, b.data, b.ld, c.data, c.ld)

	c.checkGuards(t, "c")
	for i := range a.buf {
		if math.Float64bits(float64(a.buf[i])) != math.Float64bits(float64(a0.buf[i])) {
			t.Fatalf("a changed at offset %d", i-guardLen)
		}
	}
	for i := range b.buf {
		if math.Float64bits(float64(b.buf[i])) != math.Float64bits(float64(b0.buf[i])) {
			t.Fatalf("b changed at offset %d", i-guardLen)
		}
	}
	elemA := func(i, p int) float64 {
		if v.transA {
			return float64(a.at(p, i))
		}
		return float64(a.at(i, p))
	}
	elemB := func(p, j int) float64 {
		if v.transB {
			return float64(b.at(j, p))
		}
		return float64(b.at(p, j))
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			want, scale := 0.0, 0.0
			if v.accumulate {
				want = float64(c0.at(i, j))
				scale = math.Abs(want)
			}
			for p := 0; p < k; p++ {
				want += elemA(i, p) * elemB(p, j)
				scale += math.Abs(elemA(i, p) * elemB(p, j))
			}
			got := float64(c.at(i, j))
			if math.Abs(got-want) > tol*scale || math.IsNaN(got) {
				t.Fatalf("c[%d][%d] = %v, want %v (tolerance %.2g)", i, j, got, want, tol*scale)
			}
		}
	}
}

func TestGemmReferenceLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m, n, k := 9, 11, 13
	a := newGuarded[float64](rng, m, k, 0)
	bt := newGuarded[float64](rng, n, k, 0)
	b := make([]float64, k*n)
	for p := 0; p < k; p++ {
		for j := 0; j < n; j++ {
			b[p*n+j] = bt.at(j, p)
		}
	}
	at := make([]float64, k*m)
	for i := 0; i < m; i++ {
		for p := 0; p < k; p++ {
			at[p*m+i] = a.at(i, p)
		}
	}
	c1 := make([]float64, m*n)
	c2 := make([]float64, m*n)
	c3 := make([]float64, m*n)
	GemmNNRef(m, n, k, a.data, k, b, n, c1, n)
	GemmNTRef(m, n, k, a.data, k, bt.data, k, c2, n)
	GemmTNRef(m, n, k, at, m, b, n, c3, n)
	for i := range c1 {
		if c1[i] != c2[i] {
			t.Fatalf("GemmNNRef and GemmNTRef differ at %d: %v and %v", i, c1[i], c2[i])
		}
		if c1[i] != c3[i] {
			t.Fatalf("GemmNNRef and GemmTNRef differ at %d: %v and %v", i, c1[i], c3[i])
		}
	}
}

// TestGemmRowBlockingBitIdentical checks that the result of an element
// does not depend on how the caller splits the rows of C.
func TestGemmRowBlockingBitIdentical(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, blk := range []int{1, 5, 32, 33} {
			t.Run(fmt.Sprint("block=", blk), func(t *testing.T) {
				rowBlockingIdentical[float32](t, blk)
				rowBlockingIdentical[float64](t, blk)
			})
		}
	})
}

func rowBlockingIdentical[T Float](t *testing.T, blk int) {
	rng := rand.New(rand.NewPCG(3, uint64(blk)))
	m, n, k := 100, 70, 300
	a := newGuarded[T](rng, m, k, 0)
	b := newGuarded[T](rng, k, n, 0)
	whole := make([]T, m*n)
	GemmNN(m, n, k, a.data, k, b.data, n, whole, n)
	parts := make([]T, m*n)
	for lo := 0; lo < m; lo += blk {
		hi := min(lo+blk, m)
		GemmNN(hi-lo, n, k, a.data[lo*k:], k, b.data, n, parts[lo*n:], n)
	}
	for i := range whole {
		if whole[i] != parts[i] {
			t.Fatalf("element %d: %v in one call, %v in row blocks of %d", i, whole[i], parts[i], blk)
		}
	}
}

// TestGemmAssemblyPathsAgree checks that the AVX2 and AVX-512 kernels give
// bit-identical results: both compute one fused multiply-add chain per
// element.
func TestGemmAssemblyPathsAgree(t *testing.T) {
	paths := availablePaths()
	if len(paths) < 3 {
		t.Skip("needs two assembly paths; this machine or build has ", len(paths)-1)
	}
	saved := active
	defer func() { active = saved }()
	rng := rand.New(rand.NewPCG(5, 6))
	m, n, k := 37, 45, 290
	a := newGuarded[float32](rng, m, k, 0)
	b := newGuarded[float32](rng, n, k, 0)
	results := make([][]float32, 2)
	for i := range results {
		active = paths[i]
		results[i] = make([]float32, m*n)
		GemmNT(m, n, k, a.data, k, b.data, k, results[i], n)
	}
	for i := range results[0] {
		if results[0][i] != results[1][i] {
			t.Fatalf("element %d: %s gives %v, %s gives %v", i, paths[0].name, results[0][i], paths[1].name, results[1][i])
		}
	}
}

func TestGemmShortOperandPanics(t *testing.T) {
	cases := []struct {
		name string
		call func()
	}{
		{"short a", func() { GemmNN(2, 2, 2, make([]float32, 3), 2, make([]float32, 4), 2, make([]float32, 4), 2) }},
		{"short b", func() { GemmNT(2, 2, 2, make([]float32, 4), 2, make([]float32, 3), 2, make([]float32, 4), 2) }},
		{"short c", func() { GemmTN(2, 2, 2, make([]float64, 4), 2, make([]float64, 4), 2, make([]float64, 3), 2) }},
		{"small lda", func() { GemmNN(2, 2, 3, make([]float32, 9), 2, make([]float32, 6), 2, make([]float32, 4), 2) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tc.call()
		})
	}
}

type myFloat float32

func TestGemmNamedFloatType(t *testing.T) {
	a := []myFloat{1, 2, 3, 4}
	b := []myFloat{5, 6, 7, 8}
	c := make([]myFloat, 4)
	GemmNN(2, 2, 2, a, 2, b, 2, c, 2)
	want := []myFloat{19, 22, 43, 50}
	for i := range want {
		if c[i] != want[i] {
			t.Fatalf("c = %v, want %v", c, want)
		}
	}
}

func TestDot(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5}
	y := []float64{2, 3, 4, 5, 6, 100}
	if got := Dot(x, y); got != 70 {
		t.Errorf("Dot = %v, want 70", got)
	}
}

func TestChoosePath(t *testing.T) {
	paths := availablePaths()
	for _, p := range paths {
		if got := choosePath(p.name); got != p {
			t.Errorf("choosePath(%q) = %q", p.name, got.name)
		}
	}
	for _, name := range []string{"", "sse2", "AVX2 "} {
		if got := choosePath(name); got != paths[0] {
			t.Errorf("choosePath(%q) = %q, want the default %q", name, got.name, paths[0].name)
		}
	}
}
