package train

import (
	"fmt"

	"qkv/nn"
)

// Config is everything that determines a training run. Together with the
// seed it fixes every weight bit for bit, given the same shard count.
type Config struct {
	Model nn.SearchConfig `json:"model"`

	// Distribution is the training distribution: balanced, naive or star.
	Distribution string `json:"distribution"`
	// MaxLookahead is L_max of the balanced and star distributions.
	MaxLookahead int `json:"max_lookahead"`

	Batch     int             `json:"batch"` // examples per step
	Steps     int64           `json:"steps"` // total optimizer steps
	Optimizer OptimizerConfig `json:"optimizer"`
	Schedule  Schedule        `json:"schedule"`
	Seed      uint64          `json:"seed"`
	// Shards is the number of pieces each batch is cut into. Their
	// gradients are summed in a fixed order, so the result does not
	// depend on the thread count. More shards than threads balance load.
	Shards int `json:"shards"`

	// EvalEvery is the step interval of the periodic evaluation (0: only
	// at the end); EvalCount is the number of held-out examples per
	// lookahead it uses.
	EvalEvery int64 `json:"eval_every"`
	EvalCount int   `json:"eval_count"`
	// TestSetSize is the number of examples reserved per test set; the
	// training stream never emits them.
	TestSetSize int `json:"test_set_size"`
	// CheckpointEvery is the step interval between checkpoints (0: only
	// at the end and on interruption).
	CheckpointEvery int64 `json:"checkpoint_every"`
}

// Validate returns an error naming the first invalid setting.
func (c Config) Validate() error {
	if err := c.Model.Validate(); err != nil {
		return err
	}
	switch {
	case c.Batch < 1:
		return fmt.Errorf("batch size %d is invalid: use at least 1", c.Batch)
	case c.Steps < 0:
		return fmt.Errorf("step count %d is invalid: use 0 or more", c.Steps)
	case c.Shards < 1:
		return fmt.Errorf("shard count %d is invalid: use at least 1", c.Shards)
	case c.EvalEvery < 0 || c.CheckpointEvery < 0:
		return fmt.Errorf("intervals must be ≥ 0 steps (evaluation %d, checkpoint %d)", c.EvalEvery, c.CheckpointEvery)
	case c.EvalCount < 1:
		return fmt.Errorf("evaluation count %d is invalid: use at least 1 example per lookahead", c.EvalCount)
	case c.TestSetSize < c.EvalCount:
		return fmt.Errorf("test set size %d is smaller than the evaluation count %d", c.TestSetSize, c.EvalCount)
	}
	if _, err := parseDistribution(c.Distribution); err != nil {
		return err
	}
	if c.MaxLookahead < 0 || c.MaxLookahead > maxTestLookahead(c.Model) {
		return fmt.Errorf("max lookahead %d is invalid for N = %d: use 0 to %d", c.MaxLookahead, c.Model.SeqLen, maxTestLookahead(c.Model))
	}
	if err := c.Optimizer.validate(); err != nil {
		return err
	}
	return c.Schedule.validate()
}

// maxTestLookahead returns (V−1)/2, the largest lookahead a graph with V
// vertices can have with two branches.
func maxTestLookahead(m nn.SearchConfig) int { return (m.MaxVertex() - 1) / 2 }

// Preset returns a named configuration:
//
//   - cpu-small: N = 32 (V = 9, lookahead up to 4), 6 layers, AdamW with a
//     warm-up and cosine decay, sized to learn the balanced distribution
//     within an hour on two cores.
//   - paper: N = 128, 6 layers, hidden 16 (D = 190), batch 256, the
//     sign-momentum rule with lr 1e−5 and weight decay 0.1, balanced
//     with L_max = 20: the headline configuration of Saparov et al.,
//     "Transformers Struggle to Learn to Search" (ICLR 2025).
func Preset(name string) (Config, error) {
	switch name {
	case "cpu-small":
		return Config{
			Model:        nn.SearchConfig{SeqLen: 32, Layers: 6, Hidden: 16, Heads: 1},
			Distribution: "balanced",
			MaxLookahead: 4,
			Batch:        64,
			Steps:        45000,
			Optimizer:    OptimizerConfig{Kind: AdamW, WeightDecay: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
			Schedule: Schedule{Kind: WarmupCosine, LR: 1e-4, PeakLR: 1e-3,
				WarmupExamples: 64 * 500, DecayExamples: 64 * 44500},
			Seed:            1,
			Shards:          8,
			EvalEvery:       1000,
			EvalCount:       200,
			TestSetSize:     1000,
			CheckpointEvery: 1000,
		}, nil
	case "paper":
		return Config{
			Model:           nn.SearchConfig{SeqLen: 128, Layers: 6, Hidden: 16, Heads: 1},
			Distribution:    "balanced",
			MaxLookahead:    20,
			Batch:           256,
			Steps:           3_450_000,
			Optimizer:       OptimizerConfig{Kind: SignMomentum, WeightDecay: 0.1, Beta1: 0.965, Beta2: 0.99, Eps: 1e-8},
			Schedule:        Schedule{Kind: Constant, LR: 1e-5},
			Seed:            1,
			Shards:          16,
			EvalEvery:       1024,
			EvalCount:       256,
			TestSetSize:     10000,
			CheckpointEvery: 1024,
		}, nil
	}
	return Config{}, fmt.Errorf("unknown preset %q: use cpu-small or paper", name)
}
