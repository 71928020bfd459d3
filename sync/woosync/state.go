package woosync

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/segmenter"
)

// State is what `cohortd status` shows of a WooCommerce store's sync.
type State struct {
	Store string `json:"store"`
	// Backfill is "" (not started), "customers" or "orders" (running or interrupted) or "done".
	Backfill      string    `json:"backfill"`
	BackfillSince time.Time `json:"backfill_started,omitzero"`
	// Page is the next page of the running phase; Received / Expected its records.
	Page     int   `json:"page,omitempty"`
	Received int64 `json:"received,omitempty"`
	Expected int64 `json:"expected,omitempty"`
	// PolledUntil is the order poll cursor (newest date_modified_gmt read).
	PolledUntil time.Time `json:"polled_until,omitzero"`
	// GuestOnly counts profiles made only of this store's guest orders: there is no
	// WooCommerce customer to write their segments to.
	GuestOnly int `json:"guest_only_profiles"`
	// Webhooks is the last subscription check of this process (running daemon only).
	Webhooks *WebhookState `json:"webhooks,omitempty"`
}

// WebhookState summarises the last subscription check.
type WebhookState struct {
	Active    int `json:"active"`
	Created   int `json:"created"`
	Reenabled int `json:"reenabled"`
	Paused    int `json:"paused"`
}

// ReadState reads a store's sync state from the data file.
func ReadState(st *store.Store, storeID string) (State, error) {
	s := State{Store: storeID}
	var cp checkpoint
	if _, err := getJSON(st, []byte("woocommerce/"+storeID+"/backfill"), &cp); err != nil {
		return s, fmt.Errorf("woosync: %s: %w", storeID, err)
	}
	s.Backfill, s.BackfillSince = cp.Phase, cp.Started
	if cp.Phase != phaseDone {
		s.Page, s.Received, s.Expected = cp.Page, cp.Received, cp.Expected
	}
	if v, err := st.Get(store.Cursors, []byte("woocommerce/"+storeID+"/poll/orders")); err == nil && v != nil {
		s.PolledUntil, _ = time.Parse(time.RFC3339Nano, string(v))
	}
	if v, err := st.Get(store.Cursors, []byte("woocommerce/"+storeID+"/guest_only")); err == nil && v != nil {
		s.GuestOnly, _ = strconv.Atoi(string(v))
	}
	return s, nil
}

// State returns the store's state with this process's last webhook check.
func (s *Syncer) State() (State, error) {
	st, err := ReadState(s.opts.DB, s.id)
	s.mu.Lock()
	if r := s.webhooks; r != nil {
		st.Webhooks = &WebhookState{Active: len(r.Active), Created: len(r.Created), Reenabled: len(r.Reenabled), Paused: len(r.Paused)}
	}
	s.mu.Unlock()
	return st, err
}

// CountGuestOnly counts the profiles made only of this store's guest orders (no customer of
// the store to write to) and records the figure for status.
func (s *Syncer) CountGuestOnly(ctx context.Context) (int, error) {
	sources, err := segmenter.SourceKeys(s.opts.DB)
	if err != nil {
		return 0, err
	}
	guest := s.id + "/" + profiles.KindGuestOrder + "/"
	customer := s.id + "/" + profiles.KindCustomer + "/"
	n := 0
	for _, keys := range sources {
		hasGuest, hasCustomer := false, false
		for _, k := range keys {
			hasGuest = hasGuest || strings.HasPrefix(k, guest)
			hasCustomer = hasCustomer || strings.HasPrefix(k, customer)
		}
		if hasGuest && !hasCustomer {
			n++
		}
	}
	if err := s.opts.DB.Put(ctx, store.Cursors, []byte("woocommerce/"+s.id+"/guest_only"), []byte(strconv.Itoa(n))); err != nil {
		return n, fmt.Errorf("woosync: %s: %w", s.id, err)
	}
	return n, nil
}
