package task

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"qkv/graph"
	"qkv/internal/parallel"
)

// Distribution selects how a Generator builds graphs.
type Distribution int

const (
	// Naive builds random DAGs in which each new vertex picks one to three
	// earlier parents; lookahead decays roughly exponentially.
	Naive Distribution = iota
	// Balanced builds graphs around a requested lookahead L drawn
	// uniformly from 0..MaxLookahead: a goal branch of length L, competing
	// branches at least as long, a chain of ancestors into the start
	// ("prefix vertices") and random extra vertices.
	Balanced
	// BalancedNoPrefix is Balanced without the prefix vertices.
	BalancedNoPrefix
	// Star builds stars of count spokes of equal length; the goal is the
	// end of one spoke.
	Star
)

var distributionNames = []string{"naive", "balanced", "balanced-no-prefix", "star"}

// DistributionNames lists the names ParseDistribution accepts.
const DistributionNames = "naive, balanced, balanced-no-prefix, star"

// String returns the name used on the command line.
func (d Distribution) String() string {
	if d >= 0 && int(d) < len(distributionNames) {
		return distributionNames[d]
	}
	return fmt.Sprintf("Distribution(%d)", int(d))
}

// ParseDistribution returns the distribution called s.
func ParseDistribution(s string) (Distribution, error) {
	if i := slices.Index(distributionNames, s); i >= 0 {
		return Distribution(i), nil
	}
	return 0, fmt.Errorf("unknown distribution %q: use one of %s", s, DistributionNames)
}

// EdgeOrder is the order in which an example lists its edges.
type EdgeOrder int

const (
	// DefaultOrder shuffles edges for the naive and balanced distributions
	// and groups them by source for the star distribution.
	DefaultOrder EdgeOrder = iota
	// Shuffled lists edges in uniformly random order, as training data.
	Shuffled
	// GroupedBySource lists the edges of each vertex together, vertices in
	// random order, as test sets.
	GroupedBySource
)

// Config describes a stream of examples.
type Config struct {
	Dist Distribution
	// N is the sequence length; it fixes the vocabulary.
	N int
	// MaxLookahead is L_max: the largest requested lookahead of the
	// balanced distributions (at most (V−1)/2) and the longest spoke of the
	// star distribution (at most V−1). The naive distribution ignores it.
	MaxLookahead int
	// PaperEra switches the balanced distributions to the acceptance rule
	// of the 2024 generator that trained the original paper's models. The
	// lookahead is requested uniformly, but an example is kept whenever its
	// actual lookahead is at most MaxLookahead, so the realised
	// distribution is only roughly uniform. By default an example is kept
	// only when its lookahead equals the requested one, which makes the
	// distribution exactly uniform.
	PaperEra bool
	// Order is the edge order of the emitted examples.
	Order EdgeOrder
	// Reserved, when not nil, lists examples the generator must never
	// emit (by token sequence); it must not change while generating.
	Reserved *Reserved
}

// Generator draws examples from a distribution. It is safe for concurrent
// use.
type Generator struct {
	cfg   Config
	vocab Vocab
}

// NewGenerator checks cfg and returns a generator for it.
func NewGenerator(cfg Config) (*Generator, error) {
	v, err := NewVocab(cfg.N)
	if err != nil {
		return nil, err
	}
	V := v.MaxVertex()
	switch cfg.Dist {
	case Naive:
		if V < 4 {
			return nil, fmt.Errorf("the naive distribution needs at least 4 vertex ids: use N ≥ 17 (N = %d gives %d)", cfg.N, V)
		}
	case Balanced, BalancedNoPrefix:
		// Even lookahead 0 needs a start and a goal: two vertex ids.
		if V < 2 {
			return nil, fmt.Errorf("the balanced distributions need at least 2 vertex ids: use N ≥ 11 (N = %d gives %d)", cfg.N, V)
		}
		if cfg.MaxLookahead < 0 || cfg.MaxLookahead > v.MaxLookahead() {
			return nil, fmt.Errorf("invalid max lookahead %d for N = %d: the balanced distributions allow 0..%d ((V−1)/2 with V = %d)",
				cfg.MaxLookahead, cfg.N, v.MaxLookahead(), V)
		}
	case Star:
		if cfg.MaxLookahead < 1 || cfg.MaxLookahead > V-1 {
			return nil, fmt.Errorf("invalid max lookahead %d for N = %d: the star distribution allows spoke lengths 1..%d (V−1)",
				cfg.MaxLookahead, cfg.N, V-1)
		}
	default:
		return nil, fmt.Errorf("unknown distribution %d", int(cfg.Dist))
	}
	if cfg.Order < DefaultOrder || cfg.Order > GroupedBySource {
		return nil, fmt.Errorf("unknown edge order %d", int(cfg.Order))
	}
	return &Generator{cfg: cfg, vocab: v}, nil
}

// Vocab returns the vocabulary of the generated examples.
func (g *Generator) Vocab() Vocab { return g.vocab }

// Config returns the generator's configuration.
func (g *Generator) Config() Config { return g.cfg }

// ExampleRand returns the random source of example index of a seed. Each
// example draws from its own source, so the examples of a seed do not
// depend on how they are split among goroutines.
func ExampleRand(seed uint64, index uint64) *rand.Rand {
	hi := splitmix(seed ^ splitmix(index+0x9e3779b97f4a7c15))
	return rand.New(rand.NewPCG(hi, splitmix(hi^0xda942042e4dd58b5)))
}

// splitmix is the SplitMix64 output function, used to decorrelate seeds.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// NaiveChunk is the number of consecutive naive-distribution examples
// generated together from one random source. The naive distribution
// emits one example per enumerated start→goal path of a graph (see
// naiveChunk), so the examples of a graph sit next to each other and a
// chunk is the unit of determinism.
const NaiveChunk = 32

// Example returns example index of seed.
func (g *Generator) Example(seed uint64, index int) Example {
	if index < 0 {
		panic(fmt.Sprintf("task: negative example index %d", index))
	}
	if g.cfg.Dist == Naive {
		chunk := g.naiveChunk(ExampleRand(seed, uint64(index/NaiveChunk)))
		return chunk[index%NaiveChunk]
	}
	return g.draw(ExampleRand(seed, uint64(index)))
}

// Fill sets dst[k] to example first+k of seed, generating on all
// available CPUs. The result does not depend on GOMAXPROCS.
func (g *Generator) Fill(dst []Example, seed uint64, first int) {
	if first < 0 {
		panic(fmt.Sprintf("task: negative example index %d", first))
	}
	if g.cfg.Dist != Naive {
		parallel.For(len(dst), 64, func(lo, hi int) {
			for k := lo; k < hi; k++ {
				dst[k] = g.Example(seed, first+k)
			}
		})
		return
	}
	if len(dst) == 0 {
		return
	}
	firstChunk := first / NaiveChunk
	lastChunk := (first + len(dst) - 1) / NaiveChunk
	parallel.For(lastChunk-firstChunk+1, 1, func(lo, hi int) {
		for c := firstChunk + lo; c < firstChunk+hi; c++ {
			chunk := g.naiveChunk(ExampleRand(seed, uint64(c)))
			for k, ex := range chunk {
				if i := c*NaiveChunk + k - first; i >= 0 && i < len(dst) {
					dst[i] = ex
				}
			}
		}
	})
}

// Generate returns examples first..first+count−1 of seed.
func (g *Generator) Generate(seed uint64, first, count int) []Example {
	out := make([]Example, count)
	g.Fill(out, seed, first)
	return out
}

// draw generates one example, retrying until a graph is accepted.
func (g *Generator) draw(r *rand.Rand) Example {
	// The balanced distributions retry the same requested lookahead until
	// a graph has it, so every lookahead is equally likely.
	L := 0
	if g.cfg.Dist == Balanced || g.cfg.Dist == BalancedNoPrefix {
		L = r.IntN(g.cfg.MaxLookahead + 1)
	}
	for {
		var (
			ex Example
			ok bool
		)
		switch g.cfg.Dist {
		case Balanced, BalancedNoPrefix:
			ex, ok = g.balanced(r, L)
		case Star:
			ex, ok = g.star(r, 0, 0)
		}
		if ok && (g.cfg.Reserved == nil || !g.cfg.Reserved.Contains(&ex)) {
			return ex
		}
	}
}

func (g *Generator) order() EdgeOrder {
	if g.cfg.Order != DefaultOrder {
		return g.cfg.Order
	}
	if g.cfg.Dist == Star {
		return GroupedBySource
	}
	return Shuffled
}

// naiveGraph builds a random DAG on n vertices in which vertex i ≥ 1 gets
// one parent with probability ½ and otherwise 1, 2 or 3 parents (at most
// i), chosen uniformly among the earlier vertices. Vertex 0 reaches every
// vertex.
func naiveGraph(r *rand.Rand, n int) *dag {
	d := newDAG(n)
	for i := 1; i < n; i++ {
		k := 1
		if r.IntN(2) == 1 {
			k = 1 + r.IntN(3)
		}
		k = min(k, i)
		for _, p := range sampleDistinct(r, i, k) {
			d.addEdge(p, i)
		}
	}
	return d
}

// naiveChunk fills one chunk of NaiveChunk naive-distribution examples.
// Each graph has n ~ U{3..V−1} vertices, start uniform over the first n−1
// and goal uniform over the others of them. Like the original C++
// generator, it emits one example per start→goal path that generator
// enumerates (the last graph of a chunk may be cut off), and rejects
// graphs with more than 64 of them. That enumeration lists a path once for
// every combination of the repeated forward pointers of its vertices (see
// pathWeights), so graphs with converging shortest paths weigh more. The
// lookahead and edge-count statistics of the original data only match
// with this weighting.
func (g *Generator) naiveChunk(r *rand.Rand) []Example {
	V := g.vocab.MaxVertex()
	out := make([]Example, 0, NaiveChunk)
	for len(out) < NaiveChunk {
		n := 3 + r.IntN(V-3)
		d := naiveGraph(r, n)
		start := r.IntN(n - 1)
		goal := r.IntN(n - 2)
		if goal >= start {
			goal++
		}
		if len(d.edges) > V || 3*len(d.edges)+5 > g.vocab.SeqLen() {
			continue
		}
		dist := graph.BFS(d.children, start)
		if dist[goal] < 0 {
			continue
		}
		weights, total := pathWeights(d.children, dist, start, goal)
		if total > maxShortestPaths {
			continue
		}
		reach := reachesGoal(d.children, goal)
		var labels []int
		for _, x := range d.children[start] {
			if reach[x] {
				labels = append(labels, x)
			}
		}
		var base Example
		var ids []int
		for k, x := range d.children[start] {
			w := weights[k]
			if w == 0 {
				continue
			}
			look := lookahead(d.children, start, x, goal, nil)
			if ids == nil {
				base, ids = g.assemble(r, d, start, goal, x, labels, look)
			}
			for range w {
				if len(out) == NaiveChunk {
					break
				}
				ex := base
				ex.Edges = slices.Clone(base.Edges)
				ex.Path = []int{ids[start]}
				ex.Labels = slices.Clone(base.Labels)
				ex.Next, ex.Lookahead = ids[x], look
				ex.Label = ex.Labels[r.IntN(len(ex.Labels))]
				if g.cfg.Reserved != nil && g.cfg.Reserved.Contains(&ex) {
					continue
				}
				out = append(out, ex)
			}
		}
	}
	return out
}

// finish turns a built graph into an example. It rejects graphs where
// goal is unreachable, with more than maxShortestPaths shortest paths, or
// with too many edges. It then picks a shortest path uniformly, computes
// labels and lookahead, and rejects the example unless wantLookahead is
// negative or matches. Finally it assigns random vertex ids and orders
// the edges.
func (g *Generator) finish(r *rand.Rand, d *dag, start, goal, wantLookahead int) (Example, bool) {
	V := g.vocab.MaxVertex()
	if len(d.edges) > V || 3*len(d.edges)+5 > g.vocab.SeqLen() || d.len() > V {
		return Example{}, false
	}
	sp := newShortestPaths(d.children, start)
	if sp.dist[goal] < 0 || sp.count[goal] > maxShortestPaths {
		return Example{}, false
	}
	next := sp.sampleNext(reverse(d.children), goal, r)
	look := lookahead(d.children, start, next, goal, nil)
	if wantLookahead >= 0 && look != wantLookahead {
		return Example{}, false
	}
	reach := reachesGoal(d.children, goal)
	var labels []int
	for _, x := range d.children[start] {
		if reach[x] {
			labels = append(labels, x)
		}
	}
	ex, _ := g.assemble(r, d, start, goal, next, labels, look)
	return ex, true
}

// assemble assigns vertex ids (a random injection into 1..V), orders the
// edges and fills in the example.
// It also returns the id of every internal vertex.
func (g *Generator) assemble(r *rand.Rand, d *dag, start, goal, next int, labels []int, look int) (Example, []int) {
	perm := r.Perm(g.vocab.MaxVertex())
	for i := range perm {
		perm[i]++
	}
	id := func(v int) int { return perm[v] }
	ex := Example{
		Start:     id(start),
		Goal:      id(goal),
		Path:      []int{id(start)},
		Next:      id(next),
		Lookahead: look,
	}
	ex.Edges = make([]Edge, 0, len(d.edges))
	switch g.order() {
	case GroupedBySource:
		for _, u := range r.Perm(d.len()) {
			for _, w := range d.children[u] {
				ex.Edges = append(ex.Edges, Edge{From: id(u), To: id(w)})
			}
		}
	default:
		for _, e := range d.edges {
			ex.Edges = append(ex.Edges, Edge{From: id(e.From), To: id(e.To)})
		}
		r.Shuffle(len(ex.Edges), func(i, j int) { ex.Edges[i], ex.Edges[j] = ex.Edges[j], ex.Edges[i] })
	}
	ex.Labels = make([]int, len(labels))
	for i, x := range labels {
		ex.Labels[i] = id(x)
	}
	slices.Sort(ex.Labels)
	ex.Label = ex.Labels[r.IntN(len(ex.Labels))]
	return ex, perm[:d.len()]
}
