//go:build linux

package store

import (
	"fmt"
	"syscall"
)

// ReleaseMappedPages drops this process's mapping of the data file's pages (madvise
// MADV_DONTNEED on bbolt's read-only shared mapping). They stay in the kernel's page cache,
// and a later read maps them again from there; until then they no longer count in the
// process's resident memory. Call it after a full scan (a rebuild reads the whole file):
// otherwise every page read stays resident as long as the mapping does, gigabytes for a large
// store, which a container's memory accounting sees as the daemon's.
func (s *Store) ReleaseMappedPages() error {
	return s.View(func(tx *Tx) error {
		// Inside a read transaction bbolt cannot remap the file, so the mapping is stable.
		info := s.db.Info()
		size := tx.tx.Size()
		if info == nil || size <= 0 {
			return nil
		}
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, info.Data, uintptr(size), syscall.MADV_DONTNEED); errno != 0 {
			return fmt.Errorf("store: release mapped pages: %w", errno)
		}
		return nil
	})
}
