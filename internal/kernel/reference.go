package kernel

// GemmNNRef is the plain-loop reference for GemmNN.
func GemmNNRef[T Float](m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s T
			for p := 0; p < k; p++ {
				s += a[i*lda+p] * b[p*ldb+j]
			}
			c[i*ldc+j] = s
		}
	}
}

// GemmNTRef is the plain-loop reference for GemmNT.
func GemmNTRef[T Float](m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s T
			for p := 0; p < k; p++ {
				s += a[i*lda+p] * b[j*ldb+p]
			}
			c[i*ldc+j] = s
		}
	}
}

// GemmTNRef is the plain-loop reference for GemmTN: c = aᵀ·b with a
// [k×m] and b [k×n].
func GemmTNRef[T Float](m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s T
			for p := 0; p < k; p++ {
				s += a[p*lda+i] * b[p*ldb+j]
			}
			c[i*ldc+j] = s
		}
	}
}
