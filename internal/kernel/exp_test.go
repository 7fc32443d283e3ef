package kernel

import (
	"math"
	"testing"
)

// TestExpAccuracy measures the max relative error of the float32 exp over
// the arguments the softmax uses, x ≤ 0, and checks it against the
// documented bound.
func TestExpAccuracy(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		const points = 1 << 21
		xs := make([]float32, 0, points+4)
		for i := 0; i <= points; i++ {
			xs = append(xs, float32(expLow*float64(i)/points))
		}
		xs = append(xs, -1e-30, -0.34657359, 0.34657359-1, -87.3)
		got := append([]float32(nil), xs...)
		ExpShiftSum(got, 0)
		worst, at := 0.0, float32(0)
		for i, x := range xs {
			want := math.Exp(float64(x))
			if want < 0x1p-126 {
				continue // flushed to 0 by design
			}
			rel := math.Abs(float64(got[i])-want) / want
			if rel > worst {
				worst, at = rel, x
			}
		}
		t.Logf("max relative error %.3g at x = %v", worst, at)
		if worst > ExpMaxRelErr32 {
			t.Errorf("max relative error %.3g at x = %v exceeds %.3g", worst, at, ExpMaxRelErr32)
		}
	})
}

func TestExpSpecialValues(t *testing.T) {
	negInf := float32(math.Inf(-1))
	cases := []struct {
		name string
		x    float32
		want float32
	}{
		{"minus infinity", negInf, 0},
		{"below smallest normal", -88, 0},
		{"far below", -1e30, 0},
		{"zero", 0, 1},
	}
	forEachPath(t, func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				// 19 copies run through the vector loop and the tail.
				x := make([]float32, 19)
				for i := range x {
					x[i] = tc.x
				}
				sum := ExpShiftSum(x, 0)
				for i, v := range x {
					if v != tc.want {
						t.Fatalf("exp(%v) = %v at index %d, want %v", tc.x, v, i, tc.want)
					}
				}
				if sum != 19*tc.want {
					t.Errorf("sum = %v, want %v", sum, 19*tc.want)
				}
			})
		}
	})
}

func TestExpShiftSumMatchesLoop(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, n := range []int{0, 1, 7, 8, 9, 16, 17, 33, 100} {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(-i) * 0.37
			}
			want := 0.0
			for _, v := range x {
				want += math.Exp(float64(v) - 1)
			}
			got := ExpShiftSum(x, 1)
			if math.Abs(float64(got)-want) > 1e-6*want+1e-30 {
				t.Errorf("n=%d: sum = %v, want %v", n, got, want)
			}
		}
	})
}

func TestExpShiftSumFloat64(t *testing.T) {
	x := []float64{0, -1, math.Inf(-1), -2}
	sum := ExpShiftSum(x, 0)
	want := []float64{1, math.Exp(-1), 0, math.Exp(-2)}
	for i := range want {
		if x[i] != want[i] {
			t.Errorf("x[%d] = %v, want %v", i, x[i], want[i])
		}
	}
	if math.Abs(sum-(1+math.Exp(-1)+math.Exp(-2))) > 1e-15 {
		t.Errorf("sum = %v", sum)
	}
}

func TestMax(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, n := range []int{0, 1, 15, 16, 17, 64, 65, 100} {
			x := make([]float32, n)
			want := float32(math.Inf(-1))
			for i := range x {
				x[i] = float32((i*7919)%101) - 50
				want = max(want, x[i])
			}
			if got := Max(x); got != want {
				t.Errorf("n=%d: Max = %v, want %v", n, got, want)
			}
			// Each position in turn holds the maximum.
			for i := range x {
				saved := x[i]
				x[i] = 1000
				if got := Max(x); got != 1000 {
					t.Fatalf("n=%d: Max = %v with 1000 at index %d", n, got, i)
				}
				x[i] = saved
			}
		}
	})
	if got := Max([]float64{-3, -1, -2}); got != -1 {
		t.Errorf("Max float64 = %v, want -1", got)
	}
}

// TestExpAccuracy64 measures the max relative error of the float64 exp
// over [ln 2^-1022, 0] against math.Exp.
func TestExpAccuracy64(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		const points = 1 << 20
		low := -708.3964185322641
		xs := make([]float64, 0, points+3)
		for i := 0; i <= points; i++ {
			xs = append(xs, low*float64(i)/points)
		}
		xs = append(xs, -1e-300, -0.34657359027997264, -700)
		got := append([]float64(nil), xs...)
		ExpShiftSum(got, 0)
		worst, at := 0.0, 0.0
		for i, x := range xs {
			want := math.Exp(x)
			rel := math.Abs(got[i]-want) / want
			if rel > worst {
				worst, at = rel, x
			}
		}
		t.Logf("max relative error %.3g at x = %v", worst, at)
		if worst > ExpMaxRelErr64 {
			t.Errorf("max relative error %.3g at x = %v exceeds %.3g", worst, at, ExpMaxRelErr64)
		}
	})
}

func TestExp64SpecialValues(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, tc := range []struct {
			x, want float64
		}{{math.Inf(-1), 0}, {-746, 0}, {-1e300, 0}, {0, 1}} {
			x := make([]float64, 11)
			for i := range x {
				x[i] = tc.x
			}
			sum := ExpShiftSum(x, 0)
			for i, v := range x {
				if v != tc.want {
					t.Fatalf("exp(%v) = %v at index %d, want %v", tc.x, v, i, tc.want)
				}
			}
			if sum != 11*tc.want {
				t.Errorf("exp(%v): sum = %v, want %v", tc.x, sum, 11*tc.want)
			}
		}
	})
}
