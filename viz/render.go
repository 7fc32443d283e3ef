package viz

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"strings"
	"sync"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"gonum.org/v1/plot/vg"
	vgdraw "gonum.org/v1/plot/vg/draw"
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
	Draw(c vgdraw.Canvas) error
}

// Render draws f and returns the encoded file in the given format. The
// first PDF render changes fpdf's package defaults for the whole process
// (see setPDFDefaults), which affects any other fpdf user in it.
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
		pdfDefaults.Do(setPDFDefaults)
		c = &pdfCanvas{Canvas: vgpdf.New(w, h), widths: map[int]bool{}}
	default:
		return nil, fmt.Errorf("viz: unknown figure format %q; use png, svg or pdf", format)
	}
	dc := vgdraw.New(c)
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

// pdfEpoch is the creation and modification date written into every PDF,
// so that the same figure always gives the same bytes.
var pdfEpoch = time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)

var pdfDefaults sync.Once

// setPDFDefaults makes the PDF writer deterministic. vgpdf gives no access
// to its fpdf document, so this sets fpdf's package defaults, which every
// document created afterwards in this process copies. The defaults are a
// fixed date in place of the current time, and sorted internal tables
// (images, fonts) in place of Go's random map order.
func setPDFDefaults() {
	fpdf.SetDefaultCreationDate(pdfEpoch)
	fpdf.SetDefaultModificationDate(pdfEpoch)
	fpdf.SetDefaultCatalogSort(true)
}

// pdfCanvas gives every image of a PDF its own pixel width. fpdf v0.11.1
// with catalog sorting orders images by width alone, so images of equal
// width would be written in Go's random map order. An image whose width
// is taken gets transparent columns on its right, and its rectangle grows
// by the same proportion, so its visible pixels keep their place and size.
type pdfCanvas struct {
	*vgpdf.Canvas
	widths map[int]bool
}

func (c *pdfCanvas) DrawImage(rect vg.Rectangle, img image.Image) {
	b := img.Bounds()
	extra := 0
	for c.widths[b.Dx()+extra] {
		extra++
	}
	c.widths[b.Dx()+extra] = true
	if extra > 0 && b.Dx() > 0 {
		padded := image.NewNRGBA(image.Rect(0, 0, b.Dx()+extra, b.Dy()))
		draw.Draw(padded, image.Rect(0, 0, b.Dx(), b.Dy()), img, b.Min, draw.Src)
		rect.Max.X += (rect.Max.X - rect.Min.X) * vg.Length(extra) / vg.Length(b.Dx())
		img = padded
	}
	c.Canvas.DrawImage(rect, img)
}

// fixSVGImages corrects the <image> elements that vgsvg (gonum.org/v1/plot
// v0.17.0) writes for the rasters of large heatmaps. Without
// preserveAspectRatio="none", SVG viewers keep the image's own aspect
// ratio, so a raster of a non-square matrix leaves part of its cell area
// empty. vgsvg also labels its PNG data as image/jpg. An element that
// already has the attribute, or data that is not PNG, is left as it is.
func fixSVGImages(svg []byte) []byte {
	const (
		jpgData = "data:image/jpg;base64,"
		// pngBase64 is the PNG signature 89 50 4E 47 0D 0A 1A 0A in base64.
		pngBase64 = "iVBORw0KGgo"
	)
	var out bytes.Buffer
	for {
		i := bytes.Index(svg, []byte("<image"))
		if i < 0 {
			out.Write(svg)
			return out.Bytes()
		}
		end := bytes.IndexByte(svg[i:], '>')
		if end < 0 {
			out.Write(svg)
			return out.Bytes()
		}
		elem := svg[i : i+end+1]
		out.Write(svg[:i])
		fixed := string(elem)
		if !strings.Contains(fixed, "preserveAspectRatio") {
			fixed = strings.Replace(fixed, "<image", `<image preserveAspectRatio="none"`, 1)
		}
		fixed = strings.Replace(fixed, jpgData+pngBase64, "data:image/png;base64,"+pngBase64, 1)
		out.WriteString(fixed)
		svg = svg[i+end+1:]
	}
}
