//go:build !linux

package store

// dropMapping does nothing outside Linux: the kernel reclaims clean mapped pages under memory
// pressure anyway.
func dropMapping(addr, size uintptr) error { return nil }
