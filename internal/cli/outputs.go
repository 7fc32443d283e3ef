package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// outputSet collects every output file of one command run (--out arrays,
// --plot figures, the --html report) and writes them as one unit: Commit
// checks every target before it writes anything, and a failure at any
// step removes what the run wrote and restores files it replaced.
type outputSet struct {
	files []stagedOutput
}

// stagedOutput is one output file, the flag that named its location, and
// whether that flag's directory is created when missing.
type stagedOutput struct {
	flag      string // e.g. "--out"
	flagValue string // the directory or file the flag gave
	path      string
	data      []byte
	mkdir     bool
	announce  bool // print "wrote PATH" after the commit
}

// addInDir stages name inside the directory dir that flag gave; the
// directory is created if missing.
func (s *outputSet) addInDir(flag, dir, name string, data []byte, announce bool) {
	s.files = append(s.files, stagedOutput{flag: flag, flagValue: dir, path: filepath.Join(dir, name), data: data, mkdir: true, announce: announce})
}

// addFile stages the file path that flag gave; its directory must exist.
func (s *outputSet) addFile(flag, path string, data []byte) {
	s.files = append(s.files, stagedOutput{flag: flag, flagValue: path, path: path, data: data, announce: true})
}

// check returns an error for the first output that cannot be written: a
// target that is a directory, a directory that cannot be created because
// a file is in the way, or a missing directory that is not created.
func (s *outputSet) check() error {
	seen := map[string]string{}
	for _, f := range s.files {
		if other, dup := seen[f.path]; dup {
			return usageErrorf("%s and %s both write %s; give them different locations", other, f.flag, f.path)
		}
		seen[f.path] = f.flag
		if err := checkOutputDir(f.flag, f.flagValue, filepath.Dir(f.path), f.mkdir); err != nil {
			return err
		}
		if st, err := os.Stat(f.path); err == nil && st.IsDir() {
			return fmt.Errorf("%s %s: %s is a directory; remove it or choose another location", f.flag, f.flagValue, f.path)
		} else if err == nil && !st.Mode().IsRegular() {
			// Commit renames a new file over the target, which would
			// replace a device such as /dev/null or a named pipe.
			return fmt.Errorf("%s %s: %s is not a regular file; choose a file path", f.flag, f.flagValue, f.path)
		}
	}
	return nil
}

// checkOutputDir checks that dir exists as a directory or, when mkdir is
// set, that it can be created: its nearest existing ancestor must be a
// directory.
func checkOutputDir(flag, value, dir string, mkdir bool) error {
	st, err := os.Stat(dir)
	switch {
	case err == nil && st.IsDir():
		return nil
	case err == nil:
		return fmt.Errorf("%s %s: %s is a file, not a directory", flag, value, dir)
	case !isMissing(err):
		return fmt.Errorf("%s %s: %w", flag, value, err)
	case !mkdir:
		return fmt.Errorf("%s %s: directory %s does not exist; create it first", flag, value, dir)
	}
	for parent := filepath.Dir(dir); ; parent = filepath.Dir(parent) {
		st, err := os.Stat(parent)
		if err == nil {
			if !st.IsDir() {
				return fmt.Errorf("%s %s: cannot create directory %s because %s is a file, not a directory", flag, value, dir, parent)
			}
			return nil
		}
		if !isMissing(err) {
			return fmt.Errorf("%s %s: %w", flag, value, err)
		}
		if parent == filepath.Dir(parent) {
			return nil
		}
	}
}

// isMissing reports whether a stat error means that the path does not
// exist, including ENOTDIR, which stat returns when a parent is a file.
func isMissing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// commitState records what Commit changed, so that rollback can undo it.
type commitState struct {
	createdDirs []string // in creation order, parents first
	temps       []string
	written     []string          // final paths renamed into place
	backups     map[string]string // final path → its previous file
}

// Commit checks every target, then creates the directories, writes each
// file under a temporary name beside its target and renames all into
// place. On failure it removes every file and directory it created and
// puts back the files it replaced.
func (s *outputSet) Commit(env *Env) error {
	if err := s.check(); err != nil {
		return err
	}
	st := &commitState{backups: map[string]string{}}
	if err := s.write(st); err != nil {
		st.rollback()
		return err
	}
	for _, old := range st.backups {
		os.Remove(old)
	}
	for _, f := range s.files {
		if f.announce {
			fmt.Fprintf(env.Stderr, "wrote %s\n", f.path)
		}
	}
	return nil
}

func (s *outputSet) write(st *commitState) error {
	for _, f := range s.files {
		if err := st.mkdirAll(f.flag, f.flagValue, filepath.Dir(f.path)); err != nil {
			return err
		}
	}
	temps := make([]string, len(s.files))
	for i, f := range s.files {
		tmp, err := writeTemp(f.path, f.data)
		if tmp != "" {
			st.temps = append(st.temps, tmp)
		}
		if err != nil {
			return err
		}
		temps[i] = tmp
	}
	for i, f := range s.files {
		if fi, err := os.Lstat(f.path); err == nil {
			if fi.IsDir() {
				return fmt.Errorf("%s %s: %s is a directory; remove it or choose another location", f.flag, f.flagValue, f.path)
			}
			backup := temps[i] + ".old"
			if err := os.Rename(f.path, backup); err != nil {
				return fmt.Errorf("write %s: %w", f.path, err)
			}
			st.backups[f.path] = backup
		}
		if err := os.Rename(temps[i], f.path); err != nil {
			return fmt.Errorf("write %s: %w", f.path, err)
		}
		st.written = append(st.written, f.path)
	}
	return nil
}

// mkdirAll creates dir and its missing parents, recording each one.
func (st *commitState) mkdirAll(flag, value, dir string) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append(missing, d)
		if d == filepath.Dir(d) {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil {
			return fmt.Errorf("%s %s: create directory %s: %w", flag, value, missing[i], err)
		}
		st.createdDirs = append(st.createdDirs, missing[i])
	}
	return nil
}

// writeTemp writes data to a new temporary file beside path and returns
// its name, which is non-empty whenever the file was created.
func writeTemp(path string, data []byte) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return name, fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return name, fmt.Errorf("write %s: %w", path, err)
	}
	// os.CreateTemp makes the file private (0600); outputs are ordinary
	// files that other users may read.
	if err := os.Chmod(name, 0o644); err != nil {
		return name, fmt.Errorf("write %s: %w", path, err)
	}
	return name, nil
}

// rollback removes what a failed commit wrote and restores replaced files.
func (st *commitState) rollback() {
	for _, p := range st.written {
		os.Remove(p)
		if old, ok := st.backups[p]; ok {
			os.Rename(old, p)
			delete(st.backups, p)
		}
	}
	for p, old := range st.backups { // moved aside but not yet replaced
		os.Rename(old, p)
	}
	for _, t := range st.temps {
		os.Remove(t)
	}
	for i := len(st.createdDirs) - 1; i >= 0; i-- {
		os.Remove(st.createdDirs[i]) // only succeeds when empty
	}
}
