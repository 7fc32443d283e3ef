// Package kernel holds the dense inner loops that the tensor and attention
// packages are built on. Every routine has a plain-loop reference twin in
// reference.go that the tests use as the oracle.
//
// Matrices are row-major slices with a leading dimension: element (i, j) of
// an m×n matrix a with leading dimension lda is a[i*lda+j], lda ≥ n.
//
// Determinism: the result of every routine depends only on its arguments,
// never on GOMAXPROCS or timing; callers that split work across goroutines
// must split it by a fixed partition of the output.
package kernel
