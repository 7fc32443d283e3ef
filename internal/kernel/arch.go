package kernel

import (
	"os"
	"unsafe"
)

// microKernel updates one mr×nr tile of C with a packed A panel and a B
// panel whose rows are ldb elements apart. kernel_amd64.go states the loop
// it computes.
type microKernel[T Float] func(k int, a, b *T, ldb int, c *T, ldc int, accumulate int)

// rowsKernel is microKernel with A read in place: element (i, p) of A is
// a[i*lda+p].
type rowsKernel[T Float] func(k int, a *T, lda int, b *T, ldb int, c *T, ldc int, accumulate int)

// arch is the register tile and cache blocking of one microkernel.
//
// mr×nr is the register tile. kc is the depth of one panel, so a kc×nr
// slice of B is read from the L1 or L2 cache. An mc×kc block of packed A
// stays in L2, and a kc×nc block of packed B in L2 or L3.
type arch[T Float] struct {
	mr, nr, kc, mc, nc int
	kernel             microKernel[T]
	rows               rowsKernel[T]

	// cols is microKernel with A read in place from its transpose:
	// element (i, p) of A is a[p*lda+i].
	cols rowsKernel[T]
}

// path is a complete set of kernels for one instruction set.
type path struct {
	name string
	f32  arch[float32]
	f64  arch[float64]

	// exp and max handle whole vectors of lanes elements; the caller
	// finishes the tail with the pure-Go loops.
	exp      func(x []float32, shift float32) float32
	expLanes int // float32 lanes; exp64 handles expLanes/2 float64 lanes
	exp64    func(x []float64, shift float64) float64
	max      func(x []float32) float32
	maxLanes int

	// fma runs a loop of fmaFlops float32 operations per iteration.
	fma      func(iterations int)
	fmaFlops int
}

// pathGo is the pure-Go path, used without amd64 assembly and for element
// types other than float32 and float64 themselves.
var pathGo = &path{
	name: "go",
	f32:  arch[float32]{mr: 4, nr: 4, kc: 256, mc: 64, nc: 512, kernel: goKernel[float32], rows: goRowsKernel[float32], cols: goColsKernel[float32]},
	f64:  arch[float64]{mr: 4, nr: 4, kc: 256, mc: 64, nc: 512, kernel: goKernel[float64], rows: goRowsKernel[float64], cols: goColsKernel[float64]},
}

// active is the path in use: the one QKV_KERNEL names, or else the
// fastest one this machine supports.
var active = choosePath(os.Getenv("QKV_KERNEL"))

// choosePath returns the available path called name ("avx512", "avx2" or
// "go"), or the fastest available path when name is empty or names a path
// this machine or build cannot run.
func choosePath(name string) *path {
	paths := availablePaths()
	for _, p := range paths {
		if p.name == name {
			return p
		}
	}
	return paths[0]
}

// FMALoop runs iterations rounds of independent float32 vector fused
// multiply-adds on the calling goroutine and returns the number of
// floating-point operations done (two per multiply-add), so that
// operations per second estimate the peak of one core. It returns 0 on the
// pure-Go path, which has no such loop.
func FMALoop(iterations int) int {
	if active.fma == nil || iterations <= 0 {
		return 0
	}
	active.fma(iterations)
	return iterations * active.fmaFlops
}

// Path returns the name of the kernel path in use: "avx512", "avx2" or
// "go". The environment variable QKV_KERNEL, read at start-up, selects a
// slower path than the default for tests and comparisons. A value that
// names no available path is ignored.
func Path() string { return active.name }

// archFor returns the blocking and microkernel for element type T.
func archFor[T Float]() arch[T] {
	var z T
	switch any(z).(type) {
	case float32:
		return any(active.f32).(arch[T])
	case float64:
		return any(active.f64).(arch[T])
	}
	// A named type whose underlying type is float32 or float64: the
	// assembly takes *float32 and *float64 only.
	return arch[T]{mr: 4, nr: 4, kc: 256, mc: 64, nc: 512, kernel: goKernel[T], rows: goRowsKernel[T], cols: goColsKernel[T]}
}

// goKernel is the pure-Go 4×4 microkernel. Each element is a chain of
// multiply-adds in increasing p, as in the assembly kernels, but Go does
// not fuse them on amd64, so its float results differ from those of the
// assembly in the last bits.
func goKernel[T Float](k int, a, b *T, ldb int, c *T, ldc int, accumulate int) {
	const mr, nr = 4, 4
	as := unsafe.Slice(a, k*mr)
	var bs []T
	if k > 0 {
		bs = unsafe.Slice(b, (k-1)*ldb+nr)
	}
	cs := unsafe.Slice(c, (mr-1)*ldc+nr)

	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 T
	if accumulate != 0 {
		c00, c01, c02, c03 = cs[0], cs[1], cs[2], cs[3]
		r := cs[ldc : ldc+4]
		c10, c11, c12, c13 = r[0], r[1], r[2], r[3]
		r = cs[2*ldc : 2*ldc+4]
		c20, c21, c22, c23 = r[0], r[1], r[2], r[3]
		r = cs[3*ldc : 3*ldc+4]
		c30, c31, c32, c33 = r[0], r[1], r[2], r[3]
	}
	for p := 0; p < k; p++ {
		ap := as[p*mr : p*mr+4]
		bp := bs[p*ldb : p*ldb+4]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		a0, a1, a2, a3 := ap[0], ap[1], ap[2], ap[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	cs[0], cs[1], cs[2], cs[3] = c00, c01, c02, c03
	r := cs[ldc : ldc+4]
	r[0], r[1], r[2], r[3] = c10, c11, c12, c13
	r = cs[2*ldc : 2*ldc+4]
	r[0], r[1], r[2], r[3] = c20, c21, c22, c23
	r = cs[3*ldc : 3*ldc+4]
	r[0], r[1], r[2], r[3] = c30, c31, c32, c33
}

// goRowsKernel is goKernel with A read in place, row-major with leading
// dimension lda.
func goRowsKernel[T Float](k int, a *T, lda int, b *T, ldb int, c *T, ldc int, accumulate int) {
	const mr = 4
	var packed [mr * 256]T
	as := unsafe.Slice(a, (mr-1)*lda+k)
	for p0 := 0; p0 < k || p0 == 0; p0 += 256 {
		kb := min(256, k-p0)
		for i := 0; i < mr; i++ {
			for p := 0; p < kb; p++ {
				packed[p*mr+i] = as[i*lda+p0+p]
			}
		}
		acc := accumulate
		if p0 > 0 {
			acc = 1
		}
		goKernel(kb, &packed[0], (*T)(unsafe.Add(unsafe.Pointer(b), uintptr(p0*ldb)*unsafe.Sizeof(*b))), ldb, c, ldc, acc)
		if k == 0 {
			break
		}
	}
}

// goColsKernel is goKernel with A read in place from its transpose: element
// (i, p) of A is a[p*lda+i].
func goColsKernel[T Float](k int, a *T, lda int, b *T, ldb int, c *T, ldc int, accumulate int) {
	const mr = 4
	var packed [mr * 256]T
	var as []T
	if k > 0 {
		as = unsafe.Slice(a, (k-1)*lda+mr)
	}
	for p0 := 0; p0 < k || p0 == 0; p0 += 256 {
		kb := min(256, k-p0)
		for p := 0; p < kb; p++ {
			copy(packed[p*mr:p*mr+mr], as[(p0+p)*lda:])
		}
		acc := accumulate
		if p0 > 0 {
			acc = 1
		}
		goKernel(kb, &packed[0], (*T)(unsafe.Add(unsafe.Pointer(b), uintptr(p0*ldb)*unsafe.Sizeof(*b))), ldb, c, ldc, acc)
		if k == 0 {
			break
		}
	}
}
