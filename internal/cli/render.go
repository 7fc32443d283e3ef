package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"qkv/tensor"
	"qkv/viz"
)

// renderFlags are the output flags shared by commands that show
// attention: --plot DIR, --plot-format and --html FILE.
type renderFlags struct {
	plotDir     string
	plotFormats string
	htmlFile    string

	formats []viz.Format // parsed from plotFormats by validate
}

func (r *renderFlags) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.plotDir, "plot", "", "write the heatmaps of S, A and Z to `DIR` (created if missing)")
	cmd.Flags().StringVar(&r.plotFormats, "plot-format", "png,svg", "comma-separated figure `formats` for --plot: png, svg, pdf")
	cmd.Flags().StringVar(&r.htmlFile, "html", "", "write a self-contained printable HTML report to `FILE`")
}

// validate parses the formats; it returns a usage error for an unknown
// one.
func (r *renderFlags) validate() error {
	r.formats = nil
	seen := map[viz.Format]bool{}
	for _, s := range strings.Split(r.plotFormats, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		f, err := viz.ParseFormat(s)
		if err != nil {
			return usageErrorf("invalid --plot-format: %v", err)
		}
		if !seen[f] {
			seen[f] = true
			r.formats = append(r.formats, f)
		}
	}
	if r.plotDir != "" && len(r.formats) == 0 {
		return usageErrorf("--plot-format %q names no format; use png, svg or pdf", r.plotFormats)
	}
	return nil
}

// writeFiles writes the figures and the report that the flags request.
// Figures are all written or none is.
func (r *renderFlags) writeFiles(env *Env, c *attentionCase) error {
	if r.plotDir != "" {
		if err := writeFigures(env, r.plotDir, "attention", caseFigure(c), r.formats); err != nil {
			return err
		}
	}
	if r.htmlFile != "" {
		if err := writeCaseReport(env, r.htmlFile, c); err != nil {
			return err
		}
	}
	return nil
}

// caseFigure returns the S, A, Z figure of a case.
func caseFigure(c *attentionCase) *viz.AttentionFigure {
	return &viz.AttentionFigure{
		Title:  c.Title,
		Tokens: c.Tokens,
		Heads:  []viz.HeadMatrices{{Scores: c.Scores, Weights: c.Weights, Output: c.Output}},
	}
}

// writeFigures renders fig in each format to dir/base.<format>, writing
// all files or none, and names each written file on stderr.
func writeFigures(env *Env, dir, base string, fig viz.Figure, formats []viz.Format) error {
	files, err := newFileSet(dir)
	if err != nil {
		return err
	}
	var names []string
	for _, f := range formats {
		data, err := viz.Render(fig, f)
		if err != nil {
			files.Abort()
			return err
		}
		name := base + "." + string(f)
		if err := files.Add(name, data); err != nil {
			files.Abort()
			return err
		}
		names = append(names, filepath.Join(dir, name))
	}
	if err := files.Commit(); err != nil {
		return err
	}
	for _, n := range names {
		fmt.Fprintf(env.Stderr, "wrote %s\n", n)
	}
	return nil
}

// matrixKind selects the colour scale of a printed matrix.
type matrixKind int

const (
	signedMatrix matrixKind = iota // diverging scale centred on 0
	weightMatrix                   // sequential scale over [0, 1]
)

// printMatrix prints m with its title and labels, coloured when the
// environment allows colour.
func printMatrix(env *Env, title string, m *tensor.Matrix[float64], rows, cols []string, kind matrixKind) error {
	scale := viz.DivergingFor(m.Data)
	if kind == weightMatrix {
		scale = viz.WeightScale()
	}
	return viz.WriteMatrix(env.Stdout, m, viz.TableOptions{
		Title: title, RowLabels: rows, ColLabels: cols,
		Color: env.Color(), Scale: &scale,
	})
}

// dimLabels returns column labels for a matrix whose columns are vector
// dimensions: 0, 1, ….
func dimLabels(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint(i)
	}
	return out
}

// printCase prints every matrix of a case as a labelled table.
func printCase(env *Env, c *attentionCase) error {
	fmt.Fprintf(env.Stdout, "%s\ntokens: %s\n\n", c.Title, strings.Join(c.Tokens, " "))
	dims := func(m *tensor.Matrix[float64]) []string { return dimLabels(m.Cols) }
	steps := []struct {
		title      string
		m          *tensor.Matrix[float64]
		rows, cols []string
		kind       matrixKind
	}{
		{"X (token embeddings)", c.X, c.Tokens, dims(c.X), signedMatrix},
		{"W_Q", c.WQ, dimLabels(c.WQ.Rows), dims(c.WQ), signedMatrix},
		{"W_K", c.WK, dimLabels(c.WK.Rows), dims(c.WK), signedMatrix},
		{"W_V", c.WV, dimLabels(c.WV.Rows), dims(c.WV), signedMatrix},
		{"Q = X·W_Q", c.Q, c.Tokens, dims(c.Q), signedMatrix},
		{"K = X·W_K", c.K, c.Tokens, dims(c.K), signedMatrix},
		{"V = X·W_V", c.V, c.Tokens, dims(c.V), signedMatrix},
		{fmt.Sprintf("scores S = Q·Kᵀ/√d_k (scale %.4g), query rows × key columns", c.Scale), c.Scores, c.Tokens, c.Tokens, signedMatrix},
		{"weights A = softmax(S) by row", c.Weights, c.Tokens, c.Tokens, weightMatrix},
		{"output Z = A·V", c.Output, c.Tokens, dims(c.Output), signedMatrix},
	}
	for i, s := range steps {
		if i > 0 {
			fmt.Fprintln(env.Stdout)
		}
		if err := printMatrix(env, s.title, s.m, s.rows, s.cols, s.kind); err != nil {
			return err
		}
	}
	return nil
}
