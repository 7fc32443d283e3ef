package viz

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"

	"qkv/tensor"
)

// Report is a self-contained HTML page: inline CSS, figures embedded as
// inline SVG, no scripts and no network requests. Its print style sheet
// targets A4 paper: figures scale to the page width and no figure or
// table is split across pages.
type Report struct {
	Title    string
	Intro    []string // paragraphs under the title
	Sections []Section
}

// Section is one headed part of a Report. Its parts appear in the order
// paragraphs, preformatted text, matrices, figures.
type Section struct {
	Heading    string
	Paragraphs []string
	// Pre is shown in a monospaced block, e.g. a shape table; empty omits
	// it.
	Pre      string
	Matrices []MatrixTable
	Figures  []Figure
	// FiguresPerRow places up to this many figures side by side, each
	// scaled to its share of the page width; 0 or 1 gives each figure the
	// full width.
	FiguresPerRow int
	// PageBreak starts the section on a new page when printed.
	PageBreak bool
}

// MatrixTable is a matrix shown as an HTML table with coloured cells. A
// matrix with more than 48 rows or 16 columns is shown by its shape only.
type MatrixTable struct {
	Caption              string
	Values               *tensor.Matrix[float64]
	RowLabels, ColLabels []string // nil numbers rows or columns from 0
	// Scale colours the cells; nil selects SequentialFor(Values.Data).
	Scale *ColorScale
	// Precision is the number of digits after the decimal point; zero
	// selects 4.
	Precision int
}

// Limits on the matrices written as tables. Sixteen columns of four-decimal
// numbers fill the width of an A4 page, and 48 rows most of its height.
// Larger matrices appear only with their shape and in the figures.
const (
	maxHTMLTableCols = 16
	maxHTMLTableRows = 48
)

type htmlCell struct {
	Text  string
	Style template.CSS
}

type htmlTable struct {
	Caption   string
	Shape     string
	ColLabels []string
	Rows      []htmlRow
	Omitted   bool
}

type htmlRow struct {
	Label string
	Cells []htmlCell
}

type htmlSection struct {
	Heading    string
	Paragraphs []string
	Pre        string
	Tables     []htmlTable
	Figures    []template.HTML
	// FigureStyle sets the width of each figure.
	FigureStyle template.CSS
	PageBreak   bool
}

// WriteHTML renders the report to w. It renders every figure before
// writing anything, so an invalid figure leaves w untouched.
func (r *Report) WriteHTML(w io.Writer) error {
	data := struct {
		Title    string
		Intro    []string
		Sections []htmlSection
	}{Title: r.Title, Intro: r.Intro}
	for _, s := range r.Sections {
		hs := htmlSection{Heading: s.Heading, Paragraphs: s.Paragraphs, Pre: s.Pre, PageBreak: s.PageBreak}
		if s.FiguresPerRow > 1 {
			// Leave 1 % of the width per figure for the gaps between them.
			hs.FigureStyle = template.CSS(fmt.Sprintf("width:%d%%", 100/s.FiguresPerRow-1))
		}
		for _, m := range s.Matrices {
			t, err := m.table()
			if err != nil {
				return err
			}
			hs.Tables = append(hs.Tables, t)
		}
		for _, f := range s.Figures {
			svg, err := InlineSVG(f)
			if err != nil {
				return err
			}
			hs.Figures = append(hs.Figures, svg)
		}
		data.Sections = append(data.Sections, hs)
	}
	var buf bytes.Buffer
	if err := reportTemplate.Execute(&buf, data); err != nil {
		return fmt.Errorf("viz: render HTML report: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// InlineSVG renders f as SVG markup suitable for embedding in an HTML
// page: the XML declaration and comments before the <svg> element are
// removed.
func InlineSVG(f Figure) (template.HTML, error) {
	data, err := Render(f, SVG)
	if err != nil {
		return "", err
	}
	if i := bytes.Index(data, []byte("<svg")); i >= 0 {
		data = data[i:]
	}
	return template.HTML(data), nil
}

func (m MatrixTable) table() (htmlTable, error) {
	v := m.Values
	if v == nil {
		return htmlTable{}, fmt.Errorf("viz: matrix table %q has no values", m.Caption)
	}
	t := htmlTable{Caption: m.Caption, Shape: v.Shape().String()}
	if v.Rows > maxHTMLTableRows || v.Cols > maxHTMLTableCols {
		t.Omitted = true
		return t, nil
	}
	if m.RowLabels != nil && len(m.RowLabels) != v.Rows {
		return htmlTable{}, fmt.Errorf("viz: matrix table %q has %d row labels for %d rows", m.Caption, len(m.RowLabels), v.Rows)
	}
	if m.ColLabels != nil && len(m.ColLabels) != v.Cols {
		return htmlTable{}, fmt.Errorf("viz: matrix table %q has %d column labels for %d columns", m.Caption, len(m.ColLabels), v.Cols)
	}

	prec := m.Precision
	if prec == 0 {
		prec = 4
	}
	scale := SequentialFor(v.Data)
	if m.Scale != nil {
		scale = *m.Scale
	}

	rows := numberedOr(m.RowLabels, v.Rows)
	t.ColLabels = numberedOr(m.ColLabels, v.Cols)
	for i := 0; i < v.Rows; i++ {
		row := htmlRow{Label: rows[i]}
		for j := 0; j < v.Cols; j++ {
			x := v.At(i, j)
			bg := scale.At(x)
			fg := textColor(bg)
			style := fmt.Sprintf("background-color:#%02x%02x%02x;color:#%02x%02x%02x", bg.R, bg.G, bg.B, fg.R, fg.G, fg.B)
			text := formatNumber(x, prec)
			if math.IsInf(x, -1) {
				text = "−∞"
			}
			// The style string is built from numbers only, so it is safe CSS.
			row.Cells = append(row.Cells, htmlCell{Text: text, Style: template.CSS(style)})
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

var reportTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: "Liberation Sans", Arial, Helvetica, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #111; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.3rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; }
pre { background: #f6f6f6; padding: 0.6rem; overflow-x: auto; font-size: 0.85rem; }
table.matrix { border-collapse: collapse; margin: 0.4rem 1.2rem 1rem 0; display: inline-table; vertical-align: top; font-variant-numeric: tabular-nums; font-size: 0.85rem; }
table.matrix caption { text-align: left; font-weight: bold; padding-bottom: 0.2rem; }
table.matrix th { font-weight: normal; color: #444; padding: 0.15rem 0.4rem; }
table.matrix td { padding: 0.15rem 0.5rem; text-align: right; border: 1px solid #fff; }
figure { margin: 1rem 0; break-inside: avoid; page-break-inside: avoid; }
figure svg { width: 100%; height: auto; display: block; }
figure.part { display: inline-block; vertical-align: top; margin: 0.5rem 0; }
.shape { color: #555; font-weight: normal; }
@media print {
  @page { size: A4; margin: 14mm; }
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  section { break-inside: avoid; page-break-inside: avoid; }
  section.break { break-before: page; page-break-before: always; }
  table.matrix, pre { break-inside: avoid; page-break-inside: avoid; }
  /* Paper has no scrollbar: set wide text small enough that about 125
     columns fit the 182 mm of an A4 line, and wrap what is still wider. */
  pre { overflow: visible; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 6.5pt; line-height: 1.3; }
  td { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{range .Intro}}<p>{{.}}</p>
{{end}}
{{- range .Sections}}
<section{{if .PageBreak}} class="break"{{end}}>
<h2>{{.Heading}}</h2>
{{range .Paragraphs}}<p>{{.}}</p>
{{end}}
{{- if .Pre}}<pre>{{.Pre}}</pre>
{{end}}
{{- range .Tables}}
<table class="matrix">
<caption>{{.Caption}} <span class="shape">{{.Shape}}</span></caption>
{{- if .Omitted}}
<tr><td>(too large to list on a page; see the figures)</td></tr>
{{- else}}
<tr><th></th>{{range .ColLabels}}<th>{{.}}</th>{{end}}</tr>
{{- range .Rows}}
<tr><th>{{.Label}}</th>{{range .Cells}}<td style="{{.Style}}">{{.Text}}</td>{{end}}</tr>
{{- end}}
{{- end}}
</table>
{{- end}}
{{$style := .FigureStyle}}{{range .Figures}}<figure{{if $style}} class="part" style="{{$style}}"{{end}}>{{.}}</figure>
{{end}}
</section>
{{- end}}
</body>
</html>
`))
