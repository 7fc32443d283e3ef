package task

import (
	"fmt"
	"strconv"
	"strings"
)

// Pseudo-ids of special tokens while parsing, independent of any Vocab.
const (
	symEdge  = -1
	symQuery = -2
	symPath  = -3
	symPad   = -4
)

// ParseText reads a sequence in text form: optional leading PAD tokens,
// then "E u v" for every edge, "Q start goal", "P" and the path prefix,
// separated by blanks, for example "E 4 1 E 8 3 E 1 6 Q 8 6 P 8". E, Q, P
// and PAD may be written in any case. The example is returned without
// labels; call Annotate to compute them and Validate to check it against
// a Vocab.
func ParseText(s string) (Example, error) {
	words := strings.Fields(s)
	syms := make([]int, len(words))
	for i, w := range words {
		switch strings.ToUpper(w) {
		case TextEdge:
			syms[i] = symEdge
		case TextQuery:
			syms[i] = symQuery
		case TextPath:
			syms[i] = symPath
		case TextPad:
			syms[i] = symPad
		default:
			n, err := strconv.Atoi(w)
			if err != nil || n < 1 {
				return Example{}, fmt.Errorf("token %d: invalid token %q: expected E, Q, P, PAD or a vertex id ≥ 1", i+1, w)
			}
			syms[i] = n
		}
	}
	return fromSymbols(syms, func(i int) string { return words[i] })
}

// Decode reads a sequence of token ids of vocabulary v. Leading PAD
// tokens are skipped; the sequence may be shorter than N. The example is
// returned without labels; call Annotate to compute them.
func Decode(v Vocab, ids []int32) (Example, error) {
	if len(ids) > v.SeqLen() {
		return Example{}, fmt.Errorf("sequence of %d tokens is longer than N = %d", len(ids), v.SeqLen())
	}
	syms := make([]int, len(ids))
	for i, id := range ids {
		switch {
		case v.IsVertex(int(id)):
			syms[i] = int(id)
		case int(id) == v.Edge():
			syms[i] = symEdge
		case int(id) == v.Query():
			syms[i] = symQuery
		case int(id) == v.Path():
			syms[i] = symPath
		case int(id) == v.Pad():
			syms[i] = symPad
		default:
			return Example{}, fmt.Errorf("token %d: invalid token id %d: the vocabulary for N = %d has ids 1..%d", i+1, id, v.SeqLen(), v.Size()-1)
		}
	}
	ex, err := fromSymbols(syms, func(i int) string { return v.TokenText(int(ids[i])) })
	if err != nil {
		return Example{}, err
	}
	return ex, ex.Validate(v)
}

// fromSymbols parses the token grammar. text(i) renders token i for
// error messages.
func fromSymbols(syms []int, text func(int) string) (Example, error) {
	var ex Example
	i := 0
	for i < len(syms) && syms[i] == symPad {
		i++
	}
	fail := func(at int, want string) error {
		if at >= len(syms) {
			return fmt.Errorf("sequence ends after %d tokens: expected %s", len(syms), want)
		}
		return fmt.Errorf("token %d: unexpected %q: expected %s", at+1, text(at), want)
	}
	vertex := func(at int, what string) (int, error) {
		if at >= len(syms) || syms[at] <= 0 {
			return 0, fail(at, what)
		}
		return syms[at], nil
	}
	for i < len(syms) && syms[i] == symEdge {
		u, err := vertex(i+1, "the source vertex of an edge")
		if err != nil {
			return ex, err
		}
		w, err := vertex(i+2, "the target vertex of an edge")
		if err != nil {
			return ex, err
		}
		ex.Edges = append(ex.Edges, Edge{From: u, To: w})
		i += 3
	}
	if i >= len(syms) || syms[i] != symQuery {
		return ex, fail(i, "E (an edge) or Q (the query)")
	}
	var err error
	if ex.Start, err = vertex(i+1, "the start vertex"); err != nil {
		return ex, err
	}
	if ex.Goal, err = vertex(i+2, "the goal vertex"); err != nil {
		return ex, err
	}
	i += 3
	if i >= len(syms) || syms[i] != symPath {
		return ex, fail(i, "P (the path prefix)")
	}
	i++
	for ; i < len(syms); i++ {
		p, err := vertex(i, "a path vertex")
		if err != nil {
			return ex, err
		}
		ex.Path = append(ex.Path, p)
	}
	if len(ex.Path) == 0 {
		return ex, fail(i, "the path prefix after P (at least the start vertex)")
	}
	if ex.Path[0] != ex.Start {
		return ex, fmt.Errorf("path prefix starts at %d, not at the start vertex %d", ex.Path[0], ex.Start)
	}
	return ex, nil
}
