package viz

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one named line of a LineChart.
type Series struct {
	Name string
	X, Y []float64 // same length, at least one point
	// Dashed draws the line dashed, e.g. for a reference curve such as 2^k.
	Dashed bool
	// Points marks each data point with a dot.
	Points bool
}

// LineChart plots one or more series against shared axes, with a legend
// when any series is named. It suits loss curves and per-layer
// measurements such as reach against 2^k.
type LineChart struct {
	Title          string
	XLabel, YLabel string
	Series         []Series
	// LogX and LogY use a base-10 logarithmic axis; every value on it
	// must then be positive.
	LogX, LogY bool
	// Width and Height are the page size; zero selects 6 by 4 inches.
	Width, Height vg.Length
}

// lineColors are distinguishable in colour and, through lightness, in
// greyscale print.
var lineColors = []color.NRGBA{
	{0x1f, 0x4e, 0x9a, 0xff},
	{0xc0, 0x39, 0x2b, 0xff},
	{0x2e, 0x8b, 0x57, 0xff},
	{0x8e, 0x44, 0xad, 0xff},
	{0xd6, 0x8a, 0x00, 0xff},
	{0x44, 0x44, 0x44, 0xff},
}

// Size returns the page size of the chart.
func (l *LineChart) Size() (vg.Length, vg.Length) {
	w, h := l.Width, l.Height
	if w == 0 {
		w = 6 * vg.Inch
	}
	if h == 0 {
		h = 4 * vg.Inch
	}
	return w, h
}

// Validate returns an error for a chart without series, a series whose X
// and Y differ in length or are empty, a NaN or infinite value, or a
// non-positive value on a logarithmic axis.
func (l *LineChart) Validate() error {
	if len(l.Series) == 0 {
		return fmt.Errorf("viz: line chart %q has no series", l.Title)
	}
	for _, s := range l.Series {
		if len(s.X) != len(s.Y) {
			return fmt.Errorf("viz: series %q has %d x values and %d y values; they must match", s.Name, len(s.X), len(s.Y))
		}
		if len(s.X) == 0 {
			return fmt.Errorf("viz: series %q has no points", s.Name)
		}
		for i := range s.X {
			x, y := s.X[i], s.Y[i]
			if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) {
				return fmt.Errorf("viz: series %q point %d is (%v, %v); values must be finite", s.Name, i, x, y)
			}
			if l.LogX && x <= 0 {
				return fmt.Errorf("viz: series %q point %d has x = %v on a logarithmic axis; values must be positive", s.Name, i, x)
			}
			if l.LogY && y <= 0 {
				return fmt.Errorf("viz: series %q point %d has y = %v on a logarithmic axis; values must be positive", s.Name, i, y)
			}
		}
	}
	return nil
}

// Draw draws the chart onto c.
func (l *LineChart) Draw(c draw.Canvas) error {
	if err := l.Validate(); err != nil {
		return err
	}
	p := plot.New()
	p.Title.Text = l.Title
	p.X.Label.Text = l.XLabel
	p.Y.Label.Text = l.YLabel
	p.X.Tick.Marker = niceTicker{}
	p.Y.Tick.Marker = niceTicker{}
	if l.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = logTicker{}
	}
	if l.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicker{}
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = true

	for i, s := range l.Series {
		pts := make(plotter.XYs, len(s.X))
		for k := range s.X {
			pts[k].X, pts[k].Y = s.X[k], s.Y[k]
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return fmt.Errorf("viz: series %q: %w", s.Name, err)
		}
		col := lineColors[i%len(lineColors)]
		line.Color = col
		line.Width = 1.5
		if s.Dashed {
			line.Dashes = []vg.Length{5, 3}
		}
		p.Add(line)
		var thumb plot.Thumbnailer = line
		if s.Points {
			dots, err := plotter.NewScatter(pts)
			if err != nil {
				return fmt.Errorf("viz: series %q: %w", s.Name, err)
			}
			dots.Color = col
			dots.Shape = draw.CircleGlyph{}
			dots.Radius = 2.2
			p.Add(dots)
		}
		if s.Name != "" {
			p.Legend.Add(s.Name, thumb)
		}
	}
	p.Draw(c)
	return nil
}

// logTicker places ticks on a logarithmic axis at 1, 2 and 5 times each
// power of ten, labelling all of them when the axis spans less than two
// decades and only the powers of ten otherwise.
type logTicker struct{}

func (logTicker) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) {
		return nil
	}
	labelAll := math.Log10(hi/lo) < 2
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			label := ""
			if labelAll || m == 1 {
				label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: label})
		}
	}
	return ticks
}
