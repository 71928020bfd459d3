package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cohortd/cohortd/store/codec"
)

// stageRoot is the hidden top-level bucket that holds a Stage's new generation: one child
// bucket per staged bucket, under the staged bucket's name.
const stageRoot = "_stage"

// Replace names the keys of a bucket that a Stage replaces: every key under one of Prefixes
// ("" is every key). The bucket's other keys, and its sequence, are kept.
type Replace struct {
	Bucket   Bucket
	Prefixes []string
}

// A Stage replaces keys of some buckets with a new generation written over many transactions
// and swapped in by one. Readers see the old generation until Commit, and no transaction holds
// the whole new generation: a rebuild of a large store writes gigabytes, which one bbolt
// transaction would keep in memory as dirty pages until its commit.
//
// The new generation is kept in a hidden bucket of the data file. A crash (or Abort) leaves the
// old generation in place; the next Stage deletes what the crashed one left. One Stage at a
// time: starting one discards any other in progress.
type Stage struct {
	s       *Store
	replace []Replace
	token   uint64 // the stage root's sequence: tells this Stage from a later one
}

// Stage starts a new generation of the keys that replace names. The buckets must be known
// and distinct.
func (s *Store) Stage(ctx context.Context, replace ...Replace) (*Stage, error) {
	seen := map[Bucket]bool{}
	for _, r := range replace {
		if !knownBuckets[r.Bucket] {
			return nil, fmt.Errorf("store: stage: %w %q", ErrUnknownBucket, string(r.Bucket))
		}
		if seen[r.Bucket] {
			return nil, fmt.Errorf("store: stage: bucket %q named twice", r.Bucket)
		}
		seen[r.Bucket] = true
	}
	token := uint64(time.Now().UnixNano())
	err := s.Update(ctx, func(tx *Tx) error {
		if err := deleteStage(tx.tx); err != nil {
			return err
		}
		root, err := tx.tx.CreateBucket([]byte(stageRoot))
		if err != nil {
			return err
		}
		if err := root.SetSequence(token); err != nil {
			return err
		}
		for _, r := range replace {
			if _, err := root.CreateBucket([]byte(r.Bucket)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: stage: %w", err)
	}
	return &Stage{s: s, replace: replace, token: token}, nil
}

// root returns this Stage's root bucket in tx, or errStageGone.
func (g *Stage) root(tx *bolt.Tx) (*bolt.Bucket, error) {
	root := tx.Bucket([]byte(stageRoot))
	if root == nil || root.Sequence() != g.token {
		return nil, errStageGone
	}
	return root, nil
}

// deleteStage deletes what a Stage left in the data file, if anything.
func deleteStage(tx *bolt.Tx) error {
	if tx.Bucket([]byte(stageRoot)) == nil {
		return nil
	}
	return tx.DeleteBucket([]byte(stageRoot))
}

// StageTx writes into a Stage's new generation, inside one transaction of Stage.Update.
type StageTx struct {
	root  *bolt.Bucket
	stage *Stage
}

// Put sets key to value in the new generation of b. The key must be under one of the
// prefixes the Stage replaces in b. The slices must stay unmodified until the transaction
// ends. Keys put in increasing order fill the pages best.
func (t *StageTx) Put(b Bucket, key, value []byte) error {
	bk, err := t.bucket(b, key)
	if err != nil {
		return fmt.Errorf("store: stage put: %w", err)
	}
	if value == nil {
		value = []byte{}
	}
	if err := bk.Put(key, value); err != nil {
		return fmt.Errorf("store: stage put %s/%q: %w", b, key, mapErr(err))
	}
	return nil
}

// PutValue encodes v with package codec and Puts it.
func (t *StageTx) PutValue(b Bucket, key []byte, v any) error {
	data, err := codec.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: stage put %s/%q: %w", b, key, err)
	}
	return t.Put(b, key, data)
}

func (t *StageTx) bucket(b Bucket, key []byte) (*bolt.Bucket, error) {
	for _, r := range t.stage.replace {
		if r.Bucket != b {
			continue
		}
		if !hasAnyPrefix(key, r.Prefixes) {
			return nil, fmt.Errorf("key %q of %s is outside the staged prefixes %q", key, b, r.Prefixes)
		}
		bk := t.root.Bucket([]byte(b))
		if bk == nil {
			return nil, errStageGone
		}
		bk.FillPercent = fillPercent
		return bk, nil
	}
	return nil, fmt.Errorf("bucket %q is not staged", b)
}

func hasAnyPrefix(key []byte, prefixes []string) bool {
	for _, p := range prefixes {
		if bytes.HasPrefix(key, []byte(p)) {
			return true
		}
	}
	return false
}

// matchingPrefix returns the longest non-empty prefix of prefixes that key starts with, or "".
func matchingPrefix(key []byte, prefixes []string) string {
	best := ""
	for _, p := range prefixes {
		if len(p) > len(best) && bytes.HasPrefix(key, []byte(p)) {
			best = p
		}
	}
	return best
}

// prefixEnd is the smallest key after every key that starts with p; nil when there is none
// (p is all 0xff bytes).
func prefixEnd(p string) []byte {
	end := []byte(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// errStageGone means another Stage started (or the stage was committed or aborted) since
// this one: its writes would be lost, so they are refused.
var errStageGone = errors.New("the stage was discarded (another stage started, or it was committed or aborted)")

// Update runs fn in one read-write transaction that writes into the new generation.
func (g *Stage) Update(ctx context.Context, fn func(tx *StageTx) error) error {
	return g.s.Update(ctx, func(tx *Tx) error {
		root, err := g.root(tx.tx)
		if err != nil {
			return fmt.Errorf("store: stage: %w", err)
		}
		return fn(&StageTx{root: root, stage: g})
	})
}

// Commit swaps the new generation in, in one transaction: each staged bucket gets the old
// bucket's keys outside the replaced prefixes and its sequence, and takes the old bucket's
// place (the old one's pages are freed, not rewritten key by key). fn, if not nil, runs in the
// same transaction after the swap, for writes that go with the new generation.
func (g *Stage) Commit(ctx context.Context, fn func(tx *Tx) error) error {
	err := g.s.Update(ctx, func(tx *Tx) error {
		root, err := g.root(tx.tx)
		if err != nil {
			return err
		}
		// Freeing the old buckets reads every one of their pages (gigabytes for a large
		// store): their mapping is dropped every 100 ms while it does, and once more at the
		// end. bbolt cannot move the mapping before this function returns (it allocates pages
		// only when the transaction commits), and the dropping stops before that.
		release := tx.PageReleaser()
		stop, stopped := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(stopped)
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					_ = release() // advisory
				}
			}
		}()
		defer func() { close(stop); <-stopped }()
		for _, r := range g.replace {
			name := []byte(r.Bucket)
			if root.Bucket(name) == nil {
				return errStageGone
			}
			var (
				kept []keyValue
				seq  uint64
			)
			if old := tx.tx.Bucket(name); old != nil {
				if kept, err = keysOutside(old, r); err != nil {
					return err
				}
				seq = old.Sequence()
				if err := tx.tx.DeleteBucket(name); err != nil {
					return fmt.Errorf("delete old %s: %w", r.Bucket, err)
				}
			}
			// Moved before it is written to: bbolt's MoveBucket moves a bucket as last
			// committed, dropping what this transaction wrote into it.
			if err := tx.tx.MoveBucket(name, root, nil); err != nil {
				return fmt.Errorf("move new %s in: %w", r.Bucket, err)
			}
			nb := tx.tx.Bucket(name)
			nb.FillPercent = fillPercent
			for _, kv := range kept {
				if err := nb.Put(kv.k, kv.v); err != nil {
					return fmt.Errorf("keep %s/%q: %w", r.Bucket, kv.k, err)
				}
			}
			if err := nb.SetSequence(seq); err != nil {
				return fmt.Errorf("keep %s sequence: %w", r.Bucket, err)
			}
		}
		if err := tx.tx.DeleteBucket([]byte(stageRoot)); err != nil {
			return err
		}
		_ = release() // advisory
		if fn != nil {
			return fn(tx)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: stage commit: %w", err)
	}
	return nil
}

type keyValue struct{ k, v []byte }

// keysOutside returns copies of old's keys outside r's prefixes, with their values.
func keysOutside(old *bolt.Bucket, r Replace) ([]keyValue, error) {
	if slices.Contains(r.Prefixes, "") { // every key is replaced
		return nil, nil
	}
	var kept []keyValue
	c := old.Cursor()
	for k, v := c.First(); k != nil; {
		if p := matchingPrefix(k, r.Prefixes); p != "" {
			// The keys under one prefix are contiguous: skip past them.
			if end := prefixEnd(p); end != nil {
				k, v = c.Seek(end)
			} else {
				k = nil
			}
			continue
		}
		if v == nil {
			return nil, fmt.Errorf("keep %s/%q: a nested bucket cannot be staged", r.Bucket, k)
		}
		kept = append(kept, keyValue{bytes.Clone(k), bytes.Clone(v)})
		k, v = c.Next()
	}
	return kept, nil
}

// Abort deletes the new generation; the old one stays as it is.
func (g *Stage) Abort() error {
	if g.s.opts.ReadOnly || g.s.isClosed() {
		return nil
	}
	err := g.s.db.Update(func(tx *bolt.Tx) error {
		if _, err := g.root(tx); err != nil {
			return nil // not ours any more
		}
		return deleteStage(tx)
	})
	if err != nil {
		return fmt.Errorf("store: stage abort: %w", err)
	}
	return nil
}
