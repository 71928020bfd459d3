package webhook

import (
	"errors"
	"fmt"

	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

// DeadLetters returns up to limit (all if limit <= 0) rejected entries,
// oldest first, for inspection (admin API, tests).
func (in *Inbox) DeadLetters(limit int) ([]DeadLetter, error) {
	var out []DeadLetter
	err := in.st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.DeadLetters, deadPrefix, func(k, v []byte) error {
			var dl DeadLetter
			if err := codec.Unmarshal(v, &dl); err != nil {
				return fmt.Errorf("dead letter %x: %w", k, err)
			}
			dl.Envelope.Seq = dl.Seq
			out = append(out, dl)
			if limit > 0 && len(out) >= limit {
				return errStopScan
			}
			return nil
		})
	})
	if err != nil && !errors.Is(err, errStopScan) {
		return nil, fmt.Errorf("webhook: dead letters: %w", err)
	}
	return out, nil
}
