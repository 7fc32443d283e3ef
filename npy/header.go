package npy

import (
	"fmt"
	"strconv"
	"strings"
)

// header is the parsed dict at the start of an .npy file.
type header struct {
	descr        string
	fortranOrder bool
	shape        []int
}

// parseHeader parses the Python dict literal of an .npy header, such as
// {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }.
func parseHeader(text string) (header, error) {
	p := &dictParser{s: strings.TrimRight(text, " \n\x00")}
	var h header
	seen := map[string]bool{}
	p.skipSpace()
	if !p.consume('{') {
		return h, fmt.Errorf("invalid header %q: want a dict starting with '{'", clip(text))
	}
	for {
		p.skipSpace()
		if p.consume('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return h, fmt.Errorf("invalid header %q: %v", clip(text), err)
		}
		p.skipSpace()
		if !p.consume(':') {
			return h, fmt.Errorf("invalid header %q: want ':' after key %q", clip(text), key)
		}
		p.skipSpace()
		if seen[key] {
			return h, fmt.Errorf("invalid header %q: key %q appears twice", clip(text), key)
		}
		seen[key] = true
		switch key {
		case "descr":
			if p.peek() == '[' {
				return h, fmt.Errorf("unsupported dtype: structured arrays (descr is a list) cannot be read; save a plain numeric array")
			}
			h.descr, err = p.str()
		case "fortran_order":
			h.fortranOrder, err = p.boolean()
		case "shape":
			h.shape, err = p.tuple()
		default:
			return h, fmt.Errorf("invalid header %q: unknown key %q", clip(text), key)
		}
		if err != nil {
			return h, fmt.Errorf("invalid header %q: %s: %v", clip(text), key, err)
		}
		p.skipSpace()
		if !p.consume(',') {
			p.skipSpace()
			if !p.consume('}') {
				return h, fmt.Errorf("invalid header %q: want ',' or '}' after %s", clip(text), key)
			}
			break
		}
	}
	p.skipSpace()
	if p.i != len(p.s) {
		return h, fmt.Errorf("invalid header %q: unexpected text after the dict", clip(text))
	}
	for _, key := range []string{"descr", "fortran_order", "shape"} {
		if !seen[key] {
			return h, fmt.Errorf("invalid header %q: missing key %q", clip(text), key)
		}
	}
	return h, nil
}

// clip shortens s for an error message.
func clip(s string) string {
	const limit = 120
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}

// dictParser reads the small subset of Python literal syntax that .npy
// headers use: strings, True/False and tuples of non-negative integers.
type dictParser struct {
	s string
	i int
}

func (p *dictParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *dictParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *dictParser) consume(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

// str reads a quoted string without escapes, which is all numpy writes for
// keys and dtype descrs.
func (p *dictParser) str() (string, error) {
	quote := p.peek()
	if quote != '\'' && quote != '"' {
		return "", fmt.Errorf("want a quoted string at offset %d", p.i)
	}
	end := strings.IndexByte(p.s[p.i+1:], quote)
	if end < 0 {
		return "", fmt.Errorf("unterminated string at offset %d", p.i)
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.ContainsRune(v, '\\') {
		return "", fmt.Errorf("string %q with escapes is not supported", v)
	}
	p.i += end + 2
	return v, nil
}

func (p *dictParser) boolean() (bool, error) {
	switch {
	case strings.HasPrefix(p.s[p.i:], "True"):
		p.i += 4
		return true, nil
	case strings.HasPrefix(p.s[p.i:], "False"):
		p.i += 5
		return false, nil
	}
	return false, fmt.Errorf("want True or False at offset %d", p.i)
}

// tuple reads a tuple of non-negative integers: (), (3,) or (3, 4). A
// trailing L on an integer, as Python 2 wrote long integers, is accepted.
func (p *dictParser) tuple() ([]int, error) {
	if !p.consume('(') {
		return nil, fmt.Errorf("want a tuple at offset %d", p.i)
	}
	dims := []int{}
	for {
		p.skipSpace()
		if p.consume(')') {
			return dims, nil
		}
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if p.i == start {
			return nil, fmt.Errorf("want a non-negative integer at offset %d", p.i)
		}
		n, err := strconv.Atoi(p.s[start:p.i])
		if err != nil {
			return nil, fmt.Errorf("dimension %s is too large", p.s[start:p.i])
		}
		dims = append(dims, n)
		p.consume('L')
		p.skipSpace()
		if !p.consume(',') {
			p.skipSpace()
			if !p.consume(')') {
				return nil, fmt.Errorf("want ',' or ')' at offset %d", p.i)
			}
			return dims, nil
		}
	}
}
