package graph

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// Format is a text format for graphs.
type Format int

const (
	// FormatAuto lets Parse detect the format from the content.
	FormatAuto Format = iota
	// FormatEdgeList is one edge per line: "a b" or "a -> b".
	FormatEdgeList
	// FormatDOT is the directed subset of Graphviz DOT.
	FormatDOT
	// FormatGoModGraph is the output of "go mod graph".
	FormatGoModGraph
)

// String returns the name ParseFormat accepts: "auto", "edges", "dot" or
// "gomod".
func (f Format) String() string {
	switch f {
	case FormatAuto:
		return "auto"
	case FormatEdgeList:
		return "edges"
	case FormatDOT:
		return "dot"
	case FormatGoModGraph:
		return "gomod"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// FormatNames lists the names ParseFormat accepts.
const FormatNames = "auto, edges, dot, gomod"

// ParseFormat returns the format called s (see Format.String).
func ParseFormat(s string) (Format, error) {
	for _, f := range []Format{FormatAuto, FormatEdgeList, FormatDOT, FormatGoModGraph} {
		if s == f.String() {
			return f, nil
		}
	}
	return FormatAuto, fmt.Errorf("unknown graph format %q: use one of %s", s, FormatNames)
}

// SyntaxError reports malformed input with its position.
type SyntaxError struct {
	File string // file name as given to Parse, or "" for none
	Line int    // 1-based line number
	Msg  string
}

func (e *SyntaxError) Error() string {
	file := e.File
	if file == "" {
		file = "input"
	}
	return fmt.Sprintf("%s:%d: %s", file, e.Line, e.Msg)
}

// ParseFile reads the graph in the named file. See Parse.
func ParseFile(path string, f Format) (*Digraph, Format, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, f, fmt.Errorf("read graph: %w", err)
	}
	return ParseBytes(data, path, f)
}

// Parse reads a graph in format f from r; FormatAuto detects the format
// with DetectFormat. It returns the graph and the format actually used.
// filename only labels errors.
func Parse(r io.Reader, filename string, f Format) (*Digraph, Format, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, f, fmt.Errorf("read graph %s: %w", filename, err)
	}
	return ParseBytes(data, filename, f)
}

// ParseBytes is Parse on a byte slice.
func ParseBytes(data []byte, filename string, f Format) (*Digraph, Format, error) {
	if err := checkText(data, filename); err != nil {
		return nil, f, err
	}
	if f == FormatAuto {
		f = DetectFormat(data)
	}
	var (
		g   *Digraph
		err error
	)
	switch f {
	case FormatEdgeList:
		g, err = parseEdgeList(data, filename)
	case FormatDOT:
		g, err = parseDOT(data, filename)
	case FormatGoModGraph:
		g, err = parseGoModGraph(data, filename)
	default:
		return nil, f, fmt.Errorf("unknown graph format %d", int(f))
	}
	return g, f, err
}

// checkText rejects data that is not UTF-8 text or that contains a NUL
// byte, naming the first bad line, so that no vertex name holds bytes
// that print as garbage or cut strings short in other tools.
func checkText(data []byte, filename string) error {
	if utf8.Valid(data) && bytes.IndexByte(data, 0) < 0 {
		return nil
	}
	for i, line := range bytes.Split(data, []byte("\n")) {
		if k := bytes.IndexByte(line, 0); k >= 0 {
			return &SyntaxError{File: filename, Line: i + 1, Msg: fmt.Sprintf("NUL byte at column %d: graph files must be text", k+1)}
		}
		if !utf8.Valid(line) {
			k := 0
			for k < len(line) {
				r, size := utf8.DecodeRune(line[k:])
				if r == utf8.RuneError && size <= 1 {
					break
				}
				k += size
			}
			return &SyntaxError{File: filename, Line: i + 1, Msg: fmt.Sprintf("invalid UTF-8 at byte %d of the line: graph files must be UTF-8 text", k+1)}
		}
	}
	return nil
}

// DetectFormat guesses the format of data. It is DOT when the first word
// after comments is "digraph", "graph" or "strict", and "go mod graph"
// output when every line has two fields and every second field is a
// path@version. Anything else is an edge list.
func DetectFormat(data []byte) Format {
	if w := firstDOTWord(data); w == "digraph" || w == "graph" || w == "strict" {
		return FormatDOT
	}
	lines := 0
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 2 || !isModuleVersion(fields[1]) || strings.HasPrefix(fields[0], "#") {
			return FormatEdgeList
		}
		lines++
	}
	if lines == 0 {
		return FormatEdgeList
	}
	return FormatGoModGraph
}

// firstDOTWord returns the first word of data after blanks and comments.
func firstDOTWord(data []byte) string {
	lx := newLexer(data, "")
	tok, err := lx.next()
	if err != nil || tok.kind != tokID || tok.quoted {
		return ""
	}
	return strings.ToLower(tok.text)
}

func isModuleVersion(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1
}

func parseEdgeList(data []byte, filename string) (*Digraph, error) {
	g := New()
	for i, line := range strings.Split(string(data), "\n") {
		if c := strings.IndexByte(line, '#'); c >= 0 {
			line = line[:c]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		fail := func(msg string, args ...any) error {
			return &SyntaxError{File: filename, Line: i + 1, Msg: fmt.Sprintf(msg, args...)}
		}
		if strings.Contains(line, "->") {
			parts := strings.Split(line, "->")
			names := make([]string, len(parts))
			for k, p := range parts {
				f := strings.Fields(p)
				if len(f) != 1 {
					return nil, fail("invalid edge %q: expected one vertex name on each side of ->", line)
				}
				names[k] = f[0]
			}
			for k := 0; k+1 < len(names); k++ {
				g.AddEdge(names[k], names[k+1])
			}
			continue
		}
		f := strings.Fields(line)
		switch len(f) {
		case 1:
			g.AddVertex(f[0])
		case 2:
			g.AddEdge(f[0], f[1])
		default:
			return nil, fail("invalid edge %q: expected \"a b\" or \"a -> b\" (vertex names cannot contain blanks in an edge list; use DOT with quoted names)", line)
		}
	}
	return g, nil
}

func parseGoModGraph(data []byte, filename string) (*Digraph, error) {
	g := New()
	for i, line := range bytes.Split(data, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, &SyntaxError{File: filename, Line: i + 1,
				Msg: fmt.Sprintf("invalid go mod graph line %q: expected \"module@version dependency@version\"", strings.TrimSpace(string(line)))}
		}
		if !isModuleVersion(f[1]) {
			return nil, &SyntaxError{File: filename, Line: i + 1,
				Msg: fmt.Sprintf("invalid dependency %q: expected path@version", f[1])}
		}
		g.AddEdge(f[0], f[1])
	}
	return g, nil
}
