package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"qkv/train"
	"qkv/viz"
)

func init() { register(newTrainCmd) }

// trainOptions holds the flags of qkv train that are not hyper-parameters.
type trainOptions struct {
	preset    string
	resume    string
	overwrite bool
	out       string
	logPath   string
	plotDir   string
	threads   int
	logEvery  int64
	maxTime   time.Duration

	// Hyper-parameters, copied over the preset when their flag is set.
	dist                         string
	n, maxLook, layers, hidden   int
	heads, batch, shards         int
	evalCount, testSetSize       int
	steps, evalEvery, ckptEvery  int64
	warmup, decay                int64
	lr, peakLR, wd, beta1, beta2 float64
	optimizer, schedule, mask    string
	learnedEmb                   bool
	seed                         uint64
}

// hyperFlags names the flags that change the model, data or optimizer, which
// a resumed run may not change.
var hyperFlags = []string{"distribution", "n", "max-lookahead", "layers", "hidden", "heads", "batch",
	"shards", "test-set-size", "warmup", "decay", "lr", "lr-peak", "wd", "beta1", "beta2",
	"optimizer", "schedule", "mask", "learned-embedding", "seed", "preset"}

func newTrainCmd(env *Env) *cobra.Command {
	o := &trainOptions{}
	cmd := &cobra.Command{
		Use:   "train [flags]",
		Short: "Train the graph-search transformer on CPU",
		Long: `Train the graph-search transformer on examples streamed from a task
distribution, evaluating accuracy per lookahead on reserved test sets.

A preset sets every hyper-parameter; any flag overrides it. The resolved
configuration is printed first. Progress goes to stderr, the final
evaluation table to stdout, metrics to a JSON Lines log, and the state to
a checkpoint that --resume continues bit for bit. Ctrl-C saves a
checkpoint before exiting.`,
		Example: `  qkv train --preset cpu-small --out runs/small
  qkv train --resume runs/small/model.ckpt --out runs/small
  qkv train --preset paper --steps 100 --out runs/paper
  qkv train --preset cpu-small --distribution naive --out runs/naive --plot runs/naive`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTrain(cmd, env, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.preset, "preset", "cpu-small", "starting configuration: cpu-small or paper")
	f.StringVar(&o.resume, "resume", "", "continue from this checkpoint (keeps its configuration; --steps may extend it)")
	f.StringVar(&o.out, "out", "", "output directory for model.ckpt and train.jsonl (required)")
	f.BoolVar(&o.overwrite, "overwrite", false, "start a new run even if --out already holds a checkpoint, replacing it and its log")
	f.StringVar(&o.logPath, "log", "", "JSON Lines metrics log (default <out>/train.jsonl; appended to on resume)")
	f.StringVar(&o.plotDir, "plot", "", "after training, draw loss and accuracy curves from the log into this directory")
	f.IntVar(&o.threads, "threads", runtime.NumCPU(), "worker threads (results do not depend on it)")
	f.Int64Var(&o.logEvery, "log-every", 10, "steps between JSON Lines step records")
	f.DurationVar(&o.maxTime, "max-time", 0, "stop after this wall-clock time (e.g. 60m), save the checkpoint and evaluate as if the steps were done; 0 means no limit")

	f.StringVar(&o.dist, "distribution", "", "training distribution (also --dist): naive, balanced, balanced-no-prefix or star (preset: balanced)")
	// graph gen and graph stats call the same option --dist.
	f.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "dist" {
			name = "distribution"
		}
		return pflag.NormalizedName(name)
	})
	f.IntVar(&o.n, "n", 0, "sequence length N in tokens; vertex ids are 1..(N−5)/3 (preset cpu-small: 32, paper: 128)")
	f.IntVar(&o.maxLook, "max-lookahead", 0, "largest training lookahead L_max (preset cpu-small: 4, paper: 20)")
	f.IntVar(&o.layers, "layers", 0, "transformer blocks (preset: 6)")
	f.IntVar(&o.hidden, "hidden", 0, "extra zero-initialised residual dimensions (preset: 16)")
	f.IntVar(&o.heads, "heads", 0, "attention heads per block (preset: 1)")
	f.IntVar(&o.batch, "batch", 0, "examples per step (preset cpu-small: 64, paper: 256)")
	f.IntVar(&o.shards, "shards", 0, "pieces each batch is cut into for parallel work; fixes the summation order (preset cpu-small: 8, paper: 16)")
	f.Int64Var(&o.steps, "steps", 0, "total optimizer steps (preset cpu-small: 45000, paper: 3450000)")
	f.Int64Var(&o.evalEvery, "eval-every", 0, "steps between evaluations on the test sets (preset cpu-small: 1000, paper: 1024)")
	f.IntVar(&o.evalCount, "eval-count", 0, "test examples per lookahead in periodic evaluations (preset cpu-small: 200, paper: 256)")
	f.IntVar(&o.testSetSize, "test-set-size", 0, "examples reserved per test set, never trained on (preset cpu-small: 1000, paper: 10000)")
	f.Int64Var(&o.ckptEvery, "checkpoint-every", 0, "steps between checkpoints (preset cpu-small: 1000, paper: 1024)")
	f.StringVar(&o.optimizer, "optimizer", "", "update rule: sign-momentum or adamw (preset cpu-small: adamw, paper: sign-momentum)")
	f.StringVar(&o.schedule, "schedule", "", "learning-rate schedule: constant or warmup-cosine (preset cpu-small: warmup-cosine, paper: constant)")
	f.Float64Var(&o.lr, "lr", 0, "base learning rate (preset cpu-small: 1e-4, paper: 1e-5)")
	f.Float64Var(&o.peakLR, "lr-peak", 0, "peak learning rate of warmup-cosine (preset cpu-small: 1e-3)")
	f.Int64Var(&o.warmup, "warmup", 0, "warm-up length of warmup-cosine, in examples (preset cpu-small: 32000)")
	f.Int64Var(&o.decay, "decay", 0, "cosine decay length of warmup-cosine, in examples (preset cpu-small: 2848000)")
	f.Float64Var(&o.wd, "wd", 0, "decoupled weight decay on every parameter (preset cpu-small: 0.01, paper: 0.1)")
	f.Float64Var(&o.beta1, "beta1", 0, "momentum decay (preset cpu-small: 0.9, paper: 0.965)")
	f.Float64Var(&o.beta2, "beta2", 0, "AdamW second-moment decay (preset: 0.999 for adamw)")
	f.StringVar(&o.mask, "mask", "bidirectional", "attention mask besides hiding PAD keys: bidirectional or causal")
	f.BoolVar(&o.learnedEmb, "learned-embedding", false, "learn the token embedding (tied to the output) instead of the fixed one-hot code")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the weights, the data stream and the test sets")
	return cmd
}

// resolveConfig applies the set flags to the preset.
func resolveConfig(f *pflag.FlagSet, o *trainOptions) (train.Config, error) {
	cfg, err := train.Preset(o.preset)
	if err != nil {
		return cfg, usageErrorf("--preset: %v", err)
	}
	set := func(name string) bool { return f.Changed(name) }
	if set("distribution") {
		cfg.Distribution = o.dist
	}
	ints := []struct {
		name string
		dst  *int
		v    int
	}{
		{"n", &cfg.Model.SeqLen, o.n}, {"max-lookahead", &cfg.MaxLookahead, o.maxLook},
		{"layers", &cfg.Model.Layers, o.layers}, {"hidden", &cfg.Model.Hidden, o.hidden},
		{"heads", &cfg.Model.Heads, o.heads}, {"batch", &cfg.Batch, o.batch},
		{"shards", &cfg.Shards, o.shards}, {"eval-count", &cfg.EvalCount, o.evalCount},
		{"test-set-size", &cfg.TestSetSize, o.testSetSize},
	}
	for _, x := range ints {
		if set(x.name) {
			*x.dst = x.v
		}
	}
	int64s := []struct {
		name string
		dst  *int64
		v    int64
	}{
		{"steps", &cfg.Steps, o.steps}, {"eval-every", &cfg.EvalEvery, o.evalEvery},
		{"checkpoint-every", &cfg.CheckpointEvery, o.ckptEvery},
		{"warmup", &cfg.Schedule.WarmupExamples, o.warmup}, {"decay", &cfg.Schedule.DecayExamples, o.decay},
	}
	for _, x := range int64s {
		if set(x.name) {
			*x.dst = x.v
		}
	}
	floats := []struct {
		name string
		dst  *float64
		v    float64
	}{
		{"lr", &cfg.Schedule.LR, o.lr}, {"lr-peak", &cfg.Schedule.PeakLR, o.peakLR},
		{"wd", &cfg.Optimizer.WeightDecay, o.wd}, {"beta1", &cfg.Optimizer.Beta1, o.beta1},
		{"beta2", &cfg.Optimizer.Beta2, o.beta2},
	}
	for _, x := range floats {
		if set(x.name) {
			*x.dst = x.v
		}
	}
	if set("optimizer") {
		k, err := train.ParseOptimizer(o.optimizer)
		if err != nil {
			return cfg, usageErrorf("--optimizer: %v", err)
		}
		cfg.Optimizer.Kind = k
	}
	if set("schedule") {
		k, err := train.ParseSchedule(o.schedule)
		if err != nil {
			return cfg, usageErrorf("--schedule: %v", err)
		}
		cfg.Schedule.Kind = k
	}
	switch o.mask {
	case "bidirectional":
		cfg.Model.Causal = false
	case "causal":
		cfg.Model.Causal = true
	default:
		return cfg, usageErrorf("--mask %q is invalid: use bidirectional or causal", o.mask)
	}
	cfg.Model.LearnedEmbedding = o.learnedEmb
	if set("seed") {
		cfg.Seed = o.seed
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usageErrorf("%v", err)
	}
	return cfg, nil
}

func runTrain(cmd *cobra.Command, env *Env, o *trainOptions) error {
	f := cmd.Flags()
	if o.out == "" {
		return usageErrorf("--out is required: the directory for the checkpoint and the log")
	}
	if o.threads < 1 {
		return usageErrorf("--threads %d is invalid: use at least 1", o.threads)
	}
	if o.maxTime < 0 {
		return usageErrorf("--max-time %s is invalid: use a positive duration or 0 for no limit", o.maxTime)
	}
	if o.logEvery < 1 {
		return usageErrorf("--log-every %d is invalid: use at least 1 step", o.logEvery)
	}

	// The state: a fresh run or a checkpoint.
	var st *train.State
	if o.resume != "" && o.overwrite {
		return usageErrorf("--overwrite cannot be combined with --resume: a resumed run continues its checkpoint instead of replacing it")
	}
	if o.resume != "" {
		for _, name := range hyperFlags {
			if f.Changed(name) {
				return usageErrorf("--%s cannot be combined with --resume: a resumed run keeps the checkpoint's configuration", name)
			}
		}
		var err error
		st, err = train.ReadCheckpoint(o.resume)
		if err != nil {
			return err
		}
		for _, x := range []struct {
			name string
			dst  *int64
			v    int64
		}{{"steps", &st.Config.Steps, o.steps}, {"eval-every", &st.Config.EvalEvery, o.evalEvery}, {"checkpoint-every", &st.Config.CheckpointEvery, o.ckptEvery}} {
			if f.Changed(x.name) {
				*x.dst = x.v
			}
		}
		if f.Changed("eval-count") {
			st.Config.EvalCount = o.evalCount
		}
		if f.Changed("steps") && o.steps <= st.Step {
			return usageErrorf("--steps %d is not above the checkpoint's step %d: a resumed run can only train further", o.steps, st.Step)
		}
		if err := st.Config.Validate(); err != nil {
			return usageErrorf("%v", err)
		}
	} else {
		cfg, err := resolveConfig(f, o)
		if err != nil {
			return err
		}
		if st, err = train.New(cfg); err != nil {
			return err
		}
	}
	cfg := st.Config

	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	ckpt := filepath.Join(o.out, "model.ckpt")
	if err := checkCheckpointTarget(ckpt, o); err != nil {
		return err
	}
	logPath := o.logPath
	if logPath == "" {
		logPath = filepath.Join(o.out, "train.jsonl")
	}
	prev := runtime.GOMAXPROCS(o.threads)
	defer runtime.GOMAXPROCS(prev)

	printConfig(env.Stderr, cfg, st, o, ckpt, logPath)

	// Held-out sets first: the training stream skips every reserved input.
	fmt.Fprintf(env.Stderr, "reserving test sets (%d examples each)...\n", cfg.TestSetSize)
	sets, reserved, err := train.TestSets(cfg)
	if err != nil {
		return err
	}
	evaluator, err := train.NewEvaluator(cfg.Model.SeqLen, sets, cfg.EvalCount)
	if err != nil {
		return err
	}

	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if o.resume == "" {
		flags = os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	} else if err := trimLog(logPath, st.Step); err != nil {
		return err
	}
	logFile, err := os.OpenFile(logPath, flags, 0o644)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	defer logFile.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.maxTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.maxTime)
		defer cancel()
	}

	prog := newTrainProgress(env, st.Step, cfg.Steps)
	if o.maxTime > 0 {
		prog.deadline = time.Now().Add(o.maxTime)
	}
	runErr := train.Run(ctx, st, train.RunOptions{
		Checkpoint: ckpt,
		Log:        logFile,
		LogEvery:   o.logEvery,
		Evaluator:  evaluator,
		Reserved:   reserved,
		OnStep:     prog.step,
		OnEval: func(step int64, ev *train.Evaluation) {
			prog.eval(step, ev)
		},
	})
	prog.finish()
	if errors.Is(runErr, context.Canceled) {
		fmt.Fprintf(env.Stderr, "interrupted at step %d; checkpoint saved to %s (continue with --resume %s)\n", st.Step, ckpt, ckpt)
		return fmt.Errorf("training interrupted")
	}
	if errors.Is(runErr, context.DeadlineExceeded) {
		fmt.Fprintf(env.Stderr, "time limit %s reached at step %d; checkpoint saved\n", o.maxTime, st.Step)
		runErr = nil
	}
	if runErr != nil {
		return runErr
	}
	fmt.Fprintf(env.Stderr, "checkpoint: %s\nlog: %s\n", ckpt, logPath)

	// Final evaluation on the full test sets.
	full, err := train.NewEvaluator(cfg.Model.SeqLen, sets, cfg.TestSetSize)
	if err != nil {
		return err
	}
	ev, err := full.Evaluate(st.Model, cfg.Shards)
	if err != nil {
		return err
	}
	writeEvalTable(env.Stdout, ev)

	if o.plotDir != "" {
		if err := plotTrainingLog(logPath, o.plotDir); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "plots: %s\n", o.plotDir)
	}
	return nil
}

// printConfig writes the resolved configuration as an aligned table.
func printConfig(w io.Writer, cfg train.Config, st *train.State, o *trainOptions, ckpt, logPath string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	m := cfg.Model
	mask := "bidirectional"
	if m.Causal {
		mask = "causal"
	}
	emb := "fixed one-hot"
	if m.LearnedEmbedding {
		emb = "learned, tied"
	}
	preset := o.preset
	if o.resume != "" {
		preset = "configuration of " + o.resume
	}
	rows := [][2]string{
		{"preset", preset},
		{"distribution", fmt.Sprintf("%s, max lookahead %d", cfg.Distribution, cfg.MaxLookahead)},
		{"sequence length N", fmt.Sprintf("%d (vertex ids 1..%d, vocabulary %d)", m.SeqLen, m.MaxVertex(), m.Vocab())},
		{"model", fmt.Sprintf("%d layers, %d head(s), width D = %d (%d token + %d hidden + %d position)", m.Layers, m.Heads, m.Width(), m.Vocab(), m.Hidden, m.SeqLen)},
		{"attention", mask + ", PAD keys masked"},
		{"token embedding", emb},
		{"parameters", fmt.Sprintf("%d", m.NumParams())},
		{"optimizer", fmt.Sprintf("%v, weight decay %g, beta1 %g, beta2 %g", cfg.Optimizer.Kind, cfg.Optimizer.WeightDecay, cfg.Optimizer.Beta1, cfg.Optimizer.Beta2)},
		{"learning rate", describeSchedule(cfg.Schedule)},
		{"batch", fmt.Sprintf("%d examples in %d shards", cfg.Batch, cfg.Shards)},
		{"steps", fmt.Sprintf("%d (starting at %d)", cfg.Steps, st.Step)},
		{"evaluation", fmt.Sprintf("every %d steps on %d examples per test set (%d reserved per set)", cfg.EvalEvery, cfg.EvalCount, cfg.TestSetSize)},
		{"checkpoint", fmt.Sprintf("%s every %d steps", ckpt, cfg.CheckpointEvery)},
		{"log", logPath},
		{"seed", fmt.Sprintf("%d", cfg.Seed)},
		{"threads", fmt.Sprintf("%d", o.threads)},
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", r[0], r[1])
	}
	tw.Flush()
}

func describeSchedule(s train.Schedule) string {
	if s.Kind == train.Constant {
		return fmt.Sprintf("constant %g", s.LR)
	}
	return fmt.Sprintf("warm-up 0→%g over %d examples, cosine to %g over %d examples", s.PeakLR, s.WarmupExamples, s.LR, s.DecayExamples)
}

// writeEvalTable prints accuracy per test set with its 95 % Wilson
// interval.
func writeEvalTable(w io.Writer, ev *train.Evaluation) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "test set\tlookahead\texamples\taccuracy\t95% Wilson interval\t")
	for _, g := range ev.Groups {
		look := "mixed"
		if g.Lookahead >= 0 {
			look = fmt.Sprint(g.Lookahead)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f%%\t%.1f–%.1f%%\t\n", g.Name, look, g.Count, 100*g.Accuracy, 100*g.Low, 100*g.High)
	}
	tw.Flush()
}

// trainProgress shows a live bar on a terminal and plain lines otherwise.
type trainProgress struct {
	env       *Env
	bar       *progressbar.ProgressBar
	lastPrint time.Time
	last      train.StepInfo
	total     int64
	// deadline is when --max-time stops the run; zero without a limit.
	deadline time.Time
}

// plainInterval is the time between plain progress lines when stderr is
// not a terminal.
const plainInterval = 30 * time.Second

func newTrainProgress(env *Env, from, total int64) *trainProgress {
	p := &trainProgress{env: env, total: total, lastPrint: time.Now()}
	if env.StderrIsTerminal {
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(env.Stderr),
			progressbar.OptionSetDescription("training"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish())
		p.bar.Set64(from)
	}
	return p
}

func (p *trainProgress) step(s train.StepInfo) {
	p.last = s
	if p.bar != nil {
		desc := fmt.Sprintf("loss %.3f acc %.1f%% %.0f ex/s", s.Loss, 100*s.Accuracy, s.ExamplesPerSec)
		if !p.deadline.IsZero() {
			desc += fmt.Sprintf(", time limit in %s", time.Until(p.deadline).Round(time.Second))
		}
		p.bar.Describe(desc)
		p.bar.Set64(s.Step)
		return
	}
	if time.Since(p.lastPrint) >= plainInterval || s.Step == s.Steps {
		p.lastPrint = time.Now()
		eta := time.Duration(0)
		if s.ExamplesPerSec > 0 {
			eta = time.Duration(float64(s.Steps-s.Step) * float64(s.Seen) / float64(s.Step) / s.ExamplesPerSec * float64(time.Second))
		}
		if !p.deadline.IsZero() {
			eta = min(eta, max(time.Until(p.deadline), 0))
		}
		fmt.Fprintf(p.env.Stderr, "step %d/%d  loss %.4f  acc %.1f%%  lr %.3g  %.0f ex/s  elapsed %s  ETA %s\n",
			s.Step, s.Steps, s.Loss, 100*s.Accuracy, s.LR, s.ExamplesPerSec,
			s.Elapsed.Round(time.Second), eta.Round(time.Second))
	}
}

func (p *trainProgress) eval(step int64, ev *train.Evaluation) {
	var parts []string
	for _, g := range ev.Groups {
		parts = append(parts, fmt.Sprintf("%s %.1f%%", g.Name, 100*g.Accuracy))
	}
	line := fmt.Sprintf("eval step %d: %s", step, strings.Join(parts, ", "))
	if p.bar != nil {
		p.bar.Clear()
	}
	fmt.Fprintln(p.env.Stderr, line)
}

func (p *trainProgress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

// plotTrainingLog draws loss.png (training loss per step) and
// accuracy.png (training accuracy and held-out accuracy per test set) from
// a JSON Lines training log into dir.
func plotTrainingLog(logPath, dir string) error {
	log, err := train.ReadLog(logPath)
	if err != nil {
		return err
	}
	if len(log.Steps) == 0 {
		return fmt.Errorf("plot: %s has no step records", logPath)
	}
	var steps, loss, acc []float64
	for _, r := range log.Steps {
		steps = append(steps, float64(r.Step))
		loss = append(loss, r.Loss)
		acc = append(acc, r.Accuracy)
	}
	lossChart := &viz.LineChart{
		Title: "training loss", XLabel: "step", YLabel: "cross-entropy (nats)", LogY: true,
		Series: []viz.Series{{Name: "batch loss", X: steps, Y: smooth(loss, 20)}},
	}
	accChart := &viz.LineChart{
		Title: "accuracy", XLabel: "step", YLabel: "accuracy",
		Series: []viz.Series{{Name: "training batch", X: steps, Y: smooth(acc, 20), Dashed: true}},
	}
	for _, name := range log.GroupNames {
		var xs, ys []float64
		for _, e := range log.Evals {
			for _, g := range e.Groups {
				if g.Name == name {
					xs = append(xs, float64(e.Step))
					ys = append(ys, g.Accuracy)
				}
			}
		}
		if len(xs) > 0 {
			accChart.Series = append(accChart.Series, viz.Series{Name: name, X: xs, Y: ys, Points: len(xs) < 30})
		}
	}
	fs, err := newFileSet(dir)
	if err != nil {
		return err
	}
	for _, c := range []struct {
		name  string
		chart *viz.LineChart
	}{{"loss.png", lossChart}, {"accuracy.png", accChart}} {
		png, err := viz.Render(c.chart, viz.PNG)
		if err == nil {
			err = fs.Add(c.name, png)
		}
		if err != nil {
			fs.Abort()
			return fmt.Errorf("plot %s: %w", c.name, err)
		}
	}
	return fs.Commit()
}

// smooth returns the trailing moving average of v over window points, so
// noisy per-batch values read as a curve. Loss values are positive, so the
// average is too.
func smooth(v []float64, window int) []float64 {
	out := make([]float64, len(v))
	var sum float64
	for i, x := range v {
		sum += x
		if i >= window {
			sum -= v[i-window]
		}
		out[i] = sum / float64(min(i+1, window))
	}
	return out
}

// trimLog drops the records after step from the log at path, so a run
// killed after its last checkpoint and resumed from it logs those steps
// once. A missing log is left missing.
func trimLog(path string, step int64) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read log: %w", err)
	}
	var kept []byte
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		var r struct {
			Step *int64 `json:"step"`
		}
		if json.Unmarshal(line, &r) != nil || r.Step == nil || *r.Step > step {
			continue
		}
		kept = append(kept, line...)
	}
	if len(kept) == len(data) {
		return nil
	}
	return writeFileAtomic(path, kept)
}

// checkCheckpointTarget refuses to replace an existing checkpoint in --out
// unless the run resumes that same checkpoint or --overwrite is given, so
// a new run never silently discards a trained model.
func checkCheckpointTarget(ckpt string, o *trainOptions) error {
	if o.overwrite {
		return nil
	}
	target, err := os.Stat(ckpt)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check %s: %w", ckpt, err)
	}
	if o.resume != "" {
		if from, err := os.Stat(o.resume); err == nil && os.SameFile(from, target) {
			return nil
		}
	}
	return usageErrorf("%s already contains a checkpoint: continue it with --resume %s, choose another --out, or pass --overwrite to replace it", o.out, ckpt)
}
