package webhook

import (
	"context"
	"errors"
	"fmt"

	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

// Append commits env to the inbox unless its event id (within Platform and
// Store) is already known, pending or consumed within Retention. It returns
// the new entry's sequence, or duplicate == true (and the existing entry's
// sequence if it is still pending, else 0). The dedupe check and the insert
// run in one transaction; Append returns only after that transaction has
// been fsync'd. env.Seq is ignored; a zero env.ReceivedAt is set to now.
func (in *Inbox) Append(ctx context.Context, env Envelope) (seq uint64, duplicate bool, err error) {
	if env.Platform == "" || env.Store == "" || env.EventID == "" {
		return 0, false, errors.New("webhook: append: platform, store and event id are required")
	}
	if env.ReceivedAt.IsZero() {
		env.ReceivedAt = in.opts.Now()
	}
	env.Seq = 0
	// Encode outside the writer: the group transaction should only copy bytes.
	value, err := codec.Marshal(&env)
	if err != nil {
		return 0, false, fmt.Errorf("webhook: append %s/%s: %w", env.Platform, env.Store, err)
	}
	dk := dedupeKey(eventRef(env.Platform, env.Store, env.EventID))
	op := &writeOp{}
	op.apply = func(tx *store.Tx) error {
		seq, duplicate = 0, false
		if v := tx.Get(store.Inbox, dk); v != nil {
			duplicate = true
			if rec, err := decodeDedupe(v); err == nil && rec.state == statePending {
				seq = rec.seq
			}
			return nil
		}
		n, err := tx.NextSequence(store.Inbox)
		if err != nil {
			return err
		}
		if err := tx.Put(store.Inbox, entryKey(n), value); err != nil {
			return err
		}
		rec := dedupeRecord{state: statePending, receivedAt: env.ReceivedAt, seq: n}
		if err := tx.Put(store.Inbox, dk, rec.encode()); err != nil {
			return err
		}
		seq = n
		return nil
	}
	op.after = func() {
		if !duplicate {
			in.depth.Add(1)
			in.wake.broadcast()
		}
	}
	if err := in.submit(ctx, op); err != nil {
		return 0, false, fmt.Errorf("webhook: append %s/%s: %w", env.Platform, env.Store, err)
	}
	return seq, duplicate, nil
}
