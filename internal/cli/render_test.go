package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// attendTwoHeads writes the inputs of a two-head self-attention over three
// tokens and returns the attend flags that read them.
func attendTwoHeads(t *testing.T, dir string) []string {
	t.Helper()
	x := writeJSONFile(t, dir, "x.json", "[[1, 0], [0, 1], [1, 1]]")
	w := writeJSONFile(t, dir, "w.json", "[[[1, 0], [0, 1]], [[0, 1], [1, 0]]]")
	return []string{"attend", "--x", x, "--wq", w, "--wk", w, "--wv", w}
}

func TestAttendPlotAndHTML(t *testing.T) {
	dir := t.TempDir()
	figs := filepath.Join(dir, "figs")
	html := filepath.Join(dir, "attend.html")
	args := append(attendTwoHeads(t, dir), "--mask", "causal", "--plot", figs, "--plot-format", "svg", "--html", html)
	code, out, errOut := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "head 1") {
		t.Errorf("attend no longer prints its tables with --plot")
	}

	svg, err := os.ReadFile(filepath.Join(figs, "attention.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"head 0", "head 1", ">q2<", ">k0<", ">−∞<"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("attention.svg lacks %s", want)
		}
	}

	outSVG, err := os.ReadFile(filepath.Join(figs, "output.svg"))
	if err != nil {
		t.Fatalf("two heads need a separate output figure: %v", err)
	}
	if !bytes.Contains(outSVG, []byte("concatenated heads")) {
		t.Errorf("output.svg does not say the output is the concatenated heads")
	}

	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Head 0", "Head 1", "mask causal", "<svg", "−∞"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestAttendPlotBadFormat(t *testing.T) {
	dir := t.TempDir()
	figs := filepath.Join(dir, "figs")
	args := append(attendTwoHeads(t, dir), "--plot", figs, "--plot-format", "jpeg")
	code, _, errOut := runCLI(t, args...)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d: %s", code, exitUsage, errOut)
	}
	if _, err := os.Stat(figs); !os.IsNotExist(err) {
		t.Errorf("figure directory created despite the usage error")
	}
}

// TestAttendThenPlot runs qkv attend --out and draws its arrays with qkv
// plot, as a user would.
func TestAttendThenPlot(t *testing.T) {
	dir := t.TempDir()
	result := filepath.Join(dir, "result")
	args := append(attendTwoHeads(t, dir), "--out", result)
	if code, _, errOut := runCLI(t, args...); code != exitOK {
		t.Fatalf("attend: exit %d: %s", code, errOut)
	}
	code, _, errOut := runCLI(t, "plot", "--in", result, "--tokens", "a,b,c", "--plot-format", "svg,png")
	if code != exitOK {
		t.Fatalf("plot: exit %d: %s", code, errOut)
	}
	for _, name := range []string{"attention.svg", "attention.png", "output.svg", "output.png"} {
		if _, err := os.Stat(filepath.Join(result, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	svg, err := os.ReadFile(filepath.Join(result, "attention.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svg, []byte(">a<")) || !bytes.Contains(svg, []byte("head 1")) {
		t.Errorf("attention.svg lacks the token a or head 1")
	}
}

// FuzzRenderFlags checks that any --plot-format value is either accepted
// as a list of known formats or rejected as a usage error.
func FuzzRenderFlags(f *testing.F) {
	for _, s := range []string{"png,svg", "PDF", "", ",,", "png,gif", " svg , png "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		r := renderFlags{plotDir: "out", plotFormats: list}
		err := r.validate()
		if err != nil {
			if !isUsageError(err) {
				t.Errorf("validate(%q) returned a non-usage error: %v", list, err)
			}
			return
		}
		if len(r.formats) == 0 {
			t.Errorf("validate(%q) accepted no formats", list)
		}
		seen := map[string]bool{}
		for _, f := range r.formats {
			if f != "png" && f != "svg" && f != "pdf" {
				t.Errorf("validate(%q) accepted format %q", list, f)
			}
			if seen[string(f)] {
				t.Errorf("validate(%q) lists %q twice", list, f)
			}
			seen[string(f)] = true
		}
	})
}

// FuzzParseTokens checks that a token list either has the requested
// length or is rejected as a usage error.
func FuzzParseTokens(f *testing.F) {
	f.Add("a,b,c", 3)
	f.Add("", 2)
	f.Add("a,,b", 3)
	f.Add(" , ", 1)
	f.Fuzz(func(t *testing.T, list string, n int) {
		if n < 0 || n > 1000 {
			return
		}
		labels, err := parseTokens("--tokens", list, n, "rows", "row")
		if err != nil {
			if !isUsageError(err) {
				t.Errorf("parseTokens(%q, %d) returned a non-usage error: %v", list, n, err)
			}
			return
		}
		if len(labels) != n {
			t.Errorf("parseTokens(%q, %d) returned %d labels", list, n, len(labels))
		}
	})
}
