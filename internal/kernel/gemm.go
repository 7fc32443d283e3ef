package kernel

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
// up to the order of the additions, which is fixed for given m, n, k.
func GemmNN[T Float](m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	for i := 0; i < m; i++ {
		ci := c[i*ldc : i*ldc+n]
		clear(ci)
		ai := a[i*lda : i*lda+k]
		for p, av := range ai {
			bp := b[p*ldb : p*ldb+n]
			for j, bv := range bp {
				ci[j] += av * bv
			}
		}
	}
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
// up to the order of the additions, which is fixed for given m, n, k.
func GemmNT[T Float](m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	for i := 0; i < m; i++ {
		ai := a[i*lda : i*lda+k]
		for j := 0; j < n; j++ {
			c[i*ldc+j] = Dot(ai, b[j*ldb:j*ldb+k])
		}
	}
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
