package attention

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"qkv/npy"
	"qkv/tensor"
)

// Tolerances against the torch fixtures, relative to max(1, |want|).
// float64 results differ from torch's only by summation order, a few ulps;
// float32 ones accumulate about 1e-7 of rounding per product and sum.
const (
	forwardTol64 = 1e-12
	forwardTol32 = 1e-5
)

const forwardFixtureDir = "../testdata/attention"

// forwardCase is one entry of testdata/attention/cases.json, written by
// scripts/fixtures/attention.py.
type forwardCase struct {
	Name  string
	Flags map[string]string // qkv attend flag → file in the case directory
	Mask  string            // "none", "causal" or a file name
	Scale *float64
	DType string
	Heads int
	Note  string
}

func loadForwardCases(t *testing.T) []forwardCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(forwardFixtureDir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Cases []forwardCase }
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) == 0 {
		t.Fatal("cases.json lists no cases")
	}
	return f.Cases
}

// readForwardArray reads file of case c as matrices: one for a 2-D array, one
// per head for a 3-D array.
func readForwardArray[T Float](t *testing.T, c forwardCase, file string) []*tensor.Matrix[T] {
	t.Helper()
	a, err := npy.ReadFile(filepath.Join(forwardFixtureDir, c.Name, file))
	if err != nil {
		t.Fatal(err)
	}
	shape := a.Shape
	if len(shape) == 2 {
		shape = []int{1, shape[0], shape[1]}
	}
	if len(shape) != 3 {
		t.Fatalf("%s/%s has shape %v, want 2-D or 3-D", c.Name, file, a.Shape)
	}
	var data []T
	switch any(data).(type) {
	case []float32:
		data = any(a.Float32()).([]T)
	default:
		data = any(a.Float64()).([]T)
	}
	size := shape[1] * shape[2]
	mats := make([]*tensor.Matrix[T], shape[0])
	for h := range mats {
		mats[h] = &tensor.Matrix[T]{Rows: shape[1], Cols: shape[2], Data: data[h*size : (h+1)*size]}
	}
	return mats
}

// forwardOptions builds the Options of case c, always keeping S and A.
func forwardOptions[T Float](t *testing.T, c forwardCase) Options[T] {
	opts := Options[T]{KeepScores: true, KeepWeights: true}
	if c.Scale != nil {
		opts.Scale = *c.Scale
	}
	switch c.Mask {
	case "none":
	case "causal":
		opts.Mask.Causal = true
	default:
		a, err := npy.ReadFile(filepath.Join(forwardFixtureDir, c.Name, c.Mask))
		if err != nil {
			t.Fatal(err)
		}
		if a.DType.IsFloat() {
			opts.Mask.Bias = readForwardArray[T](t, c, c.Mask)[0]
			break
		}
		ints, err := a.Int64()
		if err != nil {
			t.Fatal(err)
		}
		opts.Mask.Allow = make([]bool, len(ints))
		for i, v := range ints {
			opts.Mask.Allow[i] = v == 1
		}
	}
	return opts
}

// compareForward returns an error describing the first element of got that
// is further than tol·max(1, |want|) from want. Infinities must match
// exactly.
func compareForward[T Float](what string, got, want *tensor.Matrix[T], tol float64) error {
	if got.Rows != want.Rows || got.Cols != want.Cols {
		return fmt.Errorf("%s has shape %v, want %v", what, got.Shape(), want.Shape())
	}
	for i := range want.Data {
		g, w := float64(got.Data[i]), float64(want.Data[i])
		if math.IsInf(w, 0) || math.IsInf(g, 0) {
			if g != w {
				return fmt.Errorf("%s[%d][%d] = %v, want %v", what, i/want.Cols, i%want.Cols, g, w)
			}
			continue
		}
		if math.IsNaN(g) || math.Abs(g-w) > tol*math.Max(1, math.Abs(w)) {
			return fmt.Errorf("%s[%d][%d] = %v, want %v (tolerance %g)", what, i/want.Cols, i%want.Cols, g, w, tol)
		}
	}
	return nil
}

// forwardProjections returns each head's Q, K and V of case c, projecting
// X when the case has one.
func forwardProjections[T Float](t *testing.T, c forwardCase) []Projections[T] {
	if _, ok := c.Flags["x"]; !ok {
		q, k, v := readForwardArray[T](t, c, c.Flags["q"]), readForwardArray[T](t, c, c.Flags["k"]), readForwardArray[T](t, c, c.Flags["v"])
		projs := make([]Projections[T], len(q))
		for h := range projs {
			projs[h] = Projections[T]{Q: q[h], K: k[h], V: v[h]}
		}
		return projs
	}
	x := readForwardArray[T](t, c, c.Flags["x"])[0]
	wq, wk, wv := readForwardArray[T](t, c, c.Flags["wq"]), readForwardArray[T](t, c, c.Flags["wk"]), readForwardArray[T](t, c, c.Flags["wv"])
	projs := make([]Projections[T], len(wq))
	for h := range projs {
		p, err := Project(x, x, Head[T]{WQ: wq[h], WK: wk[h], WV: wv[h]})
		if err != nil {
			t.Fatal(err)
		}
		projs[h] = p
	}
	return projs
}

// checkForwardCase runs Attend and AttendReference on every head of case c
// and compares S, A and the final output with the torch results.
func checkForwardCase[T Float](t *testing.T, c forwardCase, tol float64) {
	opts := forwardOptions[T](t, c)
	projs := forwardProjections[T](t, c)
	wantS, wantA := readForwardArray[T](t, c, "scores.npy"), readForwardArray[T](t, c, "weights.npy")
	wantZ := readForwardArray[T](t, c, "output.npy")[0]
	var wo *tensor.Matrix[T]
	if file, ok := c.Flags["wo"]; ok {
		wo = readForwardArray[T](t, c, file)[0]
	}
	if len(projs) != c.Heads || len(wantS) != c.Heads {
		t.Fatalf("case has %d heads, inputs give %d and scores.npy %d", c.Heads, len(projs), len(wantS))
	}

	for name, attend := range map[string]func(q, k, v *tensor.Matrix[T], o Options[T]) (Result[T], error){
		"Attend":          Attend[T],
		"AttendReference": AttendReference[T],
	} {
		concat := tensor.New[T](wantZ.Rows, 0)
		for h, p := range projs {
			res, err := attend(p.Q, p.K, p.V, opts)
			if err != nil {
				t.Fatalf("%s head %d: %v", name, h, err)
			}
			if err := compareForward(fmt.Sprintf("%s head %d S", name, h), res.Scores, wantS[h], tol); err != nil {
				t.Error(err)
			}
			if err := compareForward(fmt.Sprintf("%s head %d A", name, h), res.Weights, wantA[h], tol); err != nil {
				t.Error(err)
			}
			concat = appendColumnsOf(concat, res.Output)
		}
		out := concat
		if wo != nil {
			var err error
			if out, err = tensor.MatMulRef(concat, wo); err != nil {
				t.Fatal(err)
			}
		}
		if err := compareForward(name+" output", out, wantZ, tol); err != nil {
			t.Error(err)
		}
	}

	// The multi-head entry points must agree with the per-head results.
	var multi MultiResult[T]
	var err error
	if _, ok := c.Flags["x"]; ok {
		x := readForwardArray[T](t, c, c.Flags["x"])[0]
		wq, wk, wv := readForwardArray[T](t, c, c.Flags["wq"]), readForwardArray[T](t, c, c.Flags["wk"]), readForwardArray[T](t, c, c.Flags["wv"])
		mh := MultiHead[T]{WO: wo}
		for h := range wq {
			mh.Heads = append(mh.Heads, Head[T]{WQ: wq[h], WK: wk[h], WV: wv[h]})
		}
		multi, err = mh.SelfAttend(x, opts)
	} else {
		multi, err = AttendHeads(projs, wo, opts)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := compareForward("multi-head output", multi.Output, wantZ, tol); err != nil {
		t.Error(err)
	}
}

// appendColumnsOf returns [a b], the columns of b to the right of a's.
func appendColumnsOf[T Float](a, b *tensor.Matrix[T]) *tensor.Matrix[T] {
	out := tensor.New[T](a.Rows, a.Cols+b.Cols)
	for i := 0; i < a.Rows; i++ {
		copy(out.Row(i), a.Row(i))
		copy(out.Row(i)[a.Cols:], b.Row(i))
	}
	return out
}

func TestAttendMatchesTorchFixtures(t *testing.T) {
	for _, c := range loadForwardCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			switch c.DType {
			case "float64":
				checkForwardCase[float64](t, c, forwardTol64)
			case "float32":
				checkForwardCase[float32](t, c, forwardTol32)
			default:
				t.Fatalf("unknown dtype %q in cases.json", c.DType)
			}
		})
	}
}
