package task

import (
	"math"
	"runtime"
	"slices"
	"testing"
)

// checkExample verifies the invariants of every generated example.
func checkExample(t *testing.T, v Vocab, ex *Example) {
	t.Helper()
	if err := ex.Validate(v); err != nil {
		t.Fatalf("%s: %v", ex.Text(), err)
	}
	if !slices.Contains(ex.Labels, ex.Label) || !slices.Contains(ex.Labels, ex.Next) {
		t.Fatalf("%s: label %d or next %d not among labels %v", ex.Text(), ex.Label, ex.Next, ex.Labels)
	}
	again := *ex
	again.Labels = nil
	if err := again.Annotate(nil); err != nil {
		t.Fatalf("%s: %v", ex.Text(), err)
	}
	if !slices.Equal(again.Labels, ex.Labels) {
		t.Fatalf("%s: labels %v, recomputed %v", ex.Text(), ex.Labels, again.Labels)
	}
	children, index := ex.denseGraph()
	want, err := LookaheadReference(children, index[ex.Current()], index[ex.Next], index[ex.Goal])
	if err != nil {
		t.Fatalf("%s: %v", ex.Text(), err)
	}
	if ex.Lookahead != want {
		t.Fatalf("%s: lookahead %d, reference computation %d (next %d)", ex.Text(), ex.Lookahead, want, ex.Next)
	}
}

func TestGeneratedExamplesValid(t *testing.T) {
	for _, dist := range []Distribution{Naive, Balanced, BalancedNoPrefix, Star} {
		for _, n := range []int{32, 128} {
			maxL := MustVocab(n).MaxLookahead()
			g, err := NewGenerator(Config{Dist: dist, N: n, MaxLookahead: maxL})
			if err != nil {
				t.Fatal(err)
			}
			for _, ex := range g.Generate(3, 0, 2000) {
				checkExample(t, g.Vocab(), &ex)
				if (dist == Balanced || dist == BalancedNoPrefix) && ex.Lookahead > maxL {
					t.Fatalf("%v: lookahead %d above the maximum %d", dist, ex.Lookahead, maxL)
				}
			}
		}
	}
}

func TestGenerateDeterministic(t *testing.T) {
	for _, dist := range []Distribution{Naive, Balanced, Star} {
		g, err := NewGenerator(Config{Dist: dist, N: 64, MaxLookahead: 5})
		if err != nil {
			t.Fatal(err)
		}
		prev := runtime.GOMAXPROCS(1)
		serial := g.Generate(9, 5, 300)
		runtime.GOMAXPROCS(4)
		parallel := g.Generate(9, 5, 300)
		runtime.GOMAXPROCS(prev)
		tail := g.Generate(9, 100, 205)
		for i := range serial {
			if serial[i].Text() != parallel[i].Text() || serial[i].Label != parallel[i].Label {
				t.Fatalf("%v: example %d differs between 1 and 4 threads", dist, i+5)
			}
		}
		for i := range tail {
			if tail[i].Text() != serial[i+95].Text() {
				t.Fatalf("%v: example %d differs when generation starts at 100", dist, i+100)
			}
		}
		if one := g.Example(9, 77); one.Text() != serial[72].Text() {
			t.Fatalf("%v: Example(9, 77) differs from Generate", dist)
		}
	}
}

// binomialTolerance returns 4 standard errors of a share p estimated from
// n examples, widened by inflation for correlated examples.
func binomialTolerance(p float64, n int, inflation float64) float64 {
	return 4 * math.Sqrt(p*(1-p)/float64(n)*inflation)
}

func TestNaiveStatistics(t *testing.T) {
	const n = 20000
	// Examples of one graph sit next to each other (about 1.3 per graph),
	// so shares vary more than for independent draws.
	const inflation = 2
	g, err := NewGenerator(Config{Dist: Naive, N: 128})
	if err != nil {
		t.Fatal(err)
	}
	exs := g.Generate(1, 0, n)
	counts := make([]int, 42)
	edges, multi := 0, 0
	for i := range exs {
		counts[exs[i].Lookahead]++
		edges += len(exs[i].Edges)
		if len(exs[i].Labels) > 1 {
			multi++
		}
	}
	// Shares measured on data of the original C++ generator at N = 128.
	want := []float64{0.159, 0.520, 0.238, 0.073, 0.0094}
	for L, p := range want {
		got := float64(counts[L]) / n
		if tol := binomialTolerance(p, n, inflation); math.Abs(got-p) > tol {
			t.Errorf("share of lookahead %d = %.4f, want %.4f ± %.4f", L, got, p, tol)
		}
	}
	if got, tol := float64(multi)/n, binomialTolerance(0.247, n, inflation); math.Abs(got-0.247) > tol {
		t.Errorf("share with several correct answers = %.4f, want 0.247 ± %.4f", got, tol)
	}
	// Edge counts range over 2..41 with a standard deviation near 9.
	if got, tol := float64(edges)/n, 4*9/math.Sqrt(n/inflation); math.Abs(got-18.4) > tol {
		t.Errorf("mean edges = %.2f, want 18.4 ± %.2f", got, tol)
	}
}

func TestBalancedStatistics(t *testing.T) {
	const n = 21000
	const maxL = 20
	g, err := NewGenerator(Config{Dist: Balanced, N: 128, MaxLookahead: maxL})
	if err != nil {
		t.Fatal(err)
	}
	exs := g.Generate(2, 0, n)
	counts := make([]int, maxL+1)
	edges := 0
	for i := range exs {
		counts[exs[i].Lookahead]++
		edges += len(exs[i].Edges)
	}
	p := 1.0 / (maxL + 1)
	tol := binomialTolerance(p, n, 1)
	for L, c := range counts {
		if got := float64(c) / n; math.Abs(got-p) > tol {
			t.Errorf("share of lookahead %d = %.4f, want %.4f ± %.4f", L, got, p, tol)
		}
	}
	// Edge counts range over 1..41 with a standard deviation near 10.
	if got, tol := float64(edges)/n, 4*10/math.Sqrt(n); math.Abs(got-30.0) > tol {
		t.Errorf("mean edges = %.2f, want 30.0 ± %.2f", got, tol)
	}
}

func TestPaperEraRoughlyUniform(t *testing.T) {
	const n = 5000
	g, err := NewGenerator(Config{Dist: Balanced, N: 128, MaxLookahead: 20, PaperEra: true})
	if err != nil {
		t.Fatal(err)
	}
	counts := make([]int, 21)
	multi := 0
	for _, ex := range g.Generate(4, 0, n) {
		counts[ex.Lookahead]++
		if len(ex.Labels) > 1 {
			multi++
		}
	}
	// The original 2024 generator gave 3.6 % at lookahead 0 and 12.8 %
	// of examples with several correct answers.
	if got, tol := float64(counts[0])/n, binomialTolerance(0.036, n, 1); math.Abs(got-0.036) > tol {
		t.Errorf("share of lookahead 0 = %.4f, want 0.036 ± %.4f", got, tol)
	}
	if got := float64(multi) / n; got < 0.08 || got > 0.18 {
		t.Errorf("share with several correct answers = %.3f, want about 0.128", got)
	}
}

func TestReservedNeverEmitted(t *testing.T) {
	sets, reserved, err := ReserveTestSets(TestSetConfig{Dist: Balanced, N: 32, MaxLookahead: 4, PerSet: 200, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 5 {
		t.Fatalf("got %d test sets, want naive + lookahead 1..4", len(sets))
	}
	v := MustVocab(32)
	for _, set := range sets {
		for _, ex := range set.Examples {
			checkExample(t, v, &ex)
			if len(ex.Labels) != 1 {
				t.Fatalf("%s: %s has labels %v, want exactly one", set.Name, ex.Text(), ex.Labels)
			}
			if set.Lookahead >= 0 && ex.Lookahead != set.Lookahead {
				t.Fatalf("%s: %s has lookahead %d", set.Name, ex.Text(), ex.Lookahead)
			}
			if children, index := ex.denseGraph(); len(children[index[ex.Start]]) < 2 {
				t.Fatalf("%s: start of %s has fewer than two children", set.Name, ex.Text())
			}
		}
	}
	// At N = 32 graphs are small, so a training stream would hit reserved
	// sequences often without the filter.
	totalHits := 0
	for _, dist := range []Distribution{Naive, Balanced} {
		plain, _ := NewGenerator(Config{Dist: dist, N: 32, MaxLookahead: 4, Order: GroupedBySource})
		filtered, _ := NewGenerator(Config{Dist: dist, N: 32, MaxLookahead: 4, Order: GroupedBySource, Reserved: reserved})
		hits := 0
		for _, ex := range plain.Generate(6, 0, 5000) {
			if reserved.Contains(&ex) {
				hits++
			}
		}
		for _, ex := range filtered.Generate(6, 0, 5000) {
			if reserved.Contains(&ex) {
				t.Fatalf("%v: reserved example emitted: %s", dist, ex.Text())
			}
		}
		t.Logf("%v: %d of 5000 unfiltered examples were reserved", dist, hits)
		totalHits += hits
	}
	if totalHits == 0 {
		t.Error("no unfiltered example was reserved, so the filter was not exercised")
	}
}

func TestNewGeneratorErrors(t *testing.T) {
	cases := []Config{
		{Dist: Balanced, N: 128, MaxLookahead: 21},
		{Dist: Balanced, N: 128, MaxLookahead: -1},
		{Dist: Star, N: 128, MaxLookahead: 0},
		{Dist: Naive, N: 16},
		{Dist: Distribution(9), N: 128},
		{Dist: Naive, N: 5},
	}
	for _, cfg := range cases {
		if _, err := NewGenerator(cfg); err == nil {
			t.Errorf("NewGenerator(%+v) succeeded, want an error", cfg)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, dist := range []Distribution{Naive, Balanced, Star} {
		b.Run(dist.String(), func(b *testing.B) {
			g, err := NewGenerator(Config{Dist: dist, N: 128, MaxLookahead: 20})
			if err != nil {
				b.Fatal(err)
			}
			const batch = 256
			dst := make([]Example, batch)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				g.Fill(dst, 1, i*batch)
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "examples/s")
		})
	}
}

func TestSampleDistinctUniform(t *testing.T) {
	const draws = 100000
	r := ExampleRand(1, 2)
	for _, n := range []int{5, 40} {
		k := 2
		counts := map[[2]int]int{}
		for i := 0; i < draws; i++ {
			s := sampleDistinct(r, n, k)
			if s[0] == s[1] || s[0] < 0 || s[1] >= n || s[1] < 0 || s[0] >= n {
				t.Fatalf("sampleDistinct(%d, %d) = %v", n, k, s)
			}
			counts[[2]int{min(s[0], s[1]), max(s[0], s[1])}]++
		}
		pairs := n * (n - 1) / 2
		p := 1 / float64(pairs)
		tol := binomialTolerance(p, draws, 1)
		if len(counts) != pairs {
			t.Errorf("n=%d: %d distinct pairs drawn, want %d", n, len(counts), pairs)
		}
		for pair, c := range counts {
			if got := float64(c) / draws; math.Abs(got-p) > tol {
				t.Errorf("n=%d: pair %v drawn with frequency %.5f, want %.5f ± %.5f", n, pair, got, p, tol)
			}
		}
	}
}
