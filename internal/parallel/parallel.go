// Package parallel runs loops over index ranges on several goroutines with
// a partition that does not depend on GOMAXPROCS, so code whose chunks
// write disjoint outputs gives bit-identical results on any number of
// threads.
package parallel

import (
	"runtime"
	"sync"
)

// For calls fn(lo, hi) for the consecutive chunks [0, grain), [grain,
// 2·grain), … covering [0, n). The chunk boundaries depend only on n and
// grain; the number of goroutines only changes which goroutine runs a
// chunk. A single chunk, or GOMAXPROCS = 1, runs on the calling goroutine
// without starting any.
func For(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	chunks := (n + grain - 1) / grain
	workers := min(runtime.GOMAXPROCS(0), chunks)
	if workers <= 1 {
		for lo := 0; lo < n; lo += grain {
			fn(lo, min(lo+grain, n))
		}
		return
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
	)
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		c := next
		next++
		return c
	}
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			for c := take(); c < chunks; c = take() {
				lo := c * grain
				fn(lo, min(lo+grain, n))
			}
		}()
	}
	wg.Wait()
}
