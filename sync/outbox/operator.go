package outbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

// ErrNoDeadLetter is wrapped by Retry and Drop when a named key has no dead letter.
var ErrNoDeadLetter = errors.New("no dead letter")

// RetryResult is what Retry did.
type RetryResult struct {
	// Requeued dead letters are pending again with a fresh attempt count, due now.
	Requeued int `json:"requeued"`
	// Superseded dead letters were deleted because a newer change of the same key is already
	// pending (the latest desired state wins; the old payload would undo it).
	Superseded int `json:"superseded"`
}

// Retry moves dest's dead letters for keys (all of them when no key is given) back to the
// queue, in one transaction. A key without a dead letter fails the whole call with
// ErrNoDeadLetter and changes nothing. A running daemon picks the items up at its next poll;
// the CLI runs it while no daemon holds the data file.
func Retry(ctx context.Context, st *store.Store, dest string, keys ...string) (RetryResult, error) {
	var res RetryResult
	if err := checkDestination(dest); err != nil {
		return res, err
	}
	now := time.Now().UTC()
	err := st.Update(ctx, func(tx *store.Tx) error {
		res = RetryResult{}
		dls, err := selectDead(tx, dest, keys)
		if err != nil {
			return err
		}
		for _, dl := range dls {
			if err := tx.Delete(store.DeadLetters, deadKey(dest, dl.Item.Key)); err != nil {
				return err
			}
			if _, pending, err := pendingByKey(tx, dest, dl.Item.Key); err != nil {
				return err
			} else if pending {
				res.Superseded++
				continue
			}
			seq, err := tx.NextSequence(store.Outbox)
			if err != nil {
				return err
			}
			it := Item{Destination: dest, Key: dl.Item.Key, Payload: dl.Item.Payload, Summary: dl.Item.Summary,
				Enqueued: now, NextAttempt: now, Seq: seq, Rev: seq}
			if err := putPending(tx, &it); err != nil {
				return err
			}
			res.Requeued++
		}
		return nil
	})
	if err != nil {
		return RetryResult{}, fmt.Errorf("outbox: retry %s: %w", dest, err)
	}
	return res, nil
}

// Drop deletes dest's dead letters for keys (all of them when no key is given) and returns
// how many it deleted. A key without a dead letter fails the whole call with
// ErrNoDeadLetter and deletes nothing.
func Drop(ctx context.Context, st *store.Store, dest string, keys ...string) (int, error) {
	if err := checkDestination(dest); err != nil {
		return 0, err
	}
	n := 0
	err := st.Update(ctx, func(tx *store.Tx) error {
		dls, err := selectDead(tx, dest, keys)
		if err != nil {
			return err
		}
		for _, dl := range dls {
			if err := tx.Delete(store.DeadLetters, deadKey(dest, dl.Item.Key)); err != nil {
				return err
			}
		}
		n = len(dls)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("outbox: drop %s: %w", dest, err)
	}
	return n, nil
}

// selectDead loads dest's dead letters for keys, or all of them.
func selectDead(tx *store.Tx, dest string, keys []string) ([]DeadLetter, error) {
	var out []DeadLetter
	if len(keys) == 0 {
		err := tx.ForEachPrefix(store.DeadLetters, deadPrefix(dest), func(k, v []byte) error {
			var dl DeadLetter
			if err := codec.Unmarshal(v, &dl); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			out = append(out, dl)
			return nil
		})
		return out, err
	}
	var missing []string
	seen := map[string]bool{}
	for _, key := range keys {
		if seen[key] {
			continue
		}
		seen[key] = true
		var dl DeadLetter
		err := tx.GetValue(store.DeadLetters, deadKey(dest, key), &dl)
		if errors.Is(err, store.ErrNotFound) {
			missing = append(missing, key)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, dl)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w for %s", ErrNoDeadLetter, strings.Join(missing, ", "))
	}
	return out, nil
}
