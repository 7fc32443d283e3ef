package task

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"qkv/graph"
)

// GraphTooLargeError reports a graph that does not fit in sequences of
// length N.
type GraphTooLargeError struct {
	Vertices, Edges int
	N               int // the requested sequence length
	MinN            int // the smallest sequence length that fits
}

func (e *GraphTooLargeError) Error() string {
	return fmt.Sprintf("graph with %d vertices and %d edges does not fit in N = %d tokens "+
		"(N must satisfy 3·edges + 5 ≤ N and vertices ≤ (N−5)/3): use N ≥ %d",
		e.Vertices, e.Edges, e.N, e.MinN)
}

// Encoding is a user graph turned into a task example.
type Encoding struct {
	Example Example
	Vocab   Vocab
	// Names maps a vertex id to the vertex name; Names[0] is unused.
	Names []string
	// IDs maps a vertex name to its id.
	IDs map[string]int
}

// EncodeOptions controls EncodeGraph.
type EncodeOptions struct {
	// Rand, when not nil, assigns vertex ids as a random injection into
	// 1..V, as the generators do. When nil, vertex i of the graph (in
	// order of first appearance) gets id i+1.
	Rand *rand.Rand
}

// EncodeGraph turns graph g and the query start→goal into an example for
// vocabulary v, with a one-vertex path prefix. Edges keep the graph's
// order. Every vertex gets an id, including vertices without edges.
//
// Errors: an unknown start or goal name gives a *graph.UnknownVertexError
// with close names; start = goal and a graph too large for N
// (*GraphTooLargeError, which states the smallest N that fits) are errors
// too. When goal cannot be reached from start, EncodeGraph returns the
// encoding (with empty Labels) together with an error that matches
// graph.ErrNoPath, because a missing path is a fact about the graph, not a broken input.
func EncodeGraph(g *graph.Digraph, start, goal string, v Vocab, opts EncodeOptions) (*Encoding, error) {
	s, err := g.Lookup(start)
	if err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	t, err := g.Lookup(goal)
	if err != nil {
		return nil, fmt.Errorf("goal: %w", err)
	}
	if s == t {
		return nil, fmt.Errorf("start and goal are both %q: choose two different vertices", start)
	}
	if g.Len() > v.MaxVertex() || 3*g.NumEdges()+5 > v.SeqLen() {
		return nil, &GraphTooLargeError{Vertices: g.Len(), Edges: g.NumEdges(), N: v.SeqLen(),
			MinN: MinSeqLenFor(g.Len(), g.NumEdges(), 1)}
	}

	ids := make([]int, g.Len())
	if opts.Rand != nil {
		perm := opts.Rand.Perm(v.MaxVertex())
		for i := range ids {
			ids[i] = perm[i] + 1
		}
	} else {
		for i := range ids {
			ids[i] = i + 1
		}
	}
	enc := &Encoding{Vocab: v, Names: make([]string, v.MaxVertex()+1), IDs: make(map[string]int, g.Len())}
	for i, name := range g.Names() {
		enc.Names[ids[i]] = name
		enc.IDs[name] = ids[i]
	}
	ex := &enc.Example
	for _, e := range g.Edges() {
		ex.Edges = append(ex.Edges, Edge{From: ids[e.From], To: ids[e.To]})
	}
	ex.Start, ex.Goal, ex.Path = ids[s], ids[t], []int{ids[s]}
	if err := ex.Validate(v); err != nil {
		return nil, err
	}
	if err := ex.Annotate(nil); err != nil {
		if errors.Is(err, graph.ErrNoPath) {
			return enc, &graph.NoPathError{From: start, To: goal}
		}
		return nil, err
	}
	return enc, nil
}

// NameOf returns the vertex name of id, or its number when the id has no
// name.
func (enc *Encoding) NameOf(id int) string {
	if id > 0 && id < len(enc.Names) && enc.Names[id] != "" {
		return enc.Names[id]
	}
	return fmt.Sprint(id)
}
