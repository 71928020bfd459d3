package segmenter

import (
	"sync"
	"sync/atomic"

	"github.com/cohortd/cohortd/internal/parallel"
	"github.com/cohortd/cohortd/store"
)

// releaseProfiles is how many records a scan reads between two releases of the mapped pages.
const releaseProfiles = 20_000

// scanChunk is how many records a goroutine of a scan decodes at a time.
const scanChunk = 256

// scan reads every key and value of bucket b that starts with prefix, in one read
// transaction, and decodes them on every core: sized(n) is told their number first, then
// decode(w, i, k, v) is called for each (w is a worker from newWorker, reused by one goroutine
// at a time; i is the position in key order; k and v are valid only during the call). The
// error returned is that of the first record in key order that failed, as a sequential scan
// would return it.
//
// The pages the values are on are dropped from the process's memory as the scan goes and at
// its end (a large store's profiles are gigabytes; they stay in the page cache).
func scan[W any](st *store.Store, b store.Bucket, prefix []byte, newWorker func() W, sized func(n int),
	decode func(w W, i int, k, v []byte) error) error {
	err := st.View(func(tx *store.Tx) error {
		release := tx.PageReleaser()
		var seen atomic.Int64
		releaseEvery := func() {
			if seen.Add(1)%releaseProfiles == 0 {
				_ = release() // advisory: an error only leaves the pages mapped
			}
		}
		var keys, vals [][]byte
		if err := tx.ForEachPrefix(b, prefix, func(k, v []byte) error {
			releaseEvery()
			keys, vals = append(keys, k), append(vals, v)
			return nil
		}); err != nil {
			return err
		}
		sized(len(vals))
		workers := sync.Pool{New: func() any { return newWorker() }}
		var first firstError
		chunks := (len(vals) + scanChunk - 1) / scanChunk
		_ = parallel.For(chunks, 1, func(c int) error {
			w := workers.Get().(W)
			defer workers.Put(w)
			for i := c * scanChunk; i < min((c+1)*scanChunk, len(vals)) && !first.before(i); i++ {
				releaseEvery()
				if err := decode(w, i, keys[i], vals[i]); err != nil {
					first.set(i, err)
				}
			}
			return nil
		})
		return first.get()
	})
	_ = st.ReleaseMappedPages() // advisory
	return err
}

// firstError keeps the error of the lowest index; safe for concurrent use.
type firstError struct {
	failed atomic.Bool
	mu     sync.Mutex
	index  int // of err
	err    error
}

// before reports whether an error was recorded at an index below i (so i need not be read).
func (f *firstError) before(i int) bool {
	if !f.failed.Load() {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.index < i
}

func (f *firstError) set(i int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil || i < f.index {
		f.index, f.err = i, err
	}
	f.failed.Store(true)
}

// get returns the error of the lowest index, or nil.
func (f *firstError) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}
