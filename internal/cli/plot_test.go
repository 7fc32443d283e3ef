package cli

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qkv/npy"
)

// writePlotNPY writes data with the given shape to dir/name.
func writePlotNPY(t *testing.T, dir, name string, shape []int, data any) {
	t.Helper()
	b, err := npy.Marshal(shape, data)
	if err != nil {
		t.Fatalf("encode %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// sharpArrays writes the sharp demo's S, A and Z as qkv attend --out
// would: [1, 4, 4] scores and weights and a [4, 4] output.
func sharpArrays(t *testing.T, dir string) {
	t.Helper()
	c, err := sharpCase()
	if err != nil {
		t.Fatal(err)
	}
	writePlotNPY(t, dir, "scores.npy", []int{1, 4, 4}, c.Scores.Data)
	writePlotNPY(t, dir, "weights.npy", []int{1, 4, 4}, c.Weights.Data)
	writePlotNPY(t, dir, "output.npy", []int{4, 4}, c.Output.Data)
}

func TestPlotSingleHead(t *testing.T) {
	in := t.TempDir()
	sharpArrays(t, in)
	out := filepath.Join(t.TempDir(), "figs")
	code, _, errOut := runCLI(t, "plot", "--in", in, "--out", out, "--tokens", "the, cat,sat,down")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	svg, err := os.ReadFile(filepath.Join(out, "attention.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{">the<", ">cat<", ">sat<", ">down<", ">scores S<", ">output (output.npy)<"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("attention.svg lacks %s", want)
		}
	}
	data, err := os.ReadFile(filepath.Join(out, "attention.png"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(data)); err != nil {
		t.Errorf("attention.png: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "output.png")); !os.IsNotExist(err) {
		t.Errorf("one head wrote a separate output figure: %v", err)
	}
}

func TestPlotDefaultsToInputDir(t *testing.T) {
	in := t.TempDir()
	sharpArrays(t, in)
	code, _, errOut := runCLI(t, "plot", "--in", in, "--plot-format", "svg")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	svg, err := os.ReadFile(filepath.Join(in, "attention.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{">q0<", ">q3<", ">k0<", ">k3<"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("default label %s missing from attention.svg", want)
		}
	}
	if _, err := os.Stat(filepath.Join(in, "attention.png")); !os.IsNotExist(err) {
		t.Errorf("--plot-format svg also wrote a PNG: %v", err)
	}
}

func TestPlotMultiHead(t *testing.T) {
	in := t.TempDir()
	nq, nk := 3, 5
	scores := make([]float64, 2*nq*nk)
	weights := make([]float64, 2*nq*nk)
	for i := range weights {
		weights[i] = 1 / float64(nk)
		scores[i] = float64(i%7) - 3
	}
	scores[0] = math.Inf(-1) // a masked entry
	writePlotNPY(t, in, "scores.npy", []int{2, nq, nk}, scores)
	writePlotNPY(t, in, "weights.npy", []int{2, nq, nk}, weights)
	writePlotNPY(t, in, "output.npy", []int{nq, 6}, make([]float64, nq*6))
	code, _, errOut := runCLI(t, "plot", "--in", in, "--tokens", "a,b,c", "--key-tokens", "k0,k1,k2,k3,k4", "--plot-format", "svg")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	svg, err := os.ReadFile(filepath.Join(in, "attention.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"head 0", "head 1", ">k4<", ">a<", ">−∞<"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("attention.svg lacks %s", want)
		}
	}
	if _, err := os.Stat(filepath.Join(in, "output.svg")); err != nil {
		t.Errorf("several heads: output.svg: %v", err)
	}
}

func TestPlotMissingOutputIsNoted(t *testing.T) {
	in := t.TempDir()
	writePlotNPY(t, in, "weights.npy", []int{1, 2, 2}, []float64{0.5, 0.5, 0.1, 0.9})
	code, _, errOut := runCLI(t, "plot", "--in", in, "--plot-format", "png")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "output.npy not found") || !strings.Contains(errOut, "scores.npy not found") {
		t.Errorf("stderr does not note the missing arrays: %q", errOut)
	}
}

func TestPlotErrors(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		args  []string
		code  int
		want  string
	}{
		{"missing --in", nil, []string{"plot"}, exitUsage, "missing --in"},
		{"no arrays", func(t *testing.T, dir string) {}, nil, exitFailure, "lacks scores.npy, weights.npy, output.npy"},
		{"2-D scores", func(t *testing.T, dir string) {
			writePlotNPY(t, dir, "scores.npy", []int{7, 5}, make([]float64, 35))
		}, nil, exitFailure, "want [h, n_q, n_k]"},
		{"2-D weights beside 3-D scores", func(t *testing.T, dir string) {
			writePlotNPY(t, dir, "scores.npy", []int{1, 2, 2}, []float64{0, 0, 0, 0})
			writePlotNPY(t, dir, "weights.npy", []int{2, 2}, []float64{1, 0, 0, 1})
		}, nil, exitFailure, "weights.npy has shape [2 2]"},
		{"token count", sharpArrays, []string{"--tokens", "a,b"}, exitUsage, "--tokens has 2 labels"},
		{"key token count", sharpArrays, []string{"--key-tokens", "a"}, exitUsage, "--key-tokens has 1 labels"},
		{"key token per column", sharpArrays, []string{"--key-tokens", "a,b"}, exitUsage, "one label per key (column)"},
		{"NaN weight", func(t *testing.T, dir string) {
			writePlotNPY(t, dir, "weights.npy", []int{1, 2, 2}, []float64{0.5, 0.5, math.NaN(), 1})
		}, nil, exitFailure, "NaN at [0, 1, 0]"},
		{"-inf weight", func(t *testing.T, dir string) {
			writePlotNPY(t, dir, "weights.npy", []int{1, 1, 2}, []float64{math.Inf(-1), 1})
		}, nil, exitFailure, "-Inf at [0, 0, 0]"},
		{"shape mismatch", func(t *testing.T, dir string) {
			writePlotNPY(t, dir, "scores.npy", []int{1, 2, 2}, []float64{0, 0, 0, 0})
			writePlotNPY(t, dir, "weights.npy", []int{1, 2, 3}, make([]float64, 6))
		}, nil, exitFailure, "same run"},
		{"output rows", func(t *testing.T, dir string) {
			writePlotNPY(t, dir, "weights.npy", []int{1, 2, 2}, []float64{1, 0, 0, 1})
			writePlotNPY(t, dir, "output.npy", []int{3, 2}, make([]float64, 6))
		}, nil, exitFailure, "n_q = 2"},
		{"integer array", func(t *testing.T, dir string) {
			writePlotNPY(t, dir, "weights.npy", []int{1, 1, 2}, []int64{1, 0})
		}, nil, exitFailure, "expected float32 or float64"},
		{"4-D array", func(t *testing.T, dir string) {
			writePlotNPY(t, dir, "weights.npy", []int{1, 1, 1, 2}, []float64{1, 0})
		}, nil, exitFailure, "want [h, n_q, n_k]"},
		{"empty dimension", func(t *testing.T, dir string) {
			writePlotNPY(t, dir, "weights.npy", []int{1, 0, 2}, []float64{})
		}, nil, exitFailure, "at least 1"},
		{"not an npy file", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "weights.npy"), []byte("hello"), 0o644)
		}, nil, exitFailure, "weights.npy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			args := c.args
			if c.setup != nil {
				c.setup(t, dir)
				args = append([]string{"plot", "--in", dir}, c.args...)
			}
			code, _, errOut := runCLI(t, args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, c.code, errOut)
			}
			if !strings.Contains(errOut, c.want) {
				t.Errorf("stderr %q lacks %q", errOut, c.want)
			}
			for _, name := range []string{"attention.png", "attention.svg"} {
				if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
					t.Errorf("%s exists after a failed run", name)
				}
			}
		})
	}
}

func TestPlotEmptyDirectoryFailsOnce(t *testing.T) {
	code, _, errOut := runCLI(t, "plot", "--in", t.TempDir())
	if code != exitFailure {
		t.Fatalf("exit %d, want %d", code, exitFailure)
	}
	if strings.Contains(errOut, "note:") {
		t.Errorf("stderr has notes before the error: %q", errOut)
	}
	if n := strings.Count(errOut, "\n"); n != 1 {
		t.Errorf("stderr has %d lines, want one error: %q", n, errOut)
	}
}

// TestPlotLabelsQueriesAndKeys draws arrays with n_q = 2 and n_k = 3,
// whose keys need labels of their own.
func TestPlotLabelsQueriesAndKeys(t *testing.T) {
	cases := []struct {
		name       string
		args       []string
		want, lack []string
	}{
		{"no tokens", nil, []string{">q0<", ">q1<", ">k0<", ">k2<"}, []string{">t0<", ">t2<"}},
		{"query tokens", []string{"--tokens", "a,b"}, []string{">a<", ">b<", ">k0<", ">k2<"}, []string{">t0<", ">q0<"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := t.TempDir()
			writePlotNPY(t, in, "weights.npy", []int{1, 2, 3}, []float64{0.5, 0.25, 0.25, 0.2, 0.2, 0.6})
			args := append([]string{"plot", "--in", in, "--plot-format", "svg"}, c.args...)
			code, _, errOut := runCLI(t, args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			svg, err := os.ReadFile(filepath.Join(in, "attention.svg"))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !bytes.Contains(svg, []byte(w)) {
					t.Errorf("attention.svg lacks label %s", w)
				}
			}
			for _, l := range c.lack {
				if bytes.Contains(svg, []byte(l)) {
					t.Errorf("attention.svg has label %s", l)
				}
			}
		})
	}
}

func TestPlotMissingDirectory(t *testing.T) {
	code, _, errOut := runCLI(t, "plot", "--in", filepath.Join(t.TempDir(), "absent"))
	if code != exitFailure {
		t.Fatalf("exit %d, want %d", code, exitFailure)
	}
	if !strings.Contains(errOut, "absent") {
		t.Errorf("stderr does not name the directory: %q", errOut)
	}
}

// FuzzPlotWeights feeds arbitrary bytes to qkv plot as weights.npy: it
// must either draw them or fail with an error, never panic, and leave no
// figure behind when it fails.
func FuzzPlotWeights(f *testing.F) {
	for _, seed := range [][]float64{{1}, {0.5, 0.5, 0.25, 0.75}} {
		b, err := npy.Marshal([]int{1, 1, len(seed)}, seed)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1), }"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "weights.npy"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := runCLI(t, "plot", "--in", dir, "--plot-format", "svg")
		_, statErr := os.Stat(filepath.Join(dir, "attention.svg"))
		switch code {
		case exitOK:
			if statErr != nil {
				t.Errorf("exit 0 but no figure: %v", statErr)
			}
		case exitFailure:
			if statErr == nil {
				t.Errorf("failed (%s) but left attention.svg", errOut)
			}
		default:
			t.Errorf("exit %d: %s", code, errOut)
		}
	})
}

func TestPlotHTML(t *testing.T) {
	in := t.TempDir()
	sharpArrays(t, in)
	html := filepath.Join(t.TempDir(), "report.html")
	code, _, errOut := runCLI(t, "plot", "--in", in, "--tokens", "the,cat,sat,down", "--html", html)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Head 0", "weights A = softmax(S)", "0.9479", "<svg", ">down<"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
}
