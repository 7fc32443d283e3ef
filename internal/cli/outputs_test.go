package cli

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// listTree returns every path under dir, relative to it, sorted.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// TestFailedRunWritesNothing runs commands whose last output cannot be
// written and checks that none of their other outputs remain.
func TestFailedRunWritesNothing(t *testing.T) {
	inputs := t.TempDir()
	q := writeJSONFile(t, inputs, "q.json", "[[1, 0], [0, 1], [1, 1]]")
	attend := []string{"attend", "--q", q, "--k", q, "--v", q}

	cases := []struct {
		name  string
		setup func(dir string) // prepares obstacles inside dir
		args  func(dir string) []string
		want  string
	}{
		{
			name:  "demo html in missing directory",
			setup: func(string) {},
			args: func(dir string) []string {
				return []string{"demo", "sharp", "--plot", filepath.Join(dir, "p"), "--html", filepath.Join(dir, "nodir", "x.html")}
			},
			want: "directory " + "NODIR" + " does not exist",
		},
		{
			name: "attend out below a file",
			setup: func(dir string) {
				os.WriteFile(filepath.Join(dir, "afile"), nil, 0o644)
			},
			args: func(dir string) []string {
				return append(attend, "--out", filepath.Join(dir, "afile", "x"), "--plot", filepath.Join(dir, "p5"))
			},
			want: "because AFILE is a file, not a directory",
		},
		{
			name: "attend out target is a directory",
			setup: func(dir string) {
				os.MkdirAll(filepath.Join(dir, "o", "output.npy"), 0o755)
			},
			args: func(dir string) []string {
				return append(attend, "--out", filepath.Join(dir, "o"), "--plot", filepath.Join(dir, "o", "figs"))
			},
			want: "output.npy is a directory",
		},
		{
			name: "explain plot below a file",
			setup: func(dir string) {
				os.WriteFile(filepath.Join(dir, "afile"), nil, 0o644)
			},
			args: func(dir string) []string {
				return []string{"explain", "sharp", "--html", filepath.Join(dir, "r.html"), "--plot", filepath.Join(dir, "afile", "p")}
			},
			want: "--plot",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.setup(dir)
			before := listTree(t, dir)
			code, _, errOut := runAttendCLI(c.args(dir)...)
			if code != exitFailure {
				t.Fatalf("exit %d, want %d; stderr %q", code, exitFailure, errOut)
			}
			want := strings.NewReplacer("NODIR", filepath.Join(dir, "nodir"), "AFILE", filepath.Join(dir, "afile")).Replace(c.want)
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr %q lacks %q", errOut, want)
			}
			if strings.Contains(errOut, ".tmp") {
				t.Errorf("stderr %q names a temporary file", errOut)
			}
			if after := listTree(t, dir); strings.Join(after, " ") != strings.Join(before, " ") {
				t.Errorf("directory holds %v after the failed run, want %v", after, before)
			}
		})
	}
}

func TestPlotRunWritesNothingOnFailure(t *testing.T) {
	dir := t.TempDir()
	sharpArrays(t, dir)
	before := listTree(t, dir)
	// attention.svg as a directory makes the second figure file unwritable.
	if err := os.Mkdir(filepath.Join(dir, "figs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "figs", "attention.svg"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runAttendCLI("plot", "--in", dir, "--out", filepath.Join(dir, "figs"), "--html", filepath.Join(dir, "r.html"))
	if code != exitFailure {
		t.Fatalf("exit %d, want %d; stderr %q", code, exitFailure, errOut)
	}
	after := listTree(t, dir)
	want := append(before, "figs", filepath.Join("figs", "attention.svg"))
	sort.Strings(want)
	if strings.Join(after, " ") != strings.Join(want, " ") {
		t.Errorf("directory holds %v after the failed run, want %v", after, want)
	}
}

// TestCommitRestoresReplacedFiles makes the last rename of a commit fail
// and checks that the files it had already replaced get their old
// content back.
func TestCommitRestoresReplacedFiles(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "a.txt")
	if err := os.WriteFile(old, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	set := &outputSet{}
	set.addInDir("--out", dir, "a.txt", []byte("new"), true)
	set.addInDir("--out", filepath.Join(dir, "sub"), "b.txt", []byte("new"), true)
	st := &commitState{backups: map[string]string{}}
	// Make sub/b.txt a non-empty directory after the check, so that the
	// rename over it fails.
	if err := os.MkdirAll(filepath.Join(dir, "sub", "b.txt", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := set.write(st); err == nil {
		t.Fatal("write over a non-empty directory succeeded")
	}
	st.rollback()
	got, err := os.ReadFile(old)
	if err != nil || string(got) != "old" {
		t.Errorf("a.txt = %q, %v after rollback, want %q", got, err, "old")
	}
	if after := listTree(t, dir); strings.Join(after, " ") != "a.txt sub sub/b.txt sub/b.txt/x" {
		t.Errorf("directory holds %v after rollback", after)
	}
}

func TestOutputsAreReadableByOthers(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := runAttendCLI("demo", "sharp", "--plot", filepath.Join(dir, "p"), "--plot-format", "svg", "--html", filepath.Join(dir, "r.html"))
	if code != exitOK {
		t.Fatalf("exit %d; stderr %q", code, errOut)
	}
	for _, name := range []string{"r.html", filepath.Join("p", "attention.svg")} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o644 {
			t.Errorf("%s has mode %v, want 0644", name, st.Mode().Perm())
		}
	}
}
