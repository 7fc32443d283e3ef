package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"qkv/tensor"
)

// Tolerances of the streaming forward against AttendReference, as the
// largest absolute difference relative to max(1, |Z|): the online softmax
// and the scaled queries reorder the roundings, and the float32 exp is
// accurate to about 1e-7.
const (
	streamTol64 = 1e-12
	streamTol32 = 1e-5
)

type streamCase struct {
	name           string
	nq, nk, dk, dv int
	mask           func(r *rand.Rand, nq, nk int) Mask[float64]
}

func causalMask(*rand.Rand, int, int) Mask[float64] { return Mask[float64]{Causal: true} }

// streamCases cross the block sizes (64 queries, 256 keys) and the
// register tiles, with every kind of mask.
var streamCases = []streamCase{
	{"single token", 1, 1, 1, 1, nil},
	{"odd sizes", 3, 7, 5, 3, nil},
	{"one query block", 64, 256, 64, 64, nil},
	{"ragged blocks", 65, 257, 17, 33, nil},
	{"many key blocks", 130, 700, 16, 8, nil},
	{"causal square", 300, 300, 32, 16, causalMask},
	{"causal more keys", 70, 600, 8, 8, causalMask},
	{"causal more queries", 200, 90, 8, 8, causalMask},
	{"allow with empty rows", 100, 300, 8, 5, func(r *rand.Rand, nq, nk int) Mask[float64] {
		allow := make([]bool, nq*nk)
		for i := range allow {
			row, col := i/nk, i%nk
			// Row 3 attends to no key, and row 5 only to keys of the
			// second block.
			allow[i] = row != 3 && (row != 5 || col >= 256) && r.IntN(4) > 0
		}
		return Mask[float64]{Allow: allow}
	}},
	{"bias with minus infinity", 80, 300, 8, 8, func(r *rand.Rand, nq, nk int) Mask[float64] {
		bias := tensor.New[float64](nq, nk)
		for i := range bias.Data {
			bias.Data[i] = 4 * (r.Float64() - 0.5)
			if r.IntN(5) == 0 || i/nk == 7 {
				bias.Data[i] = math.Inf(-1)
			}
		}
		return Mask[float64]{Bias: bias}
	}},
	{"causal and bias", 90, 90, 8, 8, func(r *rand.Rand, nq, nk int) Mask[float64] {
		bias := tensor.New[float64](nq, nk)
		for i := range bias.Data {
			bias.Data[i] = r.Float64()
		}
		return Mask[float64]{Causal: true, Bias: bias}
	}},
}

func TestStreamMatchesReference(t *testing.T) {
	for _, tc := range streamCases {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, uint64(tc.nq*tc.nk)))
			q, k, v := randMatrix(r, tc.nq, tc.dk), randMatrix(r, tc.nk, tc.dk), randMatrix(r, tc.nk, tc.dv)
			// Larger scores make the online rescaling matter.
			for i := range q.Data {
				q.Data[i] *= 3
			}
			var opts Options[float64]
			if tc.mask != nil {
				opts.Mask = tc.mask(r, tc.nq, tc.nk)
			}
			want, err := AttendReference(q, k, v, opts)
			if err != nil {
				t.Fatal(err)
			}

			got, err := Attend(q, k, v, opts)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxRelDiff(got.Output.Data, want.Output.Data); d > streamTol64 {
				t.Errorf("float64: Z differs from the reference by %.3g (tolerance %.0g)", d, streamTol64)
			}
			if got.Scores != nil || got.Weights != nil {
				t.Error("S or A returned although not requested")
			}

			opts32 := Options[float32]{Scale: opts.Scale, Mask: streamMaskTo32(opts.Mask)}
			got32, err := Attend(tensor.Convert[float32](q), tensor.Convert[float32](k), tensor.Convert[float32](v), opts32)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxRelDiff(tensor.Convert[float64](got32.Output).Data, want.Output.Data); d > streamTol32 {
				t.Errorf("float32: Z differs from the reference by %.3g (tolerance %.0g)", d, streamTol32)
			}
		})
	}
}

// TestStreamFullyMaskedRowsAreZero checks rows with no visible key: zeros,
// not NaN.
func TestStreamFullyMaskedRowsAreZero(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	nq, nk := 70, 300
	q, k, v := randMatrix(r, nq, 4), randMatrix(r, nk, 4), randMatrix(r, nk, 4)
	allow := make([]bool, nq*nk)
	for i := range allow {
		allow[i] = i/nk%2 == 0
	}
	res, err := Attend(q, k, v, Options[float64]{Mask: Mask[float64]{Allow: allow}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < nq; i++ {
		for c, x := range res.Output.Row(i) {
			if i%2 == 1 && x != 0 {
				t.Fatalf("Z[%d][%d] = %v, want 0 for a fully masked row", i, c, x)
			}
			if math.IsNaN(x) {
				t.Fatalf("Z[%d][%d] is NaN", i, c)
			}
		}
	}
}

// TestStreamOverflowFallsBack checks that scores too large to bound
// still give the materialising path's error.
func TestStreamOverflowFallsBack(t *testing.T) {
	q := tensor.MustFromRows([][]float32{{1e20, 1e20}})
	k := tensor.MustFromRows([][]float32{{1e20, 1e20}, {1, 1}})
	v := tensor.MustFromRows([][]float32{{1}, {2}})
	_, err := Attend(q, k, v, Options[float32]{})
	if err == nil {
		t.Fatal("no error for a score that overflows float32")
	}
	_, refErr := AttendReference(q, k, v, Options[float32]{})
	if refErr == nil || err.Error() != refErr.Error() {
		t.Errorf("error %q, reference gives %v", err, refErr)
	}
}

// TestStreamLargeScoresStayFinite checks scores near the overflow bound
// that scoreBound accepts.
func TestStreamLargeScoresStayFinite(t *testing.T) {
	q := tensor.MustFromRows([][]float32{{1e18, 0}, {-1e18, 3}})
	k := tensor.MustFromRows([][]float32{{1e18, 1}, {1, 1}, {-1e18, 0}})
	v := tensor.MustFromRows([][]float32{{1}, {2}, {3}})
	got, err := Attend(q, k, v, Options[float32]{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := AttendReference(q, k, v, Options[float32]{})
	for i := range want.Output.Data {
		if got.Output.Data[i] != want.Output.Data[i] {
			t.Errorf("Z[%d] = %v, want %v", i, got.Output.Data[i], want.Output.Data[i])
		}
	}
}

// TestStreamBitIdenticalAcrossGOMAXPROCS runs the same problems with one
// and two threads, through Attend and AttendMany.
func TestStreamBitIdenticalAcrossGOMAXPROCS(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 11))
	heads := make([]Projections[float32], 3)
	for i := range heads {
		heads[i] = Projections[float32]{
			Q: tensor.Convert[float32](randMatrix(r, 300, 32)),
			K: tensor.Convert[float32](randMatrix(r, 300, 32)),
			V: tensor.Convert[float32](randMatrix(r, 300, 32)),
		}
	}
	opts := Options[float32]{Mask: Mask[float32]{Causal: true}}
	run := func(procs int) [][]float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		var outs [][]float32
		for _, h := range heads {
			res, err := Attend(h.Q, h.K, h.V, opts)
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, res.Output.Data)
		}
		many, err := AttendMany(heads, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, res := range many {
			outs = append(outs, res.Output.Data)
		}
		return outs
	}
	one, two := run(1), run(2)
	for i := range one {
		for j := range one[i] {
			if math.Float32bits(one[i][j]) != math.Float32bits(two[i][j]) {
				t.Fatalf("output %d element %d: %v with GOMAXPROCS=1, %v with 2", i, j, one[i][j], two[i][j])
			}
			// AttendMany equals Attend one head at a time.
			if i < len(heads) && one[i][j] != one[i+len(heads)][j] {
				t.Fatalf("head %d element %d: Attend gives %v, AttendMany %v", i, j, one[i][j], one[i+len(heads)][j])
			}
		}
	}
}

// TestStreamDoesNotMaterialiseScores checks the memory contract: without
// KeepScores and KeepWeights, a call allocates far less than one n×n
// matrix.
func TestStreamDoesNotMaterialiseScores(t *testing.T) {
	n, d := 2048, 16
	r := rand.New(rand.NewPCG(12, 13))
	q, k, v := tensor.Convert[float32](randMatrix(r, n, d)), tensor.Convert[float32](randMatrix(r, n, d)), tensor.Convert[float32](randMatrix(r, n, d))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := Attend(q, k, v, Options[float32]{}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	full := uint64(n * n * 4)
	if allocated > full/4 {
		t.Errorf("Attend allocated %d bytes; one %d×%d score matrix is %d", allocated, n, n, full)
	}
}

func TestAttendManyErrorsNameProblem(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 15))
	good := Projections[float64]{Q: randMatrix(r, 4, 3), K: randMatrix(r, 5, 3), V: randMatrix(r, 5, 2)}
	bad := Projections[float64]{Q: randMatrix(r, 4, 3), K: randMatrix(r, 5, 2), V: randMatrix(r, 5, 2)}
	_, err := AttendMany([]Projections[float64]{good, bad}, Options[float64]{})
	if err == nil {
		t.Fatal("no error for mismatched d_k")
	}
	if want := "problem 1: "; len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Errorf("error %q does not start with %q", err, want)
	}
}

func ExampleAttendMany() {
	q := tensor.MustFromRows([][]float64{{1, 0}, {0, 1}})
	k := tensor.MustFromRows([][]float64{{1, 0}, {0, 1}})
	v := tensor.MustFromRows([][]float64{{10}, {20}})
	heads := []Projections[float64]{{Q: q, K: k, V: v}, {Q: k, K: q, V: v}}
	res, err := AttendMany(heads, Options[float64]{Mask: Mask[float64]{Causal: true}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res {
		fmt.Printf("%.3f\n", r.Output.Data)
	}
	// Output:
	// [10.000 16.698]
	// [10.000 16.698]
}

func streamMaskTo32(m Mask[float64]) Mask[float32] {
	out := Mask[float32]{Causal: m.Causal, Allow: m.Allow}
	if m.Bias != nil {
		out.Bias = tensor.Convert[float32](m.Bias)
	}
	return out
}
