package compiled

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"qkv/task"
)

var fullDifferential = flag.Bool("compiled.full", false, "run the differential test on 10,000 examples per distribution instead of 300")

// scoreTolerance bounds how far a readout score may be from 0 or 1: the
// softmax leak is below e^(−64) per key and the MLP rounding is near the
// float64 epsilon times the MLP gain 4n.
const scoreTolerance = 1e-6

// sessionTolerance bounds the difference between Session and Forward,
// which compute the same sums in a different grouping of rows.
const sessionTolerance = 1e-9

// edgeList returns the edges u₁→v₁, u₂→v₂, … of the pairs u₁, v₁, u₂, v₂, ….
func edgeList(ends ...int) []task.Edge {
	edges := make([]task.Edge, len(ends)/2)
	for i := range edges {
		edges[i] = task.Edge{From: ends[2*i], To: ends[2*i+1]}
	}
	return edges
}

func formatEdges(edges []task.Edge) string {
	var b strings.Builder
	for _, e := range edges {
		fmt.Fprintf(&b, "%d→%d ", e.From, e.To)
	}
	return strings.TrimSpace(b.String())
}

// checkAllPairs compares the model's answer with breadth-first search for
// every (current, goal) pair of a graph and checks that every score is
// near 0 or 1.
func checkAllPairs(t *testing.T, m *Model, s *Session, edges []task.Edge) {
	t.Helper()
	all := make([]int, m.Vertices)
	for i := range all {
		all[i] = i + 1
	}
	checkPairs(t, m, s, edges, all)
}

// checkPairs is checkAllPairs for the given current vertices only.
func checkPairs(t *testing.T, m *Model, s *Session, edges []task.Edge, currents []int) {
	t.Helper()
	for _, c := range currents {
		for g := 1; g <= m.Vertices; g++ {
			ans, err := s.Answer(c, g, []int{c})
			if err != nil {
				t.Fatalf("edges %s, current %d, goal %d: %v", formatEdges(edges), c, g, err)
			}
			want := CorrectNext(m.Vertices, edges, c, g)
			if !slices.Equal(ans.Correct, want) {
				t.Fatalf("edges %s, current %d, goal %d: model scores %v, breadth-first search finds %v", formatEdges(edges), c, g, ans.Correct, want)
			}
			for i, sc := range ans.Scores {
				if math.Min(math.Abs(sc), math.Abs(sc-1)) > scoreTolerance {
					t.Fatalf("edges %s, current %d, goal %d: score of %d is %v, want 0 or 1", formatEdges(edges), c, g, i+1, sc)
				}
			}
		}
	}
}

func TestAnswerDistributions(t *testing.T) {
	count := 300
	if *fullDifferential {
		count = 10000
	}
	const n = 128
	v := task.MustVocab(n)
	m, err := New(v.MaxVertex(), n)
	if err != nil {
		t.Fatal(err)
	}
	for _, dist := range []task.Distribution{task.Naive, task.Balanced, task.Star} {
		t.Run(dist.String(), func(t *testing.T) {
			gen, err := task.NewGenerator(task.Config{Dist: dist, N: n, MaxLookahead: 10})
			if err != nil {
				t.Fatal(err)
			}
			for i, ex := range gen.Generate(1, 0, count) {
				s, err := m.NewSession(ex.Edges)
				if err != nil {
					t.Fatalf("example %d %q: %v", i, ex.Text(), err)
				}
				ans, err := s.Answer(ex.Start, ex.Goal, ex.Path)
				if err != nil {
					t.Fatalf("example %d %q: %v", i, ex.Text(), err)
				}
				want := CorrectNext(m.Vertices, ex.Edges, ex.Current(), ex.Goal)
				if !slices.Equal(ans.Correct, want) {
					t.Fatalf("example %d %q: model scores %v, breadth-first search finds %v", i, ex.Text(), ans.Correct, want)
				}
				if !slices.Equal(ans.Correct, ex.Labels) {
					t.Fatalf("example %d %q: model scores %v, the generator's labels are %v", i, ex.Text(), ans.Correct, ex.Labels)
				}
			}
		})
	}
}

func TestAnswerAllSmallDAGs(t *testing.T) {
	// Every DAG on up to 5 vertices is isomorphic to one whose edges go
	// from a lower to a higher index, so the 2^(n(n−1)/2) edge subsets of
	// those pairs cover them all.
	for n := 1; n <= 5; n++ {
		var pairs []task.Edge
		for i := 1; i <= n; i++ {
			for j := i + 1; j <= n; j++ {
				pairs = append(pairs, task.Edge{From: i, To: j})
			}
		}
		m, err := New(n, 3*len(pairs)+4+n)
		if err != nil {
			t.Fatal(err)
		}
		for mask := 0; mask < 1<<len(pairs); mask++ {
			var edges []task.Edge
			for b, p := range pairs {
				if mask&(1<<b) != 0 {
					edges = append(edges, p)
				}
			}
			s, err := m.NewSession(edges)
			if err != nil {
				t.Fatal(err)
			}
			checkAllPairs(t, m, s, edges)
		}
	}
}

func TestAnswerSpecialGraphs(t *testing.T) {
	chain := func(n int) []task.Edge {
		var e []task.Edge
		for i := 1; i < n; i++ {
			e = append(e, task.Edge{From: i, To: i + 1})
		}
		return e
	}
	tests := []struct {
		name     string
		vertices int
		edges    []task.Edge
		currents []int // nil: every vertex
	}{
		{"no edges", 3, nil, nil},
		{"cycle", 4, edgeList(1, 2, 2, 3, 3, 1, 3, 4), nil},
		{"two cycles", 6, edgeList(1, 2, 2, 1, 2, 3, 3, 4, 4, 5, 5, 3, 5, 6), nil},
		{"self-loops", 4, edgeList(1, 1, 1, 2, 2, 2, 2, 3, 4, 4), nil},
		{"duplicate edges", 4, edgeList(1, 2, 1, 2, 2, 3, 1, 2, 3, 4, 3, 4), nil},
		{"isolated vertices", 7, edgeList(2, 3, 3, 5), nil},
		{"unreachable goal", 5, edgeList(1, 2, 2, 3, 4, 5), nil},
		{"back edge into start", 4, edgeList(2, 1, 1, 3, 3, 4, 4, 1), nil},
		{"chain of 40", 40, chain(40), []int{1, 2, 20, 39, 40}},
		{"chain of 65", 65, chain(65), []int{1, 2, 33, 64, 65}},
		{"complete on 6", 6, func() []task.Edge {
			var e []task.Edge
			for i := 1; i <= 6; i++ {
				for j := 1; j <= 6; j++ {
					e = append(e, task.Edge{From: i, To: j})
				}
			}
			return e
		}(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(tt.vertices, 3*len(tt.edges)+4+tt.vertices)
			if err != nil {
				t.Fatal(err)
			}
			s, err := m.NewSession(tt.edges)
			if err != nil {
				t.Fatal(err)
			}
			if tt.currents == nil {
				checkAllPairs(t, m, s, tt.edges)
			} else {
				checkPairs(t, m, s, tt.edges, tt.currents)
			}
		})
	}
}

func TestAnswerRandomGraphsWithCycles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 150; trial++ {
		v := 2 + r.IntN(11)
		edges := make([]task.Edge, r.IntN(2*v+1))
		for i := range edges {
			edges[i] = task.Edge{From: 1 + r.IntN(v), To: 1 + r.IntN(v)}
		}
		m, err := New(v, 3*len(edges)+4+v)
		if err != nil {
			t.Fatal(err)
		}
		s, err := m.NewSession(edges)
		if err != nil {
			t.Fatal(err)
		}
		checkAllPairs(t, m, s, edges)
	}
}

// randomWalkPrefix returns a path prefix from start that follows edges
// for up to steps steps.
func randomWalkPrefix(r *rand.Rand, adj [][]int, start, steps int) []int {
	path := []int{start}
	for range steps {
		ch := adj[path[len(path)-1]-1]
		if len(ch) == 0 {
			break
		}
		path = append(path, ch[r.IntN(len(ch))])
	}
	return path
}

func TestSessionMatchesForward(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 60; trial++ {
		v := 2 + r.IntN(9)
		edges := make([]task.Edge, 1+r.IntN(2*v))
		for i := range edges {
			edges[i] = task.Edge{From: 1 + r.IntN(v), To: 1 + r.IntN(v)}
		}
		m, err := New(v, 3*len(edges)+4+v)
		if err != nil {
			t.Fatal(err)
		}
		s, err := m.NewSession(edges)
		if err != nil {
			t.Fatal(err)
		}
		start, goal := 1+r.IntN(v), 1+r.IntN(v)
		path := randomWalkPrefix(r, adjacency(v, edges), start, r.IntN(v))
		ans, err := s.Answer(start, goal, path)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := m.Forward(&task.Example{Edges: edges, Start: start, Goal: goal, Path: path})
		if err != nil {
			t.Fatal(err)
		}
		last := tr.Final.Row(tr.Final.Rows - 1)[m.lay.next : m.lay.next+v]
		for i := range last {
			if d := math.Abs(last[i] - ans.Scores[i]); d > sessionTolerance {
				t.Fatalf("edges %s, path %v, goal %d: next[v%d] is %v in Forward and %v in Session", formatEdges(edges), path, goal, i+1, last[i], ans.Scores[i])
			}
		}
		want := CorrectNext(v, edges, path[len(path)-1], goal)
		if !slices.Equal(ans.Correct, want) {
			t.Fatalf("edges %s, path %v, goal %d: model scores %v, breadth-first search finds %v", formatEdges(edges), path, goal, ans.Correct, want)
		}
	}
}

func TestSessionQuerySequence(t *testing.T) {
	// One session answers a sequence of queries whose path prefixes grow,
	// shrink and change goal, as Walk asks them, so each query reuses a
	// different number of the previous query's rows. Every answer must
	// equal a full Forward of the same input.
	r := rand.New(rand.NewPCG(11, 12))
	for trial := 0; trial < 20; trial++ {
		v := 3 + r.IntN(8)
		edges := make([]task.Edge, 2*v)
		for i := range edges {
			edges[i] = task.Edge{From: 1 + r.IntN(v), To: 1 + r.IntN(v)}
		}
		m, err := New(v, 3*len(edges)+4+v)
		if err != nil {
			t.Fatal(err)
		}
		s, err := m.NewSession(edges)
		if err != nil {
			t.Fatal(err)
		}
		adj := adjacency(v, edges)
		start, goal := 1+r.IntN(v), 1+r.IntN(v)
		walk := randomWalkPrefix(r, adj, start, v-1)
		for step := 0; step < 12; step++ {
			if r.IntN(4) == 0 {
				goal = 1 + r.IntN(v)
			}
			path := walk[:1+r.IntN(len(walk))]
			ans, err := s.Answer(start, goal, path)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := m.Forward(&task.Example{Edges: edges, Start: start, Goal: goal, Path: path})
			if err != nil {
				t.Fatal(err)
			}
			last := tr.Final.Row(tr.Final.Rows - 1)[m.lay.next : m.lay.next+v]
			for i := range last {
				if d := math.Abs(last[i] - ans.Scores[i]); d > sessionTolerance {
					t.Fatalf("edges %s, query %d (path %v, goal %d): next[v%d] is %v in Forward and %v in Session", formatEdges(edges), step, path, goal, i+1, last[i], ans.Scores[i])
				}
			}
		}
	}
}

func TestReachTableMatchesBFS(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 40; trial++ {
		v := 2 + r.IntN(20)
		edges := make([]task.Edge, r.IntN(2*v))
		for i := range edges {
			edges[i] = task.Edge{From: 1 + r.IntN(v), To: 1 + r.IntN(v)}
		}
		m, err := New(v, 3*len(edges)+4+v)
		if err != nil {
			t.Fatal(err)
		}
		s, err := m.NewSession(edges)
		if err != nil {
			t.Fatal(err)
		}
		table := s.ReachTable()
		if len(table) != m.MergeLayers+1 {
			t.Fatalf("reach table has %d layers, want %d", len(table), m.MergeLayers+1)
		}
		for _, layer := range table {
			for _, row := range layer.Rows {
				if row.Decoded != row.True {
					t.Fatalf("edges %s: after %s vertex %d reaches %d vertices in the model and %d within %d edges", formatEdges(edges), layer.Block, row.Vertex, row.Decoded, row.True, layer.Hops)
				}
			}
		}
	}
}

func TestReachTableDoubles(t *testing.T) {
	var edges []task.Edge
	for i := 1; i < 17; i++ {
		edges = append(edges, task.Edge{From: i, To: i + 1})
	}
	m, err := New(17, 3*len(edges)+4+17)
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.NewSession(edges)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, layer := range s.ReachTable() {
		got = append(got, layer.Rows[0].Decoded)
	}
	want := []int{2, 3, 5, 9, 17, 17}
	if !slices.Equal(got, want) {
		t.Errorf("reach of vertex 1 on a 17-vertex chain per layer = %v, want %v", got, want)
	}
}

// checkPath verifies that path is a simple path along edges from start
// to goal.
func checkPath(t *testing.T, edges []task.Edge, path []int, start, goal int) {
	t.Helper()
	if len(path) == 0 || path[0] != start || path[len(path)-1] != goal {
		t.Fatalf("edges %s: path %v does not run from %d to %d", formatEdges(edges), path, start, goal)
	}
	seen := map[int]bool{}
	for i, p := range path {
		if seen[p] {
			t.Fatalf("edges %s: path %v visits %d twice", formatEdges(edges), path, p)
		}
		seen[p] = true
		if i > 0 && !slices.Contains(edges, task.Edge{From: path[i-1], To: p}) {
			t.Fatalf("edges %s: path %v uses %d→%d, which is not an edge", formatEdges(edges), path, path[i-1], p)
		}
	}
}

func TestSearchPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 60; trial++ {
		v := 2 + r.IntN(14)
		edges := make([]task.Edge, r.IntN(3*v))
		for i := range edges {
			edges[i] = task.Edge{From: 1 + r.IntN(v), To: 1 + r.IntN(v)}
		}
		m, err := New(v, 3*len(edges)+4+v)
		if err != nil {
			t.Fatal(err)
		}
		s, err := m.NewSession(edges)
		if err != nil {
			t.Fatal(err)
		}
		adj := adjacency(v, edges)
		for start := 1; start <= v; start++ {
			for goal := 1; goal <= v; goal++ {
				res, err := s.Search(start, goal)
				reachable := reaches(adj, goal)[start-1]
				switch {
				case !reachable:
					if !errors.Is(err, ErrNoPath) || res.Path != nil {
						t.Fatalf("edges %s, %d to %d: got path %v and error %v, want no path", formatEdges(edges), start, goal, res.Path, err)
					}
				case err != nil:
					t.Fatalf("edges %s, %d to %d: %v", formatEdges(edges), start, goal, err)
				default:
					checkPath(t, edges, res.Path, start, goal)
					if res.Runs > v {
						t.Fatalf("edges %s, %d to %d: %d queries, want at most %d", formatEdges(edges), start, goal, res.Runs, v)
					}
				}
			}
		}
	}
}

func TestSearchBacktracks(t *testing.T) {
	// From 1 both 2 and 4 reach the goal 4, but 2's only way there leads
	// back through 1: the walk picks 2 only if it is preferred, and must
	// then come back.
	edges := edgeList(1, 2, 2, 1, 1, 3, 3, 4)
	m, err := New(4, 3*len(edges)+8)
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.NewSession(edges)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Search(1, 4)
	if err != nil {
		t.Fatal(err)
	}
	checkPath(t, edges, res.Path, 1, 4)
	if !slices.Equal(res.First.Correct, []int{2, 3}) {
		t.Errorf("first answer = %v, want [2 3]", res.First.Correct)
	}
}

func TestLayerCount(t *testing.T) {
	tests := []struct{ vertices, merges, layers int }{
		{1, 0, 3}, {2, 1, 4}, {3, 2, 5}, {4, 2, 5}, {5, 3, 6}, {17, 5, 8}, {41, 6, 9}, {300, 9, 12},
	}
	for _, tt := range tests {
		m, err := New(tt.vertices, 64)
		if err != nil {
			t.Fatal(err)
		}
		if m.MergeLayers != tt.merges || m.Layers() != tt.layers || LayersFor(tt.vertices) != tt.layers {
			t.Errorf("V = %d: %d merges and %d layers (LayersFor %d), want %d and %d", tt.vertices, m.MergeLayers, m.Layers(), LayersFor(tt.vertices), tt.merges, tt.layers)
		}
		if len(m.Net.DimNames) != m.lay.width {
			t.Errorf("V = %d: %d names for %d dimensions", tt.vertices, len(m.Net.DimNames), m.lay.width)
		}
	}
}

func TestInvalidInput(t *testing.T) {
	if _, err := New(0, 10); err == nil {
		t.Error("New(0, 10) succeeded, want an error")
	}
	if _, err := New(MaxVertices+1, 10); err == nil {
		t.Error("New with too many vertices succeeded, want an error")
	}
	if _, err := New(3, MaxTokens+1); err == nil {
		t.Error("New with too many tokens succeeded, want an error")
	}
	if _, err := New(MaxVertices, MaxTokens); err == nil || !strings.Contains(err.Error(), "MiB") {
		t.Errorf("New(%d, %d) = %v, want an error with the memory estimate", MaxVertices, MaxTokens, err)
	}
	m, err := New(3, 16)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.NewSession(edgeList(1, 4)); err == nil {
		t.Error("edge to vertex 4 of a 3-vertex model accepted")
	}
	if _, err := m.NewSession(edgeList(1, 2, 2, 3, 3, 1, 1, 3)); err == nil {
		t.Error("4 edges (17 tokens) accepted by a 16-token model")
	}
	s, err := m.NewSession(edgeList(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name        string
		start, goal int
		path        []int
	}{
		{"start 0", 0, 1, []int{0}},
		{"goal 4", 1, 4, []int{1}},
		{"empty path", 1, 2, nil},
		{"path not at start", 1, 2, []int{2}},
		{"path vertex 9", 1, 2, []int{1, 9}},
	} {
		if _, err := s.Answer(c.start, c.goal, c.path); err == nil {
			t.Errorf("%s: accepted, want an error", c.name)
		}
	}
}

func ExampleSession_Search() {
	// 1→2→3→4 with a side branch 2→5.
	edges := edgeList(1, 2, 2, 3, 3, 4, 2, 5)
	m, _ := New(5, 3*len(edges)+4+5)
	s, _ := m.NewSession(edges)
	res, _ := s.Search(1, 4)
	fmt.Println("layers:", m.Layers())
	fmt.Println("next:", res.Next)
	fmt.Println("path:", res.Path)
	// Output:
	// layers: 6
	// next: 2
	// path: [1 2 3 4]
}

func ExampleModel_Forward() {
	// 1→2→3: after merge 1, the source token of the edge 1→2 reaches 3.
	ex := &task.Example{Edges: edgeList(1, 2, 2, 3), Start: 1, Goal: 3, Path: []int{1}}
	m, _ := New(3, 16)
	tr, _ := m.Forward(ex)
	row := tr.Blocks[firstMerge].Output.Row(1) // token 1: the "1" of "E 1 2"
	for j, name := range m.Net.DimNames {
		if strings.HasPrefix(name, "reach[") && row[j] > 0.5 {
			fmt.Println(name)
		}
	}
	// Output:
	// reach[v1]
	// reach[v2]
	// reach[v3]
}

func TestAnswerLargeGraph(t *testing.T) {
	if !*fullDifferential {
		t.Skip("takes about 20 s of CPU time; run with -args -compiled.full")
	}
	const vertices, numEdges = 300, 1000
	edges := randomGraph(vertices, numEdges, 2)
	m, err := New(vertices, 3*numEdges+4+vertices)
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.NewSession(edges)
	if err != nil {
		t.Fatal(err)
	}
	for _, layer := range s.ReachTable() {
		for _, row := range layer.Rows {
			if row.Decoded != row.True {
				t.Fatalf("after %s vertex %d reaches %d vertices in the model and %d within %d edges", layer.Block, row.Vertex, row.Decoded, row.True, layer.Hops)
			}
		}
	}
	r := rand.New(rand.NewPCG(9, 10))
	for range 200 {
		c, g := 1+r.IntN(vertices), 1+r.IntN(vertices)
		ans, err := s.Answer(c, g, []int{c})
		if err != nil {
			t.Fatal(err)
		}
		if want := CorrectNext(vertices, edges, c, g); !slices.Equal(ans.Correct, want) {
			t.Fatalf("current %d, goal %d: model scores %v, breadth-first search finds %v", c, g, ans.Correct, want)
		}
	}
}

func TestSearchWithNextOnlyAndProgress(t *testing.T) {
	edges := []task.Edge{{From: 1, To: 2}, {From: 2, To: 3}, {From: 3, To: 4}}
	m, err := New(4, 3*len(edges)+4+4)
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.NewSession(edges)
	if err != nil {
		t.Fatal(err)
	}
	var calls [][2]int
	progress := func(queries, pathLen int) { calls = append(calls, [2]int{queries, pathLen}) }
	res, err := s.SearchWith(1, 4, []int{1}, WalkOptions{Progress: progress})
	if err != nil {
		t.Fatal(err)
	}
	if want := [][2]int{{1, 1}, {2, 2}, {3, 3}}; !slices.Equal(calls, want) {
		t.Errorf("progress calls %v, want %v", calls, want)
	}
	if !slices.Equal(res.Path, []int{1, 2, 3, 4}) {
		t.Errorf("path %v, want [1 2 3 4]", res.Path)
	}
	res, err = s.SearchWith(1, 4, []int{1}, WalkOptions{NextOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Next != 2 || res.Path != nil || res.Runs != 1 {
		t.Errorf("next-only result: next %d, path %v, %d queries; want 2, nil, 1", res.Next, res.Path, res.Runs)
	}
	if _, err := s.SearchWith(4, 1, []int{4}, WalkOptions{NextOnly: true}); !errors.Is(err, ErrNoPath) {
		t.Errorf("next-only on an unreachable goal: error %v, want ErrNoPath", err)
	}
}
