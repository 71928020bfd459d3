package shopifysync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cohortd/cohortd/connectors/shopify/decode"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/privacy"
	"github.com/cohortd/cohortd/sync/tagpush"
	"github.com/cohortd/cohortd/sync/webhook"
)

// ErrUndecodable wraps the error of a verified delivery whose body cannot be decoded: the
// caller dead-letters it instead of retrying.
var ErrUndecodable = errors.New("shopifysync: undecodable delivery")

// Apply applies verified deliveries of this store, in inbox order: records go through one
// Writer (newer-wins by updated_at, so a retried old payload never overwrites newer data),
// privacy requests run, a bulk_operations/finish wakes the bulk waiter. It returns the
// deliveries that could not be decoded (to dead-letter) and an error only for a failure
// worth retrying the whole batch for.
func (s *Syncer) Apply(ctx context.Context, envs []webhook.Envelope) (rejected map[uint64]error, err error) {
	// Echoes of our own tag writes go through their own Writer: storing them changes nothing
	// a profile is built from, so they never ask for a refresh; neither do replays and
	// payloads older than what is stored (the Writer does not count them as written).
	w, echoes := s.newWriter(), s.newWriter()
	dirty, written := false, 0
	for _, env := range envs {
		ev, derr := decode.Webhook(s.id, env.Topic, env.TriggeredAt, env.Body)
		if derr != nil {
			if rejected == nil {
				rejected = map[uint64]error{}
			}
			rejected[env.Seq] = fmt.Errorf("%w: %v", ErrUndecodable, derr)
			s.stats.Rejected.Add(1)
			continue
		}
		s.stats.Webhooks.Add(1)
		switch e := ev.(type) {
		case decode.CustomerEvent:
			to := w
			if s.settle(&e.Customer) {
				s.stats.Echoes.Add(1)
				to = echoes
			}
			s.stats.Customers.Add(1)
			if err := to.AddCustomer(ctx, e.Customer); err != nil {
				return rejected, err
			}
		case decode.OrderEvent:
			s.stats.Orders.Add(1)
			if err := w.AddOrder(ctx, e.Order); err != nil {
				return rejected, err
			}
		case decode.RefundEvent:
			// The order's next version carries the refund: poll it now rather than
			// re-deriving refunds from partial payloads.
			signal(s.pollWake)
		case decode.BulkOperationFinished:
			signal(s.bulkWake)
		case decode.DataRequest, decode.CustomerRedact, decode.ShopRedact:
			// Privacy requests act on what is committed: flush first.
			if err := w.Flush(ctx); err != nil {
				return rejected, err
			}
			written += w.Written
			w = s.newWriter()
			if err := s.privacy(ctx, ev, env); err != nil {
				return rejected, err
			}
			dirty = true
		}
	}
	if err := w.Flush(ctx); err != nil {
		return rejected, err
	}
	if err := echoes.Flush(ctx); err != nil {
		return rejected, err
	}
	if dirty || written+w.Written > 0 {
		s.opts.Changed()
	}
	return rejected, nil
}

// IsPrivacyTopic reports whether a delivery of this topic is a privacy request (it erases or
// exports, and rebuilds profiles).
func IsPrivacyTopic(topic string) bool {
	switch topic {
	case decode.TopicCustomersDataReq, decode.TopicCustomersRedact, decode.TopicShopRedact:
		return true
	}
	return false
}

// settle prepares a customer read after the backfill (webhook or poll) against the stored
// version: what only the GraphQL API tells (a REST webhook payload has no customer locale) is
// carried over so a webhook does not erase it, and a version that differs only in tags inside
// our prefix (the customers/update our own tag write causes, or a poll reading it) keeps the
// stored updated_at, so our write never changes which record a merged profile takes its
// fields from. It reports whether c is such an echo.
func (s *Syncer) settle(c *profiles.CustomerRecord) (echo bool) {
	if c.Deleted {
		return false
	}
	var old profiles.CustomerRecord
	if err := s.opts.DB.GetValue(store.SourceRecords, []byte("customer/"+c.Store+"/"+c.ID), &old); err != nil {
		return false
	}
	if c.Locale == "" {
		c.Locale = old.Locale
	}
	if !s.isEcho(old, *c) {
		return false
	}
	if c.UpdatedAt.After(old.UpdatedAt) {
		c.UpdatedAt = old.UpdatedAt
	}
	return true
}

// isEcho reports whether c differs from old only in tags inside our prefix (and updated_at).
func (s *Syncer) isEcho(old, c profiles.CustomerRecord) bool {
	prefix := s.opts.Config.Tags.Prefix
	strip := func(tags []string) []string {
		var out []string
		for _, t := range tags {
			if !tagpush.IsOurs(prefix, t) {
				out = append(out, strings.TrimSpace(t))
			}
		}
		return out
	}
	if !slices.Equal(strip(old.Tags), strip(c.Tags)) || slices.Equal(old.Tags, c.Tags) {
		return false
	}
	return equalCustomers(old, c)
}

func equalCustomers(a, b profiles.CustomerRecord) bool {
	return a.Store == b.Store && a.ID == b.ID && a.Email == b.Email && a.Phone == b.Phone &&
		a.FirstName == b.FirstName && a.LastName == b.LastName && slices.Equal(a.Addresses, b.Addresses) &&
		a.Locale == b.Locale && a.Consent.State == b.Consent.State && a.Consent.OptInType == b.Consent.OptInType &&
		a.BirthDate == b.BirthDate && a.Deleted == b.Deleted
}

// privacy runs one of Shopify's mandatory privacy requests.
func (s *Syncer) privacy(ctx context.Context, ev decode.Event, env webhook.Envelope) error {
	opts := privacy.Options{Build: s.opts.Build, Logger: s.log, Now: s.opts.Now, OnErased: s.opts.OnErased}
	reqID := env.EventID
	switch e := ev.(type) {
	case decode.DataRequest:
		req := privacy.Request{Store: s.id, CustomerID: e.Customer.ID, Email: e.Customer.Email, OrderIDs: e.OrderIDs, RequestID: firstNonEmpty(e.RequestID, reqID)}
		exp, err := privacy.Export(s.opts.DB, req)
		if err != nil {
			return fmt.Errorf("shopifysync: %s: data request: %w", s.id, err)
		}
		path, err := privacy.WriteExport(s.opts.DataDir, exp)
		if err != nil {
			return fmt.Errorf("shopifysync: %s: data request: %w", s.id, err)
		}
		s.log.Info().Str("path", path).Str("request", req.RequestID).Msg("shopify: customers/data_request export written; send it to the merchant")
	case decode.CustomerRedact:
		req := privacy.Request{Store: s.id, CustomerID: e.Customer.ID, Email: e.Customer.Email, OrderIDs: e.OrderIDs, RequestID: reqID}
		res, err := privacy.RedactCustomer(ctx, s.opts.DB, opts, req)
		if err != nil {
			return fmt.Errorf("shopifysync: %s: customers/redact: %w", s.id, err)
		}
		if e.Customer.ID != "" {
			if err := s.opts.DB.Update(ctx, func(tx *store.Tx) error { return tagpush.Forget(tx, s.id, e.Customer.ID) }); err != nil {
				return err
			}
		}
		s.log.Info().Int("customers", res.Customers).Int("orders", res.Orders).Int("profiles_removed", len(res.ProfilesRemoved)).Msg("shopify: customers/redact done")
	case decode.ShopRedact:
		res, err := privacy.RedactShop(ctx, s.opts.DB, opts, s.id)
		if err != nil {
			return fmt.Errorf("shopifysync: %s: shop/redact: %w", s.id, err)
		}
		if err := s.opts.DB.Update(ctx, func(tx *store.Tx) error {
			if err := tagpush.Forget(tx, s.id, ""); err != nil {
				return err
			}
			// The store is gone: nothing more is read from it (no backfill, no poll).
			for _, k := range [][]byte{s.pollKey(phaseCustomers), s.pollKey(phaseOrders)} {
				if err := tx.Delete(store.Cursors, k); err != nil {
					return err
				}
			}
			return tx.Put(store.Cursors, s.backfillKey(), []byte(`{"phase":"`+phaseRedacted+`"}`))
		}); err != nil {
			return err
		}
		s.log.Info().Int("customers", res.Customers).Int("orders", res.Orders).Msg("shopify: shop/redact done")
	}
	return nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
