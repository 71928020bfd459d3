package shopifysync

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cohortd/cohortd/store"
)

// State is what `cohortd status` shows of a store's sync: the backfill's phase and progress,
// and how far each poll has read.
type State struct {
	Store string `json:"store"`
	// Backfill is "" (not started), "customers" or "orders" (running or interrupted), "done",
	// or "redacted" (shop/redact: never read again).
	Backfill      string    `json:"backfill"`
	BackfillSince time.Time `json:"backfill_started,omitzero"`
	// BulkOperation and BulkLine are the running phase's operation and committed line.
	BulkOperation string `json:"bulk_operation,omitempty"`
	BulkLine      int64  `json:"bulk_line,omitempty"`
	// PolledUntil is each poll cursor: the newest updated_at read, per resource.
	PolledUntil map[string]time.Time `json:"polled_until,omitempty"`
}

// ReadState reads a store's sync state from the data file (running daemon or not).
func ReadState(st *store.Store, storeID string) (State, error) {
	s := State{Store: storeID}
	var cp checkpoint
	b, err := st.Get(store.Cursors, []byte("shopify/"+storeID+"/backfill"))
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && b == nil):
	case err != nil:
		return s, fmt.Errorf("shopifysync: %s: %w", storeID, err)
	default:
		if err := json.Unmarshal(b, &cp); err != nil {
			return s, fmt.Errorf("shopifysync: %s: decode checkpoint: %w", storeID, err)
		}
	}
	s.Backfill, s.BackfillSince = cp.Phase, cp.Started
	if cp.Phase != phaseDone {
		s.BulkOperation, s.BulkLine = cp.OpID, cp.Line
	}
	for _, kind := range []string{phaseCustomers, phaseOrders} {
		v, err := st.Get(store.Cursors, []byte("shopify/"+storeID+"/poll/"+kind))
		if err != nil || v == nil {
			continue
		}
		if t, err := time.Parse(time.RFC3339Nano, string(v)); err == nil {
			if s.PolledUntil == nil {
				s.PolledUntil = map[string]time.Time{}
			}
			s.PolledUntil[kind] = t
		}
	}
	return s, nil
}
