package listmonk

import "sync"

// parallel runs fn(0..n-1) on at most limit goroutines and returns when all have run. Every
// index runs even after a context ended (fn's requests then fail at once), so every change
// of a batch gets its own outcome.
func parallel(n, limit int, fn func(i int)) {
	if n == 0 {
		return
	}
	limit = max(1, min(limit, n))
	next := make(chan int)
	var wg sync.WaitGroup
	for range limit {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
