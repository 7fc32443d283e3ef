package viz

import (
	"fmt"
	"strconv"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"gonum.org/v1/plot"

	"qkv/tensor"
)

// HeadMatrices holds the matrices of one attention head. Any of them may
// be nil, and its panel is then left out.
type HeadMatrices struct {
	// Name labels the head in panel titles, e.g. "head 0"; empty omits it.
	Name    string
	Scores  *tensor.Matrix[float64] // S [n_q×n_k], -Inf where masked
	Weights *tensor.Matrix[float64] // A [n_q×n_k]
	Output  *tensor.Matrix[float64] // Z [n_q×d_v]
}

// AttentionFigure draws, for each head, one row of three heatmaps: the
// scores S on a diverging scale centred on 0, the weights A on a
// sequential scale over [0, 1], and the output Z on a diverging scale.
type AttentionFigure struct {
	Title string
	// Tokens label the queries (rows); nil labels them t0, t1, ….
	Tokens []string
	// KeyTokens label the keys (columns of S and A); nil reuses Tokens.
	KeyTokens []string
	Heads     []HeadMatrices

	// OutputTitle titles the output panels; empty selects
	// "output Z = A·V".
	OutputTitle string

	// PanelWidth and PanelHeight are the size of one heatmap; zero selects
	// 4.2 by 3.8 inches.
	PanelWidth, PanelHeight vg.Length
}

func (f *AttentionFigure) panelSize() (vg.Length, vg.Length) {
	w, h := f.PanelWidth, f.PanelHeight
	if w == 0 {
		w = 4.2 * vg.Inch
	}
	if h == 0 {
		h = 3.8 * vg.Inch
	}
	return w, h
}

// titleHeight is the band above the panels that holds the figure title.
const titleHeight = 0.45 * vg.Inch

// Size returns the page size: three panels per row, one row per head.
func (f *AttentionFigure) Size() (vg.Length, vg.Length) {
	w, h := f.panelSize()
	cols := 0
	for _, hd := range f.Heads {
		cols = max(cols, len(hd.panels(f)))
	}
	cols = max(cols, 1)
	return w * vg.Length(cols), h*vg.Length(max(len(f.Heads), 1)) + titleHeight
}

// Panels returns the heatmaps of head index h, in the order S, A, Z,
// skipping nil matrices. It lets callers render or embed panels one by
// one.
func (f *AttentionFigure) Panels(h int) []*Heatmap {
	return f.Heads[h].panels(f)
}

func (hd HeadMatrices) panels(f *AttentionFigure) []*Heatmap {
	suffix := ""
	if hd.Name != "" {
		suffix = ", " + hd.Name
	}
	var out []*Heatmap
	queries := func(m *tensor.Matrix[float64]) []string { return labelsOr(f.Tokens, m.Rows) }
	keys := func(m *tensor.Matrix[float64]) []string {
		if f.KeyTokens != nil {
			return labelsOr(f.KeyTokens, m.Cols)
		}
		return labelsOr(f.Tokens, m.Cols)
	}
	if hd.Scores != nil {
		s := DivergingFor(hd.Scores.Data)
		out = append(out, &Heatmap{
			Title: "scores S" + suffix, Values: hd.Scores, Scale: &s,
			RowLabels: queries(hd.Scores), ColLabels: keys(hd.Scores),
			XLabel: "key (to)", YLabel: "query (from)",
		})
	}
	if hd.Weights != nil {
		s := WeightScale()
		out = append(out, &Heatmap{
			Title: "weights A = softmax(S)" + suffix, Values: hd.Weights, Scale: &s,
			RowLabels: queries(hd.Weights), ColLabels: keys(hd.Weights),
			XLabel: "key (to)", YLabel: "query (from)",
		})
	}
	if hd.Output != nil {
		s := DivergingFor(hd.Output.Data)
		title := f.OutputTitle
		if title == "" {
			title = "output Z = A·V"
		}
		out = append(out, &Heatmap{
			Title: title + suffix, Values: hd.Output, Scale: &s,
			RowLabels: queries(hd.Output),
			XLabel:    "output dimension", YLabel: "query (from)",
		})
	}
	return out
}

// labelsOr returns labels if it has n entries; nil labels become t0, t1, …
// and a count mismatch is left for Heatmap.Validate to report.
func labelsOr(labels []string, n int) []string {
	if labels != nil {
		return labels
	}
	out := make([]string, n)
	for i := range out {
		out[i] = "t" + strconv.Itoa(i)
	}
	return out
}

// Validate returns an error if any panel cannot be drawn or the heads
// disagree on the number of queries.
func (f *AttentionFigure) Validate() error {
	if len(f.Heads) == 0 {
		return fmt.Errorf("viz: attention figure %q has no heads", f.Title)
	}
	for i, hd := range f.Heads {
		panels := hd.panels(f)
		if len(panels) == 0 {
			return fmt.Errorf("viz: head %d of attention figure %q has no matrices", i, f.Title)
		}
		for _, p := range panels {
			if err := p.Validate(); err != nil {
				return fmt.Errorf("head %d: %w", i, err)
			}
		}
		if hd.Scores != nil && hd.Weights != nil && hd.Scores.Shape() != hd.Weights.Shape() {
			return fmt.Errorf("viz: head %d: scores %v and weights %v must have the same shape", i, hd.Scores.Shape(), hd.Weights.Shape())
		}
	}
	return nil
}

// Draw draws the title and the grid of panels onto c.
func (f *AttentionFigure) Draw(c draw.Canvas) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if f.Title != "" {
		sty := text.Style{
			Color: black, Font: font.From(plot.DefaultFont, 14),
			XAlign: draw.XCenter, YAlign: draw.YCenter, Handler: plot.DefaultTextHandler,
		}
		c.FillText(sty, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: c.Max.Y - titleHeight/2}, f.Title)
	}
	pw, ph := f.panelSize()
	top := c.Max.Y - titleHeight
	rows := make([][]*Heatmap, len(f.Heads))
	var all []*Heatmap
	for i, hd := range f.Heads {
		rows[i] = hd.panels(f)
		all = append(all, rows[i]...)
	}
	unifyTickDecimals(all)
	for i, row := range rows {
		for j, p := range row {
			pc := c
			pc.Min.X = c.Min.X + pw*vg.Length(j)
			pc.Max.X = pc.Min.X + pw
			pc.Max.Y = top - ph*vg.Length(i)
			pc.Min.Y = pc.Max.Y - ph
			pc = draw.Crop(pc, 0.1*vg.Inch, -0.1*vg.Inch, 0.1*vg.Inch, -0.1*vg.Inch)
			if err := p.Draw(pc); err != nil {
				return err
			}
		}
	}
	return nil
}

// unifyTickDecimals gives the colour bars of panels one label format: the
// most decimals that any of their tick steps needs.
func unifyTickDecimals(panels []*Heatmap) {
	decimals := 0
	for _, p := range panels {
		scale := p.scale()
		decimals = max(decimals, tickDecimals((niceTicker{}).Ticks(scale.Min, scale.Max)))
	}
	for _, p := range panels {
		p.fixedDecimals, p.tickDecimals = true, decimals
	}
}
