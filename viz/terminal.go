package viz

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"qkv/tensor"
)

// TableOptions configures WriteMatrix.
type TableOptions struct {
	// Title is printed on its own line above the table, followed by the
	// shape; empty prints no title line.
	Title string
	// RowLabels and ColLabels head the rows and columns; nil numbers them
	// from 0.
	RowLabels, ColLabels []string
	// Precision is the number of digits after the decimal point; zero
	// selects 4.
	Precision int
	// Color writes each cell on a 24-bit ANSI background coloured by
	// Scale. Use it only when the output is a terminal that accepts
	// colour (see NO_COLOR).
	Color bool
	// Scale colours the cells when Color is set; nil selects
	// SequentialFor(m.Data).
	Scale *ColorScale
	// MaxRows and MaxCols limit the rows and columns printed; zero means
	// no limit. A larger matrix prints its top-left corner, with "…" in
	// place of the rest and a line saying how much was left out.
	MaxRows, MaxCols int
}

// WriteMatrix prints m [rows×cols] as an aligned table with labelled rows
// and columns.
func WriteMatrix(w io.Writer, m *tensor.Matrix[float64], opts TableOptions) error {
	if m == nil {
		return fmt.Errorf("viz: WriteMatrix needs a matrix")
	}
	if opts.RowLabels != nil && len(opts.RowLabels) != m.Rows {
		return fmt.Errorf("viz: %d row labels for %d rows", len(opts.RowLabels), m.Rows)
	}
	if opts.ColLabels != nil && len(opts.ColLabels) != m.Cols {
		return fmt.Errorf("viz: %d column labels for %d columns", len(opts.ColLabels), m.Cols)
	}
	prec := opts.Precision
	if prec == 0 {
		prec = 4
	}
	rows, cols := m.Rows, m.Cols
	if opts.MaxRows > 0 {
		rows = min(rows, opts.MaxRows)
	}
	if opts.MaxCols > 0 {
		cols = min(cols, opts.MaxCols)
	}
	rowLabels := numberedOr(opts.RowLabels, m.Rows)[:rows]
	colLabels := numberedOr(opts.ColLabels, m.Cols)[:cols]
	scale := SequentialFor(m.Data)
	if opts.Scale != nil {
		scale = *opts.Scale
	}

	cells := make([]string, rows*cols)
	width := 1
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			c := formatNumber(m.At(i, j), prec)
			cells[i*cols+j] = c
			width = max(width, utf8.RuneCountInString(c))
		}
	}
	for _, l := range colLabels {
		width = max(width, utf8.RuneCountInString(l))
	}
	labelWidth := 0
	for _, l := range rowLabels {
		labelWidth = max(labelWidth, utf8.RuneCountInString(l))
	}

	var b strings.Builder
	if opts.Title != "" {
		fmt.Fprintf(&b, "%s %v\n", opts.Title, m.Shape())
	}
	b.WriteString(pad("", labelWidth))
	for _, l := range colLabels {
		b.WriteString("  ")
		b.WriteString(padLeft(l, width))
	}
	if cols < m.Cols {
		b.WriteString("  …")
	}
	b.WriteString("\n")
	for i := 0; i < rows; i++ {
		b.WriteString(pad(rowLabels[i], labelWidth))
		for j := 0; j < cols; j++ {
			cell := padLeft(cells[i*cols+j], width)
			if opts.Color {
				bg := scale.At(m.At(i, j))
				fg := textColor(bg)
				fmt.Fprintf(&b, " \x1b[48;2;%d;%d;%dm\x1b[38;2;%d;%d;%dm %s\x1b[0m", bg.R, bg.G, bg.B, fg.R, fg.G, fg.B, cell)
			} else {
				b.WriteString("  ")
				b.WriteString(cell)
			}
		}
		if cols < m.Cols {
			b.WriteString("  …")
		}
		b.WriteString("\n")
	}
	if rows < m.Rows {
		b.WriteString(pad("⋮", labelWidth))
		b.WriteString("\n")
	}
	if rows < m.Rows || cols < m.Cols {
		fmt.Fprintf(&b, "(showing %d of %d rows and %d of %d columns)\n", rows, m.Rows, cols, m.Cols)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func numberedOr(labels []string, n int) []string {
	if labels != nil {
		return labels
	}
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}

// formatNumber writes v with prec decimals, infinities as ±inf, and
// negative zero as 0.
func formatNumber(v float64, prec int) string {
	switch {
	case math.IsInf(v, -1):
		return "-inf"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsNaN(v):
		return "NaN"
	}
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-")
	}
	return s
}

func pad(s string, width int) string {
	return s + strings.Repeat(" ", max(0, width-utf8.RuneCountInString(s)))
}

func padLeft(s string, width int) string {
	return strings.Repeat(" ", max(0, width-utf8.RuneCountInString(s))) + s
}
