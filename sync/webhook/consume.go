package webhook

import (
	"context"
	"errors"
	"fmt"

	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

// DefaultNextMax is the batch size Next uses when max <= 0.
const DefaultNextMax = 100

// MaxReasonLen caps the reason stored with a dead letter.
const MaxReasonLen = 1024

var errStopScan = errors.New("stop scan")

// Next returns up to max entries (DefaultNextMax if max <= 0) in arrival
// order, starting after the last entry Next has handed out, blocking until
// there is at least one. Append wakes it; there is no polling. It returns
// ctx.Err() when ctx ends and ErrClosed after Close.
//
// Entries stay in the inbox until Done or Reject: Next hands an entry out
// once per Inbox lifetime (or again after Rewind), and a restart hands out
// every entry not yet finished (at-least-once).
func (in *Inbox) Next(ctx context.Context, max int) ([]Envelope, error) {
	if max <= 0 {
		max = DefaultNextMax
	}
	for {
		select {
		case <-in.closing:
			return nil, ErrClosed
		default:
		}
		woken := in.wake.wait()
		envs, err := in.take(ctx, max)
		if err != nil || len(envs) > 0 {
			return envs, err
		}
		select {
		case <-woken:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-in.closing:
			return nil, ErrClosed
		}
	}
}

// take reads up to max entries at or after the cursor and advances it.
func (in *Inbox) take(ctx context.Context, max int) ([]Envelope, error) {
	in.readMu.Lock()
	defer in.readMu.Unlock()
	var (
		envs    []Envelope
		corrupt []DeadLetter
	)
	err := in.st.View(func(tx *store.Tx) error {
		// Finished entries are deleted, so the keys before the cursor are
		// only those handed out and not yet Done: skipping them is cheap.
		return tx.ForEachPrefix(store.Inbox, entryPrefix, func(k, v []byte) error {
			seq := seqFromEntryKey(k)
			if seq < in.cursor {
				return nil
			}
			var env Envelope
			if err := codec.Unmarshal(v, &env); err != nil {
				corrupt = append(corrupt, DeadLetter{
					Seq:    seq,
					Reason: fmt.Sprintf("corrupt inbox entry: %v", err),
					Raw:    append([]byte(nil), v...),
				})
				return nil
			}
			env.Seq = seq
			envs = append(envs, env)
			if len(envs) >= max {
				return errStopScan
			}
			return nil
		})
	})
	if err != nil && !errors.Is(err, errStopScan) {
		return nil, fmt.Errorf("webhook: next: %w", err)
	}
	for _, dl := range corrupt {
		// A value this package cannot decode would block the consumer
		// forever: park it with its raw bytes.
		in.log.Error().Uint64("seq", dl.Seq).Str("reason", dl.Reason).Msg("inbox entry moved to dead letters")
		if err := in.park(ctx, dl); err != nil {
			return nil, fmt.Errorf("webhook: next: park corrupt entry %d: %w", dl.Seq, err)
		}
	}
	if len(envs) > 0 {
		in.cursor = envs[len(envs)-1].Seq + 1
	}
	return envs, nil
}

// Rewind makes Next start again from the oldest entry in the inbox, so that
// entries handed out but not finished are delivered again.
func (in *Inbox) Rewind() {
	in.readMu.Lock()
	in.cursor = 0
	in.readMu.Unlock()
}

// Done removes the given entries (as returned by Next) from the inbox after
// the consumer has processed them. Their event ids stay in the dedupe index
// until Prune. Entries already finished are ignored. Done returns after the
// removal is durable; if it fails or the process dies first, the entries are
// delivered again.
func (in *Inbox) Done(ctx context.Context, envs ...Envelope) error {
	if len(envs) == 0 {
		return nil
	}
	var removed int64
	op := &writeOp{}
	op.apply = func(tx *store.Tx) error {
		removed = 0
		for i := range envs {
			ok, err := finish(tx, &envs[i])
			if err != nil {
				return err
			}
			if ok {
				removed++
			}
		}
		return nil
	}
	op.after = func() { in.depth.Add(-removed) }
	if err := in.submit(ctx, op); err != nil {
		return fmt.Errorf("webhook: done (%d entries): %w", len(envs), err)
	}
	return nil
}

// Reject moves env (as returned by Next) to the dead_letters bucket with
// reason, for a delivery that verified but can never be processed (an
// undecodable payload, say), instead of retrying it forever. Its event id
// stays in the dedupe index, so platform retries of it are not stored
// again. reason is truncated to MaxReasonLen bytes and must not contain
// personal data. Rejecting an entry that is already finished does nothing.
func (in *Inbox) Reject(ctx context.Context, env Envelope, reason string) error {
	if len(reason) > MaxReasonLen {
		reason = reason[:MaxReasonLen]
	}
	dl := DeadLetter{Envelope: env, Reason: reason, RejectedAt: in.opts.Now(), Seq: env.Seq}
	value, err := codec.Marshal(&dl)
	if err != nil {
		return fmt.Errorf("webhook: reject entry %d: %w", env.Seq, err)
	}
	var removed bool
	op := &writeOp{}
	op.apply = func(tx *store.Tx) error {
		ok, err := finish(tx, &env)
		removed = ok
		if err != nil || !ok {
			return err
		}
		return tx.Put(store.DeadLetters, deadKey(env.Seq), value)
	}
	op.after = func() {
		if removed {
			in.depth.Add(-1)
		}
	}
	if err := in.submit(ctx, op); err != nil {
		return fmt.Errorf("webhook: reject entry %d: %w", env.Seq, err)
	}
	return nil
}

// park moves an undecodable entry to the dead letters. Its event id is
// unknown, so its dedupe record (if any) stays pending and is never pruned.
func (in *Inbox) park(ctx context.Context, dl DeadLetter) error {
	dl.RejectedAt = in.opts.Now()
	value, err := codec.Marshal(&dl)
	if err != nil {
		return err
	}
	var removed bool
	op := &writeOp{}
	op.apply = func(tx *store.Tx) error {
		removed = tx.Get(store.Inbox, entryKey(dl.Seq)) != nil
		if !removed {
			return nil
		}
		if err := tx.Delete(store.Inbox, entryKey(dl.Seq)); err != nil {
			return err
		}
		return tx.Put(store.DeadLetters, deadKey(dl.Seq), value)
	}
	op.after = func() {
		if removed {
			in.depth.Add(-1)
		}
	}
	return in.submit(ctx, op)
}

// finish deletes env's entry and marks its event id finished (keeping it for
// dedupe, indexed by receive time for Prune). It reports whether the entry
// was still in the inbox.
func finish(tx *store.Tx, env *Envelope) (bool, error) {
	ek := entryKey(env.Seq)
	if tx.Get(store.Inbox, ek) == nil {
		return false, nil
	}
	if err := tx.Delete(store.Inbox, ek); err != nil {
		return false, err
	}
	ref := eventRef(env.Platform, env.Store, env.EventID)
	dk := dedupeKey(ref)
	rec, err := decodeDedupe(tx.Get(store.Inbox, dk))
	if err != nil || rec.state != statePending || rec.seq != env.Seq {
		// Not the record this entry created (the caller changed env, or the
		// record is damaged): leave the index alone rather than guess.
		return true, nil
	}
	rec.state = stateFinished
	if err := tx.Put(store.Inbox, dk, rec.encode()); err != nil {
		return false, err
	}
	if err := tx.Put(store.Inbox, timeKey(rec.receivedAt, ref), nil); err != nil {
		return false, err
	}
	return true, nil
}

// Consume runs the consumer loop until ctx ends or fn fails: it hands each
// batch from Next (up to max entries) to fn and, when fn returns nil, marks
// the batch Done. fn may Reject individual entries itself. When fn returns an
// error the batch is not marked done, the inbox is rewound so the batch is
// delivered again, and Consume returns the error; the caller decides when to
// retry. Because a crash between fn and Done re-delivers the batch, fn must
// be idempotent (by event id, and for records by updated_at).
func (in *Inbox) Consume(ctx context.Context, max int, fn func(ctx context.Context, envs []Envelope) error) error {
	for {
		envs, err := in.Next(ctx, max)
		if err != nil {
			return err
		}
		if err := fn(ctx, envs); err != nil {
			in.Rewind()
			return fmt.Errorf("webhook: consume entries %d..%d: %w", envs[0].Seq, envs[len(envs)-1].Seq, err)
		}
		// fn has done the work: record it even if ctx ended meanwhile, so a
		// shutdown does not cause a redelivery.
		if err := in.Done(context.WithoutCancel(ctx), envs...); err != nil {
			in.Rewind()
			return err
		}
	}
}
