package task

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"qkv/graph"
)

// Edge is a directed edge between two vertex ids.
type Edge = graph.Edge

// Example is one instance of the graph-search task: a graph given by its
// edges, a start and a goal vertex, a path prefix, and the correct next
// vertices. All vertices are token ids 1..V of a Vocab.
//
// As a token sequence of length N it reads, left-padded with PAD:
//
//	PAD … PAD  EDGE u₁ v₁ … EDGE u_E v_E  QUERY start goal  PATH p₀ … p_{j−1}
//
// and the model predicts the vertex after p_{j−1}, the current vertex.
type Example struct {
	// Edges in sequence order.
	Edges []Edge
	// Start and Goal are the query vertices.
	Start, Goal int
	// Path is the path prefix; Path[0] is Start and the last entry is the
	// current vertex. The generators emit one-vertex prefixes.
	Path []int
	// Labels lists every correct next vertex in ascending order: each
	// child of the current vertex from which Goal is reachable.
	Labels []int
	// Label is one element of Labels, drawn uniformly; it is the target of
	// training with cross-entropy.
	Label int
	// Next is the vertex after the current one on the shortest path the
	// example was built from. Lookahead is measured against it.
	Next int
	// Lookahead is the lookahead of the current vertex with respect to
	// Next and Goal (see Lookahead).
	Lookahead int
}

// Current returns the last vertex of the path prefix.
func (e *Example) Current() int { return e.Path[len(e.Path)-1] }

// Len returns the number of non-padding tokens: 3·edges + 4 + prefix.
func (e *Example) Len() int { return 3*len(e.Edges) + 4 + len(e.Path) }

// maxID returns the largest vertex id mentioned by the example.
func (e *Example) maxID() int {
	m := max(e.Start, e.Goal)
	for _, ed := range e.Edges {
		m = max(m, ed.From, ed.To)
	}
	for _, p := range e.Path {
		m = max(m, p)
	}
	return m
}

// Validate checks that the example fits vocabulary v: every vertex is an
// id in 1..V, the sequence fits in N tokens, no edge is a self-loop, the
// prefix starts at Start and follows edges, and Start differs from Goal.
// It does not check the labels; Annotate computes them.
func (e *Example) Validate(v Vocab) error {
	if len(e.Path) == 0 {
		return errors.New("invalid example: empty path prefix (it must start with the start vertex)")
	}
	check := func(what string, id int) error {
		if !v.IsVertex(id) {
			return fmt.Errorf("invalid %s %d: vertex ids for N = %d are 1..%d", what, id, v.SeqLen(), v.MaxVertex())
		}
		return nil
	}
	for _, ed := range e.Edges {
		if err := check("edge vertex", ed.From); err != nil {
			return err
		}
		if err := check("edge vertex", ed.To); err != nil {
			return err
		}
		if ed.From == ed.To {
			return fmt.Errorf("invalid edge %d→%d: self-loops are not allowed", ed.From, ed.To)
		}
	}
	for _, x := range []struct {
		what string
		id   int
	}{{"start vertex", e.Start}, {"goal vertex", e.Goal}} {
		if err := check(x.what, x.id); err != nil {
			return err
		}
	}
	for _, p := range e.Path {
		if err := check("path vertex", p); err != nil {
			return err
		}
	}
	if e.Start == e.Goal {
		return fmt.Errorf("invalid query: start and goal are both vertex %d", e.Start)
	}
	if e.Path[0] != e.Start {
		return fmt.Errorf("invalid path prefix: it starts at %d, not at the start vertex %d", e.Path[0], e.Start)
	}
	children, index := e.denseGraph()
	for i := 1; i < len(e.Path); i++ {
		if !slices.Contains(children[index[e.Path[i-1]]], index[e.Path[i]]) {
			return fmt.Errorf("invalid path prefix: no edge %d→%d", e.Path[i-1], e.Path[i])
		}
	}
	if l := e.Len(); l > v.SeqLen() {
		return fmt.Errorf("example needs %d tokens but N = %d: use N ≥ %d", l, v.SeqLen(),
			MinSeqLenFor(e.maxID(), len(e.Edges), len(e.Path)))
	}
	return nil
}

// denseGraph numbers the vertices of the example 0, 1, … in order of
// first mention (edges, then query, then path). It returns the children
// lists over those indices, in edge order with repeated edges listed once,
// and the index of every id. Dense indices keep memory proportional to the
// example even when ids are large.
func (e *Example) denseGraph() ([][]int, map[int]int) {
	index := map[int]int{}
	var children [][]int
	add := func(id int) int {
		i, ok := index[id]
		if !ok {
			i = len(index)
			index[id] = i
			children = append(children, nil)
		}
		return i
	}
	for _, ed := range e.Edges {
		u, w := add(ed.From), add(ed.To)
		if !slices.Contains(children[u], w) {
			children[u] = append(children[u], w)
		}
	}
	add(e.Start)
	add(e.Goal)
	for _, p := range e.Path {
		add(p)
	}
	return children, index
}

// Annotate computes Labels, Next and Lookahead from the graph and the
// query, and draws Label from Labels with r (or takes the smallest label
// when r is nil). Next is the first step of the shortest path to Goal that
// breadth-first search in edge order finds. When Goal cannot be reached
// from the current vertex, Labels is empty and Annotate returns an error
// matching graph.ErrNoPath. A prefix that already ends at Goal is an
// error too.
func (e *Example) Annotate(r *rand.Rand) error {
	if len(e.Path) == 0 {
		return errors.New("invalid example: empty path prefix")
	}
	e.Labels, e.Label, e.Next, e.Lookahead = nil, 0, 0, 0
	c := e.Current()
	if c == e.Goal {
		return fmt.Errorf("path prefix already ends at the goal %d: there is no next vertex", e.Goal)
	}
	children, index := e.denseGraph()
	ids := make([]int, len(index))
	for id, i := range index {
		ids[i] = id
	}
	ci, gi := index[c], index[e.Goal]
	reaches := reachesGoal(children, gi)
	for _, x := range children[ci] {
		// A self-loop on the current vertex is never a step forward.
		if reaches[x] && x != ci {
			e.Labels = append(e.Labels, ids[x])
		}
	}
	if len(e.Labels) == 0 {
		return &graph.NoPathError{From: strconv.Itoa(c), To: strconv.Itoa(e.Goal)}
	}
	slices.Sort(e.Labels)
	next := firstStep(children, ci, gi)
	e.Next = ids[next]
	e.Lookahead = lookahead(children, ci, next, gi, nil)
	e.Label = e.Labels[0]
	if r != nil {
		e.Label = e.Labels[r.IntN(len(e.Labels))]
	}
	return nil
}

// reachesGoal returns, for every vertex, whether goal is reachable from
// it (a backward search over the reversed edges).
func reachesGoal(children [][]int, goal int) []bool {
	parents := make([][]int, len(children))
	for u, cs := range children {
		for _, w := range cs {
			parents[w] = append(parents[w], u)
		}
	}
	seen := make([]bool, len(children))
	seen[goal] = true
	stack := []int{goal}
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, p := range parents[u] {
			if !seen[p] {
				seen[p] = true
				stack = append(stack, p)
			}
		}
	}
	return seen
}

// firstStep returns the child of from that starts the first shortest path
// to goal found by breadth-first search, or -1 if there is none.
func firstStep(children [][]int, from, goal int) int {
	first := make([]int, len(children))
	for i := range first {
		first[i] = -2
	}
	first[from] = -1
	queue := []int{}
	for _, x := range children[from] {
		if first[x] == -2 {
			first[x] = x
			queue = append(queue, x)
		}
	}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		if u == goal {
			return first[u]
		}
		for _, w := range children[u] {
			if first[w] == -2 {
				first[w] = first[u]
				queue = append(queue, w)
			}
		}
	}
	return -1
}

// AppendTokens appends the example's N token ids, left-padded, to dst.
func (e *Example) AppendTokens(dst []int32, v Vocab) ([]int32, error) {
	if err := e.Validate(v); err != nil {
		return dst, err
	}
	return e.appendTokens(dst, v), nil
}

// appendTokens is AppendTokens for a validated example.
func (e *Example) appendTokens(dst []int32, v Vocab) []int32 {
	pad := int32(v.Pad())
	for range v.SeqLen() - e.Len() {
		dst = append(dst, pad)
	}
	return e.appendContent(dst, v)
}

func (e *Example) appendContent(dst []int32, v Vocab) []int32 {
	edge := int32(v.Edge())
	for _, ed := range e.Edges {
		dst = append(dst, edge, int32(ed.From), int32(ed.To))
	}
	dst = append(dst, int32(v.Query()), int32(e.Start), int32(e.Goal), int32(v.Path()))
	for _, p := range e.Path {
		dst = append(dst, int32(p))
	}
	return dst
}

// Tokens returns the example's N token ids, left-padded.
func (e *Example) Tokens(v Vocab) ([]int32, error) {
	return e.AppendTokens(make([]int32, 0, v.SeqLen()), v)
}

// Key returns the padding-stripped token sequence as a compact string,
// the identity of an example for reserved test sets: two examples have
// the same key exactly when their sequences are equal.
func (e *Example) Key() string {
	b := make([]byte, 0, 2*e.Len())
	for _, ed := range e.Edges {
		b = binary.AppendUvarint(b, uint64(ed.From))
		b = binary.AppendUvarint(b, uint64(ed.To))
	}
	b = append(b, 0)
	b = binary.AppendUvarint(b, uint64(e.Start))
	b = binary.AppendUvarint(b, uint64(e.Goal))
	for _, p := range e.Path {
		b = binary.AppendUvarint(b, uint64(p))
	}
	return string(b)
}

// Text returns the sequence in text form without padding, for example
// "E 4 1 E 8 3 E 1 6 Q 8 6 P 8".
func (e *Example) Text() string {
	var b strings.Builder
	for _, ed := range e.Edges {
		fmt.Fprintf(&b, "E %d %d ", ed.From, ed.To)
	}
	fmt.Fprintf(&b, "Q %d %d P", e.Start, e.Goal)
	for _, p := range e.Path {
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(p))
	}
	return b.String()
}
