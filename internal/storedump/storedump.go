// Package storedump lists the keys and values of store buckets as text, for tests that
// compare what two runs wrote.
package storedump

import (
	"fmt"

	"github.com/cohortd/cohortd/store"
)

// Lines returns one "bucket key=hex(value)" line per key of the buckets, in bucket then key
// order.
func Lines(st *store.Store, buckets ...store.Bucket) ([]string, error) {
	var out []string
	err := st.View(func(tx *store.Tx) error {
		for _, b := range buckets {
			if err := tx.ForEach(b, func(k, v []byte) error {
				out = append(out, fmt.Sprintf("%s %s=%x", b, k, v))
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storedump: %w", err)
	}
	return out, nil
}
