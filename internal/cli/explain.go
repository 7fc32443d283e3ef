package cli

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"qkv/npy"
	"qkv/tensor"
	"qkv/viz"
)

func init() { register(newExplainCmd) }

type explainOptions struct {
	seed      *seedFlag
	numpySeed *seedFlag
	x         string
	wq        string
	wk        string
	wv        string
	tokens    string
	head      int
	headSet   bool
	out       renderFlags
}

func newExplainCmd(env *Env) *cobra.Command {
	opts := explainOptions{seed: newSeedFlag(1), numpySeed: newSeedFlag(0)}
	cmd := &cobra.Command{
		Use:   "explain {sharp | random | --x FILE --wq FILE --wk FILE --wv FILE}",
		Short: "Walk through one attention computation step by step",
		Long: `explain computes self-attention and prints every intermediate with its
shape: X, W_Q, W_K, W_V, then Q, K, V, Q·Kᵀ, the scaled scores S, the
weights A with their row sums, and the output Z. It ends with the key each
query attends to most, the shapes table, and the memory that the n×n score
matrix takes, which is why attention costs O(n²).

The input is one of the demos (sharp, random) or four arrays read from
.npy or .json files (nested arrays of numbers), as qkv attend reads them:
X [n×d_model], W_Q and W_K [d_model×d_k], W_V [d_model×d_v]. Weights given
per head, [h, d_model, d_k], are explained one head at a time (--head).`,
		Example: `  qkv explain sharp
  qkv explain random --seed 3
  qkv explain --x x.npy --wq wq.npy --wk wk.npy --wv wv.npy --tokens "a,b,c"
  qkv explain sharp --html sharp.html --plot out/`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return fmt.Errorf("explain takes at most one example name (sharp or random), got %d: %s", len(args), strings.Join(args, " "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.out.validateFor(cmd); err != nil {
				return err
			}
			opts.headSet = cmd.Flags().Changed("head")
			c, err := explainInput(cmd, args, &opts)
			if err != nil {
				return err
			}
			set := &outputSet{}
			if err := opts.out.stageCase(set, c); err != nil {
				return err
			}
			if err := set.Commit(env); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "# %s\n\n", c.Title)
			return printExplanation(env, explainSteps(c))
		},
	}
	f := cmd.Flags()
	f.Var(opts.seed, "seed", "seed `N` of the Go random number generator for the random demo, 0 ≤ N < 2⁶⁴")
	f.Var(opts.numpySeed, "numpy-seed", "draw the random demo as numpy does after np.random.seed(`N`), 0 ≤ N < 2³²; excludes --seed (default: use --seed)")
	f.StringVar(&opts.x, "x", "", "token embeddings X [n×d_model] from an NPY or JSON `FILE`")
	f.StringVar(&opts.wq, "wq", "", "query projection W_Q [d_model×d_k], or [h, d_model, d_k] for h heads, from an NPY or JSON `FILE`")
	f.StringVar(&opts.wk, "wk", "", "key projection W_K [d_model×d_k], or [h, d_model, d_k], from an NPY or JSON `FILE`")
	f.StringVar(&opts.wv, "wv", "", "value projection W_V [d_model×d_v], or [h, d_model, d_v], from an NPY or JSON `FILE`")
	f.StringVar(&opts.tokens, "tokens", "", "comma-separated token `LABELS` for the rows of X (default t0,t1,…)")
	f.IntVar(&opts.head, "head", 0, "head `N` to explain, counted from 0, when the weight files hold one matrix per head [h, d_model, d_k] (default 0)")
	opts.out.addFlags(cmd)
	return cmd
}

// explainInput builds the case that the arguments select.
func explainInput(cmd *cobra.Command, args []string, o *explainOptions) (*attentionCase, error) {
	files := []string{o.x, o.wq, o.wk, o.wv}
	nFiles := 0
	for _, f := range files {
		if f != "" {
			nFiles++
		}
	}
	seedSet := cmd.Flags().Changed("seed") || cmd.Flags().Changed("numpy-seed")
	if len(args) == 0 {
		if nFiles == 0 {
			return nil, usageErrorf("nothing to explain: name a demo (sharp, random) or give --x, --wq, --wk and --wv")
		}
		if nFiles < 4 {
			return nil, usageErrorf("--x, --wq, --wk and --wv must be given together; %d of 4 are set", nFiles)
		}
		if seedSet {
			return nil, usageErrorf("--seed and --numpy-seed apply to the random demo only")
		}
		return loadCase(o)
	}
	if nFiles > 0 {
		return nil, usageErrorf("give either a demo name or --x, --wq, --wk and --wv, not both")
	}
	if o.tokens != "" || o.headSet {
		return nil, usageErrorf("--tokens and --head apply to --x input only; the demos name their own tokens and have one head")
	}
	switch args[0] {
	case "sharp":
		if seedSet {
			return nil, usageErrorf("--seed and --numpy-seed apply to the random demo only")
		}
		return sharpCase()
	case "random":
		return randomFromFlags(cmd, o.seed, o.numpySeed)
	}
	return nil, usageErrorf("unknown demo %q; choose sharp or random", args[0])
}

// loadCase reads X and the three projections with the loader and checks
// of qkv attend, so both commands accept and reject the same files. A
// projection file may hold one matrix or one per head [h, d_model, d_k];
// o.head selects the head to explain.
func loadCase(o *explainOptions) (*attentionCase, error) {
	in := &attendInputs{Files: map[string]string{}}
	var arrays []*inputArray
	read := func(name, path string) (*inputArray, error) {
		a, err := readAttendInput(name, path)
		if err != nil {
			return nil, err
		}
		arrays = append(arrays, a)
		in.Files[name] = path
		return a, nil
	}
	if err := loadProjectionInputs(in, &attendOptions{x: o.x, wq: o.wq, wk: o.wk, wv: o.wv}, read); err != nil {
		return nil, err
	}
	x := in.X
	if x.Rows == 0 {
		return nil, fmt.Errorf("X in %s has no rows; attention needs at least one token", o.x)
	}
	if o.head < 0 || o.head >= len(in.Heads) {
		return nil, usageErrorf("invalid --head %d: the weights in %s, %s and %s have %d head(s), numbered from 0", o.head, o.wq, o.wk, o.wv, len(in.Heads))
	}
	head := in.Heads[o.head]

	tokens := defaultTokens(x.Rows)
	if o.tokens != "" {
		var err error
		if tokens, err = parseTokens("--tokens", o.tokens, x.Rows, "rows in X", "row"); err != nil {
			return nil, err
		}
	}
	title := "attention of " + o.x
	if len(arrays[1].arr.Shape) == 3 {
		title = fmt.Sprintf("attention of %s, head %d", o.x, o.head)
	}
	c, err := computeCase("input", title, tokens, x, head.WQ, head.WK, head.WV)
	if err != nil {
		return nil, err
	}
	// The computation runs in float64. DType records the inputs' type for
	// the memory estimate: float32 only when every input is float32.
	if dtype, _ := resolveAttendDType("", arrays); dtype == npy.Float32 {
		c.DType = string(npy.Float32)
	}
	return c, nil
}

// explainStep is one titled stage of the walkthrough, shown in the
// terminal and in the HTML report.
type explainStep struct {
	Heading   string
	Text      []string
	Matrices  []stepMatrix
	Pre       string
	PageBreak bool
}

type stepMatrix struct {
	Title      string
	M          *tensor.Matrix[float64]
	Rows, Cols []string
	Kind       matrixKind
}

// explainSteps builds the walkthrough of c.
func explainSteps(c *attentionCase) []explainStep {
	dtype := c.DType
	n, dModel, dk, dv := c.X.Rows, c.X.Cols, c.WQ.Cols, c.WV.Cols
	dims := func(m *tensor.Matrix[float64]) []string { return dimLabels(m.Cols) }
	modelRows := dimLabels(dModel)
	shape := func(r, cl int) string { return tensor.Shape{Rows: r, Cols: cl}.String() }

	rowSums := tensor.New[float64](n, 1)
	maxDev := 0.0
	for i := 0; i < n; i++ {
		s := 0.0
		for _, w := range c.Weights.Row(i) {
			s += w
		}
		rowSums.Set(i, 0, s)
		maxDev = math.Max(maxDev, math.Abs(s-1))
	}

	return []explainStep{
		{
			Heading: "1. Inputs",
			Text: []string{
				fmt.Sprintf("%d tokens (%s), each a row of X %s with d_model = %d.", n, strings.Join(c.Tokens, ", "), shape(n, dModel), dModel),
				fmt.Sprintf("Three learned projections map a token to its query, key and value: W_Q and W_K %s (d_k = %d), W_V %s (d_v = %d).", shape(dModel, dk), dk, shape(dModel, dv), dv),
			},
			Matrices: []stepMatrix{
				{"X", c.X, c.Tokens, dims(c.X), signedMatrix},
				{"W_Q", c.WQ, modelRows, dims(c.WQ), signedMatrix},
				{"W_K", c.WK, modelRows, dims(c.WK), signedMatrix},
				{"W_V", c.WV, modelRows, dims(c.WV), signedMatrix},
			},
		},
		{
			Heading: "2. Queries, keys and values",
			Text: []string{
				fmt.Sprintf("Q = X·W_Q, K = X·W_K and V = X·W_V: %s·%s = %s for Q and K, %s for V. Row i is what token i asks for (Q), offers to be matched on (K) and passes on (V).", shape(n, dModel), shape(dModel, dk), shape(n, dk), shape(n, dv)),
			},
			Matrices: []stepMatrix{
				{"Q = X·W_Q", c.Q, c.Tokens, dims(c.Q), signedMatrix},
				{"K = X·W_K", c.K, c.Tokens, dims(c.K), signedMatrix},
				{"V = X·W_V", c.V, c.Tokens, dims(c.V), signedMatrix},
			},
		},
		{
			Heading: "3. Dot products Q·Kᵀ",
			Text: []string{
				fmt.Sprintf("Entry (i, j) is the dot product of query i and key j: %s·%s = %s, one number for every pair of tokens. Rows are queries (from), columns keys (to).", shape(n, dk), shape(dk, n), shape(n, n)),
			},
			Matrices: []stepMatrix{{"Q·Kᵀ", c.Products, c.Tokens, c.Tokens, signedMatrix}},
		},
		{
			Heading: "4. Scaled scores",
			Text: []string{
				fmt.Sprintf("S = Q·Kᵀ/√d_k = Q·Kᵀ × %.6g with d_k = %d %s. Scaling keeps the scores' spread near 1 when the entries of Q and K are, so the softmax does not saturate as d_k grows.", c.Scale, dk, shape(n, n)),
			},
			Matrices: []stepMatrix{{"S = Q·Kᵀ/√d_k", c.Scores, c.Tokens, c.Tokens, signedMatrix}},
		},
		{
			Heading: "5. Attention weights",
			Text: []string{
				fmt.Sprintf("A = softmax(S) along each row %s: A_ij = exp(S_ij) / Σ_k exp(S_ik). Every entry is in [0, 1] and every row sums to 1 (largest deviation here %.1e), so row i is a distribution over the keys that query i reads.", shape(n, n), maxDev),
			},
			Matrices: []stepMatrix{
				{"A = softmax(S)", c.Weights, c.Tokens, c.Tokens, weightMatrix},
				{"row sums of A", rowSums, c.Tokens, []string{"sum"}, weightMatrix},
			},
		},
		{
			Heading: "6. Output",
			Text: []string{
				fmt.Sprintf("Z = A·V: %s·%s = %s. Row i is the average of the value rows weighted by row i of A.", shape(n, n), shape(n, dv), shape(n, dv)),
			},
			Matrices: []stepMatrix{{"Z = A·V", c.Output, c.Tokens, dims(c.Output), signedMatrix}},
		},
		{
			Heading: "7. What each token attends to",
			Text:    []string{"The key with the largest weight in each row of A:"},
			Pre:     topKeysText(c),
		},
		{
			Heading: "8. Shapes",
			Text:    []string{fmt.Sprintf("n = %d tokens, d_model = %d, d_k = %d, d_v = %d.", n, dModel, dk, dv)},
			Pre:     shapesText(n, dModel, dk, dv),
		},
		{
			Heading: "9. Memory of the n×n matrices",
			Text: []string{
				fmt.Sprintf("Q·Kᵀ, S and A have one entry per (query, key) pair, so their memory grows with the square of the sequence length n: for n = %d in %s one n×n matrix takes %s. The table gives the size of one such matrix, per head and per layer; this quadratic term is why attention costs O(n²) in time and memory.", n, dtype, formatBytes(float64(n)*float64(n)*float64(dtypeSize(dtype)))),
			},
			Pre: memoryText(n),
		},
	}
}

// tieTol is the weight difference below which two keys count as tied
// for the largest weight.
const tieTol = 1e-12

// maxTopKeys is the largest number of queries listed by topKeysText.
const maxTopKeys = 64

// topKeysText lists, for each query, the key with the largest weight, and
// how many other keys tie with it. It lists the first maxTopKeys queries
// and ends with a count of the queries it left out.
func topKeysText(c *attentionCase) string {
	var b bytes.Buffer
	w := tabwriter.NewWriter(&b, 0, 0, 1, ' ', 0)
	for i, tok := range c.Tokens[:min(len(c.Tokens), maxTopKeys)] {
		row := c.Weights.Row(i)
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		ties := 0
		for j, v := range row {
			if j != best && row[best]-v <= tieTol {
				ties++
			}
		}
		note := ""
		if ties > 0 {
			note = fmt.Sprintf("\t(tied with %d other keys)", ties)
		}
		fmt.Fprintf(w, "%s\t→ %s\t%5.1f %%%s\n", tok, c.Tokens[best], 100*row[best], note)
	}
	w.Flush()
	if len(c.Tokens) > maxTopKeys {
		fmt.Fprintf(&b, "(showing %d of %d queries)\n", maxTopKeys, len(c.Tokens))
	}
	return b.String()
}

func shapesText(n, dModel, dk, dv int) string {
	var b bytes.Buffer
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	shape := func(r, c int) string { return tensor.Shape{Rows: r, Cols: c}.String() }
	fmt.Fprintln(w, "matrix\tshape\trole")
	rows := [][3]string{
		{"X", shape(n, dModel), "token embeddings, one row per token"},
		{"W_Q, W_K", shape(dModel, dk), "query and key projections"},
		{"W_V", shape(dModel, dv), "value projection"},
		{"Q, K", shape(n, dk), "queries and keys"},
		{"V", shape(n, dv), "values"},
		{"Q·Kᵀ, S, A", shape(n, n), "one entry per (query, key) pair"},
		{"Z", shape(n, dv), "output, one row per token"},
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\n", r[0], r[1], r[2])
	}
	w.Flush()
	return b.String()
}

// memoryText tabulates the size of one n×n matrix for this n and for
// common context lengths.
func memoryText(n int) string {
	lengths := map[int]bool{n: true, 1 << 10: true, 32 << 10: true, 128 << 10: true}
	var ns []int
	for k := range lengths {
		ns = append(ns, k)
	}
	sort.Ints(ns)
	var b bytes.Buffer
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "n\tentries n²\tfloat32\tfloat64\t")
	for _, k := range ns {
		entries := int64(k) * int64(k)
		mark := ""
		if k == n {
			mark = "  ← this input"
		}
		fmt.Fprintf(w, "%d\t%d\t%s\t%s\t%s\n", k, entries, formatBytes(4*float64(entries)), formatBytes(8*float64(entries)), mark)
	}
	w.Flush()
	return b.String()
}

func dtypeSize(dtype string) int {
	if dtype == "float32" {
		return 4
	}
	return 8
}

// formatBytes writes a byte count with a binary unit (KiB = 1024 B).
func formatBytes(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	u := 0
	for n >= 1024 && u < len(units)-1 {
		n /= 1024
		u++
	}
	if u == 0 {
		return fmt.Sprintf("%.0f B", n)
	}
	return fmt.Sprintf("%.4g %s", n, units[u])
}

// printExplanation writes the steps to stdout.
func printExplanation(env *Env, steps []explainStep) error {
	for i, s := range steps {
		if i > 0 {
			fmt.Fprintln(env.Stdout)
		}
		fmt.Fprintf(env.Stdout, "## %s\n", s.Heading)
		if len(s.Text) > 0 {
			fmt.Fprintln(env.Stdout)
		}
		for _, t := range s.Text {
			fmt.Fprintln(env.Stdout, t)
		}
		for _, m := range s.Matrices {
			fmt.Fprintln(env.Stdout)
			if err := printMatrix(env, m.Title, m.M, m.Rows, m.Cols, m.Kind); err != nil {
				return err
			}
		}
		if s.Pre != "" {
			fmt.Fprintln(env.Stdout)
			fmt.Fprint(env.Stdout, s.Pre)
		}
	}
	return nil
}

// caseReport turns the walkthrough of c into a report with the S, A, Z
// figure after the steps.
func caseReport(c *attentionCase) *viz.Report {
	r := &viz.Report{
		Title: c.Title,
		Intro: []string{
			"Scaled dot-product attention, step by step: Z = softmax(Q·Kᵀ/√d_k)·V with Q = X·W_Q, K = X·W_K and V = X·W_V. In every matrix over tokens, rows are queries (the token attending, \"from\") and columns are keys (the token attended to, \"to\").",
		},
	}
	for _, s := range explainSteps(c) {
		sec := viz.Section{Heading: s.Heading, Paragraphs: s.Text, Pre: s.Pre, PageBreak: s.PageBreak}
		for _, m := range s.Matrices {
			scale := viz.DivergingFor(m.M.Data)
			if m.Kind == weightMatrix {
				scale = viz.WeightScale()
			}
			sec.Matrices = append(sec.Matrices, viz.MatrixTable{
				Caption: m.Title, Values: m.M, RowLabels: m.Rows, ColLabels: m.Cols, Scale: &scale,
			})
		}
		r.Sections = append(r.Sections, sec)
	}
	// The panels go in one at a time, two per row, because the three-panel
	// figure would shrink to a third of the page width per panel.
	var panels []viz.Figure
	for _, p := range caseFigure(c).Panels(0) {
		panels = append(panels, p)
	}
	r.Sections = append(r.Sections, viz.Section{
		Heading:       "Figures",
		Paragraphs:    []string{"Scores S on a blue–white–red scale centred on 0 (red strong, blue weak), weights A from pale (0) to dark red (1), and output Z. Row 0 is at the top."},
		Figures:       panels,
		FiguresPerRow: 2,
		PageBreak:     true,
	})
	return r
}
