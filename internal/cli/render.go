package cli

import (
	"bytes"
	"fmt"
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
	// plotFlag names the flag that gave plotDir in messages; empty
	// means --plot.
	plotFlag string

	formats []viz.Format // parsed from plotFormats by validate
}

func (r *renderFlags) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.plotDir, "plot", "", "write the heatmaps of S, A and Z to `DIR` (created if missing)")
	cmd.Flags().StringVar(&r.plotFormats, "plot-format", "png,svg", "comma-separated figure `FORMATS` for --plot: png, svg, pdf")
	cmd.Flags().StringVar(&r.htmlFile, "html", "", "write a self-contained printable HTML report to `FILE` (its directory must exist)")
}

// validate parses --plot-format and returns a usage error for an unknown
// format.
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

// validateFor is validate plus the checks that need the command: a
// --plot-format given without --plot would be ignored, so it is a usage
// error.
func (r *renderFlags) validateFor(cmd *cobra.Command) error {
	if err := r.validate(); err != nil {
		return err
	}
	if cmd.Flags().Changed("plot-format") && r.plotDir == "" {
		return usageErrorf("--plot-format needs --plot DIR: it selects the file formats of the figures that --plot writes (an --html report always embeds SVG)")
	}
	return nil
}

// stageCase adds the figures and the report of a case that the flags
// request to set.
func (r *renderFlags) stageCase(set *outputSet, c *attentionCase) error {
	if r.plotDir != "" {
		if err := stageFigures(set, r.plotFlagName(), r.plotDir, r.formats, namedFigure{"attention", caseFigure(c)}); err != nil {
			return err
		}
	}
	if r.htmlFile != "" {
		return stageReport(set, r.htmlFile, caseReport(c))
	}
	return nil
}

// plotFlagName returns the flag that named the figure directory.
func (r *renderFlags) plotFlagName() string {
	if r.plotFlag != "" {
		return r.plotFlag
	}
	return "--plot"
}

// caseFigure returns the S, A, Z figure of a case.
func caseFigure(c *attentionCase) *viz.AttentionFigure {
	return &viz.AttentionFigure{
		Title:  c.Title,
		Tokens: c.Tokens,
		Heads:  []viz.HeadMatrices{{Scores: c.Scores, Weights: c.Weights, Output: c.Output}},
	}
}

// namedFigure is a figure and the base name of its files.
type namedFigure struct {
	base string
	fig  viz.Figure
}

// stageFigures renders each figure in each format and adds it to set as
// dir/<base>.<format>, where flag named dir.
func stageFigures(set *outputSet, flag, dir string, formats []viz.Format, figs ...namedFigure) error {
	for _, nf := range figs {
		for _, f := range formats {
			data, err := viz.Render(nf.fig, f)
			if err != nil {
				return err
			}
			set.addInDir(flag, dir, nf.base+"."+string(f), data, true)
		}
	}
	return nil
}

// writeFigures renders each figure in each format to dir/<base>.<format>,
// writing all files or none, and names each written file on stderr.
func writeFigures(env *Env, dir string, formats []viz.Format, figs ...namedFigure) error {
	set := &outputSet{}
	if err := stageFigures(set, "--plot", dir, formats, figs...); err != nil {
		return err
	}
	return set.Commit(env)
}

// matrixKind selects the colour scale of a printed matrix.
type matrixKind int

const (
	signedMatrix matrixKind = iota // diverging scale centred on 0
	weightMatrix                   // sequential scale over [0, 1]
)

// maxPrintedSide is the largest number of rows or columns printed of a
// matrix; a terminal row of 16 four-decimal columns is about 130
// characters wide.
const maxPrintedSide = 16

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
		MaxRows: maxPrintedSide, MaxCols: maxPrintedSide,
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

// headFigures builds the figures of a multi-head result: one row of S and
// A panels per head. The output joins that row when there is one head and
// the output is its A·V (outputIsAV). Otherwise the output gets a heatmap
// of its own, which is nil when there is no output. Any of scores, weights
// and output may be nil.
func headFigures(title string, scores, weights []*tensor.Matrix[float64], output *tensor.Matrix[float64], outputTitle string, outputIsAV bool, queries, keys []string) (*viz.AttentionFigure, *viz.Heatmap) {
	heads := max(len(scores), len(weights))
	fig := &viz.AttentionFigure{Title: title, Tokens: queries, KeyTokens: keys, OutputTitle: outputTitle}
	inRow := heads == 1 && outputIsAV
	for h := 0; h < heads; h++ {
		hm := viz.HeadMatrices{}
		if heads > 1 {
			hm.Name = fmt.Sprintf("head %d", h)
		}
		if scores != nil {
			hm.Scores = scores[h]
		}
		if weights != nil {
			hm.Weights = weights[h]
		}
		if inRow {
			hm.Output = output
		}
		fig.Heads = append(fig.Heads, hm)
	}
	if inRow || output == nil {
		return fig, nil
	}
	scale := viz.DivergingFor(output.Data)
	return fig, &viz.Heatmap{
		Title: outputTitle, Values: output, Scale: &scale,
		RowLabels: queries, XLabel: "output dimension", YLabel: "query (from)",
	}
}

// stageAttendViews adds the figures and the report of a qkv attend run
// that the flags request to set.
func (r *renderFlags) stageAttendViews(set *outputSet, run *attendRun) error {
	if r.plotDir == "" && r.htmlFile == "" {
		return nil
	}
	if run.numQueries == 0 || run.numKeys == 0 {
		return fmt.Errorf("nothing to draw: n_q = %d and n_k = %d; --plot and --html need at least one query and one key", run.numQueries, run.numKeys)
	}
	var scores, weights []*tensor.Matrix[float64]
	for _, h := range run.Result.Heads {
		scores = append(scores, h.Scores)
		weights = append(weights, h.Weights)
	}
	queries, keys := attendLabels("q", run.numQueries), attendLabels("k", run.numKeys)
	outputTitle := "output Z = A·V"
	switch {
	case run.In.WO != nil:
		outputTitle = "output Concat·W_O"
	case run.numHeads > 1:
		outputTitle = "output: concatenated heads"
	}
	heads := "1 head"
	if run.numHeads != 1 {
		heads = fmt.Sprintf("%d heads", run.numHeads)
	}
	title := fmt.Sprintf("qkv attend: %s, n_q = %d, n_k = %d, d_k = %d", heads, run.numQueries, run.numKeys, run.dim)
	fig, out := headFigures(title, scores, weights, run.Result.Output, outputTitle, run.In.WO == nil, queries, keys)
	figs := []namedFigure{{"attention", fig}}
	if out != nil {
		figs = append(figs, namedFigure{"output", out})
	}

	if r.plotDir != "" {
		if err := stageFigures(set, r.plotFlagName(), r.plotDir, r.formats, figs...); err != nil {
			return err
		}
	}
	if r.htmlFile == "" {
		return nil
	}
	return stageReport(set, r.htmlFile, attendReport(run, title, figs, queries, keys))
}

// attendReport builds an HTML page with the inputs, each head's S and A,
// the output, and the figures.
func attendReport(run *attendRun, title string, figs []namedFigure, queries, keys []string) *viz.Report {
	var files []string
	for _, name := range []string{"X", "W_Q", "W_K", "W_V", "Q", "K", "V", "W_O", "mask"} {
		if p, ok := run.In.Files[name]; ok {
			files = append(files, fmt.Sprintf("%s: %s", name, p))
		}
	}
	mask := "none"
	if run.In.Causal {
		mask = "causal"
	} else if p, ok := run.In.Files["mask"]; ok {
		mask = p
	}

	intro := fmt.Sprintf("Scaled dot-product attention Z = softmax(Q·Kᵀ·scale)·V with scale = %.6g, computed in %s, mask %s.", run.Scale, run.In.DType, mask)
	var scores, weights []*tensor.Matrix[float64]
	for _, res := range run.Result.Heads {
		scores = append(scores, res.Scores)
		weights = append(weights, res.Weights)
	}
	report := headsReport(title, intro, scores, weights, run.Result.Output, queries, keys, figs)
	report.Sections = append([]viz.Section{{Heading: "Inputs", Pre: strings.Join(files, "\n")}}, report.Sections...)
	return report
}

// headsReport builds a report with each head's S and A, the output and
// the figures. Any of scores, weights and output may be nil.
func headsReport(title, intro string, scores, weights []*tensor.Matrix[float64], output *tensor.Matrix[float64], queries, keys []string, figs []namedFigure) *viz.Report {
	report := &viz.Report{
		Title: title,
		Intro: []string{intro + " Rows are queries (from), columns keys (to). Masked scores are −∞ and drawn grey."},
	}
	for h := 0; h < max(len(scores), len(weights)); h++ {
		sec := viz.Section{Heading: fmt.Sprintf("Head %d", h)}
		if scores != nil {
			s := viz.DivergingFor(scores[h].Data)
			sec.Matrices = append(sec.Matrices, viz.MatrixTable{Caption: "scores S", Values: scores[h], RowLabels: queries, ColLabels: keys, Scale: &s})
		}
		if weights != nil {
			w := viz.WeightScale()
			sec.Matrices = append(sec.Matrices, viz.MatrixTable{Caption: "weights A = softmax(S)", Values: weights[h], RowLabels: queries, ColLabels: keys, Scale: &w})
		}
		report.Sections = append(report.Sections, sec)
	}

	if output != nil {
		outScale := viz.DivergingFor(output.Data)
		report.Sections = append(report.Sections, viz.Section{
			Heading:  "Output",
			Matrices: []viz.MatrixTable{{Caption: "output", Values: output, RowLabels: queries, ColLabels: dimLabels(output.Cols), Scale: &outScale}},
		})
	}
	figures := viz.Section{Heading: "Figures", PageBreak: true}
	for _, f := range figs {
		figures.Figures = append(figures.Figures, f.fig)
	}
	report.Sections = append(report.Sections, figures)
	return report
}

// stageReport renders report and adds it to set as the --html file path.
func stageReport(set *outputSet, path string, report *viz.Report) error {
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf); err != nil {
		return err
	}
	set.addFile("--html", path, buf.Bytes())
	return nil
}

// writeReport renders report and writes it to the --html file path.
func writeReport(env *Env, path string, report *viz.Report) error {
	set := &outputSet{}
	if err := stageReport(set, path, report); err != nil {
		return err
	}
	return set.Commit(env)
}
