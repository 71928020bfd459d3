package woosync

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cohortd/cohortd/connectors/woocommerce"
	"github.com/cohortd/cohortd/store/codec"
	"github.com/cohortd/cohortd/sync/outbox"
	"github.com/cohortd/cohortd/sync/tagpush"
)

// Destination is the outbox destination of the store's meta write-back.
func (s *Syncer) Destination() string { return "meta-" + s.id }

// PlanMeta computes which customers' segment meta differs from what was last written and
// queues one whole value per customer (the outbox coalesces a customer's pending change).
func (s *Syncer) PlanMeta(ctx context.Context) (*tagpush.Plan, error) {
	if s.opts.Outbox == nil || !s.opts.Store.WriteTags {
		return &tagpush.Plan{Store: s.id}, nil
	}
	plan, err := tagpush.Compute(s.opts.DB, s.opts.Config, s.id)
	if err != nil {
		return nil, err
	}
	kept := plan.Changes[:0]
	for _, c := range plan.Changes {
		if !s.isStaff(c.CustomerID) { // a staff account's own orders make a profile; its account is not written
			kept = append(kept, c)
		}
	}
	plan.Changes = kept
	if len(plan.Changes) == 0 {
		return plan, nil
	}
	items := make([]outbox.Item, 0, len(plan.Changes))
	for _, c := range plan.Changes {
		payload, err := codec.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("woosync: %s: encode change: %w", s.id, err)
		}
		items = append(items, outbox.Item{Destination: s.Destination(), Key: c.Key(), Payload: payload,
			Summary: s.opts.Store.MetaKey + " = " + strings.Join(c.Want, ",")})
	}
	if err := s.opts.Outbox.Enqueue(ctx, items...); err != nil {
		return nil, fmt.Errorf("woosync: %s: queue meta changes: %w", s.id, err)
	}
	return plan, nil
}

// RunPush delivers the store's meta changes until ctx ends, 100 customers per batch call.
func (s *Syncer) RunPush(ctx context.Context) error {
	if s.opts.Outbox == nil || !s.opts.Store.WriteTags {
		return nil
	}
	return s.opts.Outbox.Run(ctx, s.Destination(), outbox.SenderFunc(s.send), outbox.RunOptions{
		BatchSize: woocommerce.MaxBatch * 5,
		DryRun:    s.opts.Store.DryRun,
		OnApplied: tagpush.ApplyDelivered,
	})
}

// send writes a batch: the whole list of our segment tags per customer (an empty list when
// the customer left every segment), through /customers/batch.
func (s *Syncer) send(ctx context.Context, batch []outbox.Item) []error {
	errs := make([]error, len(batch))
	var (
		updates []woocommerce.MetaUpdate
		index   []int
	)
	for i, it := range batch {
		var c tagpush.Change
		if err := codec.Unmarshal(it.Payload, &c); err != nil {
			errs[i] = outbox.Permanent(fmt.Errorf("decode change %s: %w", it.Key, err))
			continue
		}
		id, err := strconv.ParseInt(c.CustomerID, 10, 64)
		if err != nil {
			errs[i] = outbox.Permanent(fmt.Errorf("customer id %q is not a WooCommerce id", c.CustomerID))
			continue
		}
		want := c.Want
		if want == nil {
			want = []string{}
		}
		updates = append(updates, woocommerce.MetaUpdate{CustomerID: id, Key: s.opts.Store.MetaKey, Value: want})
		index = append(index, i)
	}
	if len(updates) == 0 {
		return errs
	}
	per, err := s.opts.Client.UpdateCustomerMeta(ctx, updates)
	for j, i := range index {
		e := err
		if j < len(per) && per[j] != nil {
			e = per[j]
		}
		if e == nil {
			s.stats.PushedChanges.Add(1)
			continue
		}
		var ie *woocommerce.ItemError
		if errors.As(e, &ie) || errors.Is(e, woocommerce.ErrUnauthorized) {
			e = outbox.Permanent(e)
		}
		errs[i] = e
	}
	return errs
}
