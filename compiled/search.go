package compiled

import (
	"errors"
	"fmt"
	"slices"
)

// ErrNoPath reports that the goal cannot be reached from the start: the
// model scored no next vertex.
var ErrNoPath = errors.New("no path")

// Result is the outcome of Search.
type Result struct {
	// First is the model's answer for the path prefix [start].
	First Answer
	// Next is the vertex the model picks first (see Search), or 0 when
	// First.Correct is empty.
	Next int
	// Path runs from start to goal, found by iterating the model; nil
	// when the goal cannot be reached or WalkOptions.NextOnly was set.
	Path []int
	// Runs counts the queries answered by the model; Backtracks counts
	// the steps undone because every scored vertex was already on the
	// path (possible only on graphs with cycles).
	Runs, Backtracks int
}

// Search asks the model for the next vertex from start towards goal and
// then iterates: it appends the picked vertex to the path prefix and asks
// again, until the path reaches goal. See Walk for the rules.
func (s *Session) Search(start, goal int) (*Result, error) {
	return s.SearchFrom(start, goal, []int{start})
}

// SearchFrom is Search from a longer path prefix, which must start at
// start; the path found extends the prefix.
func (s *Session) SearchFrom(start, goal int, prefix []int) (*Result, error) {
	return s.SearchWith(start, goal, prefix, WalkOptions{})
}

// SearchWith is SearchFrom with options for the walk.
func (s *Session) SearchWith(start, goal int, prefix []int, opts WalkOptions) (*Result, error) {
	if err := s.m.checkQuery(s.edges, start, goal, prefix); err != nil {
		return nil, err
	}
	return WalkWith(prefix, goal, s.m.Vertices,
		func(path []int) (Answer, error) { return s.Answer(start, goal, path) },
		func(vertices []int) []int { return s.order(vertices, goal) }, opts)
}

// WalkOptions changes how WalkWith iterates the model.
type WalkOptions struct {
	// NextOnly stops after the first query: the Result has First and Next
	// but no Path. Each further step of a walk costs one more query.
	NextOnly bool
	// Progress, when set, is called after every query with the number of
	// queries so far and the length of the current path in vertices.
	Progress func(queries, pathLen int)
}

// Walk is WalkWith without options.
func Walk(prefix []int, goal, vertices int, ask func(path []int) (Answer, error), prefer func([]int) []int) (*Result, error) {
	return WalkWith(prefix, goal, vertices, ask, prefer, WalkOptions{})
}

// WalkWith finds a path from the prefix to goal by iterating a model: ask
// returns the model's answer for a path prefix, and prefer sorts scored
// vertices into the order in which to try them (nil keeps ascending ids).
// Vertex ids are 1..vertices. Walk is independent of how the model works,
// so trained models reuse it.
//
// Each step costs one query, so a path of d edges costs about d queries,
// more on graphs with cycles where the walk backtracks.
//
// The pick is the first scored vertex in prefer's order that has not been
// visited. Every scored vertex reaches the goal, so on a graph without
// cycles the walk never meets a vertex twice and ends at the goal after
// at most V−1 steps. On a graph with cycles all scored vertices of a step
// can already be visited; Walk then backtracks to the previous vertex and
// tries its next scored vertex. This is depth-first search over vertices
// that reach the goal, with every vertex expanded at most once, so it
// ends after at most V queries with a path whose new part is simple. Walk
// never backtracks into the given prefix.
//
// When the prefix already ends at goal, the path is the prefix. When the
// model scores no vertex for the prefix, Walk returns the Result (with
// Path nil) and an error matching ErrNoPath.
func WalkWith(prefix []int, goal, vertices int, ask func(path []int) (Answer, error), prefer func([]int) []int, opts WalkOptions) (*Result, error) {
	progress := opts.Progress
	if progress == nil {
		progress = func(int, int) {}
	}
	if prefer == nil {
		prefer = slices.Clone[[]int]
	}
	first, err := ask(prefix)
	if err != nil {
		return nil, err
	}
	res := &Result{First: first, Runs: 1}
	progress(1, len(prefix))
	firstOptions := prefer(first.Correct)
	if len(firstOptions) > 0 {
		res.Next = firstOptions[0]
	}
	if opts.NextOnly {
		if len(first.Correct) == 0 && prefix[len(prefix)-1] != goal {
			return res, fmt.Errorf("%w from %d to %d", ErrNoPath, prefix[len(prefix)-1], goal)
		}
		return res, nil
	}
	current := prefix[len(prefix)-1]
	if current == goal {
		res.Path = slices.Clone(prefix)
		return res, nil
	}
	if len(first.Correct) == 0 {
		return res, fmt.Errorf("%w from %d to %d", ErrNoPath, current, goal)
	}

	expanded := make([]bool, vertices+1)
	for _, p := range prefix {
		expanded[p] = true
	}
	fixed := len(prefix) - 1 // path[:fixed] is never undone
	path := slices.Clone(prefix)
	options := [][]int{firstOptions}
	for len(path) > fixed {
		top := len(path) - 1 - fixed
		pick := 0
		for len(options[top]) > 0 && pick == 0 {
			w := options[top][0]
			options[top] = options[top][1:]
			if !expanded[w] {
				pick = w
			}
		}
		if pick == 0 {
			path, options = path[:len(path)-1], options[:top]
			res.Backtracks++
			continue
		}
		path = append(path, pick)
		expanded[pick] = true
		if pick == goal {
			res.Path = path
			return res, nil
		}
		if res.Runs > vertices {
			break
		}
		ans, err := ask(path)
		if err != nil {
			return nil, err
		}
		res.Runs++
		progress(res.Runs, len(path))
		options = append(options, prefer(ans.Correct))
	}
	// Every scored vertex reaches the goal, so depth-first search over them
	// cannot run dry. Reaching this point means that the model scored a
	// vertex that does not reach the goal.
	return res, fmt.Errorf("compiled: the iteration from %d found no path to %d after %d queries although the first query scored %v", current, goal, res.Runs, first.Correct)
}

// order returns the vertices sorted by the block at which their decoded
// reach set first contained goal, then by id.
func (s *Session) order(vertices []int, goal int) []int {
	entry := func(x int) int {
		for k, sets := range s.reachAfter {
			if sets[x-1].has(goal) {
				return k
			}
		}
		return len(s.reachAfter)
	}
	out := slices.Clone(vertices)
	slices.SortStableFunc(out, func(a, b int) int { return entry(a) - entry(b) })
	return out
}

// ReachRow is the reach of one vertex after one block.
type ReachRow struct {
	Vertex int
	// Decoded is the size of the vertex's reach set read from the residual
	// stream: the union of the sets of its tokens.
	Decoded int
	// True is the number of vertices within 2^k edges of the vertex,
	// itself included, by breadth-first search.
	True int
}

// ReachLayer is the reach table after one block: the load block (k = 0)
// or merge block k.
type ReachLayer struct {
	K     int    // 0 after the load block, k after merge block k
	Hops  int    // 2^k
	Block string // the block's name
	// Skipped reports a merge block after the fixed point: it was not run,
	// and its sets equal those of the block before.
	Skipped bool
	Rows    []ReachRow
}

// ReachTable returns, for the load block and every merge block, each
// vertex's decoded reach set size beside the number of vertices within
// 2^k edges. Only vertices that occur in the edge list are listed.
func (s *Session) ReachTable() []ReachLayer {
	m := s.m
	adj := adjacency(m.Vertices, s.edges)
	present := make([]bool, m.Vertices)
	for _, e := range s.edges {
		present[e.From-1], present[e.To-1] = true, true
	}
	var out []ReachLayer
	for k := 0; k <= m.MergeLayers; k++ {
		layer := ReachLayer{K: k, Hops: 1 << k, Block: "load"}
		if k > 0 {
			layer.Block = m.LayerName(firstMerge + k - 1)
		}
		idx := k
		if idx >= len(s.reachAfter) {
			idx = len(s.reachAfter) - 1
			layer.Skipped = true
		}
		for v := 1; v <= m.Vertices; v++ {
			if !present[v-1] {
				continue
			}
			layer.Rows = append(layer.Rows, ReachRow{
				Vertex:  v,
				Decoded: s.reachAfter[idx][v-1].count(),
				True:    ball(adj, v, 1<<k),
			})
		}
		out = append(out, layer)
	}
	return out
}
