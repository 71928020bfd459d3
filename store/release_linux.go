//go:build linux

package store

import "syscall"

// dropMapping advises the kernel that the mapped range [addr, addr+size) is not needed
// (MADV_DONTNEED): on bbolt's read-only shared mapping the pages leave the process's resident
// memory and stay in the page cache, from where a later read maps them again.
func dropMapping(addr, size uintptr) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, addr, size, syscall.MADV_DONTNEED); errno != 0 {
		return errno
	}
	return nil
}
