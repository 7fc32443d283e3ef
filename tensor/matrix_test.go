package tensor

import (
	"math"
	"strings"
	"testing"
)

func TestNewPanicsOnNegativeShape(t *testing.T) {
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), "[-1×2]") {
			t.Errorf("recovered %v, want a panic naming [-1×2]", r)
		}
	}()
	New[float64](-1, 2)
}

func TestFromSlice(t *testing.T) {
	data := []float64{1, 2, 3, 4, 5, 6}
	m, err := FromSlice(2, 3, data)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.At(1, 0); got != 4 {
		t.Errorf("At(1, 0) = %v, want 4", got)
	}
	data[5] = 60
	if got := m.At(1, 2); got != 60 {
		t.Errorf("FromSlice copied the data: At(1, 2) = %v, want 60", got)
	}
	for _, tc := range []struct {
		name       string
		rows, cols int
		n          int
		want       string
	}{
		{"too few", 2, 3, 5, "needs 6 elements, got 5"},
		{"too many", 1, 1, 2, "needs 1 elements, got 2"},
		{"negative", -2, 3, 0, "dimensions must be non-negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromSlice(tc.rows, tc.cols, make([]float64, tc.n))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestFromRows(t *testing.T) {
	rows := [][]float32{{1, 2}, {3, 4}, {5, 6}}
	m, err := FromRows(rows)
	if err != nil {
		t.Fatal(err)
	}
	if m.Shape() != (Shape{3, 2}) || m.At(2, 1) != 6 {
		t.Errorf("got %v with At(2, 1) = %v, want [3×2] and 6", m.Shape(), m.At(2, 1))
	}
	rows[0][0] = 100
	if m.At(0, 0) != 1 {
		t.Error("FromRows shares memory with its argument, want a copy")
	}
	if _, err := FromRows([][]float32{{1, 2}, {3}}); err == nil || !strings.Contains(err.Error(), "row 1 has 1 elements, row 0 has 2") {
		t.Errorf("ragged rows: error %v, want one naming row 1", err)
	}
	if empty, err := FromRows[float64](nil); err != nil || empty.Rows != 0 || empty.Cols != 0 {
		t.Errorf("FromRows(nil) = %v, %v, want an empty matrix", empty, err)
	}
}

func TestMustFromRowsPanicsOnRaggedRows(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustFromRows with ragged rows did not panic")
		}
	}()
	MustFromRows([][]float64{{1}, {2, 3}})
}

func TestIdentityCloneTranspose(t *testing.T) {
	id := Identity[float64](3, 2.5)
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			want := 0.0
			if i == j {
				want = 2.5
			}
			if got := id.At(i, j); got != want {
				t.Errorf("Identity At(%d, %d) = %v, want %v", i, j, got, want)
			}
		}
	}

	m := MustFromRows([][]float64{{1, 2, 3}, {4, 5, 6}})
	c := m.Clone()
	c.Set(0, 0, -1)
	if m.At(0, 0) != 1 {
		t.Error("Clone shares memory with the original")
	}

	tr := Transpose(m)
	if tr.Shape() != (Shape{3, 2}) {
		t.Fatalf("Transpose shape %v, want [3×2]", tr.Shape())
	}
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			if tr.At(j, i) != m.At(i, j) {
				t.Errorf("Transpose At(%d, %d) = %v, want %v", j, i, tr.At(j, i), m.At(i, j))
			}
		}
	}
}

func TestRowAndRows2D(t *testing.T) {
	m := MustFromRows([][]float64{{1, 2}, {3, 4}})
	m.Row(1)[0] = 30
	if m.At(1, 0) != 30 {
		t.Error("Row does not share memory with the matrix")
	}
	rows := m.Rows2D()
	rows[0][0] = 10
	if m.At(0, 0) != 1 {
		t.Error("Rows2D shares memory with the matrix, want a copy")
	}
	if len(rows) != 2 || rows[1][0] != 30 || rows[1][1] != 4 {
		t.Errorf("Rows2D = %v, want [[1 2] [30 4]] before the edit", rows)
	}
}

func TestConvert(t *testing.T) {
	m := MustFromRows([][]float64{{0.1, 1e39}, {-2, math.Inf(-1)}})
	f := Convert[float32](m)
	want := []float32{0.1, float32(math.Inf(1)), -2, float32(math.Inf(-1))}
	for i, w := range want {
		if f.Data[i] != w {
			t.Errorf("element %d = %v, want %v", i, f.Data[i], w)
		}
	}
	back := Convert[float64](f)
	if back.Data[0] != float64(float32(0.1)) {
		t.Errorf("float32 to float64 = %v, want %v", back.Data[0], float64(float32(0.1)))
	}
}

func TestCheckFinite(t *testing.T) {
	cases := []struct {
		name string
		x    float64
		want string
	}{
		{"NaN", math.NaN(), "W [2×3] has NaN at row 1, column 2; inputs must be finite"},
		{"+Inf", math.Inf(1), "W [2×3] has +Inf at row 1, column 2"},
		{"-Inf", math.Inf(-1), "W [2×3] has -Inf at row 1, column 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := New[float64](2, 3)
			m.Set(1, 2, tc.x)
			err := CheckFinite("W", m)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	if err := CheckFinite("W", MustFromRows([][]float32{{math.MaxFloat32, -math.MaxFloat32}})); err != nil {
		t.Errorf("finite extremes: %v", err)
	}
}
