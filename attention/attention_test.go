package attention

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"qkv/tensor"
)

func randMatrix(r *rand.Rand, rows, cols int) *tensor.Matrix[float64] {
	m := tensor.New[float64](rows, cols)
	for i := range m.Data {
		m.Data[i] = 2*r.Float64() - 1
	}
	return m
}

func maxRelDiff(a, b []float64) float64 {
	worst := 0.0
	for i := range a {
		d := math.Abs(a[i] - b[i])
		if s := math.Max(math.Abs(a[i]), math.Abs(b[i])); s > 1 {
			d /= s
		}
		worst = math.Max(worst, d)
	}
	return worst
}

func TestAttendMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name           string
		nq, nk, dk, dv int
		mask           func(nq, nk int) Mask[float64]
	}{
		{"single token", 1, 1, 1, 1, nil},
		{"square", 7, 7, 5, 3, nil},
		{"cross", 70, 33, 8, 11, nil},
		{"causal square", 40, 40, 4, 4, func(int, int) Mask[float64] { return Mask[float64]{Causal: true} }},
		{"causal wide", 5, 9, 4, 4, func(int, int) Mask[float64] { return Mask[float64]{Causal: true} }},
		{"causal tall", 9, 5, 4, 4, func(int, int) Mask[float64] { return Mask[float64]{Causal: true} }},
		{"allow with empty row", 66, 20, 3, 2, func(nq, nk int) Mask[float64] {
			allow := make([]bool, nq*nk)
			for i := range allow {
				allow[i] = (i/nk) != 3 && r.IntN(3) > 0
			}
			return Mask[float64]{Allow: allow}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, k, v := randMatrix(r, tc.nq, tc.dk), randMatrix(r, tc.nk, tc.dk), randMatrix(r, tc.nk, tc.dv)
			opts := Options[float64]{KeepScores: true, KeepWeights: true}
			if tc.mask != nil {
				opts.Mask = tc.mask(tc.nq, tc.nk)
			}
			got, err := Attend(q, k, v, opts)
			if err != nil {
				t.Fatal(err)
			}
			want, err := AttendReference(q, k, v, opts)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxRelDiff(got.Weights.Data, want.Weights.Data); d > 1e-12 {
				t.Errorf("weights differ from reference by %g", d)
			}
			if d := maxRelDiff(got.Output.Data, want.Output.Data); d > 1e-12 {
				t.Errorf("output differs from reference by %g", d)
			}
			for i := 0; i < tc.nq; i++ {
				sum := 0.0
				for _, w := range got.Weights.Row(i) {
					sum += w
				}
				if sum != 0 && math.Abs(sum-1) > 1e-12 {
					t.Errorf("row %d of A sums to %v, want 1", i, sum)
				}
			}
		})
	}
}

func TestAttendSharpExample(t *testing.T) {
	// Each query points at its target's key (the→cat, cat→sat, sat→cat,
	// down→sat); K = 8·I, V = I, d_k = 4.
	targets := []int{1, 2, 1, 2}
	q := tensor.New[float64](4, 4)
	for i, tgt := range targets {
		q.Set(i, tgt, 1)
	}
	k := tensor.Identity[float64](4, 8)
	v := tensor.Identity[float64](4, 1)
	res, err := Attend(q, k, v, Options[float64]{KeepWeights: true})
	if err != nil {
		t.Fatal(err)
	}
	peak := math.E * math.E * math.E * math.E / (math.Exp(4) + 3)
	for i, tgt := range targets {
		for j := 0; j < 4; j++ {
			want := 1 / (math.Exp(4) + 3)
			if j == tgt {
				want = peak
			}
			if got := res.Weights.At(i, j); math.Abs(got-want) > 1e-15 {
				t.Errorf("A[%d][%d] = %v, want %v", i, j, got, want)
			}
		}
	}
	if got := res.Weights.At(0, 1); math.Round(got*1e4) != 9479 {
		t.Errorf("peak weight %v does not round to 0.9479", got)
	}
}

func TestAttendDeterministicAcrossThreads(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	q, k, v := randMatrix(r, 300, 16), randMatrix(r, 257, 16), randMatrix(r, 257, 8)
	opts := Options[float64]{KeepWeights: true, Mask: Mask[float64]{Causal: true}}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var first Result[float64]
	for i, procs := range []int{1, 2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		got, err := Attend(q, k, v, opts)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = got
			continue
		}
		for j := range got.Output.Data {
			if math.Float64bits(got.Output.Data[j]) != math.Float64bits(first.Output.Data[j]) {
				t.Fatalf("GOMAXPROCS=%d: output element %d is %v, GOMAXPROCS=1 gave %v", procs, j, got.Output.Data[j], first.Output.Data[j])
			}
		}
	}
}
