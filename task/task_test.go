package task

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"qkv/graph"
)

// Decoded examples produced by the original C++ and Python generators at
// N = 128, with their correct next vertices and lookahead.
var knownExamples = []struct {
	name      string
	text      string
	labels    []int
	lookahead int
}{
	{"balanced lookahead 6",
		"E 7 37 E 16 15 E 3 7 E 12 25 E 2 33 E 39 21 E 15 2 E 20 16 E 19 3 E 21 19 E 33 12 E 20 39 Q 20 37 P 20",
		[]int{39}, 6},
	{"balanced with prefix vertex",
		"E 24 37 E 10 22 E 19 6 E 6 17 E 26 24 E 33 25 E 22 36 E 25 26 E 22 33 E 36 19 Q 22 17 P 22",
		[]int{36}, 4},
	{"naive several answers",
		"E 29 33 E 13 21 E 7 13 E 4 7 E 29 21 E 29 39 E 4 29 E 4 21 E 4 13 E 21 24 E 21 6 E 7 1 Q 4 21 P 4",
		[]int{7, 13, 21, 29}, 1},
	{"star three spokes",
		"E 7 37 E 7 30 E 7 3 E 4 6 E 37 40 E 15 34 E 3 29 E 30 21 E 21 20 E 20 9 E 40 4 E 29 15 Q 7 6 P 7",
		[]int{37}, 4},
	{"evaluation lookahead 3",
		"E 23 38 E 35 29 E 10 23 E 33 25 E 34 30 E 25 11 E 26 10 E 26 33 E 26 39 E 26 3 E 26 34 E 39 20 E 3 35 E 20 13 E 11 40 E 30 17 Q 26 38 P 26",
		[]int{10}, 3},
}

func TestKnownExamples(t *testing.T) {
	v := MustVocab(128)
	for _, tc := range knownExamples {
		t.Run(tc.name, func(t *testing.T) {
			ex, err := ParseText(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			if err := ex.Validate(v); err != nil {
				t.Fatal(err)
			}
			if err := ex.Annotate(nil); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ex.Labels, tc.labels) {
				t.Errorf("labels = %v, want %v", ex.Labels, tc.labels)
			}
			if ex.Lookahead != tc.lookahead {
				t.Errorf("lookahead = %d, want %d", ex.Lookahead, tc.lookahead)
			}
			if got := ex.Text(); got != tc.text {
				t.Errorf("Text() = %q, want the parsed text", got)
			}
			ids, err := ex.Tokens(v)
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != 128 {
				t.Fatalf("got %d tokens, want 128", len(ids))
			}
			if tail := ids[123:]; tail[0] != 45 || tail[3] != 42 || int(tail[4]) != ex.Start {
				t.Errorf("last five ids = %v, want QUERY(45) s g PATH(42) s", tail)
			}
			back, err := Decode(v, ids)
			if err != nil {
				t.Fatal(err)
			}
			if back.Text() != tc.text {
				t.Errorf("Decode(Tokens()) = %q", back.Text())
			}
		})
	}
}

func TestVocabIDs(t *testing.T) {
	cases := []struct{ n, v, path, edge, pad, query, size, maxL int }{
		{128, 41, 42, 43, 44, 45, 46, 20},
		{98, 31, 32, 33, 34, 35, 36, 15},
		{32, 9, 10, 11, 12, 13, 14, 4},
		{8, 1, 2, 3, 4, 5, 6, 0},
	}
	for _, c := range cases {
		v := MustVocab(c.n)
		got := []int{v.MaxVertex(), v.Path(), v.Edge(), v.Pad(), v.Query(), v.Size(), v.MaxLookahead()}
		want := []int{c.v, c.path, c.edge, c.pad, c.query, c.size, c.maxL}
		if !slices.Equal(got, want) {
			t.Errorf("N=%d: V, PATH, EDGE, PAD, QUERY, size, max lookahead = %v, want %v", c.n, got, want)
		}
	}
	if _, err := NewVocab(7); err == nil {
		t.Error("NewVocab(7) succeeded, want an error")
	}
}

func TestParseTextErrors(t *testing.T) {
	cases := []struct{ text, want string }{
		{"", "expected E (an edge) or Q"},
		{"E 1", "sequence ends after 2 tokens"},
		{"E 1 2 Q 1", "expected the goal vertex"},
		{"E 1 2 Q 1 2", "expected P"},
		{"E 1 2 Q 1 2 P", "at least the start vertex"},
		{"E 1 2 Q 1 2 P 2", "not at the start vertex"},
		{"E 1 x Q 1 2 P 1", `invalid token "x"`},
		{"E 1 2 Q 1 2 P 1 E", `unexpected "E"`},
		{"E 0 2 Q 1 2 P 1", `invalid token "0"`},
	}
	for _, c := range cases {
		_, err := ParseText(c.text)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseText(%q) error = %v, want it to contain %q", c.text, err, c.want)
		}
	}
}

func TestValidateErrors(t *testing.T) {
	v := MustVocab(14) // V = 3
	cases := []struct{ text, want string }{
		{"E 1 4 Q 1 4 P 1", "vertex ids for N = 14 are 1..3"},
		{"E 1 1 Q 1 2 P 1", "self-loops"},
		{"E 1 2 Q 1 1 P 1", "start and goal are both"},
		{"E 1 2 E 2 3 Q 1 3 P 1 3", "no edge 1→3"},
		{"E 1 2 E 2 3 E 1 3 E 3 1 Q 1 3 P 1", "needs 17 tokens but N = 14: use N ≥ 17"},
	}
	for _, c := range cases {
		ex, err := ParseText(c.text)
		if err != nil {
			t.Fatalf("ParseText(%q): %v", c.text, err)
		}
		err = ex.Validate(v)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%q) error = %v, want it to contain %q", c.text, err, c.want)
		}
	}
}

func TestAnnotateNoPath(t *testing.T) {
	ex, err := ParseText("E 1 2 E 3 1 Q 1 3 P 1")
	if err != nil {
		t.Fatal(err)
	}
	err = ex.Annotate(nil)
	if !errors.Is(err, graph.ErrNoPath) {
		t.Fatalf("Annotate error = %v, want ErrNoPath", err)
	}
	if len(ex.Labels) != 0 {
		t.Errorf("labels = %v, want none", ex.Labels)
	}
}

// randomGraph returns the children lists of a random directed graph on n
// vertices. With acyclic set, every edge goes from a lower to a higher
// index.
func randomGraph(r *rand.Rand, n int, density float64, acyclic bool) [][]int {
	children := make([][]int, n)
	for u := 0; u < n; u++ {
		for w := 0; w < n; w++ {
			if u == w || (acyclic && w < u) {
				continue
			}
			if r.Float64() < density {
				children[u] = append(children[u], w)
			}
		}
		r.Shuffle(len(children[u]), func(i, j int) {
			children[u][i], children[u][j] = children[u][j], children[u][i]
		})
	}
	return children
}

func TestLookaheadMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	cases := []struct {
		name    string
		n       int
		density float64
		acyclic bool
	}{
		{"sparse DAG", 30, 0.06, true},
		{"dense DAG", 15, 0.3, true},
		{"tree-like DAG", 40, 0.03, true},
		{"sparse cyclic", 25, 0.06, false},
		{"dense cyclic", 12, 0.25, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checked := 0
			for trial := 0; trial < 3000; trial++ {
				children := randomGraph(r, tc.n, tc.density, tc.acyclic)
				c := r.IntN(tc.n)
				if len(children[c]) == 0 {
					continue
				}
				next := children[c][r.IntN(len(children[c]))]
				reach := graph.BFS(children, next)
				var goals []int
				for g, d := range reach {
					if d >= 0 && g != c {
						goals = append(goals, g)
					}
				}
				if len(goals) == 0 {
					continue
				}
				goal := goals[r.IntN(len(goals))]
				got, err := Lookahead(children, c, next, goal)
				if err != nil {
					t.Fatal(err)
				}
				want, err := LookaheadReference(children, c, next, goal)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Fatalf("graph %v, current %d, next %d, goal %d: Lookahead = %d, reference = %d",
						children, c, next, goal, got, want)
				}
				checked++
			}
			if checked < 1000 {
				t.Errorf("only %d graphs checked", checked)
			}
		})
	}
}

func TestLookaheadArgumentErrors(t *testing.T) {
	children := [][]int{{1, 2}, {3}, {}, {}}
	cases := []struct {
		name                string
		current, next, goal int
	}{
		{"out of range", 0, 1, 9},
		{"not a child", 0, 3, 3},
		{"goal unreachable", 0, 2, 3},
	}
	for _, c := range cases {
		if _, err := Lookahead(children, c.current, c.next, c.goal); err == nil {
			t.Errorf("%s: Lookahead succeeded, want an error", c.name)
		}
		if _, err := LookaheadReference(children, c.current, c.next, c.goal); err == nil {
			t.Errorf("%s: LookaheadReference succeeded, want an error", c.name)
		}
	}
}

func TestAnnotateLargeIDs(t *testing.T) {
	ex, err := ParseText("E 1 999999999 E 999999999 5 E 1 7 Q 1 5 P 1")
	if err != nil {
		t.Fatal(err)
	}
	if err := ex.Annotate(nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ex.Labels, []int{999999999}) || ex.Lookahead != 1 {
		t.Errorf("labels %v, lookahead %d; want [999999999] and 1", ex.Labels, ex.Lookahead)
	}
	if err := ex.Validate(MustVocab(128)); err == nil || !strings.Contains(err.Error(), "999999999") {
		t.Errorf("Validate error = %v, want it to name the id 999999999", err)
	}
}

func TestTestSetNamesMatchReserved(t *testing.T) {
	for _, dist := range []Distribution{Balanced, Star} {
		cfg := TestSetConfig{Dist: dist, N: 32, MaxLookahead: 4, PerSet: 2, Seed: 1}
		sets, _, err := ReserveTestSets(cfg)
		if err != nil {
			t.Fatal(err)
		}
		names, err := TestSetNames(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(names) != len(sets) {
			t.Fatalf("%v: %d names for %d sets", dist, len(names), len(sets))
		}
		for i, s := range sets {
			if names[i] != s.Name {
				t.Errorf("%v: name %d is %q, the set is %q", dist, i, names[i], s.Name)
			}
		}
	}
}
