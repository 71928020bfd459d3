package webhook

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/cohortd/cohortd/store"
)

// pruneChunk bounds the ids forgotten per transaction, so that a large
// prune does not hold up webhook commits sharing its group commit.
const pruneChunk = 2000

// Prune forgets the event ids of finished (consumed or rejected) entries
// received more than Retention ago; a later delivery of such an id is
// stored again. Ids of entries still in the inbox are kept however old. The
// daemon calls it periodically (hourly is plenty). It returns how many ids
// it forgot; on error, those forgotten before it stay forgotten.
func (in *Inbox) Prune(ctx context.Context) (int, error) {
	cutoff := uint64(in.opts.Now().Add(-in.opts.Retention).UnixNano())
	total := 0
	for {
		var n int
		op := &writeOp{}
		op.apply = func(tx *store.Tx) error {
			n = 0
			var keys [][]byte
			err := tx.ForEachPrefix(store.Inbox, timePrefix, func(k, _ []byte) error {
				if len(k) < len(timePrefix)+8 || binary.BigEndian.Uint64(k[len(timePrefix):]) >= cutoff {
					return errStopScan // keys are in receive-time order
				}
				keys = append(keys, bytes.Clone(k))
				if len(keys) >= pruneChunk {
					return errStopScan
				}
				return nil
			})
			if err != nil && err != errStopScan {
				return err
			}
			for _, k := range keys {
				if err := tx.Delete(store.Inbox, k); err != nil {
					return err
				}
				dk := dedupeKey(k[len(timePrefix)+8:])
				if rec, err := decodeDedupe(tx.Get(store.Inbox, dk)); err == nil && rec.state == stateFinished {
					if err := tx.Delete(store.Inbox, dk); err != nil {
						return err
					}
				}
			}
			n = len(keys)
			return nil
		}
		if err := in.submit(ctx, op); err != nil {
			return total, fmt.Errorf("webhook: prune dedupe ids: %w", err)
		}
		total += n
		if n < pruneChunk {
			return total, nil
		}
	}
}
