package kernel

import "fmt"

// PackedB is a right operand B [k×n] packed once into the panel layout of
// the microkernel, for products with many left operands.
type PackedB[T Float] struct {
	K, N int
	nr   int
	data []T
}

// PanelWidth returns the number of columns of B in one packed panel on
// the active path. GemmRowsPacked takes column ranges that start on a
// multiple of it.
func PanelWidth[T Float]() int { return archFor[T]().nr }

// PackBT packs B = bᵀ, for the n×k matrix b (leading dimension ldb), into
// dst, reusing its storage when large enough, and returns dst (a new
// PackedB if dst is nil). With b = K [n_k×d_k] this is Kᵀ ready for Q·Kᵀ.
func PackBT[T Float](n, k int, b []T, ldb int, dst *PackedB[T]) *PackedB[T] {
	return PackBTScaled(n, k, b, ldb, 1, dst)
}

// PackBTScaled is PackBT for B = scale·bᵀ: each element is multiplied by
// scale (one rounding) as it is packed.
func PackBTScaled[T Float](n, k int, b []T, ldb int, scale T, dst *PackedB[T]) *PackedB[T] {
	checkOperand("PackBT", "b", n, k, ldb, len(b))
	ar := archFor[T]()
	if dst == nil {
		dst = &PackedB[T]{}
	}
	size := roundUp(n, ar.nr) * k
	if cap(dst.data) < size {
		dst.data = make([]T, size)
	}
	dst.K, dst.N, dst.nr, dst.data = k, n, ar.nr, dst.data[:size]
	if k > 0 {
		packBT(b, ldb, 0, 0, n, k, ar.nr, scale, dst.data)
	}
	return dst
}

// PackB packs the row-major k×n matrix b (leading dimension ldb) into dst,
// reusing its storage when large enough, and returns dst (a new PackedB if
// dst is nil). With b = V [n_k×d_v] this is V ready for A·V.
func PackB[T Float](k, n int, b []T, ldb int, dst *PackedB[T]) *PackedB[T] {
	checkOperand("PackB", "b", k, n, ldb, len(b))
	ar := archFor[T]()
	if dst == nil {
		dst = &PackedB[T]{}
	}
	size := roundUp(n, ar.nr) * k
	if cap(dst.data) < size {
		dst.data = make([]T, size)
	}
	dst.K, dst.N, dst.nr, dst.data = k, n, ar.nr, dst.data[:size]
	if k > 0 {
		packB(b, ldb, 0, 0, n, k, ar.nr, dst.data)
	}
	return dst
}

// GemmRowsPackedAcc adds a·b[p0:p0+k, :] to the m×b.N matrix c, for the
// row-major m×k matrix a (leading dimension lda). Each element is computed
// exactly as by GemmNNAcc. It panics if b was packed on another path, the
// row range is outside b or a slice is too short.
func GemmRowsPackedAcc[T Float](m, k int, a []T, lda int, b *PackedB[T], p0 int, c []T, ldc int) {
	gemmRowsPacked("GemmRowsPackedAcc", m, k, a, lda, b, p0, 0, b.N, c, ldc, true)
}

// GemmRowsPacked overwrites the m×(j1−j0) matrix c with
// a·b[p0:p0+k, j0:j1], for the row-major m×k matrix a (leading dimension
// lda), where j0 is a multiple of PanelWidth. Each element is computed
// exactly as by GemmNN. It panics if b was packed on another path, a range
// is outside b or a slice is too short.
func GemmRowsPacked[T Float](m, k int, a []T, lda int, b *PackedB[T], p0, j0, j1 int, c []T, ldc int) {
	gemmRowsPacked("GemmRowsPacked", m, k, a, lda, b, p0, j0, j1, c, ldc, false)
}

func gemmRowsPacked[T Float](routine string, m, k int, a []T, lda int, b *PackedB[T], p0, j0, j1 int, c []T, ldc int, accumulate bool) {
	ar := archFor[T]()
	switch {
	case b.nr != ar.nr:
		panic(fmt.Sprintf("kernel: %s: b packed for panels of %d columns, active path uses %d", routine, b.nr, ar.nr))
	case p0 < 0 || k < 0 || p0+k > b.K:
		panic(fmt.Sprintf("kernel: %s: rows [%d, %d) outside b's %d rows", routine, p0, p0+k, b.K))
	case j0 < 0 || j1 > b.N || j0 > j1 || j0%ar.nr != 0:
		panic(fmt.Sprintf("kernel: %s: column range [%d, %d) invalid for %d columns in panels of %d", routine, j0, j1, b.N, ar.nr))
	}
	n := j1 - j0
	checkOperand(routine, "a", m, k, lda, len(a))
	checkOperand(routine, "c", m, n, ldc, len(c))
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		if !accumulate {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	acc := 0
	if accumulate {
		acc = 1
	}
	mr, nr := ar.mr, ar.nr
	var tile [32 * 32]T
	var edge []T
	if m%mr != 0 {
		buf := getBuf[T](mr * k)
		defer putBuf(buf)
		edge = *buf
		packRowsEdge(a, lda, m-m%mr, 0, m%mr, k, mr, edge)
	}
	for jr := 0; jr < n; jr += nr {
		nrr := min(nr, n-jr)
		bp := &b.data[((j0+jr)/nr)*b.K*nr+p0*nr]
		for ir := 0; ir < m; ir += mr {
			mrr := min(mr, m-ir)
			aPtr, ldap := (*T)(nil), k
			if mrr == mr {
				aPtr, ldap = &a[ir*lda], lda
			} else {
				aPtr = &edge[0]
			}
			ci := ir*ldc + jr
			if mrr == mr && nrr == nr {
				ar.rows(k, aPtr, ldap, bp, nr, &c[ci], ldc, acc)
				continue
			}
			if accumulate {
				for i := 0; i < mrr; i++ {
					copy(tile[i*nr:i*nr+nrr], c[ci+i*ldc:ci+i*ldc+nrr])
				}
			}
			ar.rows(k, aPtr, ldap, bp, nr, &tile[0], nr, acc)
			for i := 0; i < mrr; i++ {
				copy(c[ci+i*ldc:ci+i*ldc+nrr], tile[i*nr:i*nr+nrr])
			}
		}
	}
}
