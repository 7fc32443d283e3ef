// Package tensor provides the dense row-major matrix that qkv's attention,
// transformer and training code is built on.
//
// # Layout
//
// A Matrix with r rows and c columns stores element (i, j) at Data[i*c+j],
// the layout of a C-order numpy array. Shapes are written [r×c] in
// documentation and error messages.
//
// # Element types
//
// Matrix is generic over float32 and float64 (the Float constraint). Both
// accumulate in their own precision.
//
// # Errors and aliasing
//
// Functions that combine matrices return an error naming both shapes when
// they do not fit; shapes usually come from files, so a mismatch is a data
// error, not a bug. Inputs are never modified. A destination must not share
// memory with an input.
package tensor
