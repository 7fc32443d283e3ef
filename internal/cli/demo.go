package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"qkv/attention"
	"qkv/internal/nprand"
	"qkv/tensor"
)

// demoFactories collects the subcommands of "qkv demo". Files that add a
// demo call registerDemo from an init function.
var demoFactories []commandFactory

// registerDemo adds a subcommand to "qkv demo".
func registerDemo(f commandFactory) { demoFactories = append(demoFactories, f) }

func init() {
	register(newDemoCmd)
	registerDemo(newDemoSharpCmd)
	registerDemo(newDemoRandomCmd)
}

func newDemoCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo <name>",
		Short: "Run a small worked attention example",
		Long: `demo runs a small attention example from token embeddings to output and
prints every matrix on the way, labelled with the tokens.`,
		Example: `  qkv demo sharp
  qkv demo sharp --json
  qkv demo random --seed 7 --plot out/`,
	}
	for _, f := range demoFactories {
		cmd.AddCommand(f(env))
	}
	return cmd
}

// attentionCase is one self-attention computation with every
// intermediate kept, for printing, plotting and explaining.
type attentionCase struct {
	Name   string
	Title  string
	Tokens []string

	X  *tensor.Matrix[float64] // [n×d_model]
	WQ *tensor.Matrix[float64] // [d_model×d_k]
	WK *tensor.Matrix[float64] // [d_model×d_k]
	WV *tensor.Matrix[float64] // [d_model×d_v]

	Q, K *tensor.Matrix[float64] // [n×d_k]
	V    *tensor.Matrix[float64] // [n×d_v]
	// DType is the element type the inputs had ("float32" or "float64");
	// the computation itself runs in float64.
	DType string

	// Products is Q·Kᵀ before scaling [n×n].
	Products *tensor.Matrix[float64]
	// Scale is the factor applied to Q·Kᵀ, 1/√d_k.
	Scale   float64
	Scores  *tensor.Matrix[float64] // S = Q·Kᵀ·scale [n×n]
	Weights *tensor.Matrix[float64] // A = row-softmax(S) [n×n]
	Output  *tensor.Matrix[float64] // Z = A·V [n×d_v]
}

// computeCase projects x with the three weight matrices and runs
// attention, keeping every intermediate.
func computeCase(name, title string, tokens []string, x, wq, wk, wv *tensor.Matrix[float64]) (*attentionCase, error) {
	if len(tokens) != x.Rows {
		return nil, fmt.Errorf("%d tokens for X %v; give one token per row", len(tokens), x.Shape())
	}
	proj, err := attention.Project(x, x, attention.Head[float64]{WQ: wq, WK: wk, WV: wv})
	if err != nil {
		return nil, err
	}
	res, err := attention.Attend(proj.Q, proj.K, proj.V, attention.Options[float64]{KeepScores: true, KeepWeights: true})
	if err != nil {
		return nil, err
	}
	products, err := tensor.MatMulT(proj.Q, proj.K)
	if err != nil {
		return nil, err
	}
	scale := 1.0
	if wq.Cols > 0 {
		scale = 1 / math.Sqrt(float64(wq.Cols))
	}
	return &attentionCase{
		Name: name, Title: title, Tokens: tokens, DType: "float64",
		X: x, WQ: wq, WK: wk, WV: wv,
		Q: proj.Q, K: proj.K, V: proj.V,
		Products: products, Scale: scale,
		Scores: res.Scores, Weights: res.Weights, Output: res.Output,
	}, nil
}

// sharpTokens and sharpTargets define the sharp demo: token i attends to
// token sharpTargets[i].
var (
	sharpTokens  = []string{"the", "cat", "sat", "down"}
	sharpTargets = []int{1, 2, 1, 2} // the→cat, cat→sat, sat→cat, down→sat
)

// sharpKeyScale is the diagonal of W_K. With d_k = 4 the matching score
// is 8/√4 = 4 and every other score 0, so each row's softmax puts
// e⁴/(e⁴+3) ≈ 0.9479 on its target and 1/(e⁴+3) ≈ 0.0174 elsewhere.
const sharpKeyScale = 8

// sharpCase builds the sharp demo: X = I, W_Q maps each token to the
// one-hot vector of its target, W_K = 8·I and W_V = I, so Q row i is the
// one-hot of token i's target, K = 8·I and V = I.
func sharpCase() (*attentionCase, error) {
	n := len(sharpTokens)
	x := tensor.Identity[float64](n, 1)
	wq := tensor.New[float64](n, n)
	for i, t := range sharpTargets {
		wq.Set(i, t, 1)
	}
	wk := tensor.Identity[float64](n, sharpKeyScale)
	wv := tensor.Identity[float64](n, 1)
	return computeCase("sharp", "sharp attention: each token attends to one other", sharpTokens, x, wq, wk, wv)
}

// Sizes of the random demo.
const (
	randomTokens = 4
	randomDModel = 4
	randomDK     = 3
)

// randomCase builds the random demo from a math/rand/v2 PCG generator
// seeded with (seed, seed): X [4×4], then W_Q, W_K, W_V [4×3], each
// filled row by row with values uniform in [-1, 1).
func randomCase(seed uint64) (*attentionCase, error) {
	rng := rand.New(rand.NewPCG(seed, seed))
	uniform := func(rows, cols int) *tensor.Matrix[float64] {
		m := tensor.New[float64](rows, cols)
		for i := range m.Data {
			m.Data[i] = -1 + 2*rng.Float64()
		}
		return m
	}
	x := uniform(randomTokens, randomDModel)
	wq := uniform(randomDModel, randomDK)
	wk := uniform(randomDModel, randomDK)
	wv := uniform(randomDModel, randomDK)
	title := fmt.Sprintf("random attention, seed %d", seed)
	return computeCase("random", title, defaultTokens(randomTokens), x, wq, wk, wv)
}

// maxNumpySeed is the largest seed np.random.seed accepts (2³²−1).
const maxNumpySeed = math.MaxUint32

// numpyRandomCase builds the random demo exactly as numpy's legacy
// generator draws it after np.random.seed(seed): X, W_Q, W_K and W_V in
// that order, each from np.random.uniform(-1, 1, shape).
func numpyRandomCase(seed uint32) (*attentionCase, error) {
	x, wq, wk, wv := nprand.DemoRandom(seed)
	var mats [4]*tensor.Matrix[float64]
	for i, rows := range [][][]float64{x, wq, wk, wv} {
		m, err := tensor.FromRows(rows)
		if err != nil {
			return nil, err
		}
		mats[i] = m
	}
	title := fmt.Sprintf("random attention, numpy seed %d", seed)
	return computeCase("random", title, defaultTokens(randomTokens), mats[0], mats[1], mats[2], mats[3])
}

// seedFlag is a non-negative integer flag. Set only records the text, so
// that parse can report a bad value in this command's own words instead
// of pflag's, which quote strconv.
type seedFlag struct {
	text  string
	value uint64
}

func newSeedFlag(def uint64) *seedFlag {
	return &seedFlag{text: strconv.FormatUint(def, 10), value: def}
}

func (s *seedFlag) String() string     { return s.text }
func (s *seedFlag) Set(v string) error { s.text = v; return nil }
func (s *seedFlag) Type() string       { return "N" }

// parse converts the flag's text, rejecting anything but an integer from
// 0 to maxValue.
func (s *seedFlag) parse(name string, maxValue uint64) (uint64, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s.text), 10, 64)
	if err != nil || v > maxValue {
		if maxValue == math.MaxUint64 {
			return 0, usageErrorf("invalid --%s %q: want a non-negative integer", name, s.text)
		}
		return 0, usageErrorf("invalid --%s %q: want an integer from 0 to %d", name, s.text, maxValue)
	}
	s.value = v
	return v, nil
}

// randomFromFlags builds the random demo from --seed or --numpy-seed,
// which exclude each other.
func randomFromFlags(cmd *cobra.Command, seed, numpySeed *seedFlag) (*attentionCase, error) {
	if !cmd.Flags().Changed("numpy-seed") {
		v, err := seed.parse("seed", math.MaxUint64)
		if err != nil {
			return nil, err
		}
		return randomCase(v)
	}
	if cmd.Flags().Changed("seed") {
		return nil, usageErrorf("--seed and --numpy-seed exclude each other; give one")
	}
	v, err := numpySeed.parse("numpy-seed", maxNumpySeed)
	if err != nil {
		return nil, err
	}
	return numpyRandomCase(uint32(v))
}

// defaultTokens returns the labels t0, t1, … for n tokens.
func defaultTokens(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("t%d", i)
	}
	return out
}

// caseJSON is the --json form of an attentionCase: matrices as arrays of
// rows.
type caseJSON struct {
	Tokens  []string    `json:"tokens"`
	X       [][]float64 `json:"x"`
	WQ      [][]float64 `json:"wq"`
	WK      [][]float64 `json:"wk"`
	WV      [][]float64 `json:"wv"`
	Q       [][]float64 `json:"q"`
	K       [][]float64 `json:"k"`
	V       [][]float64 `json:"v"`
	Scale   float64     `json:"scale"`
	Scores  [][]float64 `json:"scores"`
	Weights [][]float64 `json:"weights"`
	Output  [][]float64 `json:"output"`
}

// writeCaseJSON prints c as one JSON object with one matrix row per line,
// in the field order of caseJSON.
func writeCaseJSON(env *Env, c *attentionCase) error {
	tokens, err := json.Marshal(c.Tokens)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\n  \"tokens\": %s", tokens)
	type field struct {
		key string
		m   *tensor.Matrix[float64]
	}
	writeFields := func(fields ...field) {
		for _, f := range fields {
			fmt.Fprintf(&b, ",\n  %q: ", f.key)
			appendJSONMatrix(&b, f.m, 64, "  ")
		}
	}
	writeFields(field{"x", c.X}, field{"wq", c.WQ}, field{"wk", c.WK}, field{"wv", c.WV},
		field{"q", c.Q}, field{"k", c.K}, field{"v", c.V})
	b.WriteString(",\n  \"scale\": ")
	b.Write(strconv.AppendFloat(nil, c.Scale, 'g', -1, 64))
	writeFields(field{"scores", c.Scores}, field{"weights", c.Weights}, field{"output", c.Output})
	b.WriteString("\n}\n")
	_, err = env.Stdout.Write(b.Bytes())
	return err
}

// runDemo prints (or encodes) a case and writes the requested figures and
// report.
func runDemo(env *Env, c *attentionCase, jsonOut bool, out *renderFlags) error {
	set := &outputSet{}
	if err := out.stageCase(set, c); err != nil {
		return err
	}
	if err := set.Commit(env); err != nil {
		return err
	}
	if jsonOut {
		return writeCaseJSON(env, c)
	}
	return printCase(env, c)
}

func newDemoSharpCmd(env *Env) *cobra.Command {
	var jsonOut bool
	var out renderFlags
	cmd := &cobra.Command{
		Use:   "sharp",
		Short: `Attend with hand-built weights: "the cat sat down"`,
		Long: `sharp runs self-attention on the four tokens "the cat sat down" with
weights built by hand so that each token attends to one other:
the→cat, cat→sat, sat→cat, down→sat.

X is the 4×4 identity (one-hot tokens), W_Q maps each token to the one-hot
vector of its target, W_K = 8·I and W_V = I, and d_k = 4. Every score is
then 8/√4 = 4 on the target and 0 elsewhere, so each row of A puts 0.9479
on its target and 0.0174 on each other token.`,
		Example: `  qkv demo sharp
  qkv demo sharp --json
  qkv demo sharp --plot out/ --html sharp.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validateFor(cmd); err != nil {
				return err
			}
			c, err := sharpCase()
			if err != nil {
				return err
			}
			return runDemo(env, c, jsonOut, &out)
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the matrices as one JSON object instead of tables")
	out.addFlags(cmd)
	return cmd
}

func newDemoRandomCmd(env *Env) *cobra.Command {
	var jsonOut bool
	seed, numpySeed := newSeedFlag(1), newSeedFlag(0)
	var out renderFlags
	cmd := &cobra.Command{
		Use:   "random",
		Short: "Attend with random embeddings and weights",
		Long: `random runs self-attention on four tokens t0…t3 with d_model = 4 and
d_k = d_v = 3, drawing X [4×4], then W_Q, W_K and W_V [4×3] in that order,
row by row, uniformly from [-1, 1).

With --seed N the values come from Go's math/rand/v2 PCG generator seeded
with (N, N). With --numpy-seed N they are the values that numpy's legacy
generator returns for np.random.uniform(-1, 1, shape) after
np.random.seed(N), drawn in the same order, so they agree with numpy digit
for digit.

Small random weights give small scores, so each row of A stays fairly flat
(near 0.25 per key): attention becomes selective only when Q·Kᵀ separates
the keys, as in "qkv demo sharp".`,
		Example: `  qkv demo random --seed 7
  qkv demo random --seed 7 --json
  qkv demo random --numpy-seed 0 --json
  qkv demo random --seed 7 --plot out/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validateFor(cmd); err != nil {
				return err
			}
			c, err := randomFromFlags(cmd, seed, numpySeed)
			if err != nil {
				return err
			}
			return runDemo(env, c, jsonOut, &out)
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the matrices as one JSON object instead of tables")
	cmd.Flags().Var(seed, "seed", "seed `N` of the Go random number generator, 0 ≤ N < 2⁶⁴")
	cmd.Flags().Var(numpySeed, "numpy-seed", "draw as numpy does after np.random.seed(`N`), 0 ≤ N < 2³²; excludes --seed (default: use --seed)")
	out.addFlags(cmd)
	return cmd
}
