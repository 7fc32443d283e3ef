package graph

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Edge is a directed edge between two vertex indices.
type Edge struct {
	From, To int
}

// Digraph is a simple directed graph with string vertex names. The zero
// value is not usable; create one with New.
type Digraph struct {
	names      []string
	index      map[string]int
	children   [][]int
	parents    [][]int
	edges      []Edge
	edgeSet    map[Edge]struct{}
	selfLoops  []string
	duplicates int
}

// New returns an empty graph.
func New() *Digraph {
	return &Digraph{index: map[string]int{}, edgeSet: map[Edge]struct{}{}}
}

// EdgeStatus is the outcome of AddEdge.
type EdgeStatus int

const (
	// EdgeAdded means the edge is new and was added.
	EdgeAdded EdgeStatus = iota
	// EdgeDuplicate means the edge was already present and was merged.
	EdgeDuplicate
	// EdgeSelfLoop means the edge went from a vertex to itself and was
	// dropped.
	EdgeSelfLoop
)

// String returns "added", "duplicate" or "self-loop".
func (s EdgeStatus) String() string {
	switch s {
	case EdgeAdded:
		return "added"
	case EdgeDuplicate:
		return "duplicate"
	case EdgeSelfLoop:
		return "self-loop"
	}
	return fmt.Sprintf("EdgeStatus(%d)", int(s))
}

// AddVertex returns the index of the vertex called name, adding it if it is
// new.
func (g *Digraph) AddVertex(name string) int {
	if i, ok := g.index[name]; ok {
		return i
	}
	i := len(g.names)
	g.names = append(g.names, name)
	g.index[name] = i
	g.children = append(g.children, nil)
	g.parents = append(g.parents, nil)
	return i
}

// AddEdge adds the edge from→to, adding missing vertices first. A repeated
// edge is merged and a self-loop is dropped (its vertex is still added).
func (g *Digraph) AddEdge(from, to string) EdgeStatus {
	u, v := g.AddVertex(from), g.AddVertex(to)
	if u == v {
		g.selfLoops = append(g.selfLoops, from)
		return EdgeSelfLoop
	}
	e := Edge{u, v}
	if _, ok := g.edgeSet[e]; ok {
		g.duplicates++
		return EdgeDuplicate
	}
	g.edgeSet[e] = struct{}{}
	g.edges = append(g.edges, e)
	g.children[u] = append(g.children[u], v)
	g.parents[v] = append(g.parents[v], u)
	return EdgeAdded
}

// Len returns the number of vertices.
func (g *Digraph) Len() int { return len(g.names) }

// NumEdges returns the number of distinct edges (self-loops excluded).
func (g *Digraph) NumEdges() int { return len(g.edges) }

// Name returns the name of vertex i.
func (g *Digraph) Name(i int) string { return g.names[i] }

// Names returns the vertex names in index order. The caller must not
// modify the slice.
func (g *Digraph) Names() []string { return g.names }

// Index returns the index of the vertex called name.
func (g *Digraph) Index(name string) (int, bool) {
	i, ok := g.index[name]
	return i, ok
}

// Children returns the heads of the edges leaving vertex i, in order of
// edge appearance. The caller must not modify the slice.
func (g *Digraph) Children(i int) []int { return g.children[i] }

// Parents returns the tails of the edges entering vertex i, in order of
// edge appearance. The caller must not modify the slice.
func (g *Digraph) Parents(i int) []int { return g.parents[i] }

// Edges returns the distinct edges in order of first appearance. The
// caller must not modify the slice.
func (g *Digraph) Edges() []Edge { return g.edges }

// HasEdge reports whether the edge u→v is present.
func (g *Digraph) HasEdge(u, v int) bool {
	_, ok := g.edgeSet[Edge{u, v}]
	return ok
}

// SelfLoops returns the names of the vertices whose self-loops were
// dropped, once per dropped edge.
func (g *Digraph) SelfLoops() []string { return g.selfLoops }

// DuplicateEdges returns how many repeated edges were merged.
func (g *Digraph) DuplicateEdges() int { return g.duplicates }

// Adjacency returns a copy of the children lists, indexed by vertex.
func (g *Digraph) Adjacency() [][]int {
	adj := make([][]int, len(g.children))
	for i, c := range g.children {
		adj[i] = append([]int(nil), c...)
	}
	return adj
}

// ErrUnknownVertex is matched (with errors.Is) by every UnknownVertexError.
var ErrUnknownVertex = errors.New("unknown vertex")

// UnknownVertexError reports a vertex name that is not in the graph, with
// the closest names that are.
type UnknownVertexError struct {
	Name        string
	Suggestions []string
}

func (e *UnknownVertexError) Error() string {
	msg := fmt.Sprintf("vertex %q is not in the graph", e.Name)
	if len(e.Suggestions) > 0 {
		quoted := make([]string, len(e.Suggestions))
		for i, s := range e.Suggestions {
			quoted[i] = fmt.Sprintf("%q", s)
		}
		msg += "; did you mean " + strings.Join(quoted, " or ") + "?"
	}
	return msg
}

// Is makes errors.Is(err, ErrUnknownVertex) true.
func (e *UnknownVertexError) Is(target error) bool { return target == ErrUnknownVertex }

// Lookup returns the index of the vertex called name, or an
// *UnknownVertexError that suggests up to three close names.
func (g *Digraph) Lookup(name string) (int, error) {
	if i, ok := g.index[name]; ok {
		return i, nil
	}
	return -1, &UnknownVertexError{Name: name, Suggestions: g.Suggest(name, 3)}
}

// Suggest returns up to count vertex names close to name: names that contain
// it or that it contains (ignoring case), and names within a small edit
// distance, closest first.
func (g *Digraph) Suggest(name string, count int) []string {
	type scored struct {
		name  string
		score int
	}
	lower := strings.ToLower(name)
	limit := len(name)/3 + 1
	var found []scored
	for _, cand := range g.names {
		lc := strings.ToLower(cand)
		d := editDistance(lower, lc)
		switch {
		case lc == lower:
			d = 0
		case lower != "" && (strings.Contains(lc, lower) || strings.Contains(lower, lc)):
			d = min(d, 1)
		case d > limit:
			continue
		}
		found = append(found, scored{cand, d})
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].score < found[j].score })
	var out []string
	for _, s := range found {
		if len(out) == count {
			break
		}
		out = append(out, s.name)
	}
	return out
}

// editDistance returns the Levenshtein distance between a and b in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Subgraph returns the graph induced by the vertices with keep[v] set:
// those vertices, in their original order, and the edges between them.
func (g *Digraph) Subgraph(keep []bool) *Digraph {
	sub := New()
	for v, name := range g.names {
		if keep[v] {
			sub.AddVertex(name)
		}
	}
	for _, e := range g.edges {
		if keep[e.From] && keep[e.To] {
			sub.AddEdge(g.names[e.From], g.names[e.To])
		}
	}
	return sub
}
