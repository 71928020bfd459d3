package shopifysync

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cohortd/cohortd/connectors/shopify"
	"github.com/cohortd/cohortd/store/codec"
	"github.com/cohortd/cohortd/sync/outbox"
	"github.com/cohortd/cohortd/sync/tagpush"
)

// BulkThreshold is the batch size from which tag changes go through a bulk mutation (one
// staged upload and one operation per direction, outside the cost bucket) instead of one
// tagsAdd/tagsRemove per customer (10 points each: 10 customers/s on a Standard shop).
const BulkThreshold = 100

// PushBatch is the most changes one Send takes (one bulk mutation per direction).
const PushBatch = 5000

// Destination is the outbox destination of the store's tags.
func (s *Syncer) Destination() string { return "tags-" + s.id }

// PlanTags computes the store's tag diff and queues it in the outbox. A customer's pending
// change is replaced by the newer one (the outbox coalesces by customer).
func (s *Syncer) PlanTags(ctx context.Context) (*tagpush.Plan, error) {
	if s.opts.Outbox == nil || !s.opts.Store.WriteTags {
		return &tagpush.Plan{Store: s.id}, nil
	}
	plan, err := tagpush.Compute(s.opts.DB, s.opts.Config, s.id)
	if err != nil {
		return nil, err
	}
	if len(plan.Changes) == 0 {
		return plan, nil
	}
	items := make([]outbox.Item, 0, len(plan.Changes))
	for _, c := range plan.Changes {
		payload, err := codec.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("shopifysync: %s: encode change: %w", s.id, err)
		}
		items = append(items, outbox.Item{Destination: s.Destination(), Key: c.Key(), Payload: payload, Summary: summary(c)})
	}
	if err := s.opts.Outbox.Enqueue(ctx, items...); err != nil {
		return nil, fmt.Errorf("shopifysync: %s: queue tag changes: %w", s.id, err)
	}
	return plan, nil
}

func summary(c tagpush.Change) string {
	var parts []string
	if len(c.Add) > 0 {
		parts = append(parts, "add "+strings.Join(c.Add, ", "))
	}
	if len(c.Remove) > 0 {
		parts = append(parts, "remove "+strings.Join(c.Remove, ", "))
	}
	return strings.Join(parts, "; ")
}

// RunPush delivers the store's tag changes until ctx ends.
func (s *Syncer) RunPush(ctx context.Context) error {
	if s.opts.Outbox == nil || !s.opts.Store.WriteTags {
		return nil
	}
	return s.opts.Outbox.Run(ctx, s.Destination(), outbox.SenderFunc(s.send), outbox.RunOptions{
		BatchSize: PushBatch,
		DryRun:    s.opts.Store.DryRun,
		OnApplied: tagpush.ApplyDelivered,
	})
}

func customerGID(id string) string { return "gid://shopify/Customer/" + id }

// send applies a batch of tag changes: one mutation per customer and direction for small
// batches, bulk mutations for large ones. Refused changes (userErrors: the customer was
// deleted, a tag is invalid) are permanent; everything else is retried by the outbox.
func (s *Syncer) send(ctx context.Context, batch []outbox.Item) []error {
	errs := make([]error, len(batch))
	changes := make([]tagpush.Change, len(batch))
	for i, it := range batch {
		if err := codec.Unmarshal(it.Payload, &changes[i]); err != nil {
			errs[i] = outbox.Permanent(fmt.Errorf("decode change %s: %w", it.Key, err))
		}
	}
	if len(batch) >= BulkThreshold {
		s.sendBulk(ctx, changes, errs)
	} else {
		for i, c := range changes {
			if errs[i] != nil {
				continue
			}
			errs[i] = s.sendOne(ctx, c)
		}
	}
	for i, c := range changes {
		if errs[i] == nil {
			s.stats.TagsAdded.Add(int64(len(c.Add)))
			s.stats.TagsRemoved.Add(int64(len(c.Remove)))
			s.stats.PushedChanges.Add(1)
		}
	}
	return errs
}

func (s *Syncer) sendOne(ctx context.Context, c tagpush.Change) error {
	id := customerGID(c.CustomerID)
	if len(c.Add) > 0 {
		if err := s.opts.Client.TagsAdd(ctx, id, c.Add); err != nil {
			return classify(err)
		}
	}
	if len(c.Remove) > 0 {
		if err := s.opts.Client.TagsRemove(ctx, id, c.Remove); err != nil {
			return classify(err)
		}
	}
	return nil
}

func classify(err error) error {
	var ue *shopify.UserErrors
	if errors.As(err, &ue) || errors.Is(err, shopify.ErrUnauthorized) || errors.Is(err, shopify.ErrForbidden) || errors.Is(err, shopify.ErrNotFound) {
		return outbox.Permanent(err)
	}
	return err
}

// sendBulk runs one bulk mutation for the additions and one for the removals.
func (s *Syncer) sendBulk(ctx context.Context, changes []tagpush.Change, errs []error) {
	for _, remove := range []bool{false, true} {
		var lines []shopify.TagChange
		var index []int // line -> change
		for i, c := range changes {
			tags := c.Add
			if remove {
				tags = c.Remove
			}
			if errs[i] != nil || len(tags) == 0 {
				continue
			}
			lines = append(lines, shopify.TagChange{ID: customerGID(c.CustomerID), Tags: tags})
			index = append(index, i)
		}
		if len(lines) == 0 {
			continue
		}
		res, err := s.opts.Client.BulkTags(ctx, remove, lines)
		if err != nil {
			err = classify(err)
			for _, i := range index {
				errs[i] = err
			}
			continue
		}
		for _, f := range res.Failed {
			if f.Line >= 0 && f.Line < len(index) {
				errs[index[f.Line]] = outbox.Permanent(fmt.Errorf("shopify refused tags of customer %s: %s", changes[index[f.Line]].CustomerID, strings.Join(f.Messages, "; ")))
			}
		}
	}
}
