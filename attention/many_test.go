package attention

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"qkv/tensor"
)

// manyProblems returns count self-attention problems of n tokens with
// d_k = d_v = d, each with its own output gradient.
func manyProblems(r *rand.Rand, count, n, d int) []BackwardProblem[float32] {
	random := func(rows, cols int) *tensor.Matrix[float32] {
		m := tensor.New[float32](rows, cols)
		for i := range m.Data {
			m.Data[i] = float32(2*r.Float64() - 1)
		}
		return m
	}
	problems := make([]BackwardProblem[float32], count)
	for i := range problems {
		problems[i] = BackwardProblem[float32]{Q: random(n, d), K: random(n, d), V: random(n, d), DOut: random(n, d)}
	}
	return problems
}

func sameBits(t *testing.T, label string, got, want *tensor.Matrix[float32]) {
	t.Helper()
	if (got == nil) != (want == nil) {
		t.Fatalf("%s: got nil %v, want nil %v", label, got == nil, want == nil)
	}
	if got == nil {
		return
	}
	for j := range want.Data {
		if math.Float32bits(got.Data[j]) != math.Float32bits(want.Data[j]) {
			t.Fatalf("%s element %d: %v, one problem at a time gave %v", label, j, got.Data[j], want.Data[j])
		}
	}
}

// TestManyMatchesOneAtATime checks that AttendMany with KeepWeights and
// BackwardMany give bit-identical results to Attend and Backward for
// each problem, with small problems (run in parallel with each other)
// and large ones (run one at a time), under GOMAXPROCS 1 and 2.
func TestManyMatchesOneAtATime(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	r := rand.New(rand.NewPCG(61, 62))
	opts := Options[float32]{KeepWeights: true, Mask: Mask[float32]{Causal: true}}
	for _, n := range []int{37, 400} { // 400²·32 is above manyMaxSerialWork
		problems := manyProblems(r, 3, n, 16)
		for _, procs := range []int{1, 2} {
			runtime.GOMAXPROCS(procs)
			projs := make([]Projections[float32], len(problems))
			for i, pr := range problems {
				projs[i] = Projections[float32]{Q: pr.Q, K: pr.K, V: pr.V}
			}
			results, err := AttendMany(projs, opts)
			if err != nil {
				t.Fatal(err)
			}
			for i := range problems {
				problems[i].Weights = results[i].Weights
			}
			grads, err := BackwardMany(problems, opts)
			if err != nil {
				t.Fatal(err)
			}

			for i, pr := range problems {
				one, err := Attend(pr.Q, pr.K, pr.V, opts)
				if err != nil {
					t.Fatal(err)
				}
				sameBits(t, "Z", results[i].Output, one.Output)
				sameBits(t, "A", results[i].Weights, one.Weights)
				g, err := Backward(pr.Q, pr.K, pr.V, one.Weights, pr.DOut, opts)
				if err != nil {
					t.Fatal(err)
				}
				sameBits(t, "dQ", grads[i].DQ, g.DQ)
				sameBits(t, "dK", grads[i].DK, g.DK)
				sameBits(t, "dV", grads[i].DV, g.DV)
			}
		}
	}
}

func TestBackwardManyErrorsNameProblem(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	problems := manyProblems(r, 3, 20, 8)
	opts := Options[float32]{KeepWeights: true}
	for i, pr := range problems {
		res, err := Attend(pr.Q, pr.K, pr.V, opts)
		if err != nil {
			t.Fatal(err)
		}
		problems[i].Weights = res.Weights
	}
	problems[1].Weights.Data[0] = 2 // not a softmax
	problems[2].DOut = tensor.New[float32](20, 7)

	_, err := BackwardMany(problems, opts)
	if err == nil {
		t.Fatal("no error for invalid weights and dOut")
	}
	if !strings.HasPrefix(err.Error(), "problem 1: ") {
		t.Errorf("error %q does not name problem 1, the first that failed", err)
	}
}

func TestAttendHeadsErrorNamesHead(t *testing.T) {
	r := rand.New(rand.NewPCG(65, 66))
	problems := manyProblems(r, 2, 10, 4)
	heads := []Projections[float32]{
		{Q: problems[0].Q, K: problems[0].K, V: problems[0].V},
		{Q: problems[1].Q, K: tensor.New[float32](10, 3), V: problems[1].V},
	}
	_, err := AttendHeads(heads, nil, Options[float32]{KeepWeights: true})
	if err == nil {
		t.Fatal("no error for mismatched d_k")
	}
	if !strings.HasPrefix(err.Error(), "head 1: ") {
		t.Errorf("error %q does not start with %q", err, "head 1: ")
	}
}
