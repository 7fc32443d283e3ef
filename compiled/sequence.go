package compiled

import (
	"fmt"

	"qkv/attention"
	"qkv/task"
	"qkv/tensor"
)

// token is one position of the sequence the model reads.
type token struct {
	kind   int // kindEdge, kindQuery, kindPath or kindVertex
	vertex int // vertex id 1..V for kindVertex, 0 otherwise
}

// edgeTokens returns "E u v" for every edge: the prefix of the sequence,
// which the model reads bidirectionally.
func edgeTokens(edges []task.Edge) []token {
	seq := make([]token, 0, 3*len(edges))
	for _, e := range edges {
		seq = append(seq, token{kind: kindEdge}, token{kindVertex, e.From}, token{kindVertex, e.To})
	}
	return seq
}

// queryTokens returns "Q s g P p₀ … p_{j−1}": the tail of the sequence,
// which the model reads causally.
func queryTokens(start, goal int, path []int) []token {
	seq := []token{{kind: kindQuery}, {kindVertex, start}, {kindVertex, goal}, {kind: kindPath}}
	for _, p := range path {
		seq = append(seq, token{kindVertex, p})
	}
	return seq
}

// embed returns the input rows [n×D] of tokens placed at positions
// first, first+1, …: the kind flag, the position code and, for a vertex
// v, self[v] = reach[v] = 1 (a vertex reaches itself).
func (m *Model) embed(tokens []token, first int) *tensor.Matrix[float64] {
	l := m.lay
	x := tensor.New[float64](len(tokens), l.width)
	for i, t := range tokens {
		row := x.Row(i)
		row[l.kind+t.kind] = 1
		positionCode(row[l.pos:l.pos+2*l.freqs], first+i, l.freqs)
		if t.kind == kindVertex {
			row[l.self+t.vertex-1] = 1
			row[l.reach+t.vertex-1] = 1
		}
	}
	return x
}

// prefixMask returns the attention mask of the whole sequence. The first
// prefix tokens (the edges) attend to each other in both directions. Every
// later token attends to the edges, to the tokens before it and to itself.
// Edge tokens never see the query, so their states do not depend on it.
func prefixMask(n, prefix int) attention.Mask[float64] {
	allow := make([]bool, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			allow[i*n+j] = j < prefix || j <= i
		}
	}
	return attention.Mask[float64]{Allow: allow}
}

// checkQuery validates the edges, query and path against the model.
func (m *Model) checkQuery(edges []task.Edge, start, goal int, path []int) error {
	if err := m.checkEdges(edges); err != nil {
		return err
	}
	for _, c := range []struct {
		what string
		id   int
	}{{"start", start}, {"goal", goal}} {
		if c.id < 1 || c.id > m.Vertices {
			return fmt.Errorf("compiled: %s vertex %d is out of range: vertex ids are 1..%d", c.what, c.id, m.Vertices)
		}
	}
	if len(path) == 0 {
		return fmt.Errorf("compiled: empty path prefix: it must start with the start vertex %d", start)
	}
	if len(path) > m.Vertices {
		return fmt.Errorf("compiled: path prefix of %d vertices is longer than the %d vertices of the graph", len(path), m.Vertices)
	}
	if path[0] != start {
		return fmt.Errorf("compiled: path prefix starts at %d, not at the start vertex %d", path[0], start)
	}
	for i, p := range path {
		if p < 1 || p > m.Vertices {
			return fmt.Errorf("compiled: path vertex %d (position %d) is out of range: vertex ids are 1..%d", p, i+1, m.Vertices)
		}
	}
	if n := 3*len(edges) + 4 + len(path); n > m.MaxSeq {
		return fmt.Errorf("compiled: the sequence has %d tokens but the model was built for at most %d", n, m.MaxSeq)
	}
	return nil
}

func (m *Model) checkEdges(edges []task.Edge) error {
	for i, e := range edges {
		if e.From < 1 || e.From > m.Vertices || e.To < 1 || e.To > m.Vertices {
			return fmt.Errorf("compiled: edge %d (%d→%d) has a vertex outside 1..%d", i+1, e.From, e.To, m.Vertices)
		}
	}
	if n := 3*len(edges) + 5; n > m.MaxSeq {
		return fmt.Errorf("compiled: %d edges need at least %d tokens but the model was built for at most %d", len(edges), n, m.MaxSeq)
	}
	return nil
}
