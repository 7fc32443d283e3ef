package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTourText(t *testing.T) {
	code, out, errOut := runCLI(t, "tour")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	for _, want := range []string{
		"1. Attention",
		"the   0.0174  0.9479",
		"2. One merge step on 2→3→6",
		"vertex 2 attends to 2 and 3 and now reaches {2, 3, 6}",
		"3. Path-merging search",
		"graph:    17 vertices, 16 edges\n",
		"path:     1 → 2 → 3 → 4 → 5 → 6 → 7 → 8 → 9 → 10 → 11 → 12 → 13 (12 edges",
		"1       2/2           3/3              5/5              9/9              17/17",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("tour output lacks %q:\n%s", want, out)
		}
	}
}

func TestTourHTML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tour.html")
	code, _, errOut := runCLI(t, "tour", "--html", path)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "One merge step", "Path-merging search", "17/17"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestTourHTMLPrintsWidePre(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tour.html")
	if code, _, errOut := runCLI(t, "tour", "--html", path); code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	html := string(data)
	print := html[strings.Index(html, "@media print"):]
	print = print[:strings.Index(print, "</style>")]
	// The reach table is about 115 columns wide: on paper it must shrink
	// and wrap rather than scroll.
	for _, want := range []string{"white-space: pre-wrap", "overflow: visible", "font-size: 6.5pt"} {
		if !strings.Contains(print, want) {
			t.Errorf("print CSS lacks %q:\n%s", want, print)
		}
	}
}

func TestTourHTMLUnwritable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "tour.html")
	code, out, errOut := runCLI(t, "tour", "--html", path)
	if code != exitFailure {
		t.Errorf("exit %d for an unwritable path, want %d", code, exitFailure)
	}
	if out != "" {
		t.Errorf("the tour printed %d bytes before rejecting --html", len(out))
	}
	if !strings.Contains(errOut, "does not exist; create it first") {
		t.Errorf("stderr does not explain the missing directory:\n%s", errOut)
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("a file was written")
	}
}
