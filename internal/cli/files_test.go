package cli

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileAtomicMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	if err := writeFileAtomic(path, []byte("x")); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o644 {
		t.Errorf("mode = %v, want -rw-r--r--", got)
	}
}

func TestFileSetAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	s, err := newFileSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add("a.npy", []byte("a")); err != nil {
		t.Fatal(err)
	}
	s.Abort()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("directory has %d entries after Abort, want 0", len(entries))
	}
}

func TestFileSetCommitMode(t *testing.T) {
	dir := t.TempDir()
	s, err := newFileSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add("a.npy", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, "a.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o644 {
		t.Errorf("mode = %v, want -rw-r--r--", got)
	}
}
