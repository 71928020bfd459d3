package store

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/cohortd/cohortd/store/codec"
)

// Tx is a transaction passed to Update and View. It is valid only inside
// that function and must not be used from other goroutines. Byte slices it
// returns or passes to callbacks point into the memory-mapped file and are
// valid only until the function returns: copy what you keep.
type Tx struct {
	tx *bolt.Tx
}

func (t *Tx) bucket(b Bucket) (*bolt.Bucket, error) {
	bk := t.tx.Bucket([]byte(b))
	if bk == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownBucket, string(b))
	}
	bk.FillPercent = fillPercent
	return bk, nil
}

// fillPercent is how full bbolt fills a page when it splits a node. Its default (0.5) suits
// random inserts; cohortd's large writes put keys in order (a backfill's records, a rebuild's
// profiles and indexes, outbox sequences), and at 0.5 every page of those stayed half empty:
// the data file was twice the size of its data, and reading it back touched twice the pages.
const fillPercent = 0.9

// Writable reports whether the transaction can write (inside Update).
func (t *Tx) Writable() bool { return t.tx.Writable() }

// Get returns the value of key in b, or nil if the key (or bucket) does not
// exist. The slice is valid only inside the transaction.
func (t *Tx) Get(b Bucket, key []byte) []byte {
	bk := t.tx.Bucket([]byte(b))
	if bk == nil {
		return nil
	}
	return bk.Get(key)
}

// Put sets key to value in b. The slices must stay unmodified until the
// transaction ends.
func (t *Tx) Put(b Bucket, key, value []byte) error {
	bk, err := t.bucket(b)
	if err != nil {
		return fmt.Errorf("store: put: %w", err)
	}
	if value == nil {
		value = []byte{}
	}
	if err := bk.Put(key, value); err != nil {
		return fmt.Errorf("store: put %s/%q: %w", b, key, mapErr(err))
	}
	return nil
}

// Delete removes key from b; deleting a missing key is not an error.
func (t *Tx) Delete(b Bucket, key []byte) error {
	bk, err := t.bucket(b)
	if err != nil {
		return fmt.Errorf("store: delete: %w", err)
	}
	if err := bk.Delete(key); err != nil {
		return fmt.Errorf("store: delete %s/%q: %w", b, key, mapErr(err))
	}
	return nil
}

// ForEach calls fn for every key of b in byte order. An error from fn stops
// the iteration and is returned unchanged. fn must not modify b.
func (t *Tx) ForEach(b Bucket, fn func(k, v []byte) error) error {
	bk, err := t.bucket(b)
	if err != nil {
		return fmt.Errorf("store: for each: %w", err)
	}
	return bk.ForEach(fn)
}

// ForEachPrefix calls fn, in byte order, for every key of b that starts
// with prefix. An error from fn stops the iteration and is returned
// unchanged. fn must not modify b.
func (t *Tx) ForEachPrefix(b Bucket, prefix []byte, fn func(k, v []byte) error) error {
	bk, err := t.bucket(b)
	if err != nil {
		return fmt.Errorf("store: for each prefix: %w", err)
	}
	c := bk.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// NextSequence returns the next value of b's monotonically increasing
// sequence (starting at 1). Only valid in Update.
func (t *Tx) NextSequence(b Bucket) (uint64, error) {
	bk, err := t.bucket(b)
	if err != nil {
		return 0, fmt.Errorf("store: next sequence: %w", err)
	}
	n, err := bk.NextSequence()
	if err != nil {
		return 0, fmt.Errorf("store: next sequence %s: %w", b, mapErr(err))
	}
	return n, nil
}

// Count returns the number of keys in b (0 if b does not exist). It walks
// the bucket's pages, so it costs O(pages) rather than O(1).
func (t *Tx) Count(b Bucket) int {
	bk := t.tx.Bucket([]byte(b))
	if bk == nil {
		return 0
	}
	return bk.Stats().KeyN
}

// PutValue encodes v with package codec and Puts it.
func (t *Tx) PutValue(b Bucket, key []byte, v any) error {
	data, err := codec.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: put %s/%q: %w", b, key, err)
	}
	return t.Put(b, key, data)
}

// GetValue decodes the value of key into v (a pointer) with package codec;
// ErrNotFound if absent.
func (t *Tx) GetValue(b Bucket, key []byte, v any) error {
	bk, err := t.bucket(b)
	if err != nil {
		return fmt.Errorf("store: get: %w", err)
	}
	data := bk.Get(key)
	if data == nil {
		return ErrNotFound
	}
	if err := codec.Unmarshal(data, v); err != nil {
		return fmt.Errorf("store: get %s/%q: %w", b, key, err)
	}
	return nil
}
