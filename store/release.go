package store

import "fmt"

// ReleaseMappedPages drops this process's mapping of the data file's pages. They stay in the
// kernel's page cache, and a later read maps them again from there; until then they no longer
// count in the process's resident memory. Call it after a full scan (a rebuild reads the
// whole file): otherwise every page read stays resident as long as the mapping does,
// gigabytes for a large store, which a container's memory accounting sees as the daemon's.
func (s *Store) ReleaseMappedPages() error {
	return s.View(func(tx *Tx) error {
		if err := tx.PageReleaser()(); err != nil {
			return fmt.Errorf("store: release mapped pages: %w", err)
		}
		return nil
	})
}

// PageReleaser returns a function that does what Store.ReleaseMappedPages does, for use
// during a long scan inside t (say every few thousand records): it may be called from any
// goroutine while t is open, since bbolt cannot move its mapping while a transaction is open.
func (t *Tx) PageReleaser() func() error {
	info := t.tx.DB().Info()
	size := t.tx.Size()
	if info == nil || size <= 0 {
		return func() error { return nil }
	}
	return func() error { return dropMapping(info.Data, uintptr(size)) }
}
