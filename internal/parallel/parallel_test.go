package parallel

import (
	"runtime"
	"sync/atomic"
	"testing"
)

func TestForCoversEveryIndexOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(procs)
		for _, tc := range []struct{ n, grain int }{{0, 4}, {1, 4}, {7, 3}, {64, 32}, {65, 32}, {10, 0}} {
			seen := make([]int32, tc.n)
			For(tc.n, tc.grain, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					atomic.AddInt32(&seen[i], 1)
				}
			})
			for i, c := range seen {
				if c != 1 {
					t.Errorf("GOMAXPROCS=%d n=%d grain=%d: index %d visited %d times, want 1", procs, tc.n, tc.grain, i, c)
				}
			}
		}
	}
}

func TestForChunksIndependentOfThreads(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	chunks := func() map[[2]int]bool {
		got := make(map[[2]int]bool)
		var mu = make(chan struct{}, 1)
		For(100, 7, func(lo, hi int) {
			mu <- struct{}{}
			got[[2]int{lo, hi}] = true
			<-mu
		})
		return got
	}
	runtime.GOMAXPROCS(1)
	one := chunks()
	runtime.GOMAXPROCS(3)
	three := chunks()
	if len(one) != len(three) {
		t.Fatalf("GOMAXPROCS=1 gave %d chunks, GOMAXPROCS=3 gave %d", len(one), len(three))
	}
	for c := range one {
		if !three[c] {
			t.Errorf("chunk %v missing under GOMAXPROCS=3", c)
		}
	}
}
