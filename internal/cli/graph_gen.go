package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"qkv/npy"
	"qkv/task"
)

type graphGenOptions struct {
	dist     string
	n        int
	maxLook  int
	count    int
	seed     uint64
	out      string
	npyDir   string
	order    string
	paperEra bool
	reserve  int
	testSet  string
	// maxLookSet reports that the user gave --max-lookahead.
	maxLookSet bool
}

func newGraphGenCmd(env *Env) *cobra.Command {
	o := &graphGenOptions{}
	cmd := &cobra.Command{
		Use:   "gen [flags]",
		Short: "Generate graph-search examples as JSON Lines and NPY arrays",
		Long: `gen draws examples from a training distribution and writes one JSON object
per line: "tokens" (text form), "ids" (N token ids, left-padded), "edges",
"start", "goal", "path", "labels" (every correct next vertex), "label" (one
of them, drawn uniformly), "next" and "lookahead".

Distributions: naive (random DAGs), balanced (lookahead uniform over
0..--max-lookahead), balanced-no-prefix (balanced without ancestors of the
start) and star. Example i depends only on --seed and i (naive examples on
their block of 32), so output does not depend on the number of CPUs.

--reserve K first builds the reserved test sets (K examples each, one per
lookahead 1..--max-lookahead plus a naive set, or one per star shape) and
never emits an example with the same token sequence. --test-set NAME writes
that reserved set instead of a training stream.

--npy DIR also writes ids.npy (int32 [K, N]), labels.npy (uint8 [K, V+5],
1 for every correct next vertex), label.npy (int32 [K]) and lookahead.npy
(int32 [K]).`,
		Example: `  qkv graph gen --dist balanced --n 128 --max-lookahead 20 --count 3
  qkv graph gen --dist naive --count 100000 --out naive.jsonl --npy naive/
  qkv graph gen --reserve 1000 --test-set lookahead-5 --count 1000 --out l5.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.maxLookSet = cmd.Flags().Changed("max-lookahead")
			return runGraphGen(env, o)
		},
	}
	addDistFlags(cmd, &o.dist, &o.n, &o.maxLook, &o.count, &o.seed)
	f := cmd.Flags()
	f.StringVar(&o.out, "out", "", "JSON Lines `FILE` to write (default: standard output)")
	f.StringVar(&o.npyDir, "npy", "", "`DIR` for the NPY arrays (created if missing; default: none)")
	f.StringVar(&o.order, "edge-order", "default", "edge `ORDER`: default (shuffled, grouped for star), shuffled or grouped (by source vertex)")
	f.BoolVar(&o.paperEra, "paper-era", false, "balanced only: keep any example with lookahead ≤ --max-lookahead, as the 2024 generator did, instead of exactly the requested one")
	f.IntVar(&o.reserve, "reserve", 0, "build reserved test sets of this many examples each and never emit their examples (0: none)")
	f.StringVar(&o.testSet, "test-set", "", "write the reserved test set called `NAME` (such as naive, lookahead-5 or star-3x4) instead of training examples; needs --reserve")
	return cmd
}

// addDistFlags adds the flags that select a distribution, shared by gen
// and stats.
func addDistFlags(cmd *cobra.Command, dist *string, n, maxLook, count *int, seed *uint64) {
	f := cmd.Flags()
	f.StringVar(dist, "dist", "balanced", "distribution `NAME`: "+task.DistributionNames)
	f.IntVar(n, "n", 128, "sequence length N in tokens; vertex ids are 1..(N−5)/3")
	f.IntVar(maxLook, "max-lookahead", 20, "largest lookahead for balanced, or longest spoke for star. The balanced limit is (V−1)/2 for V = (N−5)/3 vertex ids, which is 20 at N = 128; the star limit is V−1")
	f.IntVar(count, "count", 1000, "number of examples")
	f.Var((*seedValue)(seed), "seed", "random seed, a whole number from 0 to 2^64−1; the same seed gives the same examples")
}

// seedValue is a --seed flag that rejects negative and malformed values
// with a plain message.
type seedValue uint64

func (s *seedValue) String() string { return strconv.FormatUint(uint64(*s), 10) }
func (s *seedValue) Type() string   { return "uint" }

func (s *seedValue) Set(text string) error {
	v, err := strconv.ParseUint(text, 10, 64)
	if err != nil {
		return fmt.Errorf("use a whole number from 0 to 2^64−1")
	}
	*s = seedValue(v)
	return nil
}

// distConfig checks the distribution flags. When maxLookSet is false the
// user did not give --max-lookahead, so an invalid value is the default,
// and the message states that and the value to pass.
func distConfig(dist string, n, maxLook int, maxLookSet bool) (task.Config, error) {
	d, err := task.ParseDistribution(dist)
	if err != nil {
		return task.Config{}, usageErrorf("--dist: %v", err)
	}
	cfg := task.Config{Dist: d, N: n, MaxLookahead: maxLook}
	if _, err := task.NewGenerator(cfg); err != nil {
		v, verr := task.NewVocab(n)
		if maxLookSet || verr != nil || d == task.Naive {
			return cfg, usageError{err}
		}
		limit := v.MaxLookahead()
		if d == task.Star {
			limit = v.MaxVertex() - 1
			if limit < 1 {
				return cfg, usageErrorf("N = %d is too small for the star distribution, which needs at least 2 vertex ids: use --n 11 or more", n)
			}
		}
		return cfg, usageErrorf("the default --max-lookahead %d is too large for N = %d, which allows at most %d for the %s distribution; pass --max-lookahead %d or a larger --n", maxLook, n, limit, d, limit)
	}
	return cfg, nil
}

func runGraphGen(env *Env, o *graphGenOptions) error {
	cfg, err := distConfig(o.dist, o.n, o.maxLook, o.maxLookSet)
	if err != nil {
		return err
	}
	cfg.PaperEra = o.paperEra
	switch o.order {
	case "default":
	case "shuffled":
		cfg.Order = task.Shuffled
	case "grouped":
		cfg.Order = task.GroupedBySource
	default:
		return usageErrorf("invalid --edge-order %q: use default, shuffled or grouped", o.order)
	}
	if o.count < 0 {
		return usageErrorf("invalid --count %d: must be ≥ 0", o.count)
	}
	if o.reserve < 0 {
		return usageErrorf("invalid --reserve %d: must be ≥ 0", o.reserve)
	}
	if o.testSet != "" && o.reserve == 0 {
		return usageErrorf("--test-set needs --reserve K, the size of the reserved sets")
	}
	gen, err := task.NewGenerator(cfg)
	if err != nil {
		return usageError{err}
	}
	setConfig := task.TestSetConfig{
		Dist: cfg.Dist, N: cfg.N, MaxLookahead: cfg.MaxLookahead, PerSet: o.reserve, Seed: o.seed ^ 0x7e57}
	if o.testSet != "" {
		// Check the name before building any set: reserving is slow.
		names, err := task.TestSetNames(setConfig)
		if err != nil {
			return usageError{err}
		}
		if !slices.Contains(names, o.testSet) {
			return usageErrorf("unknown --test-set %q: the sets are %s", o.testSet, joinStrings(names))
		}
	}

	if o.out != "" {
		if err := checkOutputDir("--out", o.out, filepath.Dir(o.out), false); err != nil {
			return err
		}
	}
	if o.npyDir != "" {
		if err := checkOutputDir("--npy", o.npyDir, o.npyDir, true); err != nil {
			return err
		}
	}

	var examples []task.Example
	if o.reserve > 0 {
		sets, reserved, err := task.ReserveTestSets(setConfig)
		if err != nil {
			return usageError{err}
		}
		fmt.Fprintf(env.Stderr, "reserved %d test sets, %d distinct sequences\n", len(sets), reserved.Len())
		if o.testSet != "" {
			var names []string
			for _, s := range sets {
				names = append(names, s.Name)
				if s.Name == o.testSet {
					examples = s.Examples
				}
			}
			if examples == nil {
				return usageErrorf("unknown --test-set %q: the sets are %s", o.testSet, joinStrings(names))
			}
			examples = examples[:min(len(examples), o.count)]
		}
		cfg.Reserved = reserved
		if gen, err = task.NewGenerator(cfg); err != nil {
			return usageError{err}
		}
	}
	if examples == nil {
		examples = generateWithProgress(env, gen, o.seed, o.count)
	}
	return writeExamples(env, gen.Vocab(), examples, o.out, o.npyDir)
}

func joinStrings(xs []string) string {
	if len(xs) > 8 {
		return fmt.Sprintf("%s, … %s", joinStrings(xs[:6]), xs[len(xs)-1])
	}
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

// generateWithProgress generates count examples in blocks, reporting
// progress on stderr for large counts: a bar on a terminal, otherwise a
// plain line every ten seconds.
func generateWithProgress(env *Env, gen *task.Generator, seed uint64, count int) []task.Example {
	const block = 4096
	out := make([]task.Example, count)
	var bar *progressbar.ProgressBar
	showProgress := count >= 50000
	if showProgress && env.StderrIsTerminal {
		bar = progressbar.NewOptions(count, progressbar.OptionSetWriter(env.Stderr),
			progressbar.OptionSetDescription("generating"), progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	}
	start, last := time.Now(), time.Now()
	for lo := 0; lo < count; lo += block {
		hi := min(lo+block, count)
		gen.Fill(out[lo:hi], seed, lo)
		switch {
		case bar != nil:
			bar.Add(hi - lo)
		case showProgress && time.Since(last) > 10*time.Second:
			last = time.Now()
			fmt.Fprintf(env.Stderr, "generated %d of %d examples (%.0f/s)\n", hi, count, float64(hi)/time.Since(start).Seconds())
		}
	}
	if bar != nil {
		bar.Finish()
	}
	return out
}

// exampleJSON is one line of gen's output.
type exampleJSON struct {
	Tokens    string   `json:"tokens"`
	IDs       []int32  `json:"ids"`
	Edges     [][2]int `json:"edges"`
	Start     int      `json:"start"`
	Goal      int      `json:"goal"`
	Path      []int    `json:"path"`
	Labels    []int    `json:"labels"`
	Label     int      `json:"label"`
	Next      int      `json:"next"`
	Lookahead int      `json:"lookahead"`
}

func writeExamples(env *Env, v task.Vocab, examples []task.Example, out, npyDir string) error {
	var buf bytes.Buffer
	var w io.Writer = env.Stdout
	if out != "" {
		w = &buf
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	ids := make([]int32, 0, len(examples)*v.SeqLen())
	for i := range examples {
		ex := &examples[i]
		start := len(ids)
		var err error
		if ids, err = ex.AppendTokens(ids, v); err != nil {
			return fmt.Errorf("example %d: %w", i, err)
		}
		line := exampleJSON{Tokens: ex.Text(), IDs: ids[start:], Start: ex.Start, Goal: ex.Goal,
			Path: ex.Path, Labels: ex.Labels, Label: ex.Label, Next: ex.Next, Lookahead: ex.Lookahead}
		line.Edges = make([][2]int, len(ex.Edges))
		for k, e := range ex.Edges {
			line.Edges[k] = [2]int{e.From, e.To}
		}
		if err := enc.Encode(line); err != nil {
			return fmt.Errorf("write examples: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write examples: %w", err)
	}
	outputs := outputSet{}
	if out != "" {
		outputs.addFile("--out", out, buf.Bytes())
	}
	if npyDir != "" {
		if err := addExampleArrays(&outputs, v, examples, ids, npyDir); err != nil {
			return err
		}
	}
	return outputs.Commit(env)
}

// addExampleArrays stages the NPY arrays of the examples in dir.
func addExampleArrays(outputs *outputSet, v task.Vocab, examples []task.Example, ids []int32, dir string) error {
	k := len(examples)
	multiHot := make([]uint8, k*v.Size())
	label := make([]int32, k)
	look := make([]int32, k)
	for i := range examples {
		for _, l := range examples[i].Labels {
			multiHot[i*v.Size()+l] = 1
		}
		label[i] = int32(examples[i].Label)
		look[i] = int32(examples[i].Lookahead)
	}
	arrays := []struct {
		name  string
		shape []int
		data  any
	}{
		{"ids.npy", []int{k, v.SeqLen()}, ids},
		{"labels.npy", []int{k, v.Size()}, multiHot},
		{"label.npy", []int{k}, label},
		{"lookahead.npy", []int{k}, look},
	}
	for _, a := range arrays {
		data, err := npy.Marshal(a.shape, a.data)
		if err != nil {
			return fmt.Errorf("encode %s: %w", a.name, err)
		}
		outputs.addInDir("--npy", dir, a.name, data, false)
	}
	return nil
}
