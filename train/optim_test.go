package train

import (
	"math"
	"testing"
)

func TestSignMomentumStep(t *testing.T) {
	// θ = 2, g = 4, m = 0: θ ← 2·(1 − 0.1·0.5) = 1.9, m = 0.035·4 > 0,
	// θ ← 1.9 − 0.1 = 1.8. A zero gradient leaves m = 0 and no sign step.
	o, err := NewOptimizer[float64](OptimizerConfig{Kind: SignMomentum, WeightDecay: 0.5, Beta1: 0.965}, 3)
	if err != nil {
		t.Fatal(err)
	}
	params := []float64{2, 2, 2}
	grad := []float64{4, -4, 0}
	if err := o.Update(params, grad, 0.1); err != nil {
		t.Fatal(err)
	}
	want := []float64{1.8, 2.0, 1.9}
	const tol = 1e-15
	for i := range want {
		if math.Abs(params[i]-want[i]) > tol {
			t.Errorf("param %d = %.17g, want %.17g", i, params[i], want[i])
		}
	}
	if math.Abs(o.M[0]-0.14) > tol {
		t.Errorf("momentum = %.17g, want 0.14", o.M[0])
	}
}

func TestSignMomentumTinyMomentum(t *testing.T) {
	// |m| below 1e−15 scales the step by |m|/1e−15.
	o, _ := NewOptimizer[float64](OptimizerConfig{Kind: SignMomentum, Beta1: 0}, 1)
	params := []float64{0}
	o.Update(params, []float64{5e-16}, 1)
	if math.Abs(params[0]+0.5) > 1e-12 {
		t.Errorf("param = %g, want −0.5", params[0])
	}
}

func TestAdamWFirstStep(t *testing.T) {
	// After one step m̂ = g and v̂ = g², so θ moves by lr·g/(|g|+eps).
	o, _ := NewOptimizer[float64](OptimizerConfig{Kind: AdamW, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, 2)
	params := []float64{1, 1}
	o.Update(params, []float64{3, -0.5}, 0.01)
	want := []float64{1 - 0.01*3/(3+1e-8), 1 + 0.01*0.5/(0.5+1e-8)}
	for i := range want {
		if math.Abs(params[i]-want[i]) > 1e-12 {
			t.Errorf("param %d = %.15g, want %.15g", i, params[i], want[i])
		}
	}
}

func TestOptimizerRejectsBadInput(t *testing.T) {
	o, _ := NewOptimizer[float32](OptimizerConfig{Kind: AdamW, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, 2)
	if err := o.Update(make([]float32, 3), make([]float32, 3), 0.1); err == nil {
		t.Error("Update with 3 parameters on a 2-parameter optimizer returned no error")
	}
	if err := o.Update(make([]float32, 2), make([]float32, 2), math.NaN()); err == nil {
		t.Error("Update with NaN learning rate returned no error")
	}
	bad := []OptimizerConfig{
		{Kind: SignMomentum, Beta1: 1},
		{Kind: AdamW, Beta1: 0.9, Beta2: 1.5, Eps: 1e-8},
		{Kind: AdamW, Beta1: 0.9, Beta2: 0.9, Eps: 0},
		{Kind: SignMomentum, WeightDecay: -1},
	}
	for _, c := range bad {
		if _, err := NewOptimizer[float32](c, 1); err == nil {
			t.Errorf("NewOptimizer(%+v) returned no error", c)
		}
	}
}

func TestScheduleRate(t *testing.T) {
	s := Schedule{Kind: WarmupCosine, LR: 1e-5, PeakLR: 1e-4, WarmupExamples: 100, DecayExamples: 1000}
	const tol = 1e-18
	tests := []struct {
		seen int64
		want float64
	}{
		{0, 0},
		{50, 5e-5},
		{100, 1e-4},
		{600, 5.5e-5}, // half-way down the cosine
		{1100, 1e-5},
		{5000, 1e-5},
	}
	for _, tc := range tests {
		if got := s.Rate(tc.seen); math.Abs(got-tc.want) > tol {
			t.Errorf("Rate(%d) = %g, want %g", tc.seen, got, tc.want)
		}
	}
	if got := (Schedule{LR: 3e-4}).Rate(12345); got != 3e-4 {
		t.Errorf("constant Rate = %g, want 3e-4", got)
	}
}

func TestWilson(t *testing.T) {
	// Reference values computed in Python from the closed form with
	// z = 1.959964; the 0 and n cases check the clipping to [0, 1].
	tests := []struct {
		k, n      int
		low, high float64
	}{
		{0, 10, 0, 0.27753},
		{10, 10, 0.72247, 1},
		{50, 100, 0.40383, 0.59617},
		{950, 1000, 0.93469, 0.96187},
	}
	const tol = 1e-4
	for _, tc := range tests {
		lo, hi := Wilson(tc.k, tc.n)
		if math.Abs(lo-tc.low) > tol || math.Abs(hi-tc.high) > tol {
			t.Errorf("Wilson(%d, %d) = [%.5f, %.5f], want [%.5f, %.5f]", tc.k, tc.n, lo, hi, tc.low, tc.high)
		}
	}
}
