package viz

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot/vg"

	"qkv/tensor"
)

// pixelsPerInch converts page inches to PNG pixels.
const pixelsPerInch = PNGDPI

func decodePNG(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode PNG: %v", err)
	}
	return img
}

// centroid returns the mean position of the pixels in img whose colour is
// exactly want, looking only at x < maxX, and how many there are.
func centroid(img image.Image, want color.NRGBA, maxX int) (x, y float64, n int) {
	b := img.Bounds()
	for py := b.Min.Y; py < b.Max.Y; py++ {
		for px := b.Min.X; px < min(b.Max.X, maxX); px++ {
			got := color.NRGBAModel.Convert(img.At(px, py)).(color.NRGBA)
			if got == want {
				x += float64(px)
				y += float64(py)
				n++
			}
		}
	}
	if n > 0 {
		x /= float64(n)
		y /= float64(n)
	}
	return x, y, n
}

func TestHeatmapPNGSize(t *testing.T) {
	h := &Heatmap{Values: tensor.Identity[float64](4, 1), Width: 5 * vg.Inch, Height: 4 * vg.Inch}
	img := decodePNG(t, mustRender(t, h, PNG))
	if got, want := img.Bounds().Dx(), 5*pixelsPerInch; got != want {
		t.Errorf("width = %d px, want %d", got, want)
	}
	if got, want := img.Bounds().Dy(), 4*pixelsPerInch; got != want {
		t.Errorf("height = %d px, want %d", got, want)
	}
}

func mustRender(t *testing.T, f Figure, format Format) []byte {
	t.Helper()
	data, err := Render(f, format)
	if err != nil {
		t.Fatalf("Render(%s): %v", format, err)
	}
	return data
}

// TestHeatmapHottestCellTopRight puts the largest weight in row 0, last
// column, and a middle weight in the last row, first column, then finds
// both colours in the PNG.
func TestHeatmapHottestCellTopRight(t *testing.T) {
	for _, n := range []int{4, 100} { // vector cells, then a raster image
		m := tensor.New[float64](n, n)
		m.Set(0, n-1, 1)
		m.Set(n-1, 0, 0.5)
		scale := WeightScale()
		h := &Heatmap{Values: m, Scale: &scale}
		img := decodePNG(t, mustRender(t, h, PNG))

		// Leave out the colour bar strip on the right.
		heatRight := img.Bounds().Dx() - pixelsPerInch*9/10
		hx, hy, hn := centroid(img, scale.At(1), heatRight)
		mx, my, mn := centroid(img, scale.At(0.5), heatRight)
		if hn == 0 || mn == 0 {
			t.Fatalf("n=%d: found %d pixels of the hottest colour and %d of the middle colour, want both > 0", n, hn, mn)
		}
		if hy >= my {
			t.Errorf("n=%d: hottest cell (row 0) centred at y=%.0f, not above the row-%d cell at y=%.0f: row 0 must be the top row", n, hy, n-1, my)
		}
		if hx <= mx {
			t.Errorf("n=%d: hottest cell (last column) centred at x=%.0f, not right of the column-0 cell at x=%.0f", n, hx, mx)
		}
		if hy > float64(img.Bounds().Dy())/2 {
			t.Errorf("n=%d: hottest cell centred at y=%.0f, in the lower half of a %d px image", n, hy, img.Bounds().Dy())
		}
	}
}

func TestHeatmapSVGHasLabels(t *testing.T) {
	tokens := []string{"the", "cat", "sat", "down"}
	h := &Heatmap{
		Title: "weights", Values: tensor.Identity[float64](4, 1),
		RowLabels: tokens, ColLabels: tokens,
		XLabel: "key (to)", YLabel: "query (from)",
	}
	svg := string(mustRender(t, h, SVG))
	for _, want := range append([]string{"weights", "key (to)", "query (from)"}, tokens...) {
		if !strings.Contains(svg, ">"+want+"<") {
			t.Errorf("SVG has no text element %q", want)
		}
	}
	// Cell values appear for a 4×4 matrix.
	if !strings.Contains(svg, ">1<") {
		t.Errorf("SVG has no cell value 1")
	}
}

func TestHeatmapNoCellTextAboveLimit(t *testing.T) {
	n := MaxCellTextSize + 1
	m := tensor.New[float64](n, n)
	for i := range m.Data {
		m.Data[i] = 0.123
	}
	svg := string(mustRender(t, &Heatmap{Values: m}, SVG))
	if strings.Contains(svg, ">0.123<") {
		t.Errorf("a %d×%d heatmap has values written in its cells; the limit is %d", n, n, MaxCellTextSize)
	}
}

func TestHeatmapValidate(t *testing.T) {
	nan := tensor.Identity[float64](2, 1)
	nan.Set(1, 0, math.NaN())
	bad := ColorScale{Min: 1, Max: 1, Stops: sequentialStops}
	cases := []struct {
		name string
		h    Heatmap
		want string
	}{
		{"nil values", Heatmap{}, "no values"},
		{"empty", Heatmap{Values: tensor.New[float64](0, 3)}, "empty matrix"},
		{"NaN", Heatmap{Values: nan}, "NaN at row 1, column 0"},
		{"row labels", Heatmap{Values: tensor.Identity[float64](2, 1), RowLabels: []string{"a"}}, "1 row labels for 2 rows"},
		{"column labels", Heatmap{Values: tensor.Identity[float64](2, 1), ColLabels: []string{"a", "b", "c"}}, "3 column labels for 2 columns"},
		{"scale", Heatmap{Values: tensor.Identity[float64](2, 1), Scale: &bad}, "invalid colour scale"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.h.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, c.want)
			}
			if _, err := Render(&c.h, PNG); err == nil {
				t.Errorf("Render succeeded on an invalid heatmap")
			}
		})
	}
}

func TestHeatmapMaskedScores(t *testing.T) {
	m := tensor.MustFromRows([][]float64{{1, math.Inf(-1)}, {0.5, -0.5}})
	s := DivergingFor(m.Data)
	if s.Max != 1 || s.Min != -1 {
		t.Errorf("DivergingFor ignores -Inf: got [%v, %v], want [-1, 1]", s.Min, s.Max)
	}
	svg := string(mustRender(t, &Heatmap{Values: m, Scale: &s}, SVG))
	if !strings.Contains(svg, ">−∞<") {
		t.Errorf("SVG does not mark the masked cell −∞")
	}
}

func TestColorScale(t *testing.T) {
	seq := Sequential(0, 1)
	div := Diverging(2)
	cases := []struct {
		name  string
		scale ColorScale
		v     float64
		want  color.NRGBA
	}{
		{"sequential min", seq, 0, sequentialStops[0]},
		{"sequential max", seq, 1, sequentialStops[len(sequentialStops)-1]},
		{"sequential below", seq, -3, sequentialStops[0]},
		{"sequential above", seq, 7, sequentialStops[len(sequentialStops)-1]},
		{"diverging centre", div, 0, divergingStops[len(divergingStops)/2]},
		{"diverging strong", div, 2, divergingStops[len(divergingStops)-1]},
		{"diverging weak", div, -2, divergingStops[0]},
		{"masked", div, math.Inf(-1), MaskedColor},
	}
	for _, c := range cases {
		if got := c.scale.At(c.v); got != c.want {
			t.Errorf("%s: At(%v) = %v, want %v", c.name, c.v, got, c.want)
		}
	}
	if r := Diverging(2).At(1.5); !(r.R > r.B) {
		t.Errorf("diverging positive value %v is not red", r)
	}
	if b := Diverging(2).At(-1.5); !(b.B > b.R) {
		t.Errorf("diverging negative value %v is not blue", b)
	}
	if s := Diverging(0); s.Min != -1 || s.Max != 1 {
		t.Errorf("Diverging(0) = [%v, %v], want [-1, 1]", s.Min, s.Max)
	}
}

func TestRasterKeepsPeak(t *testing.T) {
	const n = 4096
	m := tensor.New[float64](n, n)
	m.Set(10, 4000, 1) // one peak, much smaller than a raster pixel's block
	scale := WeightScale()
	img := Raster(m, scale)
	if img.Bounds().Dx() != maxRasterSide || img.Bounds().Dy() != maxRasterSide {
		t.Fatalf("raster of a %d×%d matrix is %v, want %d×%d", n, n, img.Bounds().Size(), maxRasterSide, maxRasterSide)
	}
	blockRow, blockCol := 10*maxRasterSide/n, 4000*maxRasterSide/n
	if got := img.NRGBAAt(blockCol, blockRow); got != scale.At(1) {
		t.Errorf("pixel (%d, %d) = %v, want the peak colour %v", blockCol, blockRow, got, scale.At(1))
	}
	if got := img.NRGBAAt(0, 0); got != scale.At(0) {
		t.Errorf("pixel (0, 0) = %v, want the colour of 0 %v", got, scale.At(0))
	}
}

func TestRasterEnlargesSmall(t *testing.T) {
	m := tensor.MustFromRows([][]float64{{0, 1}, {1, 0}})
	img := Raster(m, WeightScale())
	if img.Bounds().Dx() < minRasterSide || img.Bounds().Dy() < minRasterSide {
		t.Fatalf("raster of a 2×2 matrix is %v, want at least %d per side", img.Bounds().Size(), minRasterSide)
	}
	// Row 0 is at the top: the top-left pixel shows m[0][0] = 0.
	if got, want := img.NRGBAAt(0, 0), WeightScale().At(0); got != want {
		t.Errorf("top-left pixel = %v, want %v", got, want)
	}
	if got, want := img.NRGBAAt(img.Bounds().Dx()-1, 0), WeightScale().At(1); got != want {
		t.Errorf("top-right pixel = %v, want %v", got, want)
	}
}

// TestHeatmapLarge renders a 4096×4096 matrix; it must take seconds, not
// minutes, because the matrix is drawn as one bounded raster.
func TestHeatmapLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a 4096×4096 matrix")
	}
	const n = 4096
	m := tensor.New[float64](n, n)
	for i := 0; i < n; i++ {
		m.Set(i, (i*7)%n, 1)
	}
	labels := make([]string, n)
	for i := range labels {
		labels[i] = "E " + string(rune('0'+i%10))
	}
	start := time.Now()
	for _, f := range []Format{PNG, SVG} {
		data := mustRender(t, &Heatmap{Values: m, RowLabels: labels, ColLabels: labels}, f)
		if len(data) == 0 {
			t.Fatalf("empty %s output", f)
		}
	}
	t.Logf("rendered %d×%d as PNG and SVG in %v", n, n, time.Since(start))
}

func TestAttentionFigureMultiHead(t *testing.T) {
	tokens := []string{"a", "b", "c"}
	w := tensor.MustFromRows([][]float64{{0.2, 0.3, 0.5}, {1, 0, 0}, {0, 1, 0}})
	f := &AttentionFigure{
		Title:  "two heads",
		Tokens: tokens,
		Heads: []HeadMatrices{
			{Name: "head 0", Scores: w, Weights: w, Output: w},
			{Name: "head 1", Weights: w},
		},
	}
	img := decodePNG(t, mustRender(t, f, PNG))
	pw, ph := f.panelSize()
	wantW := int(math.Round(float64(3*pw) / float64(vg.Inch) * pixelsPerInch))
	wantH := int(math.Round(float64(2*ph+titleHeight) / float64(vg.Inch) * pixelsPerInch))
	if img.Bounds().Dx() != wantW || img.Bounds().Dy() != wantH {
		t.Errorf("figure is %v px, want %d×%d (3 panels wide, 2 heads high)", img.Bounds().Size(), wantW, wantH)
	}
	svg := string(mustRender(t, f, SVG))
	for _, want := range []string{"scores S, head 0", "weights A = softmax(S), head 1", "output dimension", "key (to)"} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
}

func TestAttentionFigureErrors(t *testing.T) {
	w := tensor.Identity[float64](2, 1)
	cases := []struct {
		name string
		f    AttentionFigure
		want string
	}{
		{"no heads", AttentionFigure{}, "no heads"},
		{"empty head", AttentionFigure{Heads: []HeadMatrices{{}}}, "no matrices"},
		{"token count", AttentionFigure{Tokens: []string{"a"}, Heads: []HeadMatrices{{Weights: w}}}, "1 row labels for 2 rows"},
		{"shape mismatch", AttentionFigure{Heads: []HeadMatrices{{Scores: w, Weights: tensor.Identity[float64](3, 1)}}}, "same shape"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Render(&c.f, SVG)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Render() error = %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"png", "SVG", "pdf"} {
		if _, err := ParseFormat(s); err != nil {
			t.Errorf("ParseFormat(%q): %v", s, err)
		}
	}
	if _, err := ParseFormat("gif"); err == nil || !strings.Contains(err.Error(), `"gif"`) {
		t.Errorf("ParseFormat(gif) error = %v, want one naming gif", err)
	}
}

func TestRenderPDF(t *testing.T) {
	data := mustRender(t, &Heatmap{Values: tensor.Identity[float64](3, 1)}, PDF)
	if !bytes.HasPrefix(data, []byte("%PDF")) {
		t.Errorf("PDF output starts with %q", data[:min(8, len(data))])
	}
}

func TestLineChart(t *testing.T) {
	k := []float64{1, 2, 3, 4, 5}
	reach := []float64{2, 4, 7, 15, 30}
	pow := []float64{2, 4, 8, 16, 32}
	chart := &LineChart{
		Title: "reach per layer", XLabel: "layer", YLabel: "vertices reached",
		Series: []Series{{Name: "measured", X: k, Y: reach, Points: true}, {Name: "2^k", X: k, Y: pow, Dashed: true}},
		LogY:   true,
	}
	svg := string(mustRender(t, chart, SVG))
	for _, want := range []string{"reach per layer", "layer", "vertices reached", "measured", "2^k"} {
		if !strings.Contains(svg, ">"+want+"<") {
			t.Errorf("SVG lacks the text %q", want)
		}
	}
	img := decodePNG(t, mustRender(t, chart, PNG))
	if img.Bounds().Dx() != 6*pixelsPerInch || img.Bounds().Dy() != 4*pixelsPerInch {
		t.Errorf("PNG is %v, want %d×%d", img.Bounds().Size(), 6*pixelsPerInch, 4*pixelsPerInch)
	}
	_, _, n := centroid(img, lineColors[0], img.Bounds().Dx())
	if n == 0 {
		t.Errorf("no pixel has the colour of the first series")
	}
}

func TestLineChartErrors(t *testing.T) {
	cases := []struct {
		name  string
		chart LineChart
		want  string
	}{
		{"no series", LineChart{}, "no series"},
		{"length mismatch", LineChart{Series: []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{1}}}}, "2 x values and 1 y values"},
		{"empty", LineChart{Series: []Series{{Name: "a"}}}, "no points"},
		{"NaN", LineChart{Series: []Series{{Name: "a", X: []float64{1}, Y: []float64{math.NaN()}}}}, "finite"},
		{"log of zero", LineChart{LogY: true, Series: []Series{{Name: "a", X: []float64{1}, Y: []float64{0}}}}, "positive"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Render(&c.chart, PNG)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Render() error = %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestNiceTicks(t *testing.T) {
	cases := []struct {
		lo, hi float64
		want   []string
	}{
		{0, 1, []string{"0", "0.2", "0.4", "0.6", "0.8", "1"}},
		{-4, 4, []string{"-4", "-2", "0", "2", "4"}},
		{-0.948, 0.948, []string{"-0.5", "0", "0.5"}},
		{2, 32, []string{"10", "20", "30"}},
		{-math.MaxFloat64, math.MaxFloat64, []string{"-1e+308", "0", "1e+308"}},
		{1, 1, nil},
	}
	for _, c := range cases {
		var got []string
		for _, tk := range (niceTicker{}).Ticks(c.lo, c.hi) {
			got = append(got, tk.Label)
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") || len(got) != len(c.want) {
			t.Errorf("Ticks(%v, %v) = %v, want %v", c.lo, c.hi, got, c.want)
		}
	}
}

func TestSequentialWidensEmptyRange(t *testing.T) {
	for _, v := range []float64{0, -3, 1e20, math.MaxFloat64, -math.MaxFloat64} {
		s := Sequential(v, v)
		if !s.valid() {
			t.Errorf("Sequential(%v, %v) = [%v, %v] is not a valid scale", v, v, s.Min, s.Max)
		}
		if v < s.Min || v > s.Max {
			t.Errorf("Sequential(%v, %v) = [%v, %v] does not contain %v", v, v, s.Min, s.Max, v)
		}
	}
}

func TestReportErrors(t *testing.T) {
	nan := tensor.MustFromRows([][]float64{{math.NaN()}})
	cases := []struct {
		name    string
		section Section
		want    string
	}{
		{"nil matrix", Section{Matrices: []MatrixTable{{Caption: "A"}}}, `"A" has no values`},
		{"row labels", Section{Matrices: []MatrixTable{{Caption: "A", Values: tensor.Identity[float64](2, 1), RowLabels: []string{"a"}}}}, "1 row labels for 2 rows"},
		{"bad figure", Section{Figures: []Figure{&Heatmap{Values: nan}}}, "NaN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			err := (&Report{Title: "r", Sections: []Section{c.section}}).WriteHTML(&b)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("WriteHTML error = %v, want one containing %q", err, c.want)
			}
			if b.Len() != 0 {
				t.Errorf("WriteHTML wrote %d bytes despite the error", b.Len())
			}
		})
	}
}

func TestReportEscapesText(t *testing.T) {
	var b bytes.Buffer
	r := &Report{Title: "<script>x</script>", Sections: []Section{{Heading: "a & b", Pre: "<b>"}}}
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Contains(page, "<script>") || strings.Contains(page, "<b>") {
		t.Errorf("report does not escape its text:\n%s", page)
	}
	if !strings.Contains(page, "a &amp; b") {
		t.Errorf("heading not escaped as a &amp; b")
	}
}

func TestReportOmitsLargeTables(t *testing.T) {
	var b bytes.Buffer
	m := tensor.New[float64](100, 100)
	r := &Report{Sections: []Section{{Matrices: []MatrixTable{{Caption: "A", Values: m}}}}}
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "<td"); n > 1 {
		t.Errorf("a 100×100 table wrote %d cells, want it summarised", n)
	}
	if !strings.Contains(b.String(), "[100×100]") {
		t.Errorf("the summarised table does not give its shape")
	}
}

func TestSVGImagesFillTheirBox(t *testing.T) {
	m := tensor.New[float64](200, 30) // more than maxVectorCells, so a raster
	svg := string(mustRender(t, &Heatmap{Values: m}, SVG))
	images := strings.Count(svg, "<image ")
	if images != 1 { // the raster; the colour bar is vector bands
		t.Fatalf("SVG has %d <image> elements, want 1", images)
	}
	if n := strings.Count(svg, `<image preserveAspectRatio="none" `); n != images {
		t.Errorf("%d of %d images keep their own aspect ratio", images-n, images)
	}
	if strings.Contains(svg, "image/jpg") {
		t.Errorf("SVG labels PNG data as image/jpg")
	}
	if !strings.Contains(svg, "data:image/png;base64,") {
		t.Errorf("SVG has no image labelled image/png")
	}
}

func TestColorBarHasNoImage(t *testing.T) {
	for _, format := range []Format{SVG, PDF} {
		data := mustRender(t, &Heatmap{Values: tensor.Identity[float64](3, 1)}, format)
		if format == SVG && bytes.Contains(data, []byte("<image")) {
			t.Errorf("SVG of a 3×3 heatmap embeds an image; its colour bar must be vector bands")
		}
		if format == PDF && bytes.Contains(data, []byte("/Subtype /Image")) {
			t.Errorf("PDF of a 3×3 heatmap embeds an image; its colour bar must be vector bands")
		}
	}
}

func TestFixSVGImagesKeepsFixedElements(t *testing.T) {
	in := []byte(`<svg><image x="1" xlink:href="data:image/jpg;base64,iVBORw0KGgoAAA"/><image preserveAspectRatio="xMidYMid" xlink:href="data:image/jpg;base64,/9j/4AAQ"/></svg>`)
	want := `<svg><image preserveAspectRatio="none" x="1" xlink:href="data:image/png;base64,iVBORw0KGgoAAA"/><image preserveAspectRatio="xMidYMid" xlink:href="data:image/jpg;base64,/9j/4AAQ"/></svg>`
	got := fixSVGImages(in)
	if string(got) != want {
		t.Errorf("fixSVGImages =\n%s\nwant\n%s", got, want)
	}
	if again := fixSVGImages(got); !bytes.Equal(again, got) {
		t.Errorf("fixSVGImages changed its own output:\n%s", again)
	}
}

func TestRenderPDFDeterministic(t *testing.T) {
	// Two rasters and several fonts give the PDF writer maps to iterate.
	big := tensor.New[float64](70, 70)
	for i := range big.Data {
		big.Data[i] = float64(i % 13)
	}
	fig := &AttentionFigure{Title: "pdf", Heads: []HeadMatrices{{Scores: big, Weights: big}}}
	first := mustRender(t, fig, PDF)
	for range 3 {
		if again := mustRender(t, fig, PDF); !bytes.Equal(again, first) {
			t.Fatalf("two PDF renders of one figure differ")
		}
	}
	if !bytes.Contains(first, []byte("/CreationDate (D:20000101")) {
		t.Errorf("PDF does not carry the fixed creation date 2000-01-01")
	}
}

// TestHeatmapTitleClearsCells finds the top edge of a heatmap whose cells
// are all dark and counts the white pixel rows between it and the title
// above it.
func TestHeatmapTitleClearsCells(t *testing.T) {
	const minGapPixels = 8 // 0.055 inch at 144 dpi
	m := tensor.New[float64](3, 3)
	for i := range m.Data {
		m.Data[i] = 1
	}
	scale := WeightScale()
	h := &Heatmap{Title: "gyp jq", Values: m, Scale: &scale, CellText: CellTextNever}
	img := decodePNG(t, mustRender(t, h, PNG))
	dark := scale.At(1)
	cx, cy, n := centroid(img, dark, img.Bounds().Dx()*3/4)
	if n == 0 {
		t.Fatal("no cell pixels found")
	}
	top := int(cy)
	for top > 0 && color.NRGBAModel.Convert(img.At(int(cx), top-1)).(color.NRGBA) == dark {
		top--
	}
	// Find the left and right edges of the cells on that row.
	left, right := int(cx), int(cx)
	for left > 0 && color.NRGBAModel.Convert(img.At(left-1, top)).(color.NRGBA) == dark {
		left--
	}
	for right < img.Bounds().Max.X-1 && color.NRGBAModel.Convert(img.At(right+1, top)).(color.NRGBA) == dark {
		right++
	}
	// Skip up to two anti-aliased rows at the cells' edge.
	gap := 0
	for y := top - 3; y >= 0; y-- {
		blank := true
		// Skip the border column on each side, drawn by the axes.
		for x := left + 3; x <= right-3; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || b < 0xf000 {
				blank = false
				break
			}
		}
		if !blank {
			break
		}
		gap++
	}
	if gap < minGapPixels {
		t.Errorf("title ends %d pixel rows above the cells, want at least %d", gap, minGapPixels)
	}
}

func TestColorBarTicksShareFormat(t *testing.T) {
	labels := func(s ColorScale, decimals int) string {
		var out []string
		for _, tk := range colorBarTicks(s, decimals) {
			out = append(out, tk.Label)
		}
		return strings.Join(out, " ")
	}
	unit := ColorScale{Min: 0, Max: 1, Stops: WeightScale().Stops}
	if got, want := labels(unit, -1), "0.0 0.2 0.4 0.6 0.8 1.0"; got != want {
		t.Errorf("ticks of [0, 1] = %q, want %q", got, want)
	}
	wide := ColorScale{Min: -4, Max: 4, Stops: WeightScale().Stops}
	if got, want := labels(wide, -1), "-4 -2 0 2 4"; got != want {
		t.Errorf("ticks of [-4, 4] = %q, want %q", got, want)
	}

	a := &Heatmap{Values: tensor.New[float64](2, 2), Scale: &unit}
	b := &Heatmap{Values: tensor.New[float64](2, 2), Scale: &wide}
	unifyTickDecimals([]*Heatmap{a, b})
	if got, want := labels(wide, b.tickDecimals), "-4.0 -2.0 0.0 2.0 4.0"; !b.fixedDecimals || got != want {
		t.Errorf("ticks of [-4, 4] beside [0, 1] = %q, want %q", got, want)
	}
}

// TestHeatmapSharpRowsPeakOnTargets draws the weights of the sharp
// attention example, where row i puts 0.9479 on column target[i]. It
// finds each row's peak cell in the PNG, and the peaks must appear top to
// bottom in row order, each in its target's column.
func TestHeatmapSharpRowsPeakOnTargets(t *testing.T) {
	targets := []int{1, 2, 1, 2}
	const peak, rest = 0.9479, 0.0174
	m := tensor.New[float64](4, 4)
	for i, target := range targets {
		for j := range 4 {
			m.Set(i, j, rest)
		}
		m.Set(i, target, peak)
	}
	scale := WeightScale()
	h := &Heatmap{Values: m, Scale: &scale, CellText: CellTextNever}
	img := decodePNG(t, mustRender(t, h, PNG))

	// The peak cells span the heat area from the top row to the bottom
	// row, so the first and last pixel rows with the peak colour bound it.
	want := scale.At(peak)
	heatRight := img.Bounds().Dx() - pixelsPerInch*9/10
	isPeak := func(x, y int) bool {
		return color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA) == want
	}
	top, bottom := -1, -1
	for y := 0; y < img.Bounds().Dy(); y++ {
		for x := 0; x < heatRight; x++ {
			if isPeak(x, y) {
				if top < 0 {
					top = y
				}
				bottom = y
				break
			}
		}
	}
	if top < 0 {
		t.Fatal("no pixel has the colour of the peak weight")
	}

	// Find the centre column of the peak pixels in the middle half of
	// each row's band.
	rowHeight := (bottom - top + 1) / len(targets)
	var centres []float64
	for i := range targets {
		lo, hi := top+i*rowHeight, top+(i+1)*rowHeight
		xSum, n := 0, 0
		for y := lo + rowHeight/4; y < hi-rowHeight/4; y++ {
			for x := 0; x < heatRight; x++ {
				if isPeak(x, y) {
					xSum += x
					n++
				}
			}
		}
		if n == 0 {
			t.Fatalf("row %d has no peak-coloured pixel", i)
		}
		centres = append(centres, float64(xSum)/float64(n))
	}
	colWidth := math.Abs(centres[1] - centres[0]) // targets 1 and 2 are one column apart
	for i, target := range targets {
		offset := (centres[i] - centres[0]) / colWidth
		if got, want := math.Round(offset)+float64(targets[0]), float64(target); got != want {
			t.Errorf("row %d peaks in column %v, want %v (centre x = %.0f)", i, got, want, centres[i])
		}
	}
}
