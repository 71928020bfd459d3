package store

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Op states: a queued op is claimed by the writer or cancelled by its
// caller, whichever happens first.
const (
	opQueued int32 = iota
	opClaimed
	opCancelled
)

type writeOp struct {
	bucket Bucket
	key    []byte
	value  []byte
	del    bool
	state  atomic.Int32
	done   chan error // buffered(1); receives exactly one result once claimed
}

// submit queues op for the writer goroutine and waits for its commit.
func (s *Store) submit(ctx context.Context, op *writeOp) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.opts.ReadOnly {
		return ErrReadOnly
	}
	op.done = make(chan error, 1)

	s.inflight.Add(1)
	defer func() {
		s.inflight.Add(-1)
		// Tell a lingering writer the set of in-flight writers changed.
		select {
		case s.poke <- struct{}{}:
		default:
		}
	}()

	// The read lock orders this send before Close closes the queue.
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	select {
	case s.queue <- op:
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}

	select {
	case err := <-op.done:
		return err
	case <-ctx.Done():
		if op.state.CompareAndSwap(opQueued, opCancelled) {
			return ctx.Err() // the writer will skip it
		}
		return <-op.done // already part of a commit: report its outcome
	}
}

// writer is the single goroutine that turns queued ops into group commits.
// It exits after the queue is closed and drained.
func (s *Store) writer() {
	defer close(s.writerDone)
	batch := make([]*writeOp, 0, s.opts.MaxBatchSize)
	for {
		op, ok := <-s.queue
		if !ok {
			return
		}
		batch = append(batch[:0], op)
		batch = s.collect(batch)
		s.commit(batch)
		clear(batch)
	}
}

// collect adds already-queued ops to batch, then waits up to MaxBatchDelay
// for writers that are inside Put/Delete but not yet in the batch. A lone
// writer (inflight == len(batch)) is never delayed.
func (s *Store) collect(batch []*writeOp) []*writeOp {
	limit := s.opts.MaxBatchSize
	for len(batch) < limit {
		select {
		case op, ok := <-s.queue:
			if !ok {
				return batch
			}
			batch = append(batch, op)
			continue
		default:
		}
		break
	}
	if s.opts.MaxBatchDelay <= 0 {
		return batch
	}
	var timer *time.Timer
	for len(batch) < limit && int64(len(batch)) < s.inflight.Load() {
		if timer == nil {
			timer = time.NewTimer(s.opts.MaxBatchDelay)
			defer timer.Stop()
		}
		select {
		case op, ok := <-s.queue:
			if !ok {
				return batch
			}
			batch = append(batch, op)
		case <-s.poke:
		case <-timer.C:
			return batch
		}
	}
	return batch
}

// commit writes the claimed ops of batch in one transaction. An op that
// fails is answered with its error and the rest are retried without it; a
// failed commit is reported to every op in it.
func (s *Store) commit(batch []*writeOp) {
	ops := make([]*writeOp, 0, len(batch))
	for _, op := range batch {
		if op.state.CompareAndSwap(opQueued, opClaimed) {
			ops = append(ops, op)
		}
	}
	for len(ops) > 0 {
		failed := -1
		start := time.Now()
		err := s.db.Update(func(tx *bolt.Tx) error {
			for i, op := range ops {
				if err := applyOp(tx, op); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			ops[failed].done <- err
			ops = append(ops[:failed:failed], ops[failed+1:]...)
			continue
		}
		if err == nil {
			s.commits.Add(1)
			s.writes.Add(uint64(len(ops)))
			s.metrics.commitSeconds.Observe(time.Since(start).Seconds())
		} else {
			err = fmt.Errorf("store: group commit of %d writes: %w", len(ops), mapErr(err))
		}
		for _, op := range ops {
			op.done <- err
		}
		return
	}
}

var errNoBucket = errors.New("bucket missing from data file")

func applyOp(tx *bolt.Tx, op *writeOp) error {
	bk := tx.Bucket([]byte(op.bucket))
	if bk == nil {
		return fmt.Errorf("store: write %s: %w", op.bucket, errNoBucket)
	}
	bk.FillPercent = fillPercent
	if op.del {
		if err := bk.Delete(op.key); err != nil {
			return fmt.Errorf("store: delete %s/%q: %w", op.bucket, op.key, err)
		}
		return nil
	}
	if err := bk.Put(op.key, op.value); err != nil {
		return fmt.Errorf("store: put %s/%q: %w", op.bucket, op.key, err)
	}
	return nil
}
