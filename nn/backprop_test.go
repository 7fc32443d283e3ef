package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

func TestSearchConfigNumParams(t *testing.T) {
	// Counts of the reference PyTorch model for the same settings.
	tests := []struct {
		cfg  SearchConfig
		want int
	}{
		{SearchConfig{SeqLen: 128, Layers: 6, Hidden: 16, Heads: 1}, 1311380},
		{SearchConfig{SeqLen: 98, Layers: 8, Hidden: 16, Heads: 1}, 1092300},
		{SearchConfig{SeqLen: 32, Layers: 8, Hidden: 16, Heads: 1}, 189596},
	}
	for _, tc := range tests {
		if got := tc.cfg.NumParams(); got != tc.want {
			t.Errorf("%+v: NumParams = %d, want %d", tc.cfg, got, tc.want)
		}
	}
	if w := (SearchConfig{SeqLen: 128, Hidden: 16}).Width(); w != 190 {
		t.Errorf("width at N=128, hidden 16 = %d, want 190", w)
	}
}

func TestSearchConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  SearchConfig
	}{
		{"short sequence", SearchConfig{SeqLen: 4, Layers: 1, Heads: 1}},
		{"no layers", SearchConfig{SeqLen: 32, Layers: 0, Heads: 1}},
		{"negative hidden", SearchConfig{SeqLen: 32, Layers: 1, Hidden: -1, Heads: 1}},
		{"indivisible heads", SearchConfig{SeqLen: 32, Layers: 1, Hidden: 16, Heads: 4}},
	}
	for _, tc := range tests {
		if err := tc.cfg.Validate(); err == nil {
			t.Errorf("%s: Validate(%+v) = nil, want an error", tc.name, tc.cfg)
		}
	}
}

// randomBatch returns b left-padded random inputs of length cfg.SeqLen
// with at least minRows non-PAD tokens, and random vertex labels.
func randomBatch(cfg SearchConfig, b, minRows int, rng *rand.Rand) Batch {
	var batch Batch
	for i := 0; i < b; i++ {
		toks := make([]int, cfg.SeqLen)
		lead := rng.IntN(cfg.SeqLen - minRows + 1)
		for j := range toks {
			if j < lead {
				toks[j] = cfg.Pad()
				continue
			}
			for {
				toks[j] = 1 + rng.IntN(cfg.Vocab()-1)
				if toks[j] != cfg.Pad() {
					break
				}
			}
		}
		batch.Tokens = append(batch.Tokens, toks)
		batch.Labels = append(batch.Labels, 1+rng.IntN(cfg.MaxVertex()))
	}
	return batch
}

// referenceLoss computes the mean cross-entropy through the ordinary traced
// forward pass, one input at a time.
func referenceLoss(t *testing.T, m *SearchModel[float64], b Batch) float64 {
	t.Helper()
	var loss float64
	for i, toks := range b.Tokens {
		logits, err := m.Predict(toks)
		if err != nil {
			t.Fatal(err)
		}
		loss += softmaxCrossEntropy(logits, b.Labels[i])
	}
	return loss / float64(len(b.Tokens))
}

var gradientConfigs = []struct {
	name string
	cfg  SearchConfig
}{
	{"bidirectional", SearchConfig{SeqLen: 14, Layers: 2, Hidden: 2, Heads: 2}},
	{"causal", SearchConfig{SeqLen: 14, Layers: 2, Hidden: 2, Heads: 1, Causal: true}},
	{"learned embedding", SearchConfig{SeqLen: 14, Layers: 2, Hidden: 2, Heads: 2, LearnedEmbedding: true}},
	{"one layer", SearchConfig{SeqLen: 11, Layers: 1, Hidden: 0, Heads: 1}},
}

func TestBackpropLossMatchesTracedForward(t *testing.T) {
	const tol = 1e-12 // float64 sums in a different order
	for _, tc := range gradientConfigs {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			m, err := NewSearchModel[float64](tc.cfg, rng)
			if err != nil {
				t.Fatal(err)
			}
			b := randomBatch(tc.cfg, 7, 1, rng)
			bp, err := NewBackprop(m, 3)
			if err != nil {
				t.Fatal(err)
			}
			pred, st, err := bp.Predict(b)
			if err != nil {
				t.Fatal(err)
			}
			want := referenceLoss(t, m, b)
			if math.Abs(st.Loss-want) > tol {
				t.Errorf("loss = %.15g, traced forward gives %.15g", st.Loss, want)
			}
			for i, toks := range b.Tokens {
				logits, _ := m.Predict(toks)
				if p := argmax(logits); p != pred[i] {
					t.Errorf("input %d: prediction %d, traced forward predicts %d", i, pred[i], p)
				}
			}
		})
	}
}

func TestBackpropGradientFiniteDifference(t *testing.T) {
	// Central differences in float64 with step 1e-5 have truncation error
	// of order 1e-10 relative to the gradient; 1e-7 leaves a margin.
	const (
		step = 1e-5
		tol  = 1e-7
	)
	for _, tc := range gradientConfigs {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			m, err := NewSearchModel[float64](tc.cfg, rng)
			if err != nil {
				t.Fatal(err)
			}
			// Perturb the LayerNorm parameters so their gradients are
			// not special.
			for i := range m.Params {
				m.Params[i] += 0.1 * rng.NormFloat64()
			}
			b := randomBatch(tc.cfg, 5, 2, rng)
			bp, _ := NewBackprop(m, 2)
			grad := make([]float64, len(m.Params))
			if _, err := bp.Gradient(b, grad); err != nil {
				t.Fatal(err)
			}
			loss := func() float64 {
				_, st, err := bp.Predict(b)
				if err != nil {
					t.Fatal(err)
				}
				return st.Loss
			}
			worst, where := 0.0, 0
			for i := range m.Params {
				orig := m.Params[i]
				m.Params[i] = orig + step
				up := loss()
				m.Params[i] = orig - step
				down := loss()
				m.Params[i] = orig
				fd := (up - down) / (2 * step)
				if d := math.Abs(fd - grad[i]); d > worst {
					worst, where = d, i
				}
			}
			t.Logf("max difference %.3g at %s", worst, paramName(tc.cfg, where))
			if worst > tol {
				t.Errorf("max |finite difference − gradient| = %.3g at %s, want ≤ %g", worst, paramName(tc.cfg, where), tol)
			}
		})
	}
}

// paramName names element i of the parameter vector.
func paramName(cfg SearchConfig, i int) string {
	for _, s := range cfg.ParamSpecs() {
		if i < s.Size() {
			return fmt.Sprintf("%s[%d,%d]", s.Name, i/s.Cols, i%s.Cols)
		}
		i -= s.Size()
	}
	return "out of range"
}

func TestBackpropShardsIndependentOfThreads(t *testing.T) {
	cfg := SearchConfig{SeqLen: 32, Layers: 2, Hidden: 4, Heads: 1}
	rng := rand.New(rand.NewPCG(5, 6))
	m, _ := NewSearchModel[float32](cfg, rng)
	b := randomBatch(cfg, 16, 5, rng)
	grads := make([][]float32, 2)
	for k, threads := range []int{1, 2} {
		bp, _ := NewBackprop(m, 4)
		grads[k] = make([]float32, len(m.Params))
		withThreads(threads, func() {
			if _, err := bp.Gradient(b, grads[k]); err != nil {
				t.Fatal(err)
			}
		})
	}
	for i := range grads[0] {
		if math.Float32bits(grads[0][i]) != math.Float32bits(grads[1][i]) {
			t.Fatalf("gradient %s differs between 1 and 2 threads: %v and %v", paramName(cfg, i), grads[0][i], grads[1][i])
		}
	}
}

func TestBackpropRejectsBadInput(t *testing.T) {
	cfg := SearchConfig{SeqLen: 14, Layers: 1, Hidden: 0, Heads: 1}
	m, _ := NewSearchModel[float64](cfg, rand.New(rand.NewPCG(1, 1)))
	bp, _ := NewBackprop(m, 1)
	good := randomBatch(cfg, 1, 3, rand.New(rand.NewPCG(2, 2)))
	tests := []struct {
		name  string
		batch Batch
	}{
		{"empty", Batch{}},
		{"short input", Batch{Tokens: [][]int{{1, 2}}, Labels: []int{1}}},
		{"token out of range", Batch{Tokens: [][]int{append(append([]int{}, good.Tokens[0][:13]...), 99)}, Labels: []int{1}}},
		{"label out of range", Batch{Tokens: good.Tokens, Labels: []int{-1}}},
		{"label count", Batch{Tokens: good.Tokens, Labels: []int{1, 2}}},
		{"all padding", Batch{Tokens: [][]int{fill(14, cfg.Pad())}, Labels: []int{1}}},
	}
	for _, tc := range tests {
		grad := make([]float64, len(m.Params))
		if _, err := bp.Gradient(tc.batch, grad); err == nil {
			t.Errorf("%s: Gradient returned no error", tc.name)
		}
	}
}

func fill(n, v int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func withThreads(n int, fn func()) {
	old := runtime.GOMAXPROCS(n)
	defer runtime.GOMAXPROCS(old)
	fn()
}
