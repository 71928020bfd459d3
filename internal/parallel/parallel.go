// Package parallel runs an index loop on every core: the one shape cohortd's bulk decoders
// share (a rebuild's records, the segmenter's profiles); and sorts a large slice on every
// core.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// For calls fn(i) for every i in [0, n), chunk indexes at a time, on GOMAXPROCS goroutines.
// The first error stops the loop (chunks already started finish their current index) and is
// returned.
func For(n, chunk int, fn func(i int) error) error {
	chunk = max(chunk, 1)
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range min(runtime.GOMAXPROCS(0), (n+chunk-1)/chunk) {
		wg.Go(func() {
			for {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+chunk, n); i++ {
					if err := fn(i); err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
						next.Store(int64(n))
						return
					}
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}
