package viz

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"qkv/tensor"
)

// CellText selects whether a Heatmap writes each value in its cell.
type CellText int

const (
	// CellTextAuto writes values when the matrix has at most
	// MaxCellTextSize rows and columns and the cells are large enough
	// for text of 4 points or more.
	CellTextAuto CellText = iota
	// CellTextNever never writes values.
	CellTextNever
)

// Size limits, documented in the package overview.
const (
	// MaxCellTextSize is the largest row or column count for which
	// CellTextAuto writes values in cells.
	MaxCellTextSize = 16
	// maxVectorCells is the largest number of cells drawn as one vector
	// rectangle each; larger matrices are drawn as a raster image.
	maxVectorCells = 64 * 64
	// maxRasterSide is the largest raster width or height in pixels.
	maxRasterSide = 1024
	// minRasterSide is the side below which a raster is enlarged by an
	// integer factor (nearest neighbour), so that scaling it to the page
	// does not blur the cell edges.
	minRasterSide = 512
)

var (
	white = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	black = color.NRGBA{0, 0, 0, 0xff}
)

// Heatmap is a matrix drawn as coloured cells with row 0 at the top, a
// colour bar on its right, and labels on both axes.
type Heatmap struct {
	Title  string
	Values *tensor.Matrix[float64] // [rows×cols]; NaN is rejected, ±Inf drawn as masked

	// RowLabels and ColLabels name the rows (left axis) and columns
	// (bottom axis); nil labels them 0, 1, …. When there are more labels
	// than fit, every k-th is shown.
	RowLabels, ColLabels []string
	XLabel, YLabel       string

	// Scale maps values to colours; nil selects SequentialFor(Values).
	Scale *ColorScale
	// CellText selects whether values are written in cells.
	CellText CellText
	// Format is the fmt verb for cell values; empty selects "%.3g".
	Format string

	// Width and Height are the page size when rendered alone; zero
	// selects 5 by 4.5 inches.
	Width, Height vg.Length

	// When fixedDecimals is set, the colour-bar labels have tickDecimals
	// digits after the decimal point, so that the panels of one figure
	// label their bars alike. Otherwise the bar's own tick step decides.
	fixedDecimals bool
	tickDecimals  int
}

// Size returns the page size used when the heatmap is rendered alone.
func (h *Heatmap) Size() (vg.Length, vg.Length) {
	w, ht := h.Width, h.Height
	if w == 0 {
		w = 5 * vg.Inch
	}
	if ht == 0 {
		ht = 4.5 * vg.Inch
	}
	return w, ht
}

// Validate returns an error if the heatmap cannot be drawn: no matrix, a
// NaN entry, label counts that do not match, or an invalid colour scale.
func (h *Heatmap) Validate() error {
	m := h.Values
	if m == nil {
		return fmt.Errorf("viz: heatmap %q has no values", h.Title)
	}
	if m.Rows == 0 || m.Cols == 0 {
		return fmt.Errorf("viz: heatmap %q has an empty matrix %v; it needs at least one row and one column", h.Title, m.Shape())
	}
	if len(m.Data) != m.Rows*m.Cols {
		return fmt.Errorf("viz: heatmap %q: matrix %v has %d elements, want %d", h.Title, m.Shape(), len(m.Data), m.Rows*m.Cols)
	}
	for idx, v := range m.Data {
		if math.IsNaN(v) {
			return fmt.Errorf("viz: heatmap %q has NaN at row %d, column %d; values must be numbers (±Inf is drawn as masked)", h.Title, idx/m.Cols, idx%m.Cols)
		}
	}
	if h.RowLabels != nil && len(h.RowLabels) != m.Rows {
		return fmt.Errorf("viz: heatmap %q has %d row labels for %d rows", h.Title, len(h.RowLabels), m.Rows)
	}
	if h.ColLabels != nil && len(h.ColLabels) != m.Cols {
		return fmt.Errorf("viz: heatmap %q has %d column labels for %d columns", h.Title, len(h.ColLabels), m.Cols)
	}
	if h.Scale != nil && !h.Scale.valid() {
		return fmt.Errorf("viz: heatmap %q has an invalid colour scale [%v, %v] with %d stops; it needs Min < Max, both finite, and at least 2 stops", h.Title, h.Scale.Min, h.Scale.Max, len(h.Scale.Stops))
	}
	return nil
}

func (h *Heatmap) scale() ColorScale {
	if h.Scale != nil {
		return *h.Scale
	}
	return SequentialFor(h.Values.Data)
}

// Draw draws the heatmap and its colour bar onto c.
func (h *Heatmap) Draw(c draw.Canvas) error {
	if err := h.Validate(); err != nil {
		return err
	}
	scale := h.scale()
	m := h.Values

	// Split off a strip on the right for the colour bar.
	barWidth := vg.Length(math.Min(float64(0.9*vg.Inch), float64(c.Size().X)/4))
	heatC := c
	heatC.Max.X -= barWidth
	barC := c
	barC.Min.X = heatC.Max.X

	p := plot.New()
	p.Title.Text = h.Title
	p.Title.TextStyle.Font.Size = 11
	// gonum's default padding of 0 puts the title's descenders on the top
	// row of cells.
	p.Title.Padding = titlePadding
	p.X.Label.Text = h.XLabel
	p.Y.Label.Text = h.YLabel
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Label.TextStyle.Font.Size = 10
	p.Y.Label.TextStyle.Font.Size = 10
	p.Add(&cellPlotter{h: h, scale: scale})

	area := heatC.Size()
	tickSize := font.Length(9)
	if max(m.Rows, m.Cols) > MaxCellTextSize {
		tickSize = 7
	}
	p.X.Tick.Label.Font.Size = tickSize
	p.Y.Tick.Label.Font.Size = tickSize
	p.X.Tick.Marker = plot.ConstantTicks(ticks(m.Cols, h.ColLabels, area.X*0.8, tickSize, false))
	p.Y.Tick.Marker = plot.ConstantTicks(ticks(m.Rows, h.RowLabels, area.Y*0.8, tickSize, true))
	if rotateX(h.ColLabels, m.Cols, p.X.Tick.Label, area.X*0.8) {
		p.X.Tick.Label.Rotation = math.Pi / 2
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}

	p.Draw(heatC)

	// Align the colour bar with the data area of the heatmap.
	da := p.DataCanvas(heatC)
	barC.Min.Y, barC.Max.Y = da.Min.Y, da.Max.Y
	decimals := -1
	if h.fixedDecimals {
		decimals = h.tickDecimals
	}
	drawColorBar(barC, scale, p.Y.Tick.Label, decimals)
	return nil
}

// titlePadding is the gap between a heatmap's title and its top row.
const titlePadding = 0.08 * vg.Inch

// ticks returns one tick per labelled row or column at the cell centre.
// When the labels would overlap on an axis of the given length, only
// every k-th is shown. Rows are counted from the top.
func ticks(n int, labels []string, length vg.Length, size font.Length, rows bool) []plot.Tick {
	fit := int(float64(length) / (float64(size) * 1.4))
	step := 1
	if fit > 0 && n > fit {
		step = (n + fit - 1) / fit
	}
	out := make([]plot.Tick, 0, n/step+1)
	for i := 0; i < n; i += step {
		label := strconv.Itoa(i)
		if labels != nil {
			label = labels[i]
		}
		pos := float64(i) + 0.5
		if rows {
			pos = float64(n-i) - 0.5
		}
		out = append(out, plot.Tick{Value: pos, Label: label})
	}
	return out
}

// rotateX reports whether column labels need a quarter turn to avoid
// overlapping their neighbours.
func rotateX(labels []string, n int, sty text.Style, length vg.Length) bool {
	if labels == nil {
		labels = []string{strconv.Itoa(n - 1)}
	}
	widest := vg.Length(0)
	for _, l := range labels {
		widest = max(widest, sty.Width(l))
	}
	cell := length / vg.Length(n)
	return widest > cell*0.9
}

// cellPlotter draws the cells of a Heatmap in data coordinates x ∈ [0,
// cols], y ∈ [0, rows], with row 0 in the top band y ∈ [rows−1, rows].
type cellPlotter struct {
	h     *Heatmap
	scale ColorScale
}

func (cp *cellPlotter) DataRange() (xmin, xmax, ymin, ymax float64) {
	return 0, float64(cp.h.Values.Cols), 0, float64(cp.h.Values.Rows)
}

func (cp *cellPlotter) Plot(c draw.Canvas, p *plot.Plot) {
	m := cp.h.Values
	trX, trY := p.Transforms(&c)
	if m.Rows*m.Cols <= maxVectorCells {
		cp.plotVector(c, trX, trY)
	} else {
		rect := vg.Rectangle{Min: vg.Point{X: trX(0), Y: trY(0)}, Max: vg.Point{X: trX(float64(m.Cols)), Y: trY(float64(m.Rows))}}
		c.DrawImage(rect, Raster(m, cp.scale))
	}
	if cp.h.CellText == CellTextAuto && m.Rows <= MaxCellTextSize && m.Cols <= MaxCellTextSize {
		cp.plotText(c, p, trX, trY)
	}
}

func (cp *cellPlotter) plotVector(c draw.Canvas, trX, trY func(float64) vg.Length) {
	m := cp.h.Values
	for i := 0; i < m.Rows; i++ {
		top, bottom := trY(float64(m.Rows-i)), trY(float64(m.Rows-i-1))
		for j := 0; j < m.Cols; j++ {
			left, right := trX(float64(j)), trX(float64(j+1))
			// Overlap neighbours by a hair so anti-aliasing leaves no
			// light seams between cells of the same colour.
			const seam = 0.2
			pts := []vg.Point{
				{X: left - seam, Y: bottom - seam}, {X: left - seam, Y: top + seam},
				{X: right + seam, Y: top + seam}, {X: right + seam, Y: bottom - seam},
			}
			c.FillPolygon(cp.scale.At(m.At(i, j)), pts)
		}
	}
}

func (cp *cellPlotter) plotText(c draw.Canvas, p *plot.Plot, trX, trY func(float64) vg.Length) {
	m := cp.h.Values
	format := cp.h.Format
	if format == "" {
		format = "%.3g"
	}
	texts := make([]string, len(m.Data))
	longest := 1
	for idx, v := range m.Data {
		texts[idx] = formatCell(format, v)
		longest = max(longest, len([]rune(texts[idx])))
	}
	cellW := trX(1) - trX(0)
	cellH := trY(1) - trY(0)
	size := math.Min(10, math.Min(float64(cellH)*0.4, float64(cellW)/(float64(longest)*0.62)))
	if size < 4 {
		return
	}
	sty := p.X.Tick.Label
	sty.Font.Size = font.Length(size)
	sty.Rotation = 0
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
	for i := 0; i < m.Rows; i++ {
		for j := 0; j < m.Cols; j++ {
			v := m.At(i, j)
			sty.Color = textColor(cp.scale.At(v))
			pt := vg.Point{X: trX(float64(j) + 0.5), Y: trY(float64(m.Rows-i) - 0.5)}
			c.FillText(sty, pt, texts[i*m.Cols+j])
		}
	}
}

// formatCell formats a cell value, writing infinities as ±∞.
func formatCell(format string, v float64) string {
	switch {
	case math.IsInf(v, -1):
		return "−∞"
	case math.IsInf(v, 1):
		return "∞"
	}
	return fmt.Sprintf(format, v)
}

// Raster returns m [rows×cols] as an image with row 0 at the top, one
// pixel per entry when both sides are at most 1024. A larger matrix is
// reduced so that each pixel covers a block of entries and shows the one
// furthest from the scale's neutral value. A smaller one is enlarged by an
// integer factor to at least 512 pixels per side.
func Raster(m *tensor.Matrix[float64], scale ColorScale) *image.NRGBA {
	outRows, outCols := min(m.Rows, maxRasterSide), min(m.Cols, maxRasterSide)
	neutral := scale.neutral()
	small := image.NewNRGBA(image.Rect(0, 0, outCols, outRows))
	for r := 0; r < outRows; r++ {
		i0, i1 := r*m.Rows/outRows, (r+1)*m.Rows/outRows
		for c := 0; c < outCols; c++ {
			j0, j1 := c*m.Cols/outCols, (c+1)*m.Cols/outCols
			best, bestDist := m.At(i0, j0), -1.0
			for i := i0; i < i1; i++ {
				row := m.Row(i)
				for _, v := range row[j0:j1] {
					d := math.Abs(v - neutral)
					if math.IsInf(v, 0) {
						d = -0.5 // a masked entry shows only if the whole block is masked
					}
					if d > bestDist {
						best, bestDist = v, d
					}
				}
			}
			small.SetNRGBA(c, r, scale.At(best))
		}
	}
	fy := max(1, (minRasterSide+outRows-1)/outRows)
	fx := max(1, (minRasterSide+outCols-1)/outCols)
	if fx == 1 && fy == 1 {
		return small
	}
	big := image.NewNRGBA(image.Rect(0, 0, outCols*fx, outRows*fy))
	for y := 0; y < outRows*fy; y++ {
		for x := 0; x < outCols*fx; x++ {
			big.SetNRGBA(x, y, small.NRGBAAt(x/fx, y/fy))
		}
	}
	return big
}

// colorBarBands is the number of solid bands a colour bar is drawn with.
const colorBarBands = 128

// drawColorBar draws a vertical colour bar for scale inside c, with tick
// labels on its right in the style sty. The bar is drawn as vector bands,
// not as an image: a 1-pixel-wide image is stretched differently by each
// SVG and PDF viewer, and some draw it as a hairline. decimals fixes the
// digits after the decimal point of the tick labels; a negative value
// derives them from the tick step.
func drawColorBar(c draw.Canvas, scale ColorScale, sty text.Style, decimals int) {
	left := c.Min.X + vg.Length(math.Min(float64(8*vg.Millimeter), float64(c.Size().X)/6))
	width := vg.Length(math.Min(float64(4*vg.Millimeter), float64(c.Size().X)/5))
	rect := vg.Rectangle{Min: vg.Point{X: left, Y: c.Min.Y}, Max: vg.Point{X: left + width, Y: c.Max.Y}}
	height := rect.Max.Y - rect.Min.Y
	for k := 0; k < colorBarBands; k++ {
		// Band k, counted from the bottom, shows the value at its centre.
		// Interpolate between the ends without forming Max−Min, which
		// overflows for ranges near the float64 limits.
		f := (float64(k) + 0.5) / colorBarBands
		// Each band reaches the top of the bar and the next band paints
		// over its upper part, so anti-aliasing shows no seam between
		// bands.
		bottom := rect.Min.Y + height*vg.Length(float64(k)/colorBarBands)
		pts := []vg.Point{{X: rect.Min.X, Y: bottom}, {X: rect.Min.X, Y: rect.Max.Y}, {X: rect.Max.X, Y: rect.Max.Y}, {X: rect.Max.X, Y: bottom}}
		c.FillPolygon(scale.At(scale.Min*(1-f)+scale.Max*f), pts)
	}
	line := draw.LineStyle{Color: black, Width: 0.5}
	c.StrokeLines(line, []vg.Point{rect.Min, {X: rect.Min.X, Y: rect.Max.Y}, rect.Max, {X: rect.Max.X, Y: rect.Min.Y}, rect.Min})

	sty.Rotation = 0
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	sty.Color = black
	for _, t := range colorBarTicks(scale, decimals) {
		y := c.Min.Y + height*vg.Length(scale.fraction(t.Value))
		c.StrokeLine2(line, rect.Max.X, y, rect.Max.X+2, y)
		c.FillText(sty, vg.Point{X: rect.Max.X + 3, Y: y}, t.Label)
	}
}

// colorBarTicks returns the labelled ticks of a colour bar inside the
// scale's range, every label with the same number of decimals.
func colorBarTicks(scale ColorScale, decimals int) []plot.Tick {
	ticks := (niceTicker{}).Ticks(scale.Min, scale.Max)
	if decimals < 0 {
		decimals = tickDecimals(ticks)
	}
	var out []plot.Tick
	for _, t := range ticks {
		if t.Value < scale.Min || t.Value > scale.Max {
			continue
		}
		t.Label = formatTickFixed(t.Value, decimals)
		out = append(out, t)
	}
	return out
}
