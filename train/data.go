package train

import (
	"fmt"

	"qkv/nn"
	"qkv/task"
)

// Seed offsets separate the random streams derived from the run seed.
const (
	trainStreamSalt = 0x747261696e000001 // training examples
	testSetSalt     = 0x7465737473657401 // reserved test sets
)

func parseDistribution(s string) (task.Distribution, error) {
	return task.ParseDistribution(s)
}

// TestSets builds the reserved held-out sets of cfg: for the balanced and
// naive distributions one set per lookahead 1..L_max (1..(V−1)/2 for
// naive) plus a naive set, for star one set per spoke length and count.
// They depend only on the configuration, so evaluation after training
// rebuilds exactly the sets training excluded.
func TestSets(cfg Config) ([]task.TestSet, *task.Reserved, error) {
	dist, err := parseDistribution(cfg.Distribution)
	if err != nil {
		return nil, nil, err
	}
	return task.ReserveTestSets(task.TestSetConfig{
		Dist: dist, N: cfg.Model.SeqLen, MaxLookahead: cfg.MaxLookahead,
		PerSet: cfg.TestSetSize, Seed: cfg.Seed ^ testSetSalt,
	})
}

// NewEvaluator turns the first count examples of each test set, encoded
// for sequence length n, into evaluation groups.
func NewEvaluator(n int, sets []task.TestSet, count int) (*Evaluator, error) {
	v, err := task.NewVocab(n)
	if err != nil {
		return nil, err
	}
	ev := &Evaluator{}
	for _, s := range sets {
		n := min(count, len(s.Examples))
		b, err := encodeExamples(s.Examples[:n], v)
		if err != nil {
			return nil, fmt.Errorf("test set %s: %w", s.Name, err)
		}
		ev.Groups = append(ev.Groups, TestGroup{Name: s.Name, Lookahead: s.Lookahead, Batch: b})
	}
	return ev, nil
}

// stream is the training data: batch i holds examples i·B .. i·B+B−1 of
// one seeded generator, so any step's batch can be rebuilt from the seed
// alone, which makes resuming exact.
type stream struct {
	gen   *task.Generator
	vocab task.Vocab
	seed  uint64
	batch int
}

// newStream returns the training stream of cfg, excluding reserved.
func newStream(cfg Config, reserved *task.Reserved) (*stream, error) {
	dist, err := parseDistribution(cfg.Distribution)
	if err != nil {
		return nil, err
	}
	gen, err := task.NewGenerator(task.Config{
		Dist: dist, N: cfg.Model.SeqLen, MaxLookahead: cfg.MaxLookahead,
		Order: task.Shuffled, Reserved: reserved,
	})
	if err != nil {
		return nil, err
	}
	return &stream{gen: gen, vocab: gen.Vocab(), seed: cfg.Seed ^ trainStreamSalt, batch: cfg.Batch}, nil
}

// at returns the batch of step (0-based).
func (s *stream) at(step int64) (nn.Batch, error) {
	examples := s.gen.Generate(s.seed, int(step)*s.batch, s.batch)
	return encodeExamples(examples, s.vocab)
}

// encodeExamples converts examples to token ids and sampled labels.
func encodeExamples(examples []task.Example, v task.Vocab) (nn.Batch, error) {
	b := nn.Batch{Tokens: make([][]int, len(examples)), Labels: make([]int, len(examples))}
	buf := make([]int32, 0, v.SeqLen())
	for i := range examples {
		var err error
		buf, err = examples[i].AppendTokens(buf[:0], v)
		if err != nil {
			return nn.Batch{}, err
		}
		toks := make([]int, len(buf))
		for j, t := range buf {
			toks[j] = int(t)
		}
		b.Tokens[i] = toks
		b.Labels[i] = examples[i].Label
	}
	return b, nil
}
