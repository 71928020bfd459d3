//go:build !linux

package store

// ReleaseMappedPages does nothing outside Linux: the kernel reclaims clean mapped pages under
// memory pressure anyway.
func (s *Store) ReleaseMappedPages() error { return nil }
