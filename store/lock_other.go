//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package store

import (
	"errors"
	"os"
	"time"
)

// lockFile checks that no process holds path by opening it read-only
// through bbolt (which locks the file); it cannot keep holding the lock.
func lockFile(path string, timeout time.Duration) (func(), error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return func() {}, nil
	}
	db, err := openBolt(path, timeout, true, false)
	if errors.Is(err, ErrInUse) {
		return nil, err
	}
	if err == nil {
		_ = db.Close()
	}
	return func() {}, nil
}
