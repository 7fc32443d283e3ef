package task

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"qkv/graph"
	"qkv/internal/parallel"
)

// Reserved is a set of examples, identified by their padding-stripped
// token sequences, that training streams must not emit. It is safe for
// concurrent use.
type Reserved struct {
	mu   sync.RWMutex
	keys map[string]struct{}
}

// NewReserved returns an empty set.
func NewReserved() *Reserved { return &Reserved{keys: map[string]struct{}{}} }

// Add inserts the examples.
func (s *Reserved) Add(examples ...Example) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range examples {
		s.keys[examples[i].Key()] = struct{}{}
	}
}

// Contains reports whether an example with the same token sequence is in
// the set.
func (s *Reserved) Contains(ex *Example) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.keys[ex.Key()]
	return ok
}

// Len returns the number of distinct reserved sequences.
func (s *Reserved) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.keys)
}

// TestSet is a reserved evaluation set.
type TestSet struct {
	// Name is "naive", "lookahead-L" or "star-LENGTHxCOUNT".
	Name string
	// Lookahead of every example, or -1 for the naive set, whose
	// lookaheads vary.
	Lookahead int
	Examples  []Example
}

// TestSetConfig describes the reserved test sets of a training run.
type TestSetConfig struct {
	// Dist is the training distribution. The balanced distributions and
	// naive get one set per lookahead 1..MaxLookahead plus a naive set;
	// star gets one set per (spoke length, spoke count) pair.
	Dist         Distribution
	N            int
	MaxLookahead int
	// PerSet is the number of examples in each set.
	PerSet int
	Seed   uint64
}

// ReserveTestSets generates the test sets of cfg and the Reserved set of
// all their examples. Examples of the search sets have exactly one correct
// next vertex and a start with at least two children. Except in the naive
// set, their lookahead equals the set's. Edges are grouped by source, and
// the result depends only on cfg.
func ReserveTestSets(cfg TestSetConfig) ([]TestSet, *Reserved, error) {
	return reserveTestSets(cfg, false)
}

// TestSetNames returns the names of the sets that ReserveTestSets builds
// for cfg, in order, without generating any example.
func TestSetNames(cfg TestSetConfig) ([]string, error) {
	sets, _, err := reserveTestSets(cfg, true)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(sets))
	for i, s := range sets {
		names[i] = s.Name
	}
	return names, nil
}

// reserveTestSets builds the sets, or with namesOnly only their names and
// lookaheads.
func reserveTestSets(cfg TestSetConfig, namesOnly bool) ([]TestSet, *Reserved, error) {
	if cfg.PerSet < 0 {
		return nil, nil, fmt.Errorf("invalid test set size %d: must be ≥ 0", cfg.PerSet)
	}
	maxL := cfg.MaxLookahead
	if cfg.Dist == Naive {
		v, err := NewVocab(cfg.N)
		if err != nil {
			return nil, nil, err
		}
		maxL = v.MaxLookahead()
	}
	gen, err := NewGenerator(Config{Dist: cfg.Dist, N: cfg.N, MaxLookahead: maxL, Order: GroupedBySource})
	if err != nil {
		return nil, nil, err
	}
	V := gen.vocab.MaxVertex()

	type spec struct {
		name   string
		look   int
		sample func(r *rand.Rand) (Example, bool)
	}
	var specs []spec
	if cfg.Dist == Star {
		for _, p := range starPairs(maxL, V) {
			length, count := p[0], p[1]
			look := length
			if count == 1 {
				look = 0
			}
			specs = append(specs, spec{fmt.Sprintf("star-%dx%d", length, count), look,
				func(r *rand.Rand) (Example, bool) { return gen.star(r, length, count) }})
		}
	} else {
		// A naive test example needs a start with two children, only one
		// of which reaches a goal at distance ≥ 2: at least 4 vertices,
		// and the naive graphs have at most V−1.
		if V < 5 {
			return nil, nil, fmt.Errorf("the naive test set needs at least 5 vertex ids: use N ≥ 20 (N = %d gives %d)", cfg.N, V)
		}
		specs = append(specs, spec{"naive", -1, func(r *rand.Rand) (Example, bool) { return gen.evalExample(r, -1) }})
		for L := 1; L <= maxL; L++ {
			specs = append(specs, spec{fmt.Sprintf("lookahead-%d", L), L,
				func(r *rand.Rand) (Example, bool) { return gen.evalExample(r, L) }})
		}
	}

	sets := make([]TestSet, len(specs))
	if namesOnly {
		for k, sp := range specs {
			sets[k] = TestSet{Name: sp.name, Lookahead: sp.look}
		}
		return sets, nil, nil
	}
	reserved := NewReserved()
	for k, sp := range specs {
		setSeed := splitmix(cfg.Seed ^ splitmix(uint64(k)+1))
		examples := make([]Example, cfg.PerSet)
		var failed atomic.Bool
		parallel.For(len(examples), 16, func(lo, hi int) {
			for i := lo; i < hi && !failed.Load(); i++ {
				r := ExampleRand(setSeed, uint64(i))
				ok := false
				for try := 0; try < maxEvalTries && !ok; try++ {
					examples[i], ok = sp.sample(r)
				}
				if !ok {
					failed.Store(true)
				}
			}
		})
		if failed.Load() {
			return nil, nil, fmt.Errorf("test set %s: no valid example in %d tries at N = %d; use a larger N", sp.name, maxEvalTries, cfg.N)
		}
		sets[k] = TestSet{Name: sp.name, Lookahead: sp.look, Examples: examples}
		reserved.Add(examples...)
	}
	return sets, reserved, nil
}

// maxEvalTries bounds the candidate graphs drawn for one test example, so
// a configuration in which valid examples are impossible, or nearly so,
// fails instead of looping. Reachable configurations need far fewer tries.
const maxEvalTries = 1_000_000

// evalExample draws one candidate test example: a balanced graph built
// for lookahead L, or a naive graph when L < 0. The example is kept only
// if the start has at least two children and exactly one of them reaches
// the goal. The goal must not be a child of the start when L ≥ 2, and the
// lookahead must equal L.
func (g *Generator) evalExample(r *rand.Rand, L int) (Example, bool) {
	V := g.vocab.MaxVertex()
	var (
		d           *dag
		start, goal int
	)
	if L < 0 {
		n := 3 + r.IntN(V-3)
		d = naiveGraph(r, n)
		start = r.IntN(n - 1)
		goal = r.IntN(n - 2)
		if goal >= start {
			goal++
		}
	} else {
		d, goal = balancedGraph(r, L, V, V, g.cfg.Dist != BalancedNoPrefix)
	}
	if 3*len(d.edges)+5 > g.vocab.SeqLen() {
		return Example{}, false
	}
	children := d.children[start]
	if len(children) < 2 {
		return Example{}, false
	}
	dist := graph.BFS(d.children, start)
	minVertices := 2
	if L >= 0 {
		minVertices = min(L, 2)
	}
	if dist[goal] < 0 || dist[goal]+1 <= minVertices {
		return Example{}, false
	}
	reach := reachesGoal(d.children, goal)
	useful := -1
	for _, x := range children {
		if reach[x] {
			if useful >= 0 {
				return Example{}, false
			}
			useful = x
		}
	}
	// A single useful child is also the single first step of every
	// shortest path, because every path to the goal starts with it.
	look := lookahead(d.children, start, useful, goal, nil)
	if L >= 0 && look != L {
		return Example{}, false
	}
	ex, _ := g.assemble(r, d, start, goal, useful, []int{useful}, look)
	return ex, true
}
