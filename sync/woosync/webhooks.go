package woosync

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/cohortd/cohortd/connectors/woocommerce"
	"github.com/cohortd/cohortd/connectors/woocommerce/decode"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/tagpush"
	"github.com/cohortd/cohortd/sync/webhook"
)

// ErrUndecodable wraps the error of a verified delivery whose body cannot be decoded: the
// caller dead-letters it instead of retrying.
var ErrUndecodable = errors.New("woosync: undecodable delivery")

// Apply applies verified deliveries of this store in inbox order and returns the ones that
// could not be decoded (to dead-letter). Records go through the ingest (newer-wins by
// date_modified_gmt: customer.created and customer.updated of one change store once). The
// customer.updated caused by our own meta write is recognised and changes nothing.
func (s *Syncer) Apply(ctx context.Context, envs []webhook.Envelope) (rejected map[uint64]error, err error) {
	w, echoes := s.newWriter(), s.newWriter()
	dirty := false
	for _, env := range envs {
		ev, derr := decode.Webhook(s.id, env.Topic, env.ReceivedAt, env.Body)
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
			c := e.Customer
			to := w
			if c.Deleted {
				s.stats.Deleted.Add(1)
			} else if s.settle(&c, env.Body) {
				to = echoes
			}
			s.stats.Customers.Add(1)
			if err := to.AddCustomer(ctx, c); err != nil {
				return rejected, err
			}
		case decode.OrderEvent:
			s.stats.Orders.Add(1)
			if err := w.AddOrder(ctx, e.Order); err != nil {
				return rejected, err
			}
		case decode.OrderDeleted:
			// A trashed or deleted order stops counting; the record goes (WooCommerce keeps
			// no tombstone either, and a restored order comes back through the poll).
			if err := w.Flush(ctx); err != nil {
				return rejected, err
			}
			if err := s.opts.DB.Update(ctx, func(tx *store.Tx) error {
				return tx.Delete(store.SourceRecords, []byte("order/"+s.id+"/"+e.ID))
			}); err != nil {
				return rejected, fmt.Errorf("woosync: %s: delete order: %w", s.id, err)
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
	if dirty || w.Written > 0 {
		s.opts.Changed()
	}
	return rejected, nil
}

// settle compares a customer delivery with the stored record. When nothing a profile is
// built from changed (our own meta write, or the customer.updated that follows
// customer.created) it keeps the stored date_modified, so the delivery changes nothing and
// asks for no refresh, and it counts an echo when the meta holds what we last wrote. It
// reports whether c is unchanged.
func (s *Syncer) settle(c *profiles.CustomerRecord, body []byte) bool {
	var old profiles.CustomerRecord
	if err := s.opts.DB.GetValue(store.SourceRecords, []byte("customer/"+c.Store+"/"+c.ID), &old); err != nil {
		return false
	}
	if !decode.Echo(old, *c) {
		return false
	}
	if c.UpdatedAt.After(old.UpdatedAt) {
		c.UpdatedAt = old.UpdatedAt
	}
	if segs, found, err := decode.SegmentsMeta(body, s.opts.Store.MetaKey); err == nil && found {
		applied, err := tagpush.AppliedOne(s.opts.DB, s.id, c.ID)
		if err == nil && slices.Equal(sorted(segs), sorted(applied)) {
			s.stats.Echoes.Add(1)
		}
	}
	return true
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// EnsureWebhooks makes the store's subscriptions to deliveryURL exist and be active,
// re-enabling the ones WooCommerce disabled after failed deliveries (reported: deliveries were
// lost meanwhile, so the caller polls and scans).
func (s *Syncer) EnsureWebhooks(ctx context.Context, deliveryURL string) (woocommerce.EnsureReport, error) {
	secret := s.opts.Store.WebhookSecret.Value()
	if secret == "" {
		return woocommerce.EnsureReport{}, fmt.Errorf("woosync: %s: webhook_secret is not set: cannot subscribe to webhooks", s.id)
	}
	rep, err := s.opts.Client.EnsureWebhooks(ctx, woocommerce.EnsureOptions{DeliveryURL: deliveryURL, Secret: secret})
	if err != nil {
		return rep, fmt.Errorf("woosync: %s: webhooks: %w", s.id, err)
	}
	s.mu.Lock()
	s.webhooks = &rep
	s.mu.Unlock()
	return rep, nil
}
