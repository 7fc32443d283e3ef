package tensor

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
)

// fill returns a rows×cols matrix of values in [-1, 1) from a fixed
// integer recurrence.
func fill[T Float](rows, cols int, seed uint32) *Matrix[T] {
	m := New[T](rows, cols)
	state := seed*2654435761 + 1
	for i := range m.Data {
		state = state*1664525 + 1013904223
		m.Data[i] = T(float64(state>>8)/float64(1<<23) - 1)
	}
	return m
}

// productBound returns Σ_p |a_ip|·|b_pj|, the scale that the rounding
// error of element (i, j) of a·b is proportional to.
func productBound[T Float](a, b *Matrix[T], i, j int) float64 {
	s := 0.0
	for p := 0; p < a.Cols; p++ {
		s += math.Abs(float64(a.At(i, p))) * math.Abs(float64(b.At(p, j)))
	}
	return s
}

// epsilon returns the unit roundoff of T.
func epsilon[T Float]() float64 {
	var x T
	if _, ok := any(x).(float32); ok {
		return 0x1p-24
	}
	return 0x1p-53
}

// checkProduct compares got with the reference product of a and b. A sum
// of k products in floating point is off by at most about k·u·Σ|a||b|, so
// two summation orders, with or without fused multiply-adds, differ by at
// most about 2·k·u·Σ|a||b|.
func checkProduct[T Float](t *testing.T, a, b, got *Matrix[T]) {
	t.Helper()
	want, err := MatMulRef(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Shape() != want.Shape() {
		t.Fatalf("shape %v, want %v", got.Shape(), want.Shape())
	}
	tol := 2 * float64(a.Cols+1) * epsilon[T]()
	for i := 0; i < want.Rows; i++ {
		for j := 0; j < want.Cols; j++ {
			d := math.Abs(float64(got.At(i, j)) - float64(want.At(i, j)))
			if d > tol*productBound(a, b, i, j) {
				t.Fatalf("element (%d, %d) = %v, reference %v: difference %g exceeds %g·Σ|a||b|", i, j, got.At(i, j), want.At(i, j), d, tol)
			}
		}
	}
}

// productSizes cover single elements, sizes that are not multiples of any
// block, and products big enough for the parallel path.
var productSizes = []struct{ m, k, n int }{
	{1, 1, 1}, {1, 7, 1}, {3, 5, 2}, {17, 9, 33}, {64, 64, 64}, {100, 37, 71}, {129, 130, 65}, {0, 3, 4}, {3, 0, 4}, {3, 4, 0},
}

func TestMatMulMatchesReference(t *testing.T) {
	for _, s := range productSizes {
		t.Run(fmt.Sprintf("m=%d,k=%d,n=%d", s.m, s.k, s.n), func(t *testing.T) {
			a64, b64 := fill[float64](s.m, s.k, 1), fill[float64](s.k, s.n, 2)
			c64, err := MatMul(a64, b64)
			if err != nil {
				t.Fatal(err)
			}
			checkProduct(t, a64, b64, c64)

			a32, b32 := fill[float32](s.m, s.k, 3), fill[float32](s.k, s.n, 4)
			c32, err := MatMul(a32, b32)
			if err != nil {
				t.Fatal(err)
			}
			checkProduct(t, a32, b32, c32)
		})
	}
}

func TestMatMulTMatchesTranspose(t *testing.T) {
	for _, s := range productSizes {
		t.Run(fmt.Sprintf("m=%d,k=%d,n=%d", s.m, s.k, s.n), func(t *testing.T) {
			a, bT := fill[float64](s.m, s.k, 5), fill[float64](s.n, s.k, 6)
			got, err := MatMulT(a, bT)
			if err != nil {
				t.Fatal(err)
			}
			checkProduct(t, a, Transpose(bT), got)
		})
	}
}

func TestMatMulShapeErrors(t *testing.T) {
	a, b := New[float64](2, 3), New[float64](4, 5)
	if _, err := MatMul(a, b); err == nil || !strings.Contains(err.Error(), "cannot multiply [2×3] by [4×5]") {
		t.Errorf("MatMul: error %v, want one naming both shapes", err)
	}
	if _, err := MatMulRef(a, b); err == nil || !strings.Contains(err.Error(), "inner dimensions 3 and 4 differ") {
		t.Errorf("MatMulRef: error %v, want one naming the inner dimensions", err)
	}
	if _, err := MatMulT(a, b); err == nil || !strings.Contains(err.Error(), "transpose of [4×5]") {
		t.Errorf("MatMulT: error %v, want one naming both shapes", err)
	}
}

func TestMatMulLeavesInputsUnchanged(t *testing.T) {
	a, b := fill[float64](70, 40, 7), fill[float64](40, 50, 8)
	a0, b0 := a.Clone(), b.Clone()
	if _, err := MatMul(a, b); err != nil {
		t.Fatal(err)
	}
	if _, err := MatMulT(a, Transpose(b)); err != nil {
		t.Fatal(err)
	}
	for i := range a.Data {
		if math.Float64bits(a.Data[i]) != math.Float64bits(a0.Data[i]) {
			t.Fatalf("a element %d changed from %v to %v", i, a0.Data[i], a.Data[i])
		}
	}
	for i := range b.Data {
		if math.Float64bits(b.Data[i]) != math.Float64bits(b0.Data[i]) {
			t.Fatalf("b element %d changed from %v to %v", i, b0.Data[i], b.Data[i])
		}
	}
}

func TestMatMulDeterministicAcrossThreads(t *testing.T) {
	a, b := fill[float32](200, 96, 9), fill[float32](96, 150, 10)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var first *Matrix[float32]
	for _, procs := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(procs)
		got, err := MatMul(a, b)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = got
			continue
		}
		for i := range got.Data {
			if math.Float32bits(got.Data[i]) != math.Float32bits(first.Data[i]) {
				t.Fatalf("GOMAXPROCS=%d: element %d is %v, GOMAXPROCS=1 gave %v", procs, i, got.Data[i], first.Data[i])
			}
		}
	}
}

func BenchmarkMatMul(b *testing.B) {
	for _, n := range []int{16, 64, 256} {
		b.Run(fmt.Sprintf("n=%d/float32", n), func(b *testing.B) { benchMatMul[float32](b, n) })
		b.Run(fmt.Sprintf("n=%d/float64", n), func(b *testing.B) { benchMatMul[float64](b, n) })
	}
}

func benchMatMul[T Float](b *testing.B, n int) {
	x, y := fill[T](n, n, 1), fill[T](n, n, 2)
	for b.Loop() {
		if _, err := MatMul(x, y); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(2*float64(n*n*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
