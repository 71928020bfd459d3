package outbox

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

// DestinationStatus summarises one destination's outbox.
type DestinationStatus struct {
	Destination string `json:"destination"`
	// Pending counts queued items; Due those due at the status time; Retrying those that
	// failed at least once.
	Pending  int `json:"pending"`
	Due      int `json:"due"`
	Retrying int `json:"retrying"`
	// Dead counts dead letters; Planned dry-run records.
	Dead    int `json:"dead_letters"`
	Planned int `json:"planned"`
	// OldestEnqueued is the first-enqueue time of the oldest pending item (zero if none).
	OldestEnqueued time.Time `json:"oldest_enqueued,omitzero"`
	// NextAttempt is the earliest due time of a pending item (zero if none).
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	// LastError is the most recent failure: a retrying item's error or a dead letter's
	// reason, at LastErrorAt.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

// Status summarises every destination that has pending items, dead letters or planned
// changes, sorted by destination, as of now. It decodes every item: meant for operators, not
// for a hot loop (Metrics counts keys only).
func Status(st *store.Store, now time.Time) ([]DestinationStatus, error) {
	byDest := map[string]*DestinationStatus{}
	get := func(d string) *DestinationStatus {
		s, ok := byDest[d]
		if !ok {
			s = &DestinationStatus{Destination: d}
			byDest[d] = s
		}
		return s
	}
	noteError := func(s *DestinationStatus, msg string, at time.Time) {
		if msg != "" && !at.Before(s.LastErrorAt) {
			s.LastError, s.LastErrorAt = msg, at
		}
	}
	err := st.View(func(tx *store.Tx) error {
		if err := tx.ForEachPrefix(store.Outbox, []byte(queueTag), func(k, v []byte) error {
			var it Item
			if err := codec.Unmarshal(v, &it); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			s := get(it.Destination)
			s.Pending++
			if !it.NextAttempt.After(now) {
				s.Due++
			}
			if it.Attempts > 0 {
				s.Retrying++
				noteError(s, it.LastError, it.LastAttempt)
			}
			if s.OldestEnqueued.IsZero() || it.Enqueued.Before(s.OldestEnqueued) {
				s.OldestEnqueued = it.Enqueued
			}
			if s.NextAttempt.IsZero() || it.NextAttempt.Before(s.NextAttempt) {
				s.NextAttempt = it.NextAttempt
			}
			return nil
		}); err != nil {
			return err
		}
		if err := tx.ForEachPrefix(store.Outbox, []byte(planTag), func(k, _ []byte) error {
			get(destOf(k, planTag)).Planned++
			return nil
		}); err != nil {
			return err
		}
		return tx.ForEach(store.DeadLetters, func(k, v []byte) error {
			var dl DeadLetter
			if err := codec.Unmarshal(v, &dl); err != nil {
				return fmt.Errorf("decode dead letter %s: %w", k, err)
			}
			s := get(destOf(k, ""))
			s.Dead++
			noteError(s, dl.Reason, dl.At)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: status: %w", err)
	}
	out := make([]DestinationStatus, 0, len(byDest))
	for _, s := range byDest {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b DestinationStatus) int { return strings.Compare(a.Destination, b.Destination) })
	return out, nil
}

// Pending returns dest's queued items in queue (first-enqueue) order.
func Pending(st *store.Store, dest string) ([]Item, error) {
	var items []Item
	err := st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.Outbox, queuePrefix(dest), func(k, v []byte) error {
			var it Item
			if err := codec.Unmarshal(v, &it); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			items = append(items, it)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: pending %s: %w", dest, err)
	}
	return items, nil
}

// DeadLetters returns dest's dead letters by key; every destination's when dest is "".
func DeadLetters(st *store.Store, dest string) ([]DeadLetter, error) {
	var prefix []byte
	if dest != "" {
		prefix = deadPrefix(dest)
	}
	var out []DeadLetter
	err := st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.DeadLetters, prefix, func(k, v []byte) error {
			var dl DeadLetter
			if err := codec.Unmarshal(v, &dl); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			out = append(out, dl)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: dead letters %s: %w", dest, err)
	}
	return out, nil
}

// PlannedChanges returns what dry runs of dest recorded, by key; every destination's when
// dest is "".
func PlannedChanges(st *store.Store, dest string) ([]Planned, error) {
	prefix := []byte(planTag)
	if dest != "" {
		prefix = planPrefix(dest)
	}
	var out []Planned
	err := st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.Outbox, prefix, func(k, v []byte) error {
			var p Planned
			if err := codec.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			out = append(out, p)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: planned %s: %w", dest, err)
	}
	return out, nil
}
