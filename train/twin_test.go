package train

import (
	"math"
	"path/filepath"
	"testing"

	"qkv/nn"
	"qkv/npy"
)

// twinConfig is the model that scripts/fixtures/model_twin.py builds in
// PyTorch; the fixtures in testdata/nn/twin come from it.
var twinConfig = nn.SearchConfig{SeqLen: 32, Layers: 2, Hidden: 16, Heads: 2}

// twinTol bounds float64 differences that come only from summation order.
const twinTol = 1e-10

func readTwin(t *testing.T, name string) *npy.Array {
	t.Helper()
	a, err := npy.ReadFile(filepath.Join("..", "testdata", "nn", "twin", name+".npy"))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// loadTwin returns the twin's initial model and its batch.
func loadTwin(t *testing.T) (*nn.SearchModel[float64], nn.Batch) {
	t.Helper()
	params := append([]float64(nil), readTwin(t, "params").Float64()...)
	m, err := nn.BindSearchModel(twinConfig, params)
	if err != nil {
		t.Fatal(err)
	}
	tokArr := readTwin(t, "tokens")
	toks, err := tokArr.Int64()
	if err != nil {
		t.Fatal(err)
	}
	labels, err := readTwin(t, "labels").Int64()
	if err != nil {
		t.Fatal(err)
	}
	var b nn.Batch
	n := tokArr.Shape[1]
	for i := range labels {
		row := make([]int, n)
		for j := range row {
			row[j] = int(toks[i*n+j])
		}
		b.Tokens = append(b.Tokens, row)
		b.Labels = append(b.Labels, int(labels[i]))
	}
	return m, b
}

func TestTwinLossLogitsGradients(t *testing.T) {
	m, b := loadTwin(t)

	wantLogits := readTwin(t, "logits").Float64()
	vocab := twinConfig.Vocab()
	for i, toks := range b.Tokens {
		got, err := m.Predict(toks)
		if err != nil {
			t.Fatal(err)
		}
		for j, g := range got {
			if w := wantLogits[i*vocab+j]; math.Abs(g-w) > twinTol {
				t.Errorf("logit [%d,%d] = %.15g, PyTorch gives %.15g", i, j, g, w)
			}
		}
	}

	bp, err := nn.NewBackprop(m, 3)
	if err != nil {
		t.Fatal(err)
	}
	grad := make([]float64, len(m.Params))
	st, err := bp.Gradient(b, grad)
	if err != nil {
		t.Fatal(err)
	}
	if want := readTwin(t, "loss").Float64()[0]; math.Abs(st.Loss-want) > twinTol {
		t.Errorf("loss = %.15g, PyTorch gives %.15g", st.Loss, want)
	}

	want := readTwin(t, "grads").Float64()
	if len(want) != len(grad) {
		t.Fatalf("fixture has %d gradients, the model %d parameters", len(want), len(grad))
	}
	off := 0
	for _, spec := range twinConfig.ParamSpecs() {
		worst := 0.0
		for i := off; i < off+spec.Size(); i++ {
			worst = max(worst, math.Abs(grad[i]-want[i]))
		}
		if worst > twinTol {
			t.Errorf("gradient of %s differs from PyTorch by up to %.3g", spec.Name, worst)
		}
		off += spec.Size()
	}
}

func TestTwinOptimizerLosses(t *testing.T) {
	// Step sizes and decays match scripts/fixtures/model_twin.py.
	tests := []struct {
		name string
		cfg  OptimizerConfig
		lr   float64
	}{
		{"sign_momentum", OptimizerConfig{Kind: SignMomentum, WeightDecay: 0.1, Beta1: 0.965}, 1e-3},
		{"adamw", OptimizerConfig{Kind: AdamW, WeightDecay: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, 1e-3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, b := loadTwin(t)
			want := readTwin(t, "losses_"+tc.name).Float64()
			opt, err := NewOptimizer[float64](tc.cfg, len(m.Params))
			if err != nil {
				t.Fatal(err)
			}
			bp, _ := nn.NewBackprop(m, 2)
			grad := make([]float64, len(m.Params))
			for step, w := range want {
				clear(grad)
				st, err := bp.Gradient(b, grad)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(st.Loss-w) > twinTol {
					t.Errorf("loss before step %d = %.15g, PyTorch gives %.15g", step+1, st.Loss, w)
				}
				if err := opt.Update(m.Params, grad, tc.lr); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
