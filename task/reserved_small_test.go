package task

import (
	"strings"
	"testing"
)

func TestReserveTestSetsTooSmallN(t *testing.T) {
	for _, n := range []int{11, 14, 17} {
		_, _, err := ReserveTestSets(TestSetConfig{Dist: Balanced, N: n, MaxLookahead: 0, PerSet: 3, Seed: 1})
		if err == nil || !strings.Contains(err.Error(), "N ≥ 20") {
			t.Errorf("N = %d: err = %v, want one that asks for N ≥ 20", n, err)
		}
	}
	if _, _, err := ReserveTestSets(TestSetConfig{Dist: Balanced, N: 20, MaxLookahead: 0, PerSet: 3, Seed: 1}); err != nil {
		t.Errorf("N = 20: %v", err)
	}
}

func TestBalancedNeedsTwoVertexIDs(t *testing.T) {
	_, err := NewGenerator(Config{Dist: Balanced, N: 10, MaxLookahead: 0})
	if err == nil || !strings.Contains(err.Error(), "N ≥ 11") {
		t.Errorf("N = 10: err = %v, want one that asks for N ≥ 11", err)
	}
	g, err := NewGenerator(Config{Dist: Balanced, N: 11, MaxLookahead: 0})
	if err != nil {
		t.Fatal(err)
	}
	if exs := g.Generate(1, 0, 4); len(exs) != 4 {
		t.Errorf("N = 11 generated %d examples, want 4", len(exs))
	}
}
