package woosync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cohortd/cohortd/connectors/woocommerce"
	"github.com/cohortd/cohortd/store"
)

// PollReport is what one Poll read.
type PollReport struct {
	Orders int64
	Bad    int64
	Since  time.Time // the modified_after filter used
	Pages  int
}

// Poll reads the orders modified since the cursor minus the overlap window (modified_after
// with dates_are_gmt=true, oldest change first). Each page's records commit with the cursor
// they advance it to. Customers have no modified filter: Scan finds their changes. A store not
// backfilled yet is not polled.
func (s *Syncer) Poll(ctx context.Context) (PollReport, error) {
	var rep PollReport
	done, err := s.BackfillDone()
	if err != nil || !done {
		return rep, err
	}
	raw, err := s.opts.DB.Get(store.Cursors, s.pollKey())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return rep, fmt.Errorf("woosync: %s: read poll cursor: %w", s.id, err)
	}
	cursor, perr := time.Parse(time.RFC3339Nano, string(raw))
	if perr != nil {
		return rep, fmt.Errorf("woosync: %s: poll cursor %q: %w", s.id, raw, perr)
	}
	rep.Since = cursor.Add(-s.opts.Store.PollOverlap.Duration)
	w := s.newWriter()
	latest := cursor
	pr := PhaseReport{Phase: phaseOrders}
	err = s.opts.Client.Walk(ctx, "orders", woocommerce.OrdersModifiedSince(rep.Since), 1, func(p woocommerce.Page) error {
		rep.Pages++
		s.stats.Requests.Add(1)
		if err := s.addItems(ctx, w, phaseOrders, p.Number, p.Items, &pr); err != nil {
			return err
		}
		for _, raw := range p.Items {
			if t := modifiedGMT(raw); t.After(latest) {
				latest = t
			}
		}
		// The cursor only moves forward, with the page that carried it.
		w.Checkpoint(s.pollKey(), []byte(latest.UTC().Format(time.RFC3339Nano)))
		return nil
	})
	// What was read is kept even when the walk failed or was cancelled: the checkpoint
	// commits with it, so a restart resumes after the last page stored.
	if ferr := w.Flush(context.WithoutCancel(ctx)); err == nil {
		err = ferr
	}
	rep.Orders, rep.Bad = pr.Records, pr.Bad
	if err != nil {
		return rep, fmt.Errorf("woosync: %s: poll orders: %w", s.id, err)
	}
	if w.Written > 0 {
		s.opts.Changed()
	}
	return rep, nil
}
