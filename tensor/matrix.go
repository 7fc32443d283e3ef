package tensor

import (
	"fmt"
	"math"
)

// Float is the set of element types a Matrix may hold.
type Float interface{ ~float32 | ~float64 }

// Matrix is a dense row-major matrix: element (i, j) is Data[i*Cols+j].
type Matrix[T Float] struct {
	Rows, Cols int
	Data       []T // length Rows*Cols
}

// Shape is the size of a matrix, printed as [rows×cols].
type Shape struct{ Rows, Cols int }

func (s Shape) String() string { return fmt.Sprintf("[%d×%d]", s.Rows, s.Cols) }

// New returns a zero matrix with the given shape. It panics if a dimension
// is negative.
func New[T Float](rows, cols int) *Matrix[T] {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("tensor: New with negative shape [%d×%d]", rows, cols))
	}
	return &Matrix[T]{Rows: rows, Cols: cols, Data: make([]T, rows*cols)}
}

// FromSlice wraps data, which must have rows·cols elements, as a matrix
// without copying.
func FromSlice[T Float](rows, cols int, data []T) (*Matrix[T], error) {
	if rows < 0 || cols < 0 {
		return nil, fmt.Errorf("tensor: invalid shape [%d×%d]: dimensions must be non-negative", rows, cols)
	}
	if len(data) != rows*cols {
		return nil, fmt.Errorf("tensor: shape [%d×%d] needs %d elements, got %d", rows, cols, rows*cols, len(data))
	}
	return &Matrix[T]{Rows: rows, Cols: cols, Data: data}, nil
}

// FromRows copies a slice of equally long rows into a new matrix.
func FromRows[T Float](rows [][]T) (*Matrix[T], error) {
	if len(rows) == 0 {
		return New[T](0, 0), nil
	}
	cols := len(rows[0])
	m := New[T](len(rows), cols)
	for i, r := range rows {
		if len(r) != cols {
			return nil, fmt.Errorf("tensor: row %d has %d elements, row 0 has %d", i, len(r), cols)
		}
		copy(m.Data[i*cols:], r)
	}
	return m, nil
}

// MustFromRows is FromRows for literals in examples and tests; it panics
// on ragged rows.
func MustFromRows[T Float](rows [][]T) *Matrix[T] {
	m, err := FromRows(rows)
	if err != nil {
		panic(err)
	}
	return m
}

// Identity returns the n×n identity matrix scaled by s.
func Identity[T Float](n int, s T) *Matrix[T] {
	m := New[T](n, n)
	for i := 0; i < n; i++ {
		m.Data[i*n+i] = s
	}
	return m
}

// Shape returns the matrix's shape.
func (m *Matrix[T]) Shape() Shape { return Shape{m.Rows, m.Cols} }

// At returns element (i, j).
func (m *Matrix[T]) At(i, j int) T { return m.Data[i*m.Cols+j] }

// Set sets element (i, j) to v.
func (m *Matrix[T]) Set(i, j int, v T) { m.Data[i*m.Cols+j] = v }

// Row returns row i as a slice that shares memory with m.
func (m *Matrix[T]) Row(i int) []T { return m.Data[i*m.Cols : (i+1)*m.Cols] }

// Clone returns a deep copy of m.
func (m *Matrix[T]) Clone() *Matrix[T] {
	c := New[T](m.Rows, m.Cols)
	copy(c.Data, m.Data)
	return c
}

// Rows2D copies m into a slice of rows, the form JSON encoders expect.
func (m *Matrix[T]) Rows2D() [][]T {
	out := make([][]T, m.Rows)
	for i := range out {
		out[i] = append([]T(nil), m.Row(i)...)
	}
	return out
}

// Transpose returns mᵀ as a new matrix.
func Transpose[T Float](m *Matrix[T]) *Matrix[T] {
	t := New[T](m.Cols, m.Rows)
	for i := 0; i < m.Rows; i++ {
		for j := 0; j < m.Cols; j++ {
			t.Data[j*m.Rows+i] = m.Data[i*m.Cols+j]
		}
	}
	return t
}

// Convert returns a copy of m with elements converted to type U.
func Convert[U, T Float](m *Matrix[T]) *Matrix[U] {
	c := New[U](m.Rows, m.Cols)
	for i, v := range m.Data {
		c.Data[i] = U(v)
	}
	return c
}

// CheckFinite returns an error naming the first NaN or infinite element of
// m, using name for the matrix in the message.
func CheckFinite[T Float](name string, m *Matrix[T]) error {
	for idx, v := range m.Data {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%s %v has %v at row %d, column %d; inputs must be finite", name, m.Shape(), f, idx/m.Cols, idx%m.Cols)
		}
	}
	return nil
}
