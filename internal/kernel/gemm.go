package kernel

import (
	"fmt"
	"sync"
)

// Float is the element type of the kernels.
type Float interface{ ~float32 | ~float64 }

// GemmNN overwrites the m×n matrix c with a·b, where a is m×k and b is
// k×n. It is equivalent to
//
//	for i := 0; i < m; i++ {
//		for j := 0; j < n; j++ {
//			var s T
//			for p := 0; p < k; p++ {
//				s += a[i*lda+p] * b[p*ldb+j]
//			}
//			c[i*ldc+j] = s
//		}
//	}
//
// except that on the assembly paths each multiply-add is fused (one
// rounding). The additions run in increasing p for every element whatever
// m and n are, so splitting the rows of c into several calls gives
// bit-identical results.
func GemmNN[T Float](m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	gemm(false, false, false, m, n, k, a, lda, b, ldb, c, ldc)
}

// GemmNT overwrites the m×n matrix c with a·bᵀ, where a is m×k and b is
// n×k. It is equivalent to
//
//	for i := 0; i < m; i++ {
//		for j := 0; j < n; j++ {
//			var s T
//			for p := 0; p < k; p++ {
//				s += a[i*lda+p] * b[j*ldb+p]
//			}
//			c[i*ldc+j] = s
//		}
//	}
//
// with the same order and rounding as GemmNN.
func GemmNT[T Float](m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	gemm(false, true, false, m, n, k, a, lda, b, ldb, c, ldc)
}

// GemmTN overwrites the m×n matrix c with aᵀ·b, where a is k×m and b is
// k×n. It is equivalent to
//
//	for i := 0; i < m; i++ {
//		for j := 0; j < n; j++ {
//			var s T
//			for p := 0; p < k; p++ {
//				s += a[p*lda+i] * b[p*ldb+j]
//			}
//			c[i*ldc+j] = s
//		}
//	}
//
// with the same order and rounding as GemmNN.
func GemmTN[T Float](m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	gemm(true, false, false, m, n, k, a, lda, b, ldb, c, ldc)
}

// GemmNNAcc adds a·b to the m×n matrix c, with a and b as in GemmNN: the
// loop of GemmNN with s starting from c[i*ldc+j] instead of 0.
func GemmNNAcc[T Float](m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	gemm(false, false, true, m, n, k, a, lda, b, ldb, c, ldc)
}

// GemmNTAcc adds a·bᵀ to the m×n matrix c, with a and b as in GemmNT: the
// loop of GemmNT with s starting from c[i*ldc+j] instead of 0.
func GemmNTAcc[T Float](m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	gemm(false, true, true, m, n, k, a, lda, b, ldb, c, ldc)
}

// GemmTNAcc adds aᵀ·b to the m×n matrix c, with a and b as in GemmTN: the
// loop of GemmTN with s starting from c[i*ldc+j] instead of 0.
func GemmTNAcc[T Float](m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	gemm(true, false, true, m, n, k, a, lda, b, ldb, c, ldc)
}

// Dot returns the sum of x[i]·y[i] over i < len(x); y must be at least as
// long as x.
func Dot[T Float](x, y []T) T {
	y = y[:len(x)]
	var s0, s1, s2, s3 T
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// checkOperand panics unless a matrix stored in s with rows·cols elements
// and leading dimension ld fits in s. The assembly does not check bounds,
// so the Go side must.
func checkOperand(routine, name string, rows, cols, ld, length int) {
	if ld < cols {
		panic(fmt.Sprintf("kernel: %s: leading dimension of %s is %d, less than its %d columns", routine, name, ld, cols))
	}
	if rows > 0 && cols > 0 && length < (rows-1)*ld+cols {
		panic(fmt.Sprintf("kernel: %s: %s has %d elements, need (%d−1)·%d+%d = %d", routine, name, length, rows, ld, cols, (rows-1)*ld+cols))
	}
}

// gemm computes C = op(A)·op(B), or C += op(A)·op(B) when accumulate is
// set, for op(A) m×k and op(B) k×n. transA means a stores A transposed
// (k×m), transB that b stores B transposed (n×k).
//
// The loops follow the usual five-loop blocking: columns in blocks of nc,
// depth in blocks of kc, rows in blocks of mc, then nr×mr register tiles.
// B is packed into nr-column panels, except that a row-major B is read in
// place when m is small (see directBMaxRows). Whether row-major or
// transposed, A is read in place, and only its last, partial panel of rows
// is copied with zero padding. Tiles that stick out of C are computed in a
// scratch tile from zero-padded panels and copied out, so every element of
// C goes through the same multiply-add chain.
func gemm[T Float](transA, transB, accumulate bool, m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernel: gemm: negative dimension in m=%d, n=%d, k=%d", m, n, k))
	}
	if transA {
		checkOperand("gemm", "a", k, m, lda, len(a))
	} else {
		checkOperand("gemm", "a", m, k, lda, len(a))
	}
	if transB {
		checkOperand("gemm", "b", n, k, ldb, len(b))
	} else {
		checkOperand("gemm", "b", k, n, ldb, len(b))
	}
	checkOperand("gemm", "c", m, n, ldc, len(c))
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

	if transB && !transA && m < n && m <= directBMaxRows {
		gemmNTSwapped(accumulate, m, n, k, a, lda, b, ldb, c, ldc)
		return
	}

	ar := archFor[T]()
	mr, nr := ar.mr, ar.nr
	kc := min(ar.kc, k)
	mc := min(ar.mc, roundUp(m, mr))
	nc := min(ar.nc, roundUp(n, nr))

	bufA := getBuf[T](mc * kc)
	defer putBuf(bufA)
	// Packing B costs about as much as multiplying it by one row panel of
	// A, so a product with few rows reads a row-major B in place, packing
	// only a last, partial panel.
	directB := !transB && m <= directBMaxRows
	bufB := getBuf[T](kc * nc)
	defer putBuf(bufB)
	tile := getBuf[T](mr * nr)
	defer putBuf(tile)
	pa, pb, pt := *bufA, *bufB, *tile

	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			acc := 0
			if accumulate || pc > 0 {
				acc = 1
			}

			// B: packed panels, or in place with a packed last panel.
			if transB {
				packBT(b, ldb, jc, pc, nb, kb, nr, 1, pb)
			} else if directB {
				if nb%nr != 0 {
					packBEdge(b, ldb, jc+nb-nb%nr, pc, nb%nr, kb, nr, pb)
				}
			} else {
				packB(b, ldb, jc, pc, nb, kb, nr, pb)
			}

			for ic := 0; ic < m; ic += mc {
				mb := min(mc, m-ic)
				if transA {
					// Only a last, partial panel of columns is packed; whole
					// panels are read in place.
					if mb%mr != 0 {
						packAT(a, lda, ic+mb-mb%mr, pc, mb%mr, kb, mr, pa)
					}
				} else if mb%mr != 0 {
					// The last, partial row panel, zero-padded.
					packRowsEdge(a, lda, ic+mb-mb%mr, pc, mb%mr, kb, mr, pa)
				}

				for jr := 0; jr < nb; jr += nr {
					nrr := min(nr, nb-jr)
					bp, ldbp := &pb[(jr/nr)*kb*nr], nr
					if directB {
						if nrr == nr {
							bp, ldbp = &b[pc*ldb+jc+jr], ldb
						} else {
							bp = &pb[0]
						}
					}
					for ir := 0; ir < mb; ir += mr {
						mrr := min(mr, mb-ir)
						ci := (ic+ir)*ldc + jc + jr
						kernel := func(c *T, ldc int) {
							switch {
							case transA && mrr < mr:
								ar.kernel(kb, &pa[0], bp, ldbp, c, ldc, acc)
							case transA:
								ar.cols(kb, &a[pc*lda+ic+ir], lda, bp, ldbp, c, ldc, acc)
							case mrr < mr:
								ar.rows(kb, &pa[0], kb, bp, ldbp, c, ldc, acc)
							default:
								ar.rows(kb, &a[(ic+ir)*lda+pc], lda, bp, ldbp, c, ldc, acc)
							}
						}
						if mrr == mr && nrr == nr {
							kernel(&c[ci], ldc)
							continue
						}
						// Edge tile through the scratch tile.
						if acc != 0 {
							for i := 0; i < mrr; i++ {
								copy(pt[i*nr:i*nr+nrr], c[ci+i*ldc:ci+i*ldc+nrr])
							}
						}
						kernel(&pt[0], nr)
						for i := 0; i < mrr; i++ {
							copy(c[ci+i*ldc:ci+i*ldc+nrr], pt[i*nr:i*nr+nrr])
						}
					}
				}
			}
		}
	}
}

// directBMaxRows is the largest m for which gemm reads a row-major B in
// place. Callers that split C into blocks of 32 rows fall below it, and
// so do the blocks of at most 128 queries of the streaming attention.
var directBMaxRows = 128

// gemmNTSwapped computes C = a·bᵀ (or C += a·bᵀ) for few rows m < n as
// Cᵀ = b·aᵀ in a scratch matrix, then transposes it into C. Packing aᵀ
// (m·k elements) and transposing Cᵀ (m·n) costs less than packing bᵀ
// (n·k) when m is small. Multiplication commutes exactly and the sums
// still run in increasing p, so every element of C is bit-identical to the
// direct route.
func gemmNTSwapped[T Float](accumulate bool, m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	buf := getBuf[T](n * m)
	defer putBuf(buf)
	ct := *buf // Cᵀ [n×m]
	if accumulate {
		for i := 0; i < m; i++ {
			for j, v := range c[i*ldc : i*ldc+n] {
				ct[j*m+i] = v
			}
		}
	}
	gemm(false, true, accumulate, n, m, k, b, ldb, a, lda, ct, m)
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		for j := range row {
			row[j] = ct[j*m+i]
		}
	}
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// packRowsEdge copies rows [i0, i0+rows) and columns [pc, pc+kb) of the
// row-major A into dst as an mr×kb row-major block, rows ≥ rows zero.
func packRowsEdge[T Float](a []T, lda, i0, pc, rows, kb, mr int, dst []T) {
	for i := 0; i < mr; i++ {
		out := dst[i*kb : (i+1)*kb]
		if i < rows {
			copy(out, a[(i0+i)*lda+pc:][:kb])
		} else {
			clear(out)
		}
	}
}

// packAT copies rows [ic, ic+mb) and columns [pc, pc+kb) of A, stored
// transposed (element (i, p) is a[p*lda+i]), into dst as panels of mr
// rows: panel r holds, for each p, the mr elements A[ic+r·mr+i][pc+p],
// zero past the last row.
func packAT[T Float](a []T, lda, ic, pc, mb, kb, mr int, dst []T) {
	full := mb / mr // panels without padding
	for p := 0; p < kb; p++ {
		src := a[(pc+p)*lda+ic:][:mb]
		r := 0
		if mr == 8 {
			// Whole panels are copied with constant indices, which need
			// one bounds check each instead of a loop per element.
			for ; r < full; r++ {
				o := dst[r*kb*8+p*8:][:8:8]
				s := src[r*8:][:8:8]
				o[0], o[1], o[2], o[3] = s[0], s[1], s[2], s[3]
				o[4], o[5], o[6], o[7] = s[4], s[5], s[6], s[7]
			}
		}
		for ; r*mr < mb; r++ {
			out := dst[r*kb*mr+p*mr:][:mr]
			rows := min(mr, mb-r*mr)
			for i, v := range src[r*mr : r*mr+rows] {
				out[i] = v
			}
			for i := rows; i < mr; i++ {
				out[i] = 0
			}
		}
	}
}

// packBT copies columns [jc, jc+nb) and depth [pc, pc+kb) of B, stored
// transposed (element (p, j) is b[j*ldb+p]), into dst as panels of nr
// columns: panel q holds, for each p, the nr elements B[pc+p][jc+q·nr+j],
// zero past the last column. Each element is multiplied by scale, which
// is exact for scale = 1.
func packBT[T Float](b []T, ldb, jc, pc, nb, kb, nr int, scale T, dst []T) {
	// Each source row is read once, in order, and scattered down one
	// column of the panel, which stays in the L1 cache. Four elements per
	// step keep the stores independent.
	for q := 0; q*nr < nb; q++ {
		panel := dst[q*kb*nr : (q+1)*kb*nr]
		cols := min(nr, nb-q*nr)
		for j := 0; j < cols; j++ {
			col := jc + q*nr + j
			src := b[col*ldb+pc : col*ldb+pc+kb]
			out := panel[j:]
			p := 0
			for ; p+4 <= kb; p += 4 {
				x0, x1, x2, x3 := src[p]*scale, src[p+1]*scale, src[p+2]*scale, src[p+3]*scale
				o := out[p*nr : p*nr+3*nr+1]
				o[0], o[nr], o[2*nr], o[3*nr] = x0, x1, x2, x3
			}
			for ; p < kb; p++ {
				out[p*nr] = src[p] * scale
			}
		}
		if cols < nr {
			for p := 0; p < kb; p++ {
				clear(panel[p*nr+cols : (p+1)*nr])
			}
		}
	}
}

// packB is packBT for row-major B: element (p, j) is b[p*ldb+j].
func packB[T Float](b []T, ldb, jc, pc, nb, kb, nr int, dst []T) {
	for q := 0; q*nr < nb; q++ {
		panel := dst[q*kb*nr : (q+1)*kb*nr]
		cols := min(nr, nb-q*nr)
		for p := 0; p < kb; p++ {
			out := panel[p*nr : p*nr+nr]
			copy(out, b[(pc+p)*ldb+jc+q*nr:][:cols])
			clear(out[cols:])
		}
	}
}

// Scratch buffers for packing, reused across calls.
var pool32, pool64 sync.Pool

// getBuf returns a scratch slice of at least n elements.
func getBuf[T Float](n int) *[]T {
	var z T
	var p *sync.Pool
	switch any(z).(type) {
	case float32:
		p = &pool32
	case float64:
		p = &pool64
	}
	if p != nil {
		if v, ok := p.Get().(*[]T); ok && cap(*v) >= n {
			*v = (*v)[:n]
			return v
		}
	}
	s := make([]T, n)
	return &s
}

// putBuf returns a buffer from getBuf for reuse.
func putBuf[T Float](buf *[]T) {
	var z T
	switch any(z).(type) {
	case float32:
		pool32.Put(buf)
	case float64:
		pool64.Put(buf)
	}
}

// packBEdge copies the cols < nr columns of row-major B starting at
// column j0, depth [pc, pc+kb), into one zero-padded panel of nr columns.
func packBEdge[T Float](b []T, ldb, j0, pc, cols, kb, nr int, dst []T) {
	for p := 0; p < kb; p++ {
		out := dst[p*nr : p*nr+nr]
		copy(out, b[(pc+p)*ldb+j0:][:cols])
		clear(out[cols:])
	}
}
