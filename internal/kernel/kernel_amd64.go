//go:build !noasm

package kernel

import "golang.org/x/sys/cpu"

//go:generate go run ./asmgen -out gemm_amd64.s -pkg kernel

// The microkernels below compute, for the mr×nr tile of C at c (row
// stride ldc elements), with A packed as k columns of mr elements and B as
// k rows of nr elements (row stride ldb elements):
//
//	for i := 0; i < mr; i++ {
//		for j := 0; j < nr; j++ {
//			var s T
//			if accumulate != 0 {
//				s = c[i*ldc+j]
//			}
//			for p := 0; p < k; p++ {
//				s = fma(a[p*mr+i], b[p*ldb+j], s) // one rounding
//			}
//			c[i*ldc+j] = s
//		}
//	}
//
// Every element is one fused multiply-add chain in increasing p, so the
// AVX2 and AVX-512 forms give bit-identical results.

// gemmF32AVX512 is the microkernel above for float32 with mr = 8, nr = 32.
//
//go:noescape
func gemmF32AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, accumulate int)

// gemmF64AVX512 is the microkernel above for float64 with mr = 8, nr = 16.
//
//go:noescape
func gemmF64AVX512(k int, a, b *float64, ldb int, c *float64, ldc int, accumulate int)

// gemmF32AVX2 is the microkernel above for float32 with mr = 6, nr = 16.
//
//go:noescape
func gemmF32AVX2(k int, a, b *float32, ldb int, c *float32, ldc int, accumulate int)

// gemmF64AVX2 is the microkernel above for float64 with mr = 6, nr = 8.
//
//go:noescape
func gemmF64AVX2(k int, a, b *float64, ldb int, c *float64, ldc int, accumulate int)

// The gemmRows kernels compute the same tile with A read in place,
// row-major with leading dimension lda: a[i*lda+p] replaces a[p*mr+i] in
// the loop above.

// gemmRowsF32AVX512 is the row-major-A kernel for float32 with mr = 8,
// nr = 32.
//
//go:noescape
func gemmRowsF32AVX512(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, accumulate int)

// gemmRowsF64AVX512 is the row-major-A kernel for float64 with mr = 8,
// nr = 16.
//
//go:noescape
func gemmRowsF64AVX512(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, accumulate int)

// gemmRowsF32AVX2 is the row-major-A kernel for float32 with mr = 6,
// nr = 16.
//
//go:noescape
func gemmRowsF32AVX2(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, accumulate int)

// gemmRowsF64AVX2 is the row-major-A kernel for float64 with mr = 6,
// nr = 8.
//
//go:noescape
func gemmRowsF64AVX2(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, accumulate int)

// The gemmCols kernels compute the same tile with A read in place, stored
// transposed with leading dimension lda: a[p*lda+i] replaces a[p*mr+i] in
// the loop above.

// gemmColsF32AVX512 is the transposed-A kernel for float32 with mr = 8,
// nr = 32.
//
//go:noescape
func gemmColsF32AVX512(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, accumulate int)

// gemmColsF64AVX512 is the transposed-A kernel for float64 with mr = 8,
// nr = 16.
//
//go:noescape
func gemmColsF64AVX512(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, accumulate int)

// gemmColsF32AVX2 is the transposed-A kernel for float32 with mr = 6,
// nr = 16.
//
//go:noescape
func gemmColsF32AVX2(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, accumulate int)

// gemmColsF64AVX2 is the transposed-A kernel for float64 with mr = 6,
// nr = 8.
//
//go:noescape
func gemmColsF64AVX2(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, accumulate int)

// expShiftSumF32AVX512 and expShiftSumF32AVX2 compute, for the first
// h = len(x) − len(x)%w elements (w = 16 and 8 lanes),
//
//	var sum float32
//	for i := 0; i < h; i++ {
//		x[i] = exp32(x[i] - shift)
//		sum += x[i] // in w lanes, then added across lanes
//	}
//	return sum
//
// where exp32 is the polynomial of expShiftSumGo: exactly 0 below
// ln 2^-126 ≈ -87.34, -Inf included.
//
//go:noescape
func expShiftSumF32AVX512(x []float32, shift float32) float32

//go:noescape
func expShiftSumF32AVX2(x []float32, shift float32) float32

// expShiftSumF64AVX512 and expShiftSumF64AVX2 are the float64 forms of
// the exp above (w = 8 and 4 lanes): the same range reduction with ln 2
// split for float64, the degree-12 Taylor polynomial, and exactly 0 below
// ln 2^-1022 ≈ -708.40.
//
//go:noescape
func expShiftSumF64AVX512(x []float64, shift float64) float64

//go:noescape
func expShiftSumF64AVX2(x []float64, shift float64) float64

// maxF32AVX512 and maxF32AVX2 return the maximum of the first
// h = len(x) − len(x)%w elements (w = 16 and 8 lanes), or -Inf if h = 0:
//
//	m := float32(math.Inf(-1))
//	for i := 0; i < h; i++ {
//		m = max(m, x[i])
//	}
//	return m
//
// NaN elements are not supported.
//
//go:noescape
func maxF32AVX512(x []float32) float32

//go:noescape
func maxF32AVX2(x []float32) float32

// fmaLoopAVX512 and fmaLoopAVX2 run iterations rounds of 12 independent
// float32 vector fused multiply-adds (zmm and ymm) and discard the
// results. They measure the peak multiply-add rate.
//
//go:noescape
func fmaLoopAVX512(iterations int)

//go:noescape
func fmaLoopAVX2(iterations int)

// Instruction sets the package can use on this machine.
var (
	haveAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	haveAVX512 = haveAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL
)

// pathAVX512 and pathAVX2 name the assembly paths.
var (
	pathAVX512 = &path{
		name:     "avx512",
		f32:      arch[float32]{mr: 8, nr: 32, kc: 256, mc: 128, nc: 1024, kernel: gemmF32AVX512, rows: gemmRowsF32AVX512, cols: gemmColsF32AVX512},
		f64:      arch[float64]{mr: 8, nr: 16, kc: 256, mc: 64, nc: 512, kernel: gemmF64AVX512, rows: gemmRowsF64AVX512, cols: gemmColsF64AVX512},
		exp:      expShiftSumF32AVX512,
		expLanes: 16,
		exp64:    expShiftSumF64AVX512,
		max:      maxF32AVX512,
		maxLanes: 16,
		fma:      fmaLoopAVX512,
		fmaFlops: 384,
	}
	pathAVX2 = &path{
		name:     "avx2",
		f32:      arch[float32]{mr: 6, nr: 16, kc: 256, mc: 96, nc: 1024, kernel: gemmF32AVX2, rows: gemmRowsF32AVX2, cols: gemmColsF32AVX2},
		f64:      arch[float64]{mr: 6, nr: 8, kc: 256, mc: 48, nc: 512, kernel: gemmF64AVX2, rows: gemmRowsF64AVX2, cols: gemmColsF64AVX2},
		exp:      expShiftSumF32AVX2,
		expLanes: 8,
		exp64:    expShiftSumF64AVX2,
		max:      maxF32AVX2,
		maxLanes: 8,
		fma:      fmaLoopAVX2,
		fmaFlops: 192,
	}
)

// availablePaths lists the paths this machine can run, fastest first; the
// pure-Go path is always last.
func availablePaths() []*path {
	var ps []*path
	if haveAVX512 {
		ps = append(ps, pathAVX512)
	}
	if haveAVX2 {
		ps = append(ps, pathAVX2)
	}
	return append(ps, pathGo)
}
