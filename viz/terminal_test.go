package viz

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"qkv/tensor"
)

func TestWriteMatrixPlain(t *testing.T) {
	m := tensor.MustFromRows([][]float64{{0.5, -0.25}, {math.Inf(-1), math.Copysign(0, -1)}})
	var b bytes.Buffer
	err := WriteMatrix(&b, m, TableOptions{Title: "S", RowLabels: []string{"the", "cat"}, ColLabels: []string{"the", "cat"}, Precision: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := "S [2×2]\n" +
		"       the    cat\n" +
		"the   0.50  -0.25\n" +
		"cat   -inf   0.00\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestWriteMatrixColor(t *testing.T) {
	m := tensor.MustFromRows([][]float64{{0, 1}})
	scale := WeightScale()
	var b bytes.Buffer
	if err := WriteMatrix(&b, m, TableOptions{Color: true, Scale: &scale}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	hot := scale.At(1)
	wantHot := "\x1b[48;2;127;0;0m"
	if hot.R != 127 || hot.G != 0 || hot.B != 0 {
		t.Fatalf("test expects the top of the weight scale to be #7f0000, got %v", hot)
	}
	if !strings.Contains(out, wantHot) {
		t.Errorf("output lacks the background escape %q for 1: %q", wantHot, out)
	}
	if !strings.Contains(out, "\x1b[38;2;255;255;255m") {
		t.Errorf("the dark cell does not use white text: %q", out)
	}
	if strings.Count(out, "\x1b[0m") != 2 {
		t.Errorf("want one reset per cell (2), got %d: %q", strings.Count(out, "\x1b[0m"), out)
	}
}

func TestWriteMatrixTruncates(t *testing.T) {
	m := tensor.New[float64](40, 30)
	var b bytes.Buffer
	if err := WriteMatrix(&b, m, TableOptions{MaxRows: 3, MaxCols: 2}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 6 { // header, 3 rows, ⋮, summary
		t.Errorf("got %d lines, want 6:\n%s", len(lines), out)
	}
	if !strings.Contains(out, "(showing 3 of 40 rows and 2 of 30 columns)") {
		t.Errorf("no truncation summary:\n%s", out)
	}
	if !strings.HasSuffix(lines[1], "…") {
		t.Errorf("row line does not end with …: %q", lines[1])
	}
}

func TestWriteMatrixLabelErrors(t *testing.T) {
	m := tensor.New[float64](2, 2)
	var b bytes.Buffer
	if err := WriteMatrix(&b, m, TableOptions{RowLabels: []string{"a"}}); err == nil || !strings.Contains(err.Error(), "1 row labels for 2 rows") {
		t.Errorf("row label mismatch: err = %v", err)
	}
	if err := WriteMatrix(&b, m, TableOptions{ColLabels: []string{"a", "b", "c"}}); err == nil || !strings.Contains(err.Error(), "3 column labels for 2 columns") {
		t.Errorf("column label mismatch: err = %v", err)
	}
	if err := WriteMatrix(&b, nil, TableOptions{}); err == nil {
		t.Errorf("nil matrix accepted")
	}
	if b.Len() != 0 {
		t.Errorf("wrote %q despite errors", b.String())
	}
}
