package task

import (
	"fmt"
	"strconv"
)

// MinSeqLen is the shortest sequence length with at least one vertex id:
// N = 8 gives V = 1.
const MinSeqLen = 8

// Vocab is the token vocabulary for sequences of length N. Vertex ids are
// 1..V with V = (N−5)/3 (integer division), followed by the special
// tokens PATH = V+1, EDGE = V+2, PAD = V+3 and QUERY = V+4, so the
// vocabulary has V+5 ids. Id 0 is never emitted.
//
// V is also the maximum number of vertices and of edges: 3·V + 5 ≤ N is
// the length of the longest sequence, with V edges and a one-vertex path
// prefix. For N = 128: V = 41, PATH = 42, EDGE = 43, PAD = 44, QUERY = 45,
// size 46.
type Vocab struct {
	n int
}

// NewVocab returns the vocabulary for sequence length n.
func NewVocab(n int) (Vocab, error) {
	if n < MinSeqLen {
		return Vocab{}, fmt.Errorf("invalid sequence length %d: must be at least %d (one vertex id needs 3·1+5 tokens)", n, MinSeqLen)
	}
	if n > 1<<24 {
		return Vocab{}, fmt.Errorf("invalid sequence length %d: must be at most %d", n, 1<<24)
	}
	return Vocab{n: n}, nil
}

// MustVocab is NewVocab for lengths known to be valid; it panics on an
// invalid n.
func MustVocab(n int) Vocab {
	v, err := NewVocab(n)
	if err != nil {
		panic(err)
	}
	return v
}

// SeqLen returns N.
func (v Vocab) SeqLen() int { return v.n }

// MaxVertex returns V, the largest vertex id, which is also the maximum
// number of vertices and of edges.
func (v Vocab) MaxVertex() int { return (v.n - 5) / 3 }

// Path returns the PATH token, which starts the path prefix.
func (v Vocab) Path() int { return v.MaxVertex() + 1 }

// Edge returns the EDGE token, which starts each edge "EDGE u v".
func (v Vocab) Edge() int { return v.MaxVertex() + 2 }

// Pad returns the PAD token, which fills the sequence on the left.
func (v Vocab) Pad() int { return v.MaxVertex() + 3 }

// Query returns the QUERY token, which starts "QUERY start goal".
func (v Vocab) Query() int { return v.MaxVertex() + 4 }

// Size returns the number of token ids, V+5 (id 0 included, though never
// emitted).
func (v Vocab) Size() int { return v.MaxVertex() + 5 }

// MaxLookahead returns (V−1)/2, the largest lookahead for which the
// balanced distribution can build a graph: two branches of that length
// need 2·L+1 vertices.
func (v Vocab) MaxLookahead() int { return (v.MaxVertex() - 1) / 2 }

// IsVertex reports whether id is a vertex id, 1..V.
func (v Vocab) IsVertex(id int) bool { return id >= 1 && id <= v.MaxVertex() }

// Token texts of the special tokens in the text format.
const (
	TextEdge  = "E"
	TextQuery = "Q"
	TextPath  = "P"
	TextPad   = "PAD"
)

// TokenText returns the text of token id: a vertex number, E, Q, P or
// PAD, or "?<id>" for an id outside the vocabulary.
func (v Vocab) TokenText(id int) string {
	switch {
	case v.IsVertex(id):
		return strconv.Itoa(id)
	case id == v.Edge():
		return TextEdge
	case id == v.Query():
		return TextQuery
	case id == v.Path():
		return TextPath
	case id == v.Pad():
		return TextPad
	}
	return "?" + strconv.Itoa(id)
}

// MinSeqLenFor returns the smallest N whose vocabulary fits a graph with
// the given numbers of vertices and edges and a path prefix of prefix
// vertices: 3·edges + 4 + prefix ≤ N, and vertices and edges ≤ (N−5)/3.
func MinSeqLenFor(vertices, edges, prefix int) int {
	byLength := 3*edges + 4 + max(prefix, 1)
	byIDs := 3*max(vertices, edges, 1) + 5
	return max(byLength, byIDs, MinSeqLen)
}
