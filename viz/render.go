package viz

import (
	"bytes"
	"fmt"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Format is an output file format for figures.
type Format string

// Supported figure formats.
const (
	PNG Format = "png"
	SVG Format = "svg"
	PDF Format = "pdf"
)

// PNGDPI is the resolution of PNG output in dots per inch.
const PNGDPI = 144

// ParseFormat returns the Format named by s ("png", "svg" or "pdf", any
// case).
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case PNG, SVG, PDF:
		return f, nil
	}
	return "", fmt.Errorf("unknown figure format %q; use png, svg or pdf", s)
}

// Figure is anything this package can render: a Heatmap, an
// AttentionFigure or a LineChart.
type Figure interface {
	// Size returns the page size of the figure.
	Size() (width, height vg.Length)
	// Draw draws the figure onto c. It returns an error for invalid data
	// and draws nothing in that case.
	Draw(c draw.Canvas) error
}

// Render draws f and returns the encoded file in the given format.
func Render(f Figure, format Format) ([]byte, error) {
	w, h := f.Size()
	if !(w > 0) || !(h > 0) {
		return nil, fmt.Errorf("viz: figure size %v×%v must be positive", w, h)
	}
	var c vg.CanvasWriterTo
	switch format {
	case PNG:
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(PNGDPI))}
	case SVG:
		c = vgsvg.New(w, h)
	case PDF:
		c = vgpdf.New(w, h)
	default:
		return nil, fmt.Errorf("viz: unknown figure format %q; use png, svg or pdf", format)
	}
	dc := draw.New(c)
	dc.FillPolygon(white, []vg.Point{dc.Min, {X: dc.Min.X, Y: dc.Max.Y}, dc.Max, {X: dc.Max.X, Y: dc.Min.Y}})
	if err := f.Draw(dc); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("viz: encode %s: %w", format, err)
	}
	if format == SVG {
		return fixSVGImages(buf.Bytes()), nil
	}
	return buf.Bytes(), nil
}

// fixSVGImages corrects the <image> elements that vgsvg (gonum.org/v1/plot
// v0.17.0) writes for rasters and colour bars. Without
// preserveAspectRatio="none", SVG viewers keep the image's own aspect
// ratio, so a 1×256 colour bar shrinks to a hairline and a raster of a
// non-square matrix leaves part of its cell area empty. vgsvg also labels
// the PNG data as image/jpg.
func fixSVGImages(svg []byte) []byte {
	svg = bytes.ReplaceAll(svg, []byte("<image "), []byte(`<image preserveAspectRatio="none" `))
	return bytes.ReplaceAll(svg, []byte("data:image/jpg;base64,"), []byte("data:image/png;base64,"))
}
