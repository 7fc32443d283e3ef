package graph

import (
	"fmt"
	"strings"
)

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokID
	tokPunct // one of { } [ ] ; , = : + and the edge operators -> --
)

type token struct {
	kind   tokenKind
	text   string
	quoted bool // a quoted or HTML id, never a keyword
	line   int
}

func (t token) String() string {
	switch {
	case t.kind == tokEOF:
		return "end of input"
	case t.quoted:
		return fmt.Sprintf("%q", t.text)
	}
	return "'" + t.text + "'"
}

// lexer splits DOT text into tokens.
type lexer struct {
	src  []byte
	pos  int
	line int
	file string
}

func newLexer(src []byte, file string) *lexer {
	return &lexer{src: src, line: 1, file: file}
}

func (lx *lexer) errorf(line int, format string, args ...any) error {
	return &SyntaxError{File: lx.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// skip moves past blanks and comments. A "#" line is C preprocessor
// output, which Graphviz also ignores.
func (lx *lexer) skip() error {
	atLineStart := lx.pos == 0 || lx.src[lx.pos-1] == '\n'
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch {
		case c == '\n':
			lx.line++
			lx.pos++
			atLineStart = true
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			lx.pos++
			continue
		case c == '#' && atLineStart:
			lx.skipLine()
			continue
		case c == '/' && lx.peekAt(1) == '/':
			lx.skipLine()
			continue
		case c == '/' && lx.peekAt(1) == '*':
			start := lx.line
			end := strings.Index(string(lx.src[lx.pos+2:]), "*/")
			if end < 0 {
				return lx.errorf(start, "unterminated /* comment")
			}
			body := lx.src[lx.pos : lx.pos+2+end+2]
			lx.line += strings.Count(string(body), "\n")
			lx.pos += len(body)
			atLineStart = false
			continue
		}
		return nil
	}
	return nil
}

func (lx *lexer) skipLine() {
	for lx.pos < len(lx.src) && lx.src[lx.pos] != '\n' {
		lx.pos++
	}
}

func (lx *lexer) peekAt(k int) byte {
	if lx.pos+k < len(lx.src) {
		return lx.src[lx.pos+k]
	}
	return 0
}

func isIDStart(c byte) bool {
	return c == '_' || c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIDByte(c byte) bool { return isIDStart(c) || (c >= '0' && c <= '9') }

func (lx *lexer) next() (token, error) {
	if err := lx.skip(); err != nil {
		return token{}, err
	}
	if lx.pos >= len(lx.src) {
		return token{kind: tokEOF, line: lx.line}, nil
	}
	line := lx.line
	c := lx.src[lx.pos]
	switch {
	case c == '-' && (lx.peekAt(1) == '>' || lx.peekAt(1) == '-'):
		lx.pos += 2
		return token{kind: tokPunct, text: string(lx.src[lx.pos-2 : lx.pos]), line: line}, nil
	case strings.IndexByte("{}[];,=:+", c) >= 0:
		lx.pos++
		return token{kind: tokPunct, text: string(c), line: line}, nil
	case c == '"':
		return lx.quoted()
	case c == '<':
		return lx.html()
	case isIDStart(c):
		start := lx.pos
		for lx.pos < len(lx.src) && isIDByte(lx.src[lx.pos]) {
			lx.pos++
		}
		return token{kind: tokID, text: string(lx.src[start:lx.pos]), line: line}, nil
	case c == '-' || c == '.' || (c >= '0' && c <= '9'):
		return lx.numeral()
	}
	return token{}, lx.errorf(line, "unexpected character %q", rune(c))
}

// numeral reads a DOT numeral: [-]?(.[0-9]+ | [0-9]+(.[0-9]*)?).
func (lx *lexer) numeral() (token, error) {
	start, line := lx.pos, lx.line
	if lx.src[lx.pos] == '-' {
		lx.pos++
	}
	digits, dot := 0, false
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		if c >= '0' && c <= '9' {
			digits++
		} else if c == '.' && !dot {
			dot = true
		} else {
			break
		}
		lx.pos++
	}
	if digits == 0 {
		return token{}, lx.errorf(line, "invalid numeral %q", string(lx.src[start:lx.pos]))
	}
	if lx.pos < len(lx.src) && isIDStart(lx.src[lx.pos]) {
		return token{}, lx.errorf(line, "invalid id %q: an unquoted id cannot start with a digit; quote it", string(lx.src[start:lx.pos+1]))
	}
	return token{kind: tokID, text: string(lx.src[start:lx.pos]), line: line}, nil
}

// quoted reads a double-quoted id. \" stands for a quote, \\ for a
// backslash, and a backslash before a newline continues the line. Any
// other backslash is kept, as Graphviz keeps it.
func (lx *lexer) quoted() (token, error) {
	line := lx.line
	lx.pos++
	var b strings.Builder
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch {
		case c == '"':
			lx.pos++
			return token{kind: tokID, text: b.String(), quoted: true, line: line}, nil
		case c == '\\' && lx.pos+1 < len(lx.src):
			d := lx.src[lx.pos+1]
			switch d {
			case '"', '\\':
				b.WriteByte(d)
			case '\n':
				lx.line++
			case '\r':
				if lx.peekAt(2) == '\n' {
					lx.pos++
					lx.line++
				}
			default:
				b.WriteByte(c)
				b.WriteByte(d)
			}
			lx.pos += 2
			continue
		case c == '\n':
			lx.line++
		}
		b.WriteByte(c)
		lx.pos++
	}
	return token{}, lx.errorf(line, "unterminated quoted id")
}

// html reads an HTML id <…> with balanced angle brackets; its text is the
// content between the outer brackets.
func (lx *lexer) html() (token, error) {
	line := lx.line
	depth := 0
	start := lx.pos
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		lx.pos++
		switch c {
		case '<':
			depth++
		case '>':
			depth--
			if depth == 0 {
				return token{kind: tokID, text: string(lx.src[start+1 : lx.pos-1]), quoted: true, line: line}, nil
			}
		case '\n':
			lx.line++
		}
	}
	return token{}, lx.errorf(line, "unterminated HTML id")
}

// maxDOTNesting bounds subgraph nesting so hostile input cannot exhaust
// the stack.
const maxDOTNesting = 200

type dotParser struct {
	lx    *lexer
	tok   token
	g     *Digraph
	depth int
}

func parseDOT(data []byte, filename string) (*Digraph, error) {
	p := &dotParser{lx: newLexer(data, filename), g: New()}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.graph(); err != nil {
		return nil, err
	}
	return p.g, nil
}

func (p *dotParser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *dotParser) errorf(format string, args ...any) error {
	return p.lx.errorf(p.tok.line, format, args...)
}

func (p *dotParser) isPunct(s string) bool { return p.tok.kind == tokPunct && p.tok.text == s }

func (p *dotParser) isKeyword(kw string) bool {
	return p.tok.kind == tokID && !p.tok.quoted && strings.EqualFold(p.tok.text, kw)
}

func (p *dotParser) expect(s string) error {
	if !p.isPunct(s) {
		return p.errorf("expected '%s', found %s", s, p.tok)
	}
	return p.advance()
}

const undirectedHint = "qkv reads directed graphs only: write 'digraph' and '->'"

func (p *dotParser) graph() error {
	if p.isKeyword("strict") {
		if err := p.advance(); err != nil {
			return err
		}
	}
	switch {
	case p.isKeyword("graph"):
		return p.errorf("undirected graph: %s", undirectedHint)
	case !p.isKeyword("digraph"):
		return p.errorf("expected 'digraph', found %s", p.tok)
	}
	if err := p.advance(); err != nil {
		return err
	}
	if p.tok.kind == tokID {
		if err := p.advance(); err != nil {
			return err
		}
	}
	if err := p.expect("{"); err != nil {
		return err
	}
	if _, err := p.stmtList(); err != nil {
		return err
	}
	if err := p.expect("}"); err != nil {
		return err
	}
	if p.tok.kind != tokEOF {
		return p.errorf("unexpected %s after the closing '}': a file holds one graph", p.tok)
	}
	return nil
}

// stmtList parses statements up to a closing brace and returns the
// vertices they mention, in order of first mention.
func (p *dotParser) stmtList() ([]int, error) {
	var mentioned []int
	for !p.isPunct("}") {
		if p.tok.kind == tokEOF {
			return nil, p.errorf("missing '}' at end of input")
		}
		vs, err := p.stmt()
		if err != nil {
			return nil, err
		}
		mentioned = append(mentioned, vs...)
		if p.isPunct(";") {
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
	}
	return mentioned, nil
}

func (p *dotParser) stmt() ([]int, error) {
	switch {
	case p.isKeyword("graph") || p.isKeyword("node") || p.isKeyword("edge"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		return nil, p.attrLists(true)
	case p.isPunct("--"):
		return nil, p.errorf("undirected edge '--': %s", undirectedHint)
	}
	if p.tok.kind == tokID && !p.isKeyword("subgraph") {
		name, err := p.idText()
		if err != nil {
			return nil, err
		}
		if p.isPunct("=") {
			if err := p.advance(); err != nil {
				return nil, err
			}
			return nil, p.id("attribute value")
		}
		first, err := p.port([]int{p.g.AddVertex(name)})
		if err != nil {
			return nil, err
		}
		return p.edgeRest(first)
	}
	if p.isKeyword("subgraph") || p.isPunct("{") {
		first, err := p.subgraph()
		if err != nil {
			return nil, err
		}
		return p.edgeRest(first)
	}
	return nil, p.errorf("unexpected %s: expected a statement", p.tok)
}

// edgeRest parses the "-> operand …" tail of an edge statement whose first
// operand is first, adds every edge, and parses trailing attributes.
func (p *dotParser) edgeRest(first []int) ([]int, error) {
	mentioned := append([]int(nil), first...)
	tails := first
	for {
		if p.isPunct("--") {
			return nil, p.errorf("undirected edge '--': %s", undirectedHint)
		}
		if !p.isPunct("->") {
			break
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		heads, err := p.operand()
		if err != nil {
			return nil, err
		}
		for _, u := range tails {
			for _, v := range heads {
				p.g.AddEdge(p.g.names[u], p.g.names[v])
			}
		}
		mentioned = append(mentioned, heads...)
		tails = heads
	}
	return mentioned, p.attrLists(false)
}

func (p *dotParser) operand() ([]int, error) {
	if p.isKeyword("subgraph") || p.isPunct("{") {
		return p.subgraph()
	}
	if p.tok.kind != tokID {
		return nil, p.errorf("expected a vertex id after '->', found %s", p.tok)
	}
	name, err := p.idText()
	if err != nil {
		return nil, err
	}
	return p.port([]int{p.g.AddVertex(name)})
}

// port skips an optional ":port" or ":port:compass" after a vertex id.
func (p *dotParser) port(vs []int) ([]int, error) {
	for k := 0; k < 2 && p.isPunct(":"); k++ {
		if err := p.advance(); err != nil {
			return nil, err
		}
		if err := p.id("port"); err != nil {
			return nil, err
		}
	}
	return vs, nil
}

// subgraph parses "[subgraph [id]] { … }" and returns the vertices it
// mentions. The braces only group vertices: their edges belong to the
// graph.
func (p *dotParser) subgraph() ([]int, error) {
	if p.isKeyword("subgraph") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind == tokID {
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
	}
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDOTNesting {
		return nil, p.errorf("subgraphs nested deeper than %d levels", maxDOTNesting)
	}
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	vs, err := p.stmtList()
	if err != nil {
		return nil, err
	}
	return vs, p.expect("}")
}

// id consumes one id, such as an attribute name or value.
func (p *dotParser) id(what string) error {
	if p.tok.kind != tokID {
		return p.errorf("expected %s, found %s", what, p.tok)
	}
	_, err := p.idText()
	return err
}

// idText consumes the current id token and returns its text. Quoted
// strings joined by "+" form one id, as in "ab" + "cd".
func (p *dotParser) idText() (string, error) {
	text, quoted := p.tok.text, p.tok.quoted
	if err := p.advance(); err != nil {
		return "", err
	}
	for quoted && p.isPunct("+") {
		if err := p.advance(); err != nil {
			return "", err
		}
		if p.tok.kind != tokID || !p.tok.quoted {
			return "", p.errorf("expected a quoted string after '+', found %s", p.tok)
		}
		text += p.tok.text
		if err := p.advance(); err != nil {
			return "", err
		}
	}
	return text, nil
}

// attrLists skips "[a=b, c=d] [e=f]". With required set at least one
// list must follow, as after "node" or "edge".
func (p *dotParser) attrLists(required bool) error {
	if required && !p.isPunct("[") {
		return p.errorf("expected '[' to start an attribute list, found %s", p.tok)
	}
	for p.isPunct("[") {
		if err := p.advance(); err != nil {
			return err
		}
		for !p.isPunct("]") {
			if err := p.id("attribute name"); err != nil {
				return err
			}
			if p.isPunct("=") {
				if err := p.advance(); err != nil {
					return err
				}
				if err := p.id("attribute value"); err != nil {
					return err
				}
			}
			if p.isPunct(",") || p.isPunct(";") {
				if err := p.advance(); err != nil {
					return err
				}
			}
		}
		if err := p.advance(); err != nil {
			return err
		}
	}
	return nil
}
