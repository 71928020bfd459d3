package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cohortd/cohortd/store"
)

// Sender delivers batches of one destination's items. Destinations implement it.
type Sender interface {
	// Send delivers batch (items of one destination, at most RunOptions.BatchSize) and
	// returns one error per item, in order: nil once the destination has applied the item,
	// an error wrapped with Permanent when the destination rejected it, any other error when
	// a later attempt may succeed (use RetryAfter to pass the platform's wait hint). Send
	// must honour ctx. The same item may be sent again after a crash, so applying it twice
	// must be harmless.
	Send(ctx context.Context, batch []Item) []error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, batch []Item) []error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, batch []Item) []error { return f(ctx, batch) }

// RunOptions configures Run. The zero value is valid (live, defaults below).
type RunOptions struct {
	// BatchSize is the most items per Send; default 50.
	BatchSize int
	// Backoff is the retry schedule of transient failures.
	Backoff Backoff
	// DryRun records each due item as a planned change instead of sending it.
	DryRun bool
	// OnApplied runs in the transaction that removes delivered items from the queue: record
	// there what the destination now has (applied_state). An error rolls the whole
	// transaction back; the items are then sent again (at least once). Not called in a dry
	// run. It must not keep tx.
	OnApplied func(tx *store.Tx, delivered []Item) error
	// PollInterval is the longest Run sleeps without being notified; default 1 s.
	PollInterval time.Duration
}

func (r RunOptions) withDefaults() RunOptions {
	if r.BatchSize <= 0 {
		r.BatchSize = DefaultBatchSize
	}
	if r.PollInterval <= 0 {
		r.PollInterval = DefaultPollInterval
	}
	r.Backoff = r.Backoff.withDefaults()
	return r
}

// errStop ends a ForEachPrefix early.
var errStop = errors.New("stop")

// Run delivers destination's items through sender until ctx ends, then returns nil. It
// returns an error only when it cannot go on: an invalid destination, ErrRunning, or the
// store closed under it. Failed commits and unreadable queues are logged and retried after a
// backoff, because giving up would stop the destination silently.
func (o *Outbox) Run(ctx context.Context, destination string, sender Sender, opts RunOptions) error {
	if err := checkDestination(destination); err != nil {
		return err
	}
	if sender == nil && !opts.DryRun {
		return fmt.Errorf("outbox: run %s: nil sender", destination)
	}
	o.mu.Lock()
	if o.running[destination] {
		o.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrRunning, destination)
	}
	o.running[destination] = true
	o.mu.Unlock()
	defer func() {
		o.mu.Lock()
		delete(o.running, destination)
		o.mu.Unlock()
	}()

	r := &runner{o: o, dest: destination, sender: sender, opts: opts.withDefaults(), wake: o.wakeChan(destination)}
	if !opts.DryRun {
		if err := o.st.Update(ctx, func(tx *store.Tx) error { return clearPlanned(tx, destination) }); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("outbox: run %s: clear dry-run plan: %w", destination, err)
		}
	}
	return r.loop(ctx)
}

// runner is the state of one Run.
type runner struct {
	o      *Outbox
	dest   string
	sender Sender
	opts   RunOptions
	wake   chan struct{}
	// failures counts consecutive whole-batch failures (sends or commits); pauseUntil holds
	// the destination back after one.
	failures   int
	pauseUntil time.Time
}

func (r *runner) loop(ctx context.Context) error {
	for ctx.Err() == nil {
		now := r.o.now()
		if now.Before(r.pauseUntil) {
			r.sleep(ctx, r.pauseUntil.Sub(now), false)
			continue
		}
		batch, next, err := dueItems(r.o.st, r.dest, now, r.opts.BatchSize)
		if errors.Is(err, store.ErrClosed) {
			return fmt.Errorf("outbox: run %s: %w", r.dest, err)
		}
		if err != nil {
			r.o.log.Error().Err(err).Str("destination", r.dest).Msg("outbox: read due items")
			r.pause(now)
			continue
		}
		if len(batch) == 0 {
			wait := r.opts.PollInterval
			if !next.IsZero() {
				wait = min(wait, max(next.Sub(now), 0))
			}
			r.sleep(ctx, wait, true)
			continue
		}
		if err := r.deliver(ctx, batch); err != nil {
			return err
		}
	}
	return nil
}

// sleep waits d, until ctx ends, or (when wakeable) until Notify.
func (r *runner) sleep(ctx context.Context, d time.Duration, wakeable bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	wake := r.wake
	if !wakeable {
		wake = nil
	}
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-wake:
	}
}

// pause holds the destination back after a whole-batch failure.
func (r *runner) pause(now time.Time) {
	r.failures++
	r.pauseUntil = now.Add(r.opts.Backoff.Delay(r.failures, r.o.rand()))
}

// deliver sends one batch (or plans it in a dry run) and commits the outcome. It returns an
// error only when Run must stop.
func (r *runner) deliver(ctx context.Context, batch []Item) error {
	if r.opts.DryRun {
		_, err := r.commit(ctx, func(tx *store.Tx) error { return r.plan(tx, batch) }, len(batch))
		return err
	}
	errs := r.sender.Send(ctx, batch)
	if len(errs) != len(batch) {
		err := fmt.Errorf("sender returned %d results for %d items", len(errs), len(batch))
		errs = make([]error, len(batch))
		for i := range errs {
			errs[i] = err
		}
	}
	// A send that completed is committed even when ctx ended meanwhile: the alternative is
	// sending it again. Failures caused by the cancellation are not counted.
	cancelled := ctx.Err() != nil
	var out outcome
	ok, err := r.commit(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		out = outcome{}
		return r.record(tx, batch, errs, cancelled, &out)
	}, len(batch))
	if !ok {
		return err
	}
	r.o.met.observe(r.dest, out)
	if out.transient > 0 && out.transient == len(batch) && !cancelled {
		r.pause(r.o.now())
	} else if out.delivered > 0 {
		r.failures = 0
	}
	r.o.log.Debug().Str("destination", r.dest).Int("items", len(batch)).Int("delivered", out.delivered).
		Int("transient", out.transient).Int("dead", out.dead).Msg("outbox: batch sent")
	return nil
}

// commit runs fn in one transaction and reports whether it committed. A failure other than
// a closed store (which stops Run) is logged and pauses the destination: the items stay
// queued and are sent again.
func (r *runner) commit(ctx context.Context, fn func(tx *store.Tx) error, n int) (bool, error) {
	err := r.o.st.Update(ctx, fn)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, store.ErrClosed) {
		return false, fmt.Errorf("outbox: run %s: commit: %w", r.dest, err)
	}
	if ctx.Err() != nil {
		return false, nil // Run is stopping; nothing was changed
	}
	r.o.log.Error().Err(err).Str("destination", r.dest).Int("items", n).
		Msg("outbox: commit failed; the batch stays queued and will be sent again")
	r.o.met.commitFailed(r.dest)
	r.pause(r.o.now())
	return false, nil
}

// outcome counts what one batch came to.
type outcome struct {
	delivered, transient, permanent, dead int
}

// record applies a batch's results to the queue in tx.
func (r *runner) record(tx *store.Tx, batch []Item, errs []error, cancelled bool, out *outcome) error {
	now := r.o.now().UTC()
	var delivered []Item
	for i, sent := range batch {
		err := errs[i]
		if err != nil && cancelled && !IsPermanent(err) {
			continue // the send was cut short; not an attempt
		}
		cur, found, lerr := pendingBySeq(tx, r.dest, sent.Seq)
		if lerr != nil {
			return lerr
		}
		if err == nil {
			out.delivered++
			delivered = append(delivered, sent)
			if found && cur.Rev == sent.Rev {
				if err := deletePending(tx, &cur); err != nil {
					return err
				}
			}
			// An older failure of this key is superseded: retrying it would undo this change.
			if err := tx.Delete(store.DeadLetters, deadKey(r.dest, sent.Key)); err != nil {
				return err
			}
			continue
		}
		if !found {
			continue
		}
		if IsPermanent(err) {
			out.permanent++
			if cur.Rev != sent.Rev {
				continue // a newer change replaced the rejected one: give it its chance
			}
			if err := r.bury(tx, cur, reasonOf(err), true, now); err != nil {
				return err
			}
			out.dead++
			continue
		}
		out.transient++
		cur.Attempts++
		cur.LastError = reasonOf(err)
		cur.LastAttempt = now
		if cur.Attempts >= r.opts.Backoff.MaxAttempts {
			reason := fmt.Sprintf("gave up after %d attempts: %s", cur.Attempts, cur.LastError)
			if err := r.bury(tx, cur, reason, false, now); err != nil {
				return err
			}
			out.dead++
			continue
		}
		wait := max(r.opts.Backoff.Delay(cur.Attempts, r.o.rand()), retryAfterOf(err))
		if err := reschedule(tx, &cur, now.Add(wait)); err != nil {
			return err
		}
	}
	if len(delivered) > 0 && r.opts.OnApplied != nil {
		if err := r.opts.OnApplied(tx, delivered); err != nil {
			return fmt.Errorf("on applied: %w", err)
		}
	}
	return nil
}

// bury moves cur (as stored) to the dead letters.
func (r *runner) bury(tx *store.Tx, cur Item, reason string, permanent bool, now time.Time) error {
	// The schedule entry is keyed by the stored NextAttempt, so delete before changing it.
	if err := deletePending(tx, &cur); err != nil {
		return err
	}
	dl := DeadLetter{Item: cur, Reason: reason, Permanent: permanent, At: now}
	if err := tx.PutValue(store.DeadLetters, deadKey(cur.Destination, cur.Key), &dl); err != nil {
		return err
	}
	r.o.log.Warn().Str("destination", cur.Destination).Str("key", cur.Key).Int("attempts", cur.Attempts).
		Bool("permanent", permanent).Str("reason", reason).Msg("outbox: item moved to dead letters")
	return nil
}

// plan turns a dry run's batch into planned records.
func (r *runner) plan(tx *store.Tx, batch []Item) error {
	now := r.o.now().UTC()
	for _, sent := range batch {
		cur, found, err := pendingBySeq(tx, r.dest, sent.Seq)
		if err != nil {
			return err
		}
		if !found || cur.Rev != sent.Rev {
			continue // replaced meanwhile: the newer change is planned on the next pass
		}
		if err := deletePending(tx, &cur); err != nil {
			return err
		}
		if err := tx.PutValue(store.Outbox, planKey(r.dest, cur.Key), &Planned{Item: cur, At: now}); err != nil {
			return err
		}
	}
	return nil
}

// clearPlanned deletes a destination's dry-run records.
func clearPlanned(tx *store.Tx, dest string) error {
	var keys [][]byte
	if err := tx.ForEachPrefix(store.Outbox, planPrefix(dest), func(k, _ []byte) error {
		keys = append(keys, append([]byte(nil), k...))
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := tx.Delete(store.Outbox, k); err != nil {
			return err
		}
	}
	return nil
}

// dueItems returns up to limit items of dest due at now, in schedule order, and the due time
// of the first item that is not due yet (zero when there is none).
func dueItems(st *store.Store, dest string, now time.Time, limit int) ([]Item, time.Time, error) {
	var (
		batch []Item
		next  time.Time
	)
	cutoff := dueNanos(now)
	prefix := duePrefix(dest)
	err := st.View(func(tx *store.Tx) error {
		err := tx.ForEachPrefix(store.Outbox, prefix, func(k, _ []byte) error {
			due, seq, err := parseDueKey(k[len(prefix):])
			if err != nil {
				return err
			}
			if dueNanos(due) > cutoff {
				next = due
				return errStop
			}
			if len(batch) == limit {
				return errStop
			}
			it, found, err := pendingBySeq(tx, dest, seq)
			if err != nil {
				return err
			}
			// A schedule entry that does not match its item is stale; never send on it.
			if found && dueNanos(it.NextAttempt) == dueNanos(due) {
				batch = append(batch, it)
			}
			return nil
		})
		if errors.Is(err, errStop) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("outbox: due items of %s: %w", dest, err)
	}
	return batch, next, nil
}
