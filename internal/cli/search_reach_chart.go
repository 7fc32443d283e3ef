package cli

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"qkv/compiled"
)

// reachFigure plots the largest and the mean decoded reach set size after
// each layer against 2^k + 1, the reach of the first vertex of a long
// chain, on a base-2 logarithmic axis. Merge layers that did not run
// because the reach sets were already closed are drawn as hollow rings.
type reachFigure struct {
	ks, largest, mean, chain []float64
	skipped                  []bool
}

// reachChart returns the reach figure, or nil for an empty table.
func reachChart(reach []compiled.ReachLayer) *reachFigure {
	if len(reach) == 0 || len(reach[0].Rows) == 0 {
		return nil
	}
	f := &reachFigure{}
	for _, l := range reach {
		top, sum, rows := 0, 0, 0
		for _, r := range l.Rows {
			if r.Decoded == noTokens {
				continue
			}
			top = max(top, r.Decoded)
			sum += r.Decoded
			rows++
		}
		f.ks = append(f.ks, float64(l.K))
		f.largest = append(f.largest, float64(max(top, 1)))
		f.mean = append(f.mean, math.Max(float64(sum)/float64(max(rows, 1)), 1))
		f.chain = append(f.chain, float64(l.Hops+1))
		f.skipped = append(f.skipped, l.Skipped)
	}
	return f
}

func (f *reachFigure) Size() (vg.Length, vg.Length) { return 6 * vg.Inch, 4 * vg.Inch }

var (
	reachColors = []color.NRGBA{{0x1f, 0x4e, 0x9a, 0xff}, {0xc0, 0x39, 0x2b, 0xff}, {0x2e, 0x8b, 0x57, 0xff}}
	reachGrey   = color.NRGBA{0x55, 0x55, 0x55, 0xff}
)

func (f *reachFigure) Draw(c draw.Canvas) error {
	p := plot.New()
	p.Title.Text = "reach after merge layer k (0 = after loading the edges)"
	p.X.Label.Text = "merge layers k"
	p.Y.Label.Text = "vertices reached (log scale)"
	p.X.Tick.Marker = integerTicks{}
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = powerOfTwoTicks{}
	p.X.Min, p.X.Max = f.ks[0]-0.3, f.ks[len(f.ks)-1]+0.3
	// The y range runs between powers of two, so both ends get a tick.
	top := slices.Max(slices.Concat(f.largest, f.chain))
	p.Y.Min, p.Y.Max = 1, math.Ldexp(1, int(math.Ceil(math.Log2(top))))
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.Padding = vg.Points(2)

	for i, s := range []struct {
		name   string
		y      []float64
		dashed bool
	}{
		{"largest reach set", f.largest, false},
		{"mean reach set", f.mean, false},
		{"2^k + 1 (a long chain)", f.chain, true},
	} {
		pts := make(plotter.XYs, len(f.ks))
		for k := range f.ks {
			pts[k].X, pts[k].Y = f.ks[k], s.y[k]
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		line.Color, line.Width = reachColors[i], 1.5
		if s.dashed {
			line.Dashes = []vg.Length{5, 3}
		} else {
			var run, notRun plotter.XYs
			for k, pt := range pts {
				if f.skipped[k] {
					notRun = append(notRun, pt)
				} else {
					run = append(run, pt)
				}
			}
			if err := addDots(p, run, draw.CircleGlyph{}, reachColors[i]); err != nil {
				return err
			}
			if err := addDots(p, notRun, draw.RingGlyph{}, reachColors[i]); err != nil {
				return err
			}
		}
		p.Add(line)
		p.Legend.Add(s.name, line)
	}
	for _, s := range f.skipped {
		if s {
			ring, err := plotter.NewScatter(plotter.XYs{{X: 0, Y: 1}})
			if err != nil {
				return err
			}
			ring.Shape, ring.Color, ring.Radius = draw.RingGlyph{}, reachGrey, 3
			p.Legend.Add("not run: reach sets already closed", ring)
			break
		}
	}
	// gonum draws the title flush with the top edge: leave a margin.
	p.Draw(draw.Crop(c, 0, 0, 0, -vg.Points(8)))
	return nil
}

// addDots marks pts with the glyph shape, if there are any.
func addDots(p *plot.Plot, pts plotter.XYs, shape draw.GlyphDrawer, col color.Color) error {
	if len(pts) == 0 {
		return nil
	}
	dots, err := plotter.NewScatter(pts)
	if err != nil {
		return err
	}
	dots.Shape, dots.Color, dots.Radius = shape, col, 3
	p.Add(dots)
	return nil
}

// powerOfTwoTicks labels every power of two on a logarithmic axis, or
// every other one when more than ten fit.
type powerOfTwoTicks struct{}

func (powerOfTwoTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi >= lo) {
		return nil
	}
	first, last := int(math.Floor(math.Log2(lo))), int(math.Ceil(math.Log2(hi)))
	step := 1
	if last-first > 10 {
		step = 2
	}
	var ticks []plot.Tick
	for e := first; e <= last; e++ {
		v := math.Ldexp(1, e)
		if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
			continue
		}
		label := ""
		if (e-first)%step == 0 {
			label = strconv.FormatFloat(v, 'f', -1, 64)
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
	}
	return ticks
}

// integerTicks labels each whole number on a short axis, or every n-th
// one so that at most about ten labels appear.
type integerTicks struct{}

func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	first, last := int(math.Ceil(lo)), int(math.Floor(hi))
	step := max(1, (last-first+9)/10)
	var ticks []plot.Tick
	for v := first; v <= last; v++ {
		if v%step == 0 {
			ticks = append(ticks, plot.Tick{Value: float64(v), Label: fmt.Sprint(v)})
		}
	}
	return ticks
}
