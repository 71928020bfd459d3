package webhook

import (
	"context"
	"fmt"

	"github.com/cohortd/cohortd/store"
)

// writeOp is one unit of work for the writer: apply runs inside the group
// transaction. apply may run more than once (when another op of its batch
// fails, the batch is retried without that op), so it must only write
// through tx and assign, never accumulate, its results.
type writeOp struct {
	apply func(tx *store.Tx) error
	// after runs on the writer goroutine once the transaction holding the
	// op has been committed; it may be nil.
	after func()
	done  chan error // buffered(1): receives exactly one result
}

// submit queues op and waits for the commit that includes it. If ctx ends
// while the queue is full, submit gives up with ctx.Err() and op is not
// written; once queued, the op is committed (or fails) regardless of ctx,
// because the writer may already be committing it.
func (in *Inbox) submit(ctx context.Context, op *writeOp) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	op.done = make(chan error, 1)
	// The read lock orders this send before Close closes the queue.
	in.mu.RLock()
	if in.closed {
		in.mu.RUnlock()
		return ErrClosed
	}
	select {
	case in.queue <- op:
		in.mu.RUnlock()
	case <-ctx.Done():
		in.mu.RUnlock()
		return ctx.Err()
	}
	return <-op.done
}

// writer turns queued ops into group commits until the queue is closed and
// drained. There is no timer: the ops that arrive while one transaction is
// being committed and fsync'd form the next batch, so batches grow with the
// load and a lone op is committed at once.
func (in *Inbox) writer() {
	defer close(in.writerDone)
	batch := make([]*writeOp, 0, in.opts.MaxBatchSize)
	for op := range in.queue {
		batch = append(batch[:0], op)
	fill:
		for len(batch) < in.opts.MaxBatchSize {
			select {
			case op, ok := <-in.queue:
				if !ok {
					break fill
				}
				batch = append(batch, op)
			default:
				break fill
			}
		}
		in.commit(batch)
		clear(batch)
	}
}

// commit applies ops in one transaction. An op whose apply fails gets its
// error and the others are retried without it; a failed commit is reported
// to every op in it.
func (in *Inbox) commit(ops []*writeOp) {
	ops = append([]*writeOp(nil), ops...)
	for len(ops) > 0 {
		failed := -1
		err := in.st.Update(context.Background(), func(tx *store.Tx) error {
			for i, op := range ops {
				if err := op.apply(tx); err != nil {
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
			in.commits.Add(1)
			in.writes.Add(uint64(len(ops)))
		} else {
			err = fmt.Errorf("webhook: inbox commit of %d writes: %w", len(ops), err)
		}
		for _, op := range ops {
			if err == nil && op.after != nil {
				op.after()
			}
			op.done <- err
		}
		return
	}
}
