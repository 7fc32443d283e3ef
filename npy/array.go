package npy

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// Array is an n-dimensional array of one element type, stored in C
// (row-major) order.
type Array struct {
	Shape []int
	DType DType
	// raw holds the elements little-endian, len(raw) = Len()·DType.Size().
	raw []byte
}

// Len returns the number of elements, the product of Shape (1 for a
// scalar of shape []).
func (a *Array) Len() int {
	n := 1
	for _, d := range a.Shape {
		n *= d
	}
	return n
}

// ShapeString formats a shape as numpy would print a list of it: [3 4].
func ShapeString(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// String describes the array by shape and dtype, for example "[3 4] float64".
func (a *Array) String() string { return ShapeString(a.Shape) + " " + string(a.DType) }

// Float64 returns the elements converted to float64: booleans become 0 or
// 1, and int64 values beyond ±2⁵³ are rounded to the nearest float64.
func (a *Array) Float64() []float64 {
	out := make([]float64, a.Len())
	for i := range out {
		out[i] = a.float64At(i)
	}
	return out
}

// Float32 returns the elements converted to float32 with the usual
// rounding: float64 values beyond the float32 range become ±Inf, so check
// them first if that matters.
func (a *Array) Float32() []float32 {
	out := make([]float32, a.Len())
	for i := range out {
		if a.DType == Float32 {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(a.raw[4*i:]))
			continue
		}
		out[i] = float32(a.float64At(i))
	}
	return out
}

// Int64 returns the elements of an integer or bool array as int64
// (booleans as 0 or 1). It returns an error for a float array.
func (a *Array) Int64() ([]int64, error) {
	if a.DType.IsFloat() {
		return nil, fmt.Errorf("npy: array %v contains floats, not integers", a)
	}
	out := make([]int64, a.Len())
	for i := range out {
		out[i] = a.int64At(i)
	}
	return out, nil
}

// Bool returns the elements of a bool array. It returns an error for any
// other dtype.
func (a *Array) Bool() ([]bool, error) {
	if a.DType != Bool {
		return nil, fmt.Errorf("npy: array %v is not a bool array", a)
	}
	out := make([]bool, a.Len())
	for i := range out {
		out[i] = a.raw[i] != 0
	}
	return out, nil
}

func (a *Array) float64At(i int) float64 {
	switch a.DType {
	case Float32:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(a.raw[4*i:])))
	case Float64:
		return math.Float64frombits(binary.LittleEndian.Uint64(a.raw[8*i:]))
	}
	return float64(a.int64At(i))
}

func (a *Array) int64At(i int) int64 {
	switch a.DType {
	case Bool, Uint8:
		return int64(a.raw[i])
	case Int8:
		return int64(int8(a.raw[i]))
	case Int16:
		return int64(int16(binary.LittleEndian.Uint16(a.raw[2*i:])))
	case Int32:
		return int64(int32(binary.LittleEndian.Uint32(a.raw[4*i:])))
	case Int64:
		return int64(binary.LittleEndian.Uint64(a.raw[8*i:]))
	}
	panic(fmt.Sprintf("npy: int64At on dtype %q", a.DType))
}

// NewFloat64 returns a float64 array with the given shape and elements in
// row-major order. It returns an error if len(data) does not match shape.
func NewFloat64(shape []int, data []float64) (*Array, error) {
	a, err := newArray(shape, Float64, len(data))
	if err != nil {
		return nil, err
	}
	for i, v := range data {
		binary.LittleEndian.PutUint64(a.raw[8*i:], math.Float64bits(v))
	}
	return a, nil
}

// NewFloat32 returns a float32 array with the given shape and elements in
// row-major order. It returns an error if len(data) does not match shape.
func NewFloat32(shape []int, data []float32) (*Array, error) {
	a, err := newArray(shape, Float32, len(data))
	if err != nil {
		return nil, err
	}
	for i, v := range data {
		binary.LittleEndian.PutUint32(a.raw[4*i:], math.Float32bits(v))
	}
	return a, nil
}

// newBool returns a bool array with the given shape and elements.
func newBool(shape []int, data []bool) (*Array, error) {
	a, err := newArray(shape, Bool, len(data))
	if err != nil {
		return nil, err
	}
	for i, v := range data {
		if v {
			a.raw[i] = 1
		}
	}
	return a, nil
}

func newArray(shape []int, dtype DType, n int) (*Array, error) {
	size, err := elementCount(shape)
	if err != nil {
		return nil, err
	}
	if size != n {
		return nil, fmt.Errorf("npy: shape %s needs %d elements, got %d", ShapeString(shape), size, n)
	}
	return &Array{Shape: append([]int{}, shape...), DType: dtype, raw: make([]byte, n*dtype.Size())}, nil
}

// maxElements bounds the element count of a shape so that byte sizes
// cannot overflow an int on any platform.
const maxElements = math.MaxInt32

// elementCount returns the product of shape, or an error if a dimension is
// negative or the product exceeds maxElements.
func elementCount(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("npy: shape %s has a negative dimension", ShapeString(shape))
		}
		if d != 0 && n > maxElements/d {
			return 0, fmt.Errorf("npy: shape %s has more than %d elements", ShapeString(shape), maxElements)
		}
		n *= d
	}
	return n, nil
}
