package shopifysync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cohortd/cohortd/store"
)

// PollReport is what one Poll read.
type PollReport struct {
	Customers, Orders int64
	Bad               int64
	Since             map[string]time.Time // per resource: the updated_at filter used
}

// Poll reads the customers and orders updated since the cursors (minus the overlap window),
// oldest update first. Each page's records and the cursor they advance it to commit in one
// transaction. A store not backfilled yet is not polled.
func (s *Syncer) Poll(ctx context.Context) (PollReport, error) {
	rep := PollReport{Since: map[string]time.Time{}}
	done, err := s.BackfillDone()
	if err != nil || !done {
		return rep, err
	}
	for _, kind := range []string{phaseCustomers, phaseOrders} {
		n, bad, since, err := s.pollKind(ctx, kind)
		rep.Since[kind] = since
		rep.Bad += bad
		if kind == phaseCustomers {
			rep.Customers = n
		} else {
			rep.Orders = n
		}
		if err != nil {
			return rep, err
		}
	}
	if rep.Customers+rep.Orders > 0 {
		s.opts.Changed()
	}
	return rep, nil
}

func (s *Syncer) pollKind(ctx context.Context, kind string) (n, bad int64, since time.Time, err error) {
	raw, err := s.opts.DB.Get(store.Cursors, s.pollKey(kind))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return 0, 0, since, fmt.Errorf("shopifysync: %s: read %s cursor: %w", s.id, kind, err)
	}
	cursor, perr := time.Parse(time.RFC3339Nano, string(raw))
	if perr != nil {
		return 0, 0, since, fmt.Errorf("shopifysync: %s: %s cursor %q: %w", s.id, kind, raw, perr)
	}
	since = cursor.Add(-s.opts.Store.PollOverlap.Duration)
	filter := fmt.Sprintf("updated_at:>='%s'", since.UTC().Format(time.RFC3339))
	w := s.newWriter()
	latest := cursor
	pr := PhaseReport{}
	after := ""
	for {
		page, err := s.page(ctx, kind, filter, after)
		if err != nil {
			_ = w.Flush(ctx)
			return pr.Records, pr.Bad, since, fmt.Errorf("shopifysync: %s: poll %s: %w", s.id, kind, err)
		}
		for _, node := range page.Nodes {
			if t := updatedAt(node); t.After(latest) {
				latest = t
			}
			phase := kind
			if kind == phaseCustomers {
				phase = pollCustomers
			}
			if err := s.addNode(ctx, w, phase, node, nil, 0, &pr); err != nil {
				_ = w.Flush(ctx)
				return pr.Records, pr.Bad, since, err
			}
		}
		// The cursor only moves forward, with the page that carried it.
		w.Checkpoint(s.pollKey(kind), []byte(latest.UTC().Format(time.RFC3339Nano)))
		if !page.HasNextPage || page.EndCursor == "" {
			break
		}
		after = page.EndCursor
	}
	if err := w.Flush(ctx); err != nil {
		return pr.Records, pr.Bad, since, err
	}
	return pr.Records, pr.Bad, since, nil
}
