package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"qkv/npy"
	"qkv/tensor"
)

// Tolerances of the backward tests.
const (
	// fdStep is the step of the central differences. With float64 the
	// truncation error is about step² and the cancellation error about
	// ε/step, both near 1e-10 for step 1e-5.
	fdStep = 1e-5
	// fdTol bounds |analytic − numeric| / max(1, |analytic|).
	fdTol = 1e-7
	// fastRefTol64 and fastRefTol32 bound the relative difference between
	// Backward and BackwardReference, which sum in different orders.
	fastRefTol64 = 1e-12
	fastRefTol32 = 1e-4
)

// gradRandom returns a [rows×cols] matrix with entries uniform in [-1, 1).
func gradRandom(r *rand.Rand, rows, cols int) *tensor.Matrix[float64] {
	m := tensor.New[float64](rows, cols)
	for i := range m.Data {
		m.Data[i] = 2*r.Float64() - 1
	}
	return m
}

// gradRelErr returns max |got − want| / max(1, |want|), the ∞-norm of the
// difference relative to entries of at least unit size.
func gradRelErr[T Float](got, want []T) float64 {
	worst := 0.0
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		d := math.Abs(g - w)
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		worst = math.Max(worst, d/math.Max(1, math.Abs(w)))
	}
	return worst
}

// gradMaskCase builds a mask for n_q queries and n_k keys.
type gradMaskCase struct {
	name string
	mask func(r *rand.Rand, nq, nk int) Mask[float64]
}

// gradMasks are the masks every gradient test runs under. "allow with
// empty row" and "bias with -Inf" mask every key of query 2 and query 1
// respectively; causal masks do so when n_q > n_k.
var gradMasks = []gradMaskCase{
	{"no mask", func(*rand.Rand, int, int) Mask[float64] { return Mask[float64]{} }},
	{"causal", func(*rand.Rand, int, int) Mask[float64] { return Mask[float64]{Causal: true} }},
	{"allow with empty row", func(r *rand.Rand, nq, nk int) Mask[float64] {
		allow := make([]bool, nq*nk)
		for i := range allow {
			allow[i] = i/nk != 2 && r.IntN(3) > 0
		}
		return Mask[float64]{Allow: allow}
	}},
	{"bias with -Inf", func(r *rand.Rand, nq, nk int) Mask[float64] {
		b := gradRandom(r, nq, nk)
		for i := range b.Data {
			if i/nk == 1 || r.IntN(4) == 0 {
				b.Data[i] = math.Inf(-1)
			}
		}
		return Mask[float64]{Bias: b}
	}},
	{"causal and bias", func(r *rand.Rand, nq, nk int) Mask[float64] {
		return Mask[float64]{Causal: true, Bias: gradRandom(r, nq, nk)}
	}},
}

// weightedLoss returns Σ g ⊙ Attend(q, k, v), whose gradient with respect to
// the output is g.
func weightedLoss(t *testing.T, q, k, v, g *tensor.Matrix[float64], opts Options[float64]) float64 {
	t.Helper()
	res, err := AttendReference(q, k, v, opts)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for i, z := range res.Output.Data {
		sum += g.Data[i] * z
	}
	return sum
}

// numericGrad returns the central-difference gradient of loss with respect
// to every entry of m, leaving m unchanged. Entries that are -Inf (masked
// bias entries) get gradient 0.
func numericGrad(m *tensor.Matrix[float64], loss func() float64) *tensor.Matrix[float64] {
	g := tensor.New[float64](m.Rows, m.Cols)
	for idx, x := range m.Data {
		if math.IsInf(x, -1) {
			continue
		}
		m.Data[idx] = x + fdStep
		up := loss()
		m.Data[idx] = x - fdStep
		down := loss()
		m.Data[idx] = x
		g.Data[idx] = (up - down) / (2 * fdStep)
	}
	return g
}

func TestBackwardFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	shapes := []struct {
		name           string
		nq, nk, dk, dv int
		scale          float64
	}{
		{"square", 5, 5, 3, 2, 0},
		{"cross wide", 4, 7, 2, 3, 0.7},
		{"cross tall", 6, 4, 3, 1, 0},
	}
	for _, sh := range shapes {
		for _, mc := range gradMasks {
			t.Run(sh.name+"/"+mc.name, func(t *testing.T) {
				q, k, v := gradRandom(r, sh.nq, sh.dk), gradRandom(r, sh.nk, sh.dk), gradRandom(r, sh.nk, sh.dv)
				dOut := gradRandom(r, sh.nq, sh.dv)
				opts := Options[float64]{Scale: sh.scale, Mask: mc.mask(r, sh.nq, sh.nk), KeepWeights: true}
				fwd, err := Attend(q, k, v, opts)
				if err != nil {
					t.Fatal(err)
				}
				for _, impl := range []struct {
					name string
					fn   func(q, k, v, a, d *tensor.Matrix[float64], o Options[float64]) (Grads[float64], error)
				}{{"Backward", Backward[float64]}, {"BackwardReference", BackwardReference[float64]}} {
					got, err := impl.fn(q, k, v, fwd.Weights, dOut, opts)
					if err != nil {
						t.Fatalf("%s: %v", impl.name, err)
					}
					loss := func() float64 { return weightedLoss(t, q, k, v, dOut, opts) }
					checks := []struct {
						name     string
						in, grad *tensor.Matrix[float64]
					}{{"dQ", q, got.DQ}, {"dK", k, got.DK}, {"dV", v, got.DV}}
					if opts.Mask.Bias != nil {
						checks = append(checks, struct {
							name     string
							in, grad *tensor.Matrix[float64]
						}{"dBias", opts.Mask.Bias, got.DBias})
					} else if got.DBias != nil {
						t.Errorf("%s: DBias is %v without a bias, want nil", impl.name, got.DBias.Shape())
					}
					for _, c := range checks {
						want := numericGrad(c.in, loss)
						if d := gradRelErr(c.grad.Data, want.Data); d > fdTol {
							t.Errorf("%s: %s differs from central differences: ∞-norm of relative difference %.3g > %g\ngot  %v\nwant %v", impl.name, c.name, d, fdTol, c.grad.Data, want.Data)
						}
					}
				}
			})
		}
	}
}

// gradMaskTo32 converts a float64 test mask to float32.
func gradMaskTo32(m Mask[float64]) Mask[float32] {
	out := Mask[float32]{Causal: m.Causal, Allow: m.Allow}
	if m.Bias != nil {
		out.Bias = tensor.Convert[float32](m.Bias)
	}
	return out
}

func TestBackwardMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	shapes := []struct{ nq, nk, dk, dv int }{
		{1, 1, 1, 1},
		{3, 70, 5, 2},
		{33, 31, 7, 9},
		{65, 97, 16, 8},
		{130, 45, 3, 17},
	}
	for _, sh := range shapes {
		for _, mc := range gradMasks {
			name := fmt.Sprintf("%dx%dx%dx%d/%s", sh.nq, sh.nk, sh.dk, sh.dv, mc.name)
			t.Run(name, func(t *testing.T) {
				q, k, v := gradRandom(r, sh.nq, sh.dk), gradRandom(r, sh.nk, sh.dk), gradRandom(r, sh.nk, sh.dv)
				dOut := gradRandom(r, sh.nq, sh.dv)
				opts := Options[float64]{Mask: mc.mask(r, sh.nq, sh.nk), KeepWeights: true}
				compareBackwardFastRef(t, "float64", q, k, v, dOut, opts, fastRefTol64)
				opts32 := Options[float32]{Mask: gradMaskTo32(opts.Mask), KeepWeights: true}
				compareBackwardFastRef(t, "float32", tensor.Convert[float32](q), tensor.Convert[float32](k),
					tensor.Convert[float32](v), tensor.Convert[float32](dOut), opts32, fastRefTol32)
			})
		}
	}
}

// compareBackwardFastRef runs the forward pass, then checks that Backward
// and BackwardReference agree within tol and leave their inputs unchanged.
func compareBackwardFastRef[T Float](t *testing.T, label string, q, k, v, dOut *tensor.Matrix[T], opts Options[T], tol float64) {
	t.Helper()
	fwd, err := Attend(q, k, v, opts)
	if err != nil {
		t.Fatal(err)
	}
	inputs := []struct {
		name string
		m    *tensor.Matrix[T]
	}{{"Q", q}, {"K", k}, {"V", v}, {"weights", fwd.Weights}, {"dOut", dOut}}
	before := make([]*tensor.Matrix[T], len(inputs))
	for i, in := range inputs {
		before[i] = in.m.Clone()
	}

	got, err := Backward(q, k, v, fwd.Weights, dOut, opts)
	if err != nil {
		t.Fatalf("%s: Backward: %v", label, err)
	}
	want, err := BackwardReference(q, k, v, fwd.Weights, dOut, opts)
	if err != nil {
		t.Fatalf("%s: BackwardReference: %v", label, err)
	}
	for i, in := range inputs {
		if gradRelErr(in.m.Data, before[i].Data) != 0 {
			t.Errorf("%s: Backward or BackwardReference modified %s", label, in.name)
		}
	}

	pairs := []struct {
		name      string
		got, want *tensor.Matrix[T]
	}{{"dQ", got.DQ, want.DQ}, {"dK", got.DK, want.DK}, {"dV", got.DV, want.DV}, {"dBias", got.DBias, want.DBias}}
	for _, p := range pairs {
		if (p.got == nil) != (p.want == nil) {
			t.Errorf("%s: %s is nil in only one of Backward and BackwardReference", label, p.name)
			continue
		}
		if p.got == nil {
			continue
		}
		if p.got.Shape() != p.want.Shape() {
			t.Errorf("%s: %s has shape %v, reference %v", label, p.name, p.got.Shape(), p.want.Shape())
			continue
		}
		if d := gradRelErr(p.got.Data, p.want.Data); d > tol {
			t.Errorf("%s: %s differs from the reference by %.3g > %g", label, p.name, d, tol)
		}
	}
}

func TestBackwardFullyMaskedRowsGetZeros(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	nq, nk, d := 6, 4, 3
	q, k, v, dOut := gradRandom(r, nq, d), gradRandom(r, nk, d), gradRandom(r, nk, d), gradRandom(r, nq, d)
	bias := gradRandom(r, nq, nk)
	for j := 0; j < nk; j++ {
		bias.Set(4, j, math.Inf(-1))
	}

	// Causal with n_q > n_k: queries 0 and 1 may attend to no key, query 4
	// has only -Inf bias entries, and only the last query may attend to key 3.
	opts := Options[float64]{Mask: Mask[float64]{Causal: true, Bias: bias}, KeepWeights: true}
	fwd, err := Attend(q, k, v, opts)
	if err != nil {
		t.Fatal(err)
	}
	g, err := Backward(q, k, v, fwd.Weights, dOut, opts)
	if err != nil {
		t.Fatal(err)
	}

	for _, i := range []int{0, 1, 4} {
		for c, x := range g.DQ.Row(i) {
			if x != 0 {
				t.Errorf("dQ[%d][%d] = %v for a fully masked query, want 0", i, c, x)
			}
		}
		for j, x := range g.DBias.Row(i) {
			if x != 0 {
				t.Errorf("dBias[%d][%d] = %v for a fully masked query, want 0", i, j, x)
			}
		}
	}
	for _, m := range []*tensor.Matrix[float64]{g.DQ, g.DK, g.DV, g.DBias} {
		for _, x := range m.Data {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("gradient has %v, want finite values", x)
			}
		}
	}
}

func TestBackwardDeterministicAcrossThreads(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	// n_q·n_k·(d_k + d_v) is above backwardParallelWork, so the groups of
	// query blocks run on goroutines when GOMAXPROCS > 1.
	nq, nk, dk, dv := 701, 659, 16, 12
	q, k, v, dOut := gradRandom(r, nq, dk), gradRandom(r, nk, dk), gradRandom(r, nk, dv), gradRandom(r, nq, dv)
	bias := gradRandom(r, nq, nk)
	// With a bias dS is written into dBias, without one into scratch.
	t.Run("bias", func(t *testing.T) {
		checkBackwardDeterministic(t, q, k, v, dOut, Options[float64]{KeepWeights: true, Mask: Mask[float64]{Causal: true, Bias: bias}})
	})
	t.Run("causal", func(t *testing.T) {
		checkBackwardDeterministic(t, q, k, v, dOut, Options[float64]{KeepWeights: true, Mask: Mask[float64]{Causal: true}})
	})
}

func checkBackwardDeterministic(t *testing.T, q, k, v, dOut *tensor.Matrix[float64], opts Options[float64]) {
	fwd, err := Attend(q, k, v, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var first Grads[float64]
	for i, procs := range []int{1, 2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		got, err := Backward(q, k, v, fwd.Weights, dOut, opts)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = got
			continue
		}
		pairs := []struct {
			name      string
			got, want *tensor.Matrix[float64]
		}{{"dQ", got.DQ, first.DQ}, {"dK", got.DK, first.DK}, {"dV", got.DV, first.DV}, {"dBias", got.DBias, first.DBias}}
		for _, p := range pairs {
			if p.want == nil {
				continue
			}
			for j := range p.got.Data {
				if math.Float64bits(p.got.Data[j]) != math.Float64bits(p.want.Data[j]) {
					t.Fatalf("GOMAXPROCS=%d: %s element %d is %v, GOMAXPROCS=1 gave %v", procs, p.name, j, p.got.Data[j], p.want.Data[j])
				}
			}
		}
	}
}

func TestBackwardErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	q, k, v := gradRandom(r, 3, 2), gradRandom(r, 4, 2), gradRandom(r, 4, 5)
	fwd, err := Attend(q, k, v, Options[float64]{KeepWeights: true, KeepScores: true})
	if err != nil {
		t.Fatal(err)
	}

	// Weights whose row 0 is fully masked, passed without that mask.
	emptyRow := fwd.Weights.Clone()
	clear(emptyRow.Row(0))

	dOut := gradRandom(r, 3, 5)
	withNaN := dOut.Clone()
	withNaN.Set(1, 2, math.NaN())
	nanWeights := fwd.Weights.Clone()
	nanWeights.Set(2, 3, math.NaN())
	causalOver := causalWeightsOverOne(t, q, k, v)
	allowAll := make([]bool, 3*4)
	for i := range allowAll {
		allowAll[i] = true
	}
	huge := dOut.Clone()
	for i := range huge.Data {
		huge.Data[i] = 1e308
	}

	cases := []struct {
		name       string
		q, k, v    *tensor.Matrix[float64]
		weights    *tensor.Matrix[float64]
		dOut       *tensor.Matrix[float64]
		opts       Options[float64]
		wantSubstr string
	}{
		{"nil weights", q, k, v, nil, dOut, Options[float64]{}, "KeepWeights"},
		{"nil dOut", q, k, v, fwd.Weights, nil, Options[float64]{}, "dOut"},
		{"weights shape", q, k, v, gradRandom(r, 4, 3), dOut, Options[float64]{}, "weights [4×3]"},
		{"dOut shape", q, k, v, fwd.Weights, gradRandom(r, 3, 4), Options[float64]{}, "dOut [3×4]"},
		{"K columns", q, gradRandom(r, 4, 3), v, fwd.Weights, dOut, Options[float64]{}, "K [4×3]"},
		{"NaN in dOut", q, k, v, fwd.Weights, withNaN, Options[float64]{}, "NaN at row 1, column 2"},
		{"scores as weights", q, k, v, fwd.Scores, dOut, Options[float64]{}, "Result.Weights"},
		{"NaN in weights", q, k, v, nanWeights, dOut, Options[float64]{}, "NaN at row 2, column 3"},
		{"weight above 1 under mask", q, k, v, causalOver, dOut, Options[float64]{Mask: Mask[float64]{Allow: allowAll}}, "2 at row 1, column 0"},
		{"mask differs", q, k, v, fwd.Weights, dOut, Options[float64]{Mask: Mask[float64]{Causal: true}}, "mask excludes"},
		{"mask missing", q, k, v, emptyRow, dOut, Options[float64]{}, "row 0 sums to 0, want 1"},
		{"allow length", q, k, v, fwd.Weights, dOut, Options[float64]{Mask: Mask[float64]{Allow: make([]bool, 5)}}, "5 entries"},
		{"gradient overflow", q, k, v, fwd.Weights, huge, Options[float64]{}, "overflows"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, impl := range []struct {
				name string
				fn   func(q, k, v, a, d *tensor.Matrix[float64], o Options[float64]) (Grads[float64], error)
			}{{"Backward", Backward[float64]}, {"BackwardReference", BackwardReference[float64]}} {
				_, err := impl.fn(tc.q, tc.k, tc.v, tc.weights, tc.dOut, tc.opts)
				if err == nil {
					t.Fatalf("%s: got no error, want one containing %q", impl.name, tc.wantSubstr)
				}
				if !strings.Contains(err.Error(), tc.wantSubstr) {
					t.Errorf("%s: error %q does not contain %q", impl.name, err, tc.wantSubstr)
				}
			}
		})
	}
}

// causalWeightsOverOne returns causal weights of Q, K and V with entry
// (1, 0) set to 2.
func causalWeightsOverOne(t *testing.T, q, k, v *tensor.Matrix[float64]) *tensor.Matrix[float64] {
	t.Helper()
	res, err := Attend(q, k, v, Options[float64]{KeepWeights: true, Mask: Mask[float64]{Causal: true}})
	if err != nil {
		t.Fatal(err)
	}
	res.Weights.Set(1, 0, 2)
	return res.Weights
}

func TestBackwardAcceptsLongFloat32Rows(t *testing.T) {
	// Rows of 20000 float32 weights sum to 1 only up to rounding, which the
	// weights check must tolerate.
	r := rand.New(rand.NewPCG(53, 54))
	nq, nk := 3, 20000
	q, k, v := tensor.Convert[float32](gradRandom(r, nq, 2)), tensor.Convert[float32](gradRandom(r, nk, 2)), tensor.Convert[float32](gradRandom(r, nk, 2))
	opts := Options[float32]{KeepWeights: true}
	fwd, err := Attend(q, k, v, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Backward(q, k, v, fwd.Weights, tensor.Convert[float32](gradRandom(r, nq, 2)), opts); err != nil {
		t.Fatal(err)
	}
}

func TestBackwardEmpty(t *testing.T) {
	cases := []struct{ nq, nk, dk, dv int }{{0, 3, 2, 2}, {3, 0, 2, 2}, {2, 3, 0, 2}, {2, 3, 2, 0}}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%dx%dx%dx%d", c.nq, c.nk, c.dk, c.dv), func(t *testing.T) {
			q, k, v := tensor.New[float64](c.nq, c.dk), tensor.New[float64](c.nk, c.dk), tensor.New[float64](c.nk, c.dv)
			fwd, err := Attend(q, k, v, Options[float64]{KeepWeights: true})
			if err != nil {
				t.Fatal(err)
			}
			g, err := Backward(q, k, v, fwd.Weights, tensor.New[float64](c.nq, c.dv), Options[float64]{})
			if err != nil {
				t.Fatal(err)
			}
			if g.DQ.Shape() != q.Shape() || g.DK.Shape() != k.Shape() || g.DV.Shape() != v.Shape() {
				t.Errorf("gradient shapes %v %v %v, want %v %v %v", g.DQ.Shape(), g.DK.Shape(), g.DV.Shape(), q.Shape(), k.Shape(), v.Shape())
			}
		})
	}
}

func ExampleBackward() {
	// One query and two keys with equal scores: A = [0.5 0.5].
	q := tensor.MustFromRows([][]float64{{0}})
	k := tensor.MustFromRows([][]float64{{1}, {-1}})
	v := tensor.MustFromRows([][]float64{{2}, {4}})
	opts := Options[float64]{KeepWeights: true}
	res, err := Attend(q, k, v, opts)
	if err != nil {
		panic(err)
	}
	// The loss is Z itself, so dZ = 1.
	dOut := tensor.MustFromRows([][]float64{{1}})
	g, err := Backward(q, k, v, res.Weights, dOut, opts)
	if err != nil {
		panic(err)
	}
	fmt.Println("Z  =", res.Output.Data)
	fmt.Println("dV =", g.DV.Data)
	fmt.Println("dQ =", g.DQ.Data)
	fmt.Println("dK =", g.DK.Data)
	// Output:
	// Z  = [3]
	// dV = [0.5 0.5]
	// dQ = [-1]
	// dK = [0 0]
}

// backwardBenchInputs returns random Q, K, V and dOut of n tokens and width d.
func backwardBenchInputs[T Float](n, d int) (q, k, v, dOut *tensor.Matrix[T]) {
	r := rand.New(rand.NewPCG(61, 62))
	m := func() *tensor.Matrix[T] { return tensor.Convert[T](gradRandom(r, n, d)) }
	return m(), m(), m(), m()
}

// benchForwardBackward times Attend followed by Backward.
func benchForwardBackward[T Float](b *testing.B, n, d int, causal bool) {
	q, k, v, dOut := backwardBenchInputs[T](n, d)
	opts := Options[T]{KeepWeights: true, Mask: Mask[T]{Causal: causal}}
	for b.Loop() {
		fwd, err := Attend(q, k, v, opts)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Backward(q, k, v, fwd.Weights, dOut, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// benchBackward times Backward alone.
func benchBackward[T Float](b *testing.B, n, d int, causal bool) {
	q, k, v, dOut := backwardBenchInputs[T](n, d)
	opts := Options[T]{KeepWeights: true, Mask: Mask[T]{Causal: causal}}
	fwd, err := Attend(q, k, v, opts)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Backward(q, k, v, fwd.Weights, dOut, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

var backwardBenchSizes = []struct{ n, d int }{{128, 64}, {512, 64}}

func BenchmarkAttentionForwardBackward(b *testing.B) {
	for _, sz := range backwardBenchSizes {
		for _, causal := range []bool{false, true} {
			name := fmt.Sprintf("n=%d,d=%d,causal=%v", sz.n, sz.d, causal)
			b.Run("float32/"+name, func(b *testing.B) { benchForwardBackward[float32](b, sz.n, sz.d, causal) })
			b.Run("float64/"+name, func(b *testing.B) { benchForwardBackward[float64](b, sz.n, sz.d, causal) })
		}
	}
}

func BenchmarkAttentionBackward(b *testing.B) {
	for _, sz := range backwardBenchSizes {
		for _, causal := range []bool{false, true} {
			name := fmt.Sprintf("n=%d,d=%d,causal=%v", sz.n, sz.d, causal)
			b.Run("float32/"+name, func(b *testing.B) { benchBackward[float32](b, sz.n, sz.d, causal) })
			b.Run("float64/"+name, func(b *testing.B) { benchBackward[float64](b, sz.n, sz.d, causal) })
		}
	}
}

// BenchmarkAttentionBackwardReference times the plain-loop oracle, the
// baseline the fast path is measured against.
func BenchmarkAttentionBackwardReference(b *testing.B) {
	q, k, v, dOut := backwardBenchInputs[float64](128, 64)
	opts := Options[float64]{KeepWeights: true}
	fwd, err := Attend(q, k, v, opts)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := BackwardReference(q, k, v, fwd.Weights, dOut, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// Tolerances against the PyTorch fixtures, relative to entries of at least
// unit size. torch and this package sum in different orders.
const (
	torchTol64 = 1e-10
	torchTol32 = 1e-4
)

// torchFixtureDir contains one directory per case, written by
// scripts/fixtures/attention_backward.py.
const torchFixtureDir = "../testdata/attention_backward"

// gradFixture reads the arrays of one PyTorch case from dir.
type gradFixture struct {
	t   *testing.T
	dir string
}

func (f gradFixture) exists(name string) bool {
	_, err := os.Stat(filepath.Join(f.dir, name+".npy"))
	return err == nil
}

func (f gradFixture) array(name string) *npy.Array {
	f.t.Helper()
	a, err := npy.ReadFile(filepath.Join(f.dir, name+".npy"))
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

// gradFixtureMatrix reads a 2-D array as a matrix, or returns nil if the case
// has no array of that name.
func gradFixtureMatrix[T Float](f gradFixture, name string) *tensor.Matrix[T] {
	f.t.Helper()
	if !f.exists(name) {
		return nil
	}
	a := f.array(name)
	if len(a.Shape) != 2 {
		f.t.Fatalf("%s: shape %v, want a matrix", name, a.Shape)
	}
	var data []T
	var zero T
	if _, ok := any(zero).(float32); ok {
		data = any(a.Float32()).([]T)
	} else {
		data = any(a.Float64()).([]T)
	}
	m, err := tensor.FromSlice(a.Shape[0], a.Shape[1], data)
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

// gradFixtureOptions reads the scale, causal flag, allow mask and bias of a case.
func gradFixtureOptions[T Float](f gradFixture) Options[T] {
	f.t.Helper()
	opts := Options[T]{Scale: f.array("scale").Float64()[0], KeepWeights: true}
	causal, err := f.array("causal").Bool()
	if err != nil {
		f.t.Fatal(err)
	}
	opts.Mask.Causal = causal[0]
	if f.exists("allow") {
		if opts.Mask.Allow, err = f.array("allow").Bool(); err != nil {
			f.t.Fatal(err)
		}
	}
	opts.Mask.Bias = gradFixtureMatrix[T](f, "bias")
	return opts
}

// compareGradFixture checks that got matches the fixture array called name.
func compareGradFixture[T Float](f gradFixture, label string, got *tensor.Matrix[T], name string, tol float64) {
	f.t.Helper()
	want := gradFixtureMatrix[T](f, name)
	if got == nil || want == nil {
		f.t.Errorf("%s: got %v, gradFixture %s.npy %v; want both", label, got != nil, name, want != nil)
		return
	}
	if got.Shape() != want.Shape() {
		f.t.Errorf("%s: shape %v, PyTorch %v", label, got.Shape(), want.Shape())
		return
	}
	if d := gradRelErr(got.Data, want.Data); d > tol {
		f.t.Errorf("%s differs from PyTorch by %.3g > %g (∞-norm, relative)", label, d, tol)
	}
}

func TestBackwardMatchesPyTorch(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(torchFixtureDir, "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures in %s (%v); run scripts/fixtures/attention_backward.py", torchFixtureDir, err)
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		if name == "trajectory" {
			continue // TestMultiHeadGradientDescentMatchesPyTorch reads it
		}
		t.Run(name, func(t *testing.T) {
			f := gradFixture{t: t, dir: dir}
			multi := f.exists("wo")
			switch {
			case strings.HasSuffix(name, "_f32") && multi:
				checkMultiHeadGradFixture[float32](f, torchTol32)
			case strings.HasSuffix(name, "_f32"):
				checkSingleGradFixture[float32](f, torchTol32)
			case multi:
				checkMultiHeadGradFixture[float64](f, torchTol64)
			default:
				checkSingleGradFixture[float64](f, torchTol64)
			}
		})
	}
}

func checkSingleGradFixture[T Float](f gradFixture, tol float64) {
	q, k, v := gradFixtureMatrix[T](f, "q"), gradFixtureMatrix[T](f, "k"), gradFixtureMatrix[T](f, "v")
	dOut := gradFixtureMatrix[T](f, "dout")
	opts := gradFixtureOptions[T](f)
	fwd, err := Attend(q, k, v, opts)
	if err != nil {
		f.t.Fatal(err)
	}
	compareGradFixture(f, "output", fwd.Output, "out", tol)
	compareGradFixture(f, "weights", fwd.Weights, "weights", tol)
	for _, impl := range []struct {
		name string
		fn   func(q, k, v, a, d *tensor.Matrix[T], o Options[T]) (Grads[T], error)
	}{{"Backward", Backward[T]}, {"BackwardReference", BackwardReference[T]}} {
		g, err := impl.fn(q, k, v, fwd.Weights, dOut, opts)
		if err != nil {
			f.t.Fatalf("%s: %v", impl.name, err)
		}
		compareGradFixture(f, impl.name+" dQ", g.DQ, "dq", tol)
		compareGradFixture(f, impl.name+" dK", g.DK, "dk", tol)
		compareGradFixture(f, impl.name+" dV", g.DV, "dv", tol)
		if opts.Mask.Bias != nil {
			compareGradFixture(f, impl.name+" dBias", g.DBias, "dbias", tol)
		}
	}
}

func checkMultiHeadGradFixture[T Float](f gradFixture, tol float64) {
	var m MultiHead[T]
	for h := 0; f.exists(fmt.Sprintf("wq%d", h)); h++ {
		m.Heads = append(m.Heads, Head[T]{
			WQ: gradFixtureMatrix[T](f, fmt.Sprintf("wq%d", h)),
			WK: gradFixtureMatrix[T](f, fmt.Sprintf("wk%d", h)),
			WV: gradFixtureMatrix[T](f, fmt.Sprintf("wv%d", h)),
		})
	}
	m.WO = gradFixtureMatrix[T](f, "wo")
	opts := gradFixtureOptions[T](f)
	dOut := gradFixtureMatrix[T](f, "dout")

	self := f.exists("x")
	var xq, xkv *tensor.Matrix[T]
	if self {
		xq = gradFixtureMatrix[T](f, "x")
		xkv = xq
	} else {
		xq, xkv = gradFixtureMatrix[T](f, "xq"), gradFixtureMatrix[T](f, "xkv")
	}
	res, err := m.Attend(xq, xkv, opts)
	if err != nil {
		f.t.Fatal(err)
	}
	compareGradFixture(f, "output", res.Output, "out", tol)

	var g MultiGrads[T]
	if self {
		g, err = m.Backward(xq, res, dOut, opts)
	} else {
		g, err = m.BackwardCross(xq, xkv, res, dOut, opts)
	}
	if err != nil {
		f.t.Fatal(err)
	}
	if self {
		compareGradFixture(f, "dX", g.DX, "dx", tol)
	} else {
		compareGradFixture(f, "dXq", g.DXq, "dxq", tol)
		compareGradFixture(f, "dXkv", g.DXkv, "dxkv", tol)
	}
	for h, hg := range g.Heads {
		compareGradFixture(f, fmt.Sprintf("head %d dW_Q", h), hg.DWQ, fmt.Sprintf("dwq%d", h), tol)
		compareGradFixture(f, fmt.Sprintf("head %d dW_K", h), hg.DWK, fmt.Sprintf("dwk%d", h), tol)
		compareGradFixture(f, fmt.Sprintf("head %d dW_V", h), hg.DWV, fmt.Sprintf("dwv%d", h), tol)
	}
	compareGradFixture(f, "dW_O", g.DWO, "dwo", tol)
	if opts.Mask.Bias != nil {
		compareGradFixture(f, "dBias", g.DBias, "dbias", tol)
	}
}

// FuzzBackward checks Backward against BackwardReference on shapes, masks,
// scales and magnitudes chosen by the fuzzer. Both must agree within
// rounding or both return an error, and neither may panic.
func FuzzBackward(f *testing.F) {
	f.Add(uint8(5), uint8(5), uint8(3), uint8(2), uint8(0), uint64(1), 0.0, 1.0)
	f.Add(uint8(40), uint8(9), uint8(1), uint8(7), uint8(1), uint64(2), 0.3, 10.0)
	f.Add(uint8(3), uint8(33), uint8(4), uint8(4), uint8(2), uint64(3), -2.0, 0.01)
	f.Add(uint8(34), uint8(35), uint8(2), uint8(1), uint8(3), uint64(4), 1.0, 100.0)
	f.Add(uint8(0), uint8(4), uint8(2), uint8(2), uint8(4), uint64(5), 0.0, 1.0)
	f.Fuzz(func(t *testing.T, nq, nk, dk, dv, maskKind uint8, seed uint64, scale, magnitude float64) {
		r := rand.New(rand.NewPCG(seed, 7))
		shape := func(x uint8) int { return int(x % 48) }
		n, m := shape(nq), shape(nk)
		random := func(rows, cols int) *tensor.Matrix[float64] {
			x := gradRandom(r, rows, cols)
			for i := range x.Data {
				x.Data[i] *= magnitude
			}
			return x
		}
		q, k, v := random(n, shape(dk)%9), random(m, shape(dk)%9), random(m, shape(dv)%9)
		opts := Options[float64]{Scale: scale, KeepWeights: true}
		opts.Mask = gradMasks[int(maskKind)%len(gradMasks)].mask(r, n, m)
		fwd, err := Attend(q, k, v, opts)
		if err != nil {
			return // inputs the forward pass rejects, such as overflowing scores
		}
		dOut := random(n, v.Cols)
		got, errFast := Backward(q, k, v, fwd.Weights, dOut, opts)
		want, errRef := BackwardReference(q, k, v, fwd.Weights, dOut, opts)
		if (errFast == nil) != (errRef == nil) {
			t.Fatalf("Backward error %v, BackwardReference error %v", errFast, errRef)
		}
		if errFast != nil {
			return
		}
		pairs := []struct {
			name      string
			got, want *tensor.Matrix[float64]
		}{{"dQ", got.DQ, want.DQ}, {"dK", got.DK, want.DK}, {"dV", got.DV, want.DV}}
		// Rounding errors grow with the products of the input sizes: dS
		// cancels terms of size |dZ|·|V| and dQ, dK multiply it by
		// scale·|K| or scale·|Q|. The bound is 1e-13 (a few hundred ε)
		// times that size and the number of summed terms.
		size := (1 + math.Abs(scale)) * math.Pow(1+math.Abs(magnitude), 3)
		tol := 1e-13 * size * float64(1+n+m+q.Cols+v.Cols)
		for _, p := range pairs {
			for i := range p.want.Data {
				if d := math.Abs(p.got.Data[i] - p.want.Data[i]); d > tol {
					t.Fatalf("%s element %d: Backward %v, reference %v, difference %.3g > %.3g", p.name, i, p.got.Data[i], p.want.Data[i], d, tol)
				}
			}
		}
	})
}
