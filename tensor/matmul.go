package tensor

import (
	"fmt"

	"qkv/internal/kernel"
	"qkv/internal/parallel"
)

// rowGrain is the number of output rows one goroutine computes at a time.
// The partition is fixed, so results do not depend on GOMAXPROCS.
const rowGrain = 32

// parallelMinWork is the multiply-add count below which a product runs on
// the calling goroutine: starting goroutines costs more than it saves.
const parallelMinWork = 1 << 16

// MatMul returns a·b for a [m×k] and b [k×n].
func MatMul[T Float](a, b *Matrix[T]) (*Matrix[T], error) {
	if a.Cols != b.Rows {
		return nil, fmt.Errorf("tensor: cannot multiply %v by %v: inner dimensions %d and %d differ", a.Shape(), b.Shape(), a.Cols, b.Rows)
	}
	c := New[T](a.Rows, b.Cols)
	mulRows(a.Rows, b.Cols, a.Cols, func(lo, hi int) {
		kernel.GemmNN(hi-lo, b.Cols, a.Cols, a.Data[lo*a.Cols:], a.Cols, b.Data, b.Cols, c.Data[lo*c.Cols:], c.Cols)
	})
	return c, nil
}

// MatMulT returns a·bᵀ for a [m×k] and b [n×k].
func MatMulT[T Float](a, b *Matrix[T]) (*Matrix[T], error) {
	if a.Cols != b.Cols {
		return nil, fmt.Errorf("tensor: cannot multiply %v by the transpose of %v: both need the same number of columns, got %d and %d", a.Shape(), b.Shape(), a.Cols, b.Cols)
	}
	c := New[T](a.Rows, b.Rows)
	mulRows(a.Rows, b.Rows, a.Cols, func(lo, hi int) {
		kernel.GemmNT(hi-lo, b.Rows, a.Cols, a.Data[lo*a.Cols:], a.Cols, b.Data, b.Cols, c.Data[lo*c.Cols:], c.Cols)
	})
	return c, nil
}

// mulRows runs rows(lo, hi) over blocks of output rows, in parallel when
// the product is large enough to pay for it.
func mulRows(m, n, k int, rows func(lo, hi int)) {
	if m == 0 {
		return
	}
	if m*n*k < parallelMinWork {
		rows(0, m)
		return
	}
	parallel.For(m, rowGrain, rows)
}

// MatMulRef is the plain triple-loop reference for MatMul, kept as the
// test oracle.
func MatMulRef[T Float](a, b *Matrix[T]) (*Matrix[T], error) {
	if a.Cols != b.Rows {
		return nil, fmt.Errorf("tensor: cannot multiply %v by %v: inner dimensions %d and %d differ", a.Shape(), b.Shape(), a.Cols, b.Rows)
	}
	c := New[T](a.Rows, b.Cols)
	kernel.GemmNNRef(a.Rows, b.Cols, a.Cols, a.Data, a.Cols, b.Data, b.Cols, c.Data, c.Cols)
	return c, nil
}
