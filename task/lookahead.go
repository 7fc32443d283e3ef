package task

import (
	"fmt"
	"slices"

	"qkv/graph"
)

// Lookahead returns how many breadth-first levels below vertex current a
// search must inspect before the branch through next is the only one left
// that can still matter for reaching goal. Vertices are indices into
// children, the adjacency lists of the graph; next must be a child of
// current and goal must be reachable from next.
//
// The procedure is the branch-tagged breadth-first search that defines the
// lookahead of the graph-search task:
//
//  1. The frontier holds every child x of current, tagged with itself;
//     all of them are marked visited.
//  2. While the frontier is not empty: if every entry is tagged next,
//     stop, because every competing branch has died out. Otherwise count
//     one more level and scan the frontier in order. Reaching goal stops the
//     search. A child w of an entry (u, t) that is not yet visited joins
//     the next frontier with tag t; if w is already in the next frontier
//     and t is next, w is re-tagged next, so a vertex shared by several
//     branches counts for the correct one.
//  3. The result is the number of levels counted.
//
// A vertex with a single child has lookahead 0. If goal is a child of
// current and current has other children, the lookahead is 1.
//
// On a graph with cycles current itself counts as visited, so a path back
// to it never keeps a branch alive; on a DAG this makes no difference.
func Lookahead(children [][]int, current, next, goal int) (int, error) {
	n := len(children)
	for _, x := range []int{current, next, goal} {
		if x < 0 || x >= n {
			return 0, fmt.Errorf("vertex index %d out of range [0, %d)", x, n)
		}
	}
	if !slices.Contains(children[current], next) {
		return 0, fmt.Errorf("vertex %d is not a child of the current vertex %d", next, current)
	}
	if graph.BFS(children, next)[goal] < 0 {
		return 0, fmt.Errorf("goal %d is not reachable from vertex %d", goal, next)
	}
	return lookahead(children, current, next, goal, nil), nil
}

// lookaheadScratch holds buffers reused across calls by one goroutine.
type lookaheadScratch struct {
	visited  []bool
	frontier []tagged
	nextF    []tagged
	pos      []int32 // index of each vertex in the next frontier, or -1
}

type tagged struct{ v, tag int }

// lookahead is Lookahead without argument checks. s may be nil.
func lookahead(children [][]int, current, next, goal int, s *lookaheadScratch) int {
	if s == nil {
		s = &lookaheadScratch{}
	}
	n := len(children)
	s.visited = resetBools(s.visited, n)
	s.pos = resetInts(s.pos, n)
	s.frontier = s.frontier[:0]
	s.visited[current] = true
	for _, x := range children[current] {
		if !s.visited[x] {
			s.visited[x] = true
			s.frontier = append(s.frontier, tagged{x, x})
		}
	}
	level := 0
	for len(s.frontier) > 0 {
		allNext := true
		for _, e := range s.frontier {
			if e.tag != next {
				allNext = false
				break
			}
		}
		if allNext {
			return level
		}
		level++
		s.nextF = s.nextF[:0]
		for _, e := range s.frontier {
			if e.v == goal {
				return level
			}
			for _, w := range children[e.v] {
				switch {
				case !s.visited[w]:
					s.visited[w] = true
					s.pos[w] = int32(len(s.nextF))
					s.nextF = append(s.nextF, tagged{w, e.tag})
				case e.tag == next && s.pos[w] >= 0:
					s.nextF[s.pos[w]].tag = next
				}
			}
		}
		// pos describes only the frontier under construction.
		for _, e := range s.nextF {
			s.pos[e.v] = -1
		}
		s.frontier, s.nextF = s.nextF, s.frontier
	}
	return level
}

func resetBools(b []bool, n int) []bool {
	if cap(b) < n {
		return make([]bool, n)
	}
	b = b[:n]
	clear(b)
	return b
}

func resetInts(p []int32, n int) []int32 {
	if cap(p) < n {
		p = make([]int32, n)
	}
	p = p[:n]
	for i := range p {
		p[i] = -1
	}
	return p
}

// LookaheadReference computes the same value as Lookahead by a different
// route, from breadth-first distances instead of tagged frontiers. It is
// the test oracle for Lookahead and the generators.
//
// Let d_c and d_n be the distances from current and from next. A vertex x
// at level k = d_c(x) ≥ 1 belongs to the branch of next exactly when some
// shortest path from current to x starts with the edge current→next, that
// is when d_n(x) = k − 1. Let K be the first level on which every vertex
// belongs to that branch (an empty level qualifies). Then the lookahead is
// min(d_c(goal), K − 1): the search stops either at the goal's level or
// just before the first level where no competing branch is left.
func LookaheadReference(children [][]int, current, next, goal int) (int, error) {
	n := len(children)
	for _, x := range []int{current, next, goal} {
		if x < 0 || x >= n {
			return 0, fmt.Errorf("vertex index %d out of range [0, %d)", x, n)
		}
	}
	if !slices.Contains(children[current], next) {
		return 0, fmt.Errorf("vertex %d is not a child of the current vertex %d", next, current)
	}
	dn := graph.BFS(children, next)
	if dn[goal] < 0 {
		return 0, fmt.Errorf("goal %d is not reachable from vertex %d", goal, next)
	}
	dc := graph.BFS(children, current)
	goalLevel := dc[goal]
	if goal == current {
		// The goal is only reached again through a cycle, which the search
		// never follows back into current: no level contains it.
		goalLevel = -1
	}
	maxLevel := 0
	for _, d := range dc {
		maxLevel = max(maxLevel, d)
	}
	onBranch := make([]bool, maxLevel+2)
	count := make([]int, maxLevel+2)
	for k := range onBranch {
		onBranch[k] = true
	}
	for x, k := range dc {
		if x == current || k < 1 {
			continue
		}
		count[k]++
		if dn[x] != k-1 {
			onBranch[k] = false
		}
	}
	for k := 1; k < len(onBranch); k++ {
		if goalLevel >= 1 && k > goalLevel {
			return goalLevel, nil
		}
		if onBranch[k] || count[k] == 0 {
			return k - 1, nil
		}
	}
	return maxLevel, nil
}
