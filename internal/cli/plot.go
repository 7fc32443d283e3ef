package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"qkv/npy"
	"qkv/tensor"
)

func init() { register(newPlotCmd) }

type plotOptions struct {
	in        string
	out       string
	tokens    string
	keyTokens string
	render    renderFlags
}

func newPlotCmd(env *Env) *cobra.Command {
	var o plotOptions
	cmd := &cobra.Command{
		Use:   "plot --in DIR [--out DIR]",
		Short: "Draw the attention arrays that qkv attend --out wrote",
		Long: `plot reads scores.npy and weights.npy [h, n_q, n_k] and output.npy
[n_q, d_out] from a directory written by "qkv attend --out DIR" and draws
them as heatmaps with row 0 (the first query) at the top: one row of panels
per head, scores on a blue–white–red scale centred on 0, weights from pale
(0) to dark red (1).

It writes attention.<format> (S and A per head, and the output when there
is one head) and, for several heads, output.<format>. A missing array is
skipped with a note; at least scores.npy or weights.npy must exist.
scores.npy and weights.npy must be 3-D, [h, n_q, n_k], even for one head.
Queries are labelled q0, q1, … and keys k0, k1, … unless --tokens and
--key-tokens name them; --tokens also names the keys when n_q = n_k. --html FILE also
writes the matrices and figures as one printable page.`,
		Example: `  qkv attend --x x.npy --wq wq.npy --wk wk.npy --wv wv.npy --out result/
  qkv plot --in result/
  qkv plot --in result/ --out figs/ --tokens "the,cat,sat,down" --plot-format svg
  qkv plot --in result/ --html result/report.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.in == "" {
				return usageErrorf("missing --in DIR: the directory that qkv attend --out wrote")
			}
			o.render.plotDir, o.render.plotFlag = o.out, "--out"
			if o.render.plotDir == "" {
				o.render.plotDir, o.render.plotFlag = o.in, "--in"
			}
			if err := o.render.validate(); err != nil {
				return err
			}
			return runPlot(env, &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.in, "in", "", "`DIR` with scores.npy, weights.npy and output.npy from qkv attend --out (required)")
	f.StringVar(&o.out, "out", "", "write the figures to `DIR`, created if missing (default: the --in directory)")
	f.StringVar(&o.tokens, "tokens", "", "comma-separated query token `LABELS`, also used for the keys when n_q = n_k (default q0,q1,…)")
	f.StringVar(&o.keyTokens, "key-tokens", "", "comma-separated key token `LABELS` when they differ from the queries (default: the --tokens labels when n_q = n_k, otherwise k0,k1,…)")
	f.StringVar(&o.render.plotFormats, "plot-format", "png,svg", "comma-separated figure `FORMATS`: png, svg, pdf")
	f.StringVar(&o.render.htmlFile, "html", "", "also write a self-contained printable HTML report to `FILE`")
	return cmd
}

// attendArrays are the arrays that qkv attend --out writes, as matrices.
type attendArrays struct {
	scores, weights []*tensor.Matrix[float64] // one [n_q×n_k] per head
	output          *tensor.Matrix[float64]   // [n_q×d_out]
}

func runPlot(env *Env, o *plotOptions) error {
	arrays, err := readAttendArrays(env, o.in)
	if err != nil {
		return err
	}
	heads := max(len(arrays.scores), len(arrays.weights))
	nq, nk := arrays.shape()
	// Without labels, queries are q0, q1, … and keys k0, k1, …, as in the
	// tables of qkv attend.
	queries := attendLabels("q", nq)
	if o.tokens != "" {
		if queries, err = parseTokens("--tokens", o.tokens, nq, "queries (n_q)", "query (row)"); err != nil {
			return err
		}
	}
	keyList := o.keyTokens
	if keyList == "" && nq == nk {
		keyList = o.tokens
	}
	keys := attendLabels("k", nk)
	if keyList != "" {
		if keys, err = parseTokens("--key-tokens", keyList, nk, "keys (n_k)", "key (column)"); err != nil {
			return err
		}
	}

	// output.npy is one head's A·V only when there is one head; with
	// several it holds the concatenated heads, multiplied by W_O if given.
	outputTitle := "output (output.npy)"
	if heads > 1 {
		outputTitle = "output (output.npy): concatenated heads, after W_O if given"
	}
	fig, out := headFigures(fmt.Sprintf("attention from %s", o.in), arrays.scores, arrays.weights, arrays.output, outputTitle, heads == 1, queries, keys)
	figs := []namedFigure{{"attention", fig}}
	if out != nil {
		figs = append(figs, namedFigure{"output", out})
	}
	set := &outputSet{}
	if err := stageFigures(set, o.render.plotFlag, o.render.plotDir, o.render.formats, figs...); err != nil {
		return err
	}
	if o.render.htmlFile != "" {
		intro := fmt.Sprintf("Attention arrays read from %s.", o.in)
		report := headsReport(fig.Title, intro, arrays.scores, arrays.weights, arrays.output, queries, keys, figs)
		if err := stageReport(set, o.render.htmlFile, report); err != nil {
			return err
		}
	}
	return set.Commit(env)
}

// parseTokens splits a comma-separated label list and checks that it has
// n labels, one per singular (such as "row"). An empty list yields t0,
// t1, …. Spaces around labels are removed.
func parseTokens(flag, list string, n int, plural, singular string) ([]string, error) {
	if list == "" {
		return defaultTokens(n), nil
	}
	labels := strings.Split(list, ",")
	for i := range labels {
		labels[i] = strings.TrimSpace(labels[i])
	}
	if len(labels) != n {
		return nil, usageErrorf("%s has %d labels but the arrays have %d %s; give one label per %s", flag, len(labels), n, plural, singular)
	}
	return labels, nil
}

// shape returns n_q and n_k.
func (a *attendArrays) shape() (nq, nk int) {
	m := a.weights
	if m == nil {
		m = a.scores
	}
	return m[0].Rows, m[0].Cols
}

// readAttendArrays reads scores.npy, weights.npy and output.npy from dir
// and checks that their shapes agree. A missing file is skipped with a
// note on stderr, as long as scores.npy or weights.npy exists.
func readAttendArrays(env *Env, dir string) (*attendArrays, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("read --in directory: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("--in %s is not a directory; give the directory that qkv attend --out wrote", dir)
	}
	names := []string{"scores.npy", "weights.npy", "output.npy"}
	var missing []string
	present := map[string]bool{}
	for _, name := range names {
		_, err := os.Stat(filepath.Join(dir, name))
		switch {
		case err == nil:
			present[name] = true
		case errors.Is(err, fs.ErrNotExist):
			missing = append(missing, name)
		default:
			return nil, err
		}
	}
	if !present["scores.npy"] && !present["weights.npy"] {
		return nil, fmt.Errorf("%s lacks %s, and plot needs at least scores.npy or weights.npy; write them with qkv attend --out %s", dir, strings.Join(missing, ", "), dir)
	}
	for _, name := range missing {
		fmt.Fprintf(env.Stderr, "qkv plot: note: %s not found; drawing without it\n", filepath.Join(dir, name))
	}

	var a attendArrays
	var err error
	if present["scores.npy"] {
		if a.scores, err = readHeads(dir, "scores.npy", true); err != nil {
			return nil, err
		}
	}
	if present["weights.npy"] {
		if a.weights, err = readHeads(dir, "weights.npy", false); err != nil {
			return nil, err
		}
	}
	if a.scores != nil && a.weights != nil {
		s, w := a.scores[0].Shape(), a.weights[0].Shape()
		if len(a.scores) != len(a.weights) || s != w {
			return nil, fmt.Errorf("scores.npy has %d heads of %v but weights.npy has %d heads of %v in %s; they must come from the same run", len(a.scores), s, len(a.weights), w, dir)
		}
	}
	if !present["output.npy"] {
		return &a, nil
	}

	nq, _ := a.shape()
	path := filepath.Join(dir, "output.npy")
	arr, err := npy.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(arr.Shape) != 2 || arr.Shape[0] != nq {
		return nil, fmt.Errorf("%s has shape %s; want [n_q, d_out] with n_q = %d, the queries of the scores and weights", path, npy.ShapeString(arr.Shape), nq)
	}
	if err := checkFloat(path, arr); err != nil {
		return nil, err
	}
	if a.output, err = blockMatrix(path, arr.Float64(), arr.Shape[0], arr.Shape[1], 0, false); err != nil {
		return nil, err
	}
	return &a, nil
}

// readHeads reads an [h, n_q, n_k] array as one matrix per head.
// allowNegInf permits -Inf entries, which mark masked scores.
func readHeads(dir, name string, allowNegInf bool) ([]*tensor.Matrix[float64], error) {
	path := filepath.Join(dir, name)
	arr, err := npy.ReadFile(path)
	if err != nil {
		return nil, err
	}
	shape := arr.Shape
	if len(shape) != 3 || shape[0] == 0 || shape[1] == 0 || shape[2] == 0 {
		return nil, fmt.Errorf("%s has shape %s; want [h, n_q, n_k], as qkv attend --out writes, with every dimension at least 1 (save one head's [n_q, n_k] matrix as [1, n_q, n_k])", path, npy.ShapeString(arr.Shape))
	}
	if err := checkFloat(path, arr); err != nil {
		return nil, err
	}
	all := arr.Float64()
	out := make([]*tensor.Matrix[float64], shape[0])
	for h := range out {
		m, err := blockMatrix(path, all, shape[1], shape[2], h, allowNegInf)
		if err != nil {
			return nil, err
		}
		out[h] = m
	}
	return out, nil
}

func checkFloat(path string, arr *npy.Array) error {
	if !arr.DType.IsFloat() {
		return fmt.Errorf("%s contains a %v array; expected float32 or float64 values", path, arr)
	}
	return nil
}

// blockMatrix returns block number block of rows×cols elements of all,
// rejecting NaN, +Inf and (unless allowNegInf) -Inf with the index of the
// first bad element.
func blockMatrix(path string, all []float64, rows, cols, block int, allowNegInf bool) (*tensor.Matrix[float64], error) {
	data := all[block*rows*cols : (block+1)*rows*cols]
	for i, v := range data {
		if math.IsNaN(v) || math.IsInf(v, 1) || (math.IsInf(v, -1) && !allowNegInf) {
			return nil, fmt.Errorf("%s has %v at [%d, %d, %d]; values must be finite (scores may be -inf where masked)", path, v, block, i/cols, i%cols)
		}
	}
	return tensor.FromSlice(rows, cols, data)
}
