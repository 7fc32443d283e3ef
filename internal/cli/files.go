package cli

import (
	"fmt"
	"os"
	"path/filepath"
)

// writeFileAtomic writes data to path through a temporary file in the same
// directory and renames it into place, so readers never see a partial file
// and a failure leaves nothing behind.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(name)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", path, err)
	}
	// os.CreateTemp makes the file private (0600); outputs are ordinary
	// files that other users may read.
	if err := os.Chmod(name, 0o644); err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// fileSet writes several output files as one unit: each file goes to a
// temporary name first and all are renamed into place by Commit. Abort (or
// a failed Commit) removes every temporary file, so a command that fails
// halfway leaves no output files behind.
type fileSet struct {
	dir     string
	pending []pendingFile
}

type pendingFile struct{ tmp, final string }

// newFileSet prepares to write files into dir, creating it if needed.
func newFileSet(dir string) (*fileSet, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	return &fileSet{dir: dir}, nil
}

// Add stages data as the file name inside the set's directory.
func (s *fileSet) Add(name string, data []byte) error {
	final := filepath.Join(s.dir, name)
	tmp, err := os.CreateTemp(s.dir, "."+name+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", final, err)
	}
	s.pending = append(s.pending, pendingFile{tmp: tmp.Name(), final: final})
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", final, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", final, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", final, err)
	}
	return nil
}

// Commit renames every staged file into place.
func (s *fileSet) Commit() error {
	for i, p := range s.pending {
		if err := os.Rename(p.tmp, p.final); err != nil {
			s.pending = s.pending[i:]
			s.Abort()
			return fmt.Errorf("write %s: %w", p.final, err)
		}
	}
	s.pending = nil
	return nil
}

// Abort removes every staged file that was not committed.
func (s *fileSet) Abort() {
	for _, p := range s.pending {
		os.Remove(p.tmp)
	}
	s.pending = nil
}
