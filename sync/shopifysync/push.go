package shopifysync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
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
	// Queued a transaction's worth at a time (outbox.EnqueueChunk, the transactions Enqueue
	// makes anyway): the items of a million changes held at once were hundreds of megabytes.
	summaries := summaryTexts{known: map[string]string{}}
	for chunk := range slices.Chunk(plan.Changes, outbox.EnqueueChunk) {
		if err := s.opts.Outbox.Enqueue(ctx, outboxItems(s.Destination(), chunk, &summaries)...); err != nil {
			return nil, fmt.Errorf("shopifysync: %s: queue tag changes: %w", s.id, err)
		}
	}
	return plan, nil
}

// outboxItems returns the outbox items of changes: the payload is the encoded change, the
// summary its tags ("add cohort:vip, cohort:new; remove cohort:lost"), one string shared by
// the changes that have the same (in summaries).
func outboxItems(dest string, changes []tagpush.Change, summaries *summaryTexts) []outbox.Item {
	items := make([]outbox.Item, len(changes))
	var scratch []byte
	for i := range changes {
		c := &changes[i]
		scratch = c.AppendPayload(scratch[:0])
		items[i] = outbox.Item{Destination: dest, Key: c.Key(), Payload: bytes.Clone(scratch), Summary: summaries.of(c)}
	}
	return items
}

// maxSummaries bounds the distinct summaries summaryTexts shares (a plan has few).
const maxSummaries = 4096

// summaryTexts builds changes' summaries and shares the text of equal ones.
type summaryTexts struct {
	known   map[string]string
	scratch []byte
}

func (s *summaryTexts) of(c *tagpush.Change) string {
	s.scratch = appendSummary(s.scratch[:0], c)
	if text, ok := s.known[string(s.scratch)]; ok {
		return text
	}
	text := string(s.scratch)
	if len(s.known) < maxSummaries {
		s.known[text] = text
	}
	return text
}

// appendSummary appends the tags a change adds and removes.
func appendSummary(dst []byte, c *tagpush.Change) []byte {
	start := len(dst)
	for _, part := range []struct {
		verb string
		tags []string
	}{{"add ", c.Add}, {"remove ", c.Remove}} {
		if len(part.tags) == 0 {
			continue
		}
		if len(dst) > start {
			dst = append(dst, "; "...)
		}
		dst = append(dst, part.verb...)
		for i, tag := range part.tags {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = append(dst, tag...)
		}
	}
	return dst
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
