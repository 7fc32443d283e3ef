package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"

	"github.com/spf13/cobra"

	"qkv/task"
	"qkv/train"
	"qkv/viz"
)

func init() { register(newEvalCmd) }

type evalOptions struct {
	model   string
	count   int
	plotDir string
	json    bool
	star    bool
	threads int
}

func newEvalCmd(env *Env) *cobra.Command {
	o := &evalOptions{}
	cmd := &cobra.Command{
		Use:   "eval --model <checkpoint> [flags]",
		Short: "Measure a trained model's accuracy per lookahead",
		Long: `Evaluate a checkpoint on the held-out test sets its training run reserved:
one set per lookahead 1..L_max plus a naive set, rebuilt from the seed and
configuration stored in the checkpoint, so they are exactly the inputs the
training stream never emitted. Each example has one correct next vertex,
and accuracy is exact match of the argmax. The interval is the 95 % Wilson
score interval for a binomial proportion.

With --star, star graphs (every spoke length up to L_max, every spoke
count that fits) are evaluated too and reported as their mean accuracy;
they are not reserved from a balanced or naive training stream.`,
		Example: `  qkv eval --model runs/small/model.ckpt
  qkv eval --model runs/small/model.ckpt --count 200 --json
  qkv eval --model runs/small/model.ckpt --plot runs/small/eval`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEval(env, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.model, "model", "", "checkpoint written by qkv train (required)")
	f.IntVar(&o.count, "count", 1000, "examples per test set, at most the run's reserved test-set size")
	f.StringVar(&o.plotDir, "plot", "", "also draw accuracy per lookahead with its interval as accuracy.png in this directory")
	f.BoolVar(&o.json, "json", false, "print the results as JSON instead of a table")
	f.BoolVar(&o.star, "star", false, "also evaluate star graphs and report their mean accuracy")
	f.IntVar(&o.threads, "threads", runtime.NumCPU(), "worker threads (results do not depend on it)")
	return cmd
}

// evalReport is the JSON form of qkv eval's output.
type evalReport struct {
	Model        string              `json:"model"`
	Step         int64               `json:"step"`
	Distribution string              `json:"distribution"`
	SeqLen       int                 `json:"seq_len"`
	Interval     string              `json:"interval"`
	Groups       []train.GroupResult `json:"groups"`
}

func runEval(env *Env, o *evalOptions) error {
	if o.model == "" {
		return usageErrorf("--model is required: a checkpoint written by qkv train")
	}
	if o.count < 1 {
		return usageErrorf("--count %d is invalid: use at least 1 example per test set", o.count)
	}
	if o.threads < 1 {
		return usageErrorf("--threads %d is invalid: use at least 1", o.threads)
	}
	st, err := train.ReadCheckpoint(o.model)
	if err != nil {
		return err
	}
	cfg := st.Config
	if o.count > cfg.TestSetSize {
		return usageErrorf("--count %d exceeds the %d examples the run reserved per test set; use --count %d or less", o.count, cfg.TestSetSize, cfg.TestSetSize)
	}
	prev := runtime.GOMAXPROCS(o.threads)
	defer runtime.GOMAXPROCS(prev)

	sets, _, err := train.TestSets(cfg)
	if err != nil {
		return err
	}
	ev, err := evaluateSets(st, sets, o.count)
	if err != nil {
		return err
	}
	if o.star {
		g, err := evaluateStar(st, o.count)
		if err != nil {
			return err
		}
		ev.Groups = append(ev.Groups, g)
	}

	if o.plotDir != "" {
		if err := plotEval(ev, o.plotDir, o.model); err != nil {
			return err
		}
	}
	if o.json {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(evalReport{
			Model: o.model, Step: st.Step, Distribution: cfg.Distribution, SeqLen: cfg.Model.SeqLen,
			Interval: "95% Wilson score", Groups: ev.Groups,
		})
	}
	fmt.Fprintf(env.Stdout, "%s: step %d, trained on %s (N = %d, L_max = %d)\n", o.model, st.Step, cfg.Distribution, cfg.Model.SeqLen, cfg.MaxLookahead)
	writeEvalTable(env.Stdout, ev)
	return nil
}

func evaluateSets(st *train.State, sets []task.TestSet, count int) (*train.Evaluation, error) {
	ev, err := train.NewEvaluator(st.Config.Model.SeqLen, sets, count)
	if err != nil {
		return nil, err
	}
	return ev.Evaluate(st.Model, st.Config.Shards)
}

// evaluateStar returns the mean accuracy over the star sets of every
// spoke length 1..L_max and spoke count, as one group whose interval
// treats all examples as one binomial sample.
func evaluateStar(st *train.State, count int) (train.GroupResult, error) {
	cfg := st.Config
	maxLen := max(cfg.MaxLookahead, 1)
	sets, _, err := task.ReserveTestSets(task.TestSetConfig{
		Dist: task.Star, N: cfg.Model.SeqLen, MaxLookahead: maxLen, PerSet: count, Seed: cfg.Seed,
	})
	if err != nil {
		return train.GroupResult{}, fmt.Errorf("star test sets: %w", err)
	}
	ev, err := evaluateSets(st, sets, count)
	if err != nil {
		return train.GroupResult{}, err
	}
	g := train.GroupResult{Name: "star (mean)", Lookahead: -1}
	var sum float64
	for _, r := range ev.Groups {
		g.Correct += r.Correct
		g.Count += r.Count
		sum += r.Accuracy
	}
	if len(ev.Groups) > 0 {
		g.Accuracy = sum / float64(len(ev.Groups))
	}
	g.Low, g.High = train.Wilson(g.Correct, g.Count)
	return g, nil
}

// plotEval draws accuracy against lookahead with the interval bounds.
func plotEval(ev *train.Evaluation, dir, model string) error {
	var xs, acc, lo, hi []float64
	for _, g := range ev.Groups {
		if g.Lookahead < 0 {
			continue
		}
		xs = append(xs, float64(g.Lookahead))
		acc = append(acc, g.Accuracy)
		lo = append(lo, g.Low)
		hi = append(hi, g.High)
	}
	if len(xs) == 0 {
		return fmt.Errorf("plot: no test set with a fixed lookahead to draw")
	}
	chart := &viz.LineChart{
		Title: "held-out accuracy per lookahead: " + filepath.Base(model), XLabel: "lookahead", YLabel: "accuracy",
		Series: []viz.Series{
			{Name: "accuracy", X: xs, Y: acc, Points: true},
			{Name: "95% Wilson low", X: xs, Y: lo, Dashed: true},
			{Name: "95% Wilson high", X: xs, Y: hi, Dashed: true},
		},
	}
	png, err := viz.Render(chart, viz.PNG)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	fs, err := newFileSet(dir)
	if err != nil {
		return err
	}
	if err := fs.Add("accuracy.png", png); err != nil {
		fs.Abort()
		return err
	}
	return fs.Commit()
}
