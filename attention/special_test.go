package attention

import (
	"math"
	"strings"
	"testing"

	"qkv/tensor"
)

// attendFuncs are the two implementations every special case must agree
// on.
func attendFuncs[T Float]() map[string]func(q, k, v *tensor.Matrix[T], o Options[T]) (Result[T], error) {
	return map[string]func(q, k, v *tensor.Matrix[T], o Options[T]) (Result[T], error){
		"Attend":          Attend[T],
		"AttendReference": AttendReference[T],
	}
}

// filled returns a rows×cols matrix with every element set to x.
func filled[T Float](rows, cols int, x T) *tensor.Matrix[T] {
	m := tensor.New[T](rows, cols)
	for i := range m.Data {
		m.Data[i] = x
	}
	return m
}

// withElement returns a copy of m with element (i, j) set to x.
func withElement[T Float](m *tensor.Matrix[T], i, j int, x T) *tensor.Matrix[T] {
	c := m.Clone()
	c.Set(i, j, x)
	return c
}

func TestAttendRejectsNonFiniteInputs(t *testing.T) {
	q, k, v := filled[float64](2, 3, 0.5), filled[float64](4, 3, 0.25), filled[float64](4, 2, 1)
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name    string
		q, k, v *tensor.Matrix[float64]
		want    string
	}{
		{"NaN in Q", withElement(q, 1, 2, nan), k, v, "attention: Q [2×3] has NaN at row 1, column 2"},
		{"+Inf in Q", withElement(q, 0, 0, inf), k, v, "attention: Q [2×3] has +Inf at row 0, column 0"},
		{"-Inf in K", q, withElement(k, 3, 1, -inf), v, "attention: K [4×3] has -Inf at row 3, column 1"},
		{"NaN in V", q, k, withElement(v, 2, 0, nan), "attention: V [4×2] has NaN at row 2, column 0"},
	}
	for _, tc := range cases {
		for name, attend := range attendFuncs[float64]() {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				res, err := attend(tc.q, tc.k, tc.v, Options[float64]{})
				if err == nil {
					t.Fatalf("got output %v, want an error", res.Output.Data)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %q does not contain %q", err, tc.want)
				}
			})
		}
	}
}

func TestProjectRejectsNonFiniteInputs(t *testing.T) {
	x := filled[float64](3, 4, 0.5)
	w := filled[float64](4, 2, 0.1)
	cases := []struct {
		name string
		x    *tensor.Matrix[float64]
		head Head[float64]
		wo   *tensor.Matrix[float64]
		want string
	}{
		{"NaN in X", withElement(x, 2, 3, math.NaN()), Head[float64]{w, w, w}, nil, "attention: X [3×4] has NaN at row 2, column 3"},
		{"Inf in W_Q", x, Head[float64]{withElement(w, 0, 1, math.Inf(1)), w, w}, nil, "attention: W_Q [4×2] has +Inf"},
		{"NaN in W_K", x, Head[float64]{w, withElement(w, 1, 1, math.NaN()), w}, nil, "attention: W_K [4×2] has NaN"},
		{"-Inf in W_V", x, Head[float64]{w, w, withElement(w, 3, 0, math.Inf(-1))}, nil, "attention: W_V [4×2] has -Inf"},
		{"NaN in W_O", x, Head[float64]{w, w, w}, withElement(filled[float64](2, 2, 1), 1, 0, math.NaN()), "attention: W_O [2×2] has NaN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mh := MultiHead[float64]{Heads: []Head[float64]{tc.head}, WO: tc.wo}
			_, err := mh.SelfAttend(tc.x, Options[float64]{})
			if err == nil {
				t.Fatal("SelfAttend succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestAttendBiasSpecialValues(t *testing.T) {
	q, k, v := filled[float64](2, 2, 0.5), filled[float64](3, 2, 0.5), tensor.MustFromRows([][]float64{{1}, {2}, {4}})
	cases := []struct {
		name string
		bias float64
		want string // error substring, or "" for success
	}{
		{"-Inf masks", math.Inf(-1), ""},
		{"+Inf rejected", math.Inf(1), "bias has +Inf at row 1, column 2"},
		{"NaN rejected", math.NaN(), "bias has NaN at row 1, column 2"},
	}
	for _, tc := range cases {
		for name, attend := range attendFuncs[float64]() {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				bias := withElement(tensor.New[float64](2, 3), 1, 2, tc.bias)
				opts := Options[float64]{KeepScores: true, KeepWeights: true, Mask: Mask[float64]{Bias: bias}}
				res, err := attend(q, k, v, opts)
				if tc.want != "" {
					if err == nil || !strings.Contains(err.Error(), tc.want) {
						t.Fatalf("error %v, want one containing %q", err, tc.want)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				// Row 1 sees keys 0 and 1 with equal scores: A = (½, ½, 0).
				if s := res.Scores.At(1, 2); !math.IsInf(s, -1) {
					t.Errorf("S[1][2] = %v, want -Inf", s)
				}
				for j, want := range []float64{0.5, 0.5, 0} {
					if got := res.Weights.At(1, j); got != want {
						t.Errorf("A[1][%d] = %v, want %v", j, got, want)
					}
				}
				if got := res.Output.At(1, 0); got != 1.5 {
					t.Errorf("Z[1][0] = %v, want 1.5", got)
				}
			})
		}
	}
}

func TestAttendFullyMaskedRows(t *testing.T) {
	q, k, v := filled[float64](3, 2, 0.3), filled[float64](4, 2, -0.2), filled[float64](4, 2, 7)
	allBias := filled[float64](3, 4, math.Inf(-1))
	allBias.Set(0, 0, 0) // row 0 keeps one key
	allow := make([]bool, 12)
	allow[0] = true
	cases := []struct {
		name       string
		q, k, v    *tensor.Matrix[float64]
		mask       Mask[float64]
		maskedRows []int
	}{
		{"allow mask", q, k, v, Mask[float64]{Allow: allow}, []int{1, 2}},
		{"bias of -Inf", q, k, v, Mask[float64]{Bias: allBias}, []int{1, 2}},
		{"causal with n_q > n_k", filled[float64](6, 2, 0.3), k, v, Mask[float64]{Causal: true}, []int{0, 1}},
		{"no keys", q, tensor.New[float64](0, 2), tensor.New[float64](0, 2), Mask[float64]{}, []int{0, 1, 2}},
	}
	for _, tc := range cases {
		for name, attend := range attendFuncs[float64]() {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				res, err := attend(tc.q, tc.k, tc.v, Options[float64]{KeepScores: true, KeepWeights: true, Mask: tc.mask})
				if err != nil {
					t.Fatal(err)
				}
				for _, i := range tc.maskedRows {
					for j, w := range res.Weights.Row(i) {
						if w != 0 {
							t.Errorf("A[%d][%d] = %v, want 0 in a fully masked row", i, j, w)
						}
						if s := res.Scores.At(i, j); !math.IsInf(s, -1) {
							t.Errorf("S[%d][%d] = %v, want -Inf in a fully masked row", i, j, s)
						}
					}
					for c, z := range res.Output.Row(i) {
						if z != 0 {
							t.Errorf("Z[%d][%d] = %v, want 0 in a fully masked row", i, c, z)
						}
					}
				}
				for _, z := range res.Output.Data {
					if math.IsNaN(z) {
						t.Fatalf("output contains NaN: %v", res.Output.Data)
					}
				}
			})
		}
	}
}

func TestAttendLargeLogits(t *testing.T) {
	// Scores of ±1e30: only the row maximum survives the softmax.
	q := tensor.MustFromRows([][]float64{{1e15}, {-1e15}})
	k := tensor.MustFromRows([][]float64{{1e15}, {-1e15}, {0.5e15}})
	v := tensor.MustFromRows([][]float64{{1, 10}, {2, 20}, {3, 30}})
	for name, attend := range attendFuncs[float64]() {
		t.Run(name, func(t *testing.T) {
			res, err := attend(q, k, v, Options[float64]{KeepScores: true, KeepWeights: true})
			if err != nil {
				t.Fatal(err)
			}
			if s := res.Scores.At(0, 1); s != -1e30 {
				t.Errorf("S[0][1] = %v, want -1e30", s)
			}
			wantA := [][]float64{{1, 0, 0}, {0, 1, 0}}
			wantZ := [][]float64{{1, 10}, {2, 20}}
			for i := range wantA {
				for j, w := range wantA[i] {
					if got := res.Weights.At(i, j); got != w {
						t.Errorf("A[%d][%d] = %v, want %v", i, j, got, w)
					}
				}
				for c, z := range wantZ[i] {
					if got := res.Output.At(i, c); got != z {
						t.Errorf("Z[%d][%d] = %v, want %v", i, c, got, z)
					}
				}
			}
		})
	}
}

func TestAttendFloat32Overflow(t *testing.T) {
	cases := []struct {
		name  string
		q, k  *tensor.Matrix[float32]
		scale float64
		want  string
	}{
		// 1e20·1e20 = 1e40 exceeds the float32 maximum of about 3.4e38.
		{"product", filled[float32](1, 1, 1e20), filled[float32](2, 1, 1e20), 1, "overflows to +Inf"},
		// Each product 1e38 is finite, but their sum of 4e38 is not.
		{"sum", filled[float32](1, 4, 1e19), filled[float32](2, 4, 1e19), 1, "overflows to +Inf"},
		{"negative", filled[float32](1, 1, 1e20), filled[float32](2, 1, -1e20), 1, "overflows to -Inf"},
		// The scale converted to float32 and multiplied in overflows.
		{"scale", filled[float32](1, 1, 1), filled[float32](2, 1, 1), 1e39, "overflows"},
	}
	for _, tc := range cases {
		for name, attend := range attendFuncs[float32]() {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				res, err := attend(tc.q, tc.k, filled[float32](tc.k.Rows, 1, 1), Options[float32]{Scale: tc.scale})
				if err == nil {
					t.Fatalf("got output %v, want an overflow error", res.Output.Data)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %q does not contain %q", err, tc.want)
				}
			})
		}
	}
}

func TestAttendFloat32LargeFiniteScores(t *testing.T) {
	// Scores near ±1e38 stay finite in float32 and give a one-hot row.
	q := tensor.MustFromRows([][]float32{{1e19}})
	k := tensor.MustFromRows([][]float32{{1e19}, {-1e19}})
	v := tensor.MustFromRows([][]float32{{3}, {5}})
	for name, attend := range attendFuncs[float32]() {
		t.Run(name, func(t *testing.T) {
			res, err := attend(q, k, v, Options[float32]{Scale: 1, KeepWeights: true})
			if err != nil {
				t.Fatal(err)
			}
			if a := res.Weights.Row(0); a[0] != 1 || a[1] != 0 {
				t.Errorf("A = %v, want [1 0]", a)
			}
			if z := res.Output.At(0, 0); z != 3 {
				t.Errorf("Z = %v, want 3", z)
			}
		})
	}
}

func TestAttendLeavesInputsUnchanged(t *testing.T) {
	q := tensor.MustFromRows([][]float64{{0.1, -0.2}, {0.3, 0.4}, {-0.5, 0.6}})
	k := tensor.MustFromRows([][]float64{{0.7, 0.8}, {-0.9, 1.0}})
	v := tensor.MustFromRows([][]float64{{1, 2, 3}, {4, 5, 6}})
	bias := tensor.MustFromRows([][]float64{{0, math.Inf(-1)}, {0.5, 0}, {math.Inf(-1), math.Inf(-1)}})
	allow := []bool{true, true, false, true, true, true}
	wq := tensor.MustFromRows([][]float64{{1, 0}, {0, 1}})
	wo := tensor.MustFromRows([][]float64{{1}, {2}, {3}})
	inputs := []*tensor.Matrix[float64]{q, k, v, bias, wq, wo}
	before := make([]*tensor.Matrix[float64], len(inputs))
	for i, m := range inputs {
		before[i] = m.Clone()
	}
	allowBefore := append([]bool(nil), allow...)
	opts := Options[float64]{KeepScores: true, KeepWeights: true, Mask: Mask[float64]{Causal: true, Allow: allow, Bias: bias}}

	if _, err := Attend(q, k, v, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := AttendReference(q, k, v, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := AttendHeads([]Projections[float64]{{Q: q, K: k, V: v}}, wo, opts); err != nil {
		t.Fatal(err)
	}
	mh := MultiHead[float64]{Heads: []Head[float64]{{WQ: wq, WK: wq, WV: wq}}}
	if _, err := mh.Attend(q, k, Options[float64]{}); err != nil {
		t.Fatal(err)
	}

	names := []string{"Q", "K", "V", "bias", "W", "W_O"}
	for i, m := range inputs {
		for j := range m.Data {
			if math.Float64bits(m.Data[j]) != math.Float64bits(before[i].Data[j]) {
				t.Errorf("%s element %d changed from %v to %v", names[i], j, before[i].Data[j], m.Data[j])
			}
		}
	}
	for i := range allow {
		if allow[i] != allowBefore[i] {
			t.Errorf("Allow[%d] changed to %v", i, allow[i])
		}
	}
}
