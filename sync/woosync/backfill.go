package woosync

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cohortd/cohortd/connectors/woocommerce"
	"github.com/cohortd/cohortd/connectors/woocommerce/decode"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/ingest"
)

// Backfill phases, in order.
const (
	phaseCustomers = "customers"
	phaseOrders    = "orders"
	phaseDone      = "done"
)

// checkpoint is the backfill's progress, stored under backfillKey with the page it covers.
type checkpoint struct {
	Phase string `json:"phase"`
	// Page is the next page to read in Phase (pages before it are committed).
	Page int `json:"page"`
	// Expected is X-WP-Total when the phase started; Received the records read so far.
	Expected int64     `json:"expected"`
	Received int64     `json:"received"`
	Started  time.Time `json:"started"`
}

// PhaseReport is what one phase read.
type PhaseReport struct {
	Phase    string
	Expected int64 // X-WP-Total at the phase's first page
	Received int64 // records read (resumed phases count the earlier pages too)
	Records  int64 // decoded and stored (or found stored)
	Bad      int64 // failed to decode (reported by position, skipped)
	Pages    int   // pages read by this run
	Resumed  bool
	Took     time.Duration
}

// BackfillReport is what Backfill did.
type BackfillReport struct {
	Phases  []PhaseReport
	Skipped bool // the store was backfilled before
	Took    time.Duration
}

func (s *Syncer) loadCheckpoint() (checkpoint, error) {
	var cp checkpoint
	if _, err := getJSON(s.opts.DB, s.backfillKey(), &cp); err != nil {
		return cp, fmt.Errorf("woosync: %s: read checkpoint: %w", s.id, err)
	}
	return cp, nil
}

// BackfillDone reports whether the store's backfill has completed.
func (s *Syncer) BackfillDone() (bool, error) {
	cp, err := s.loadCheckpoint()
	return cp.Phase == phaseDone, err
}

// Backfill reads every customer (role=all) and every order (status=any, refunds included in
// each order) page by page, resuming at the first page not committed. Once done it sets the
// order poll cursor to its start, and is not repeated.
func (s *Syncer) Backfill(ctx context.Context) (BackfillReport, error) {
	start := time.Now()
	var rep BackfillReport
	cp, err := s.loadCheckpoint()
	if err != nil {
		return rep, err
	}
	if cp.Phase == phaseDone {
		rep.Skipped = true
		return rep, nil
	}
	if cp.Phase == "" {
		cp = checkpoint{Phase: phaseCustomers, Page: 1, Started: s.now()}
	}
	for cp.Phase != phaseDone {
		pr, err := s.backfillPhase(ctx, &cp)
		rep.Phases = append(rep.Phases, pr)
		if err != nil {
			return rep, err
		}
		// Rows expected = rows received; more is fine (records created during the walk).
		if pr.Received < pr.Expected {
			return rep, fmt.Errorf("woosync: %s: backfill %s: received %d records, the store counted %d: %w",
				s.id, pr.Phase, pr.Received, pr.Expected, ErrShortfall)
		}
		next := checkpoint{Phase: phaseOrders, Page: 1, Started: cp.Started}
		if cp.Phase == phaseOrders {
			next = checkpoint{Phase: phaseDone, Started: cp.Started}
		}
		err = s.opts.DB.Update(ctx, func(tx *store.Tx) error {
			b, _ := json.Marshal(next)
			if err := tx.Put(store.Cursors, s.backfillKey(), b); err != nil {
				return err
			}
			if next.Phase == phaseDone { // polls start where the backfill started, minus the overlap
				return tx.Put(store.Cursors, s.pollKey(), []byte(cp.Started.UTC().Format(time.RFC3339Nano)))
			}
			return nil
		})
		if err != nil {
			return rep, fmt.Errorf("woosync: %s: save checkpoint: %w", s.id, err)
		}
		cp = next
	}
	s.opts.Changed()
	rep.Took = time.Since(start)
	return rep, nil
}

// ErrShortfall is wrapped when a backfill phase received fewer records than the store counted.
var ErrShortfall = fmt.Errorf("fewer records than expected")

// backfillPhase reads cp.Phase from cp.Page on; each page commits with the checkpoint past it.
func (s *Syncer) backfillPhase(ctx context.Context, cp *checkpoint) (PhaseReport, error) {
	pr := PhaseReport{Phase: cp.Phase, Resumed: cp.Page > 1, Expected: cp.Expected, Received: cp.Received}
	t0 := time.Now()
	q := woocommerce.CustomersQuery()
	if cp.Phase == phaseOrders {
		q = woocommerce.OrdersQuery()
	}
	w := s.newWriter()
	err := s.opts.Client.Walk(ctx, cp.Phase, q, max(cp.Page, 1), func(p woocommerce.Page) error {
		pr.Pages++
		s.stats.Requests.Add(1)
		if p.Number == max(cp.Page, 1) && !pr.Resumed && p.Total >= 0 {
			pr.Expected = int64(p.Total)
		}
		if err := s.addItems(ctx, w, cp.Phase, p.Number, p.Items, &pr); err != nil {
			return err
		}
		pr.Received += int64(len(p.Items))
		next := *cp
		next.Page, next.Expected, next.Received = p.Number+1, pr.Expected, pr.Received
		b, _ := json.Marshal(next)
		w.Checkpoint(s.backfillKey(), b)
		return nil
	})
	// What was read is kept even when the walk failed or was cancelled: the checkpoint
	// commits with it, so a restart resumes after the last page stored.
	if ferr := w.Flush(context.WithoutCancel(ctx)); err == nil {
		err = ferr
	}
	pr.Took = time.Since(t0)
	if err != nil {
		return pr, fmt.Errorf("woosync: %s: backfill %s: %w", s.id, cp.Phase, err)
	}
	return pr, nil
}

// addItems decodes a page's records into w. A record that does not decode is counted and
// logged by page and position (no values), and the others go in.
func (s *Syncer) addItems(ctx context.Context, w *ingest.Writer, kind string, page int, items []json.RawMessage, pr *PhaseReport) error {
	for i, raw := range items {
		if kind == phaseCustomers {
			if staffRole(raw) {
				// role=all lists the shop's staff too (the administrator, shop managers):
				// they are not customers, and cohortd never writes to their accounts.
				if err := s.rememberStaff(ctx, raw); err != nil {
					return err
				}
				pr.Records++
				continue
			}
			c, err := decode.Customer(s.id, raw)
			if err != nil {
				pr.Bad++
				s.stats.BadRecords.Add(1)
				s.log.Warn().Int("page", page).Int("position", i+1).Err(err).Msg("woocommerce: customer skipped")
				continue
			}
			s.stats.Customers.Add(1)
			if err := w.AddCustomer(ctx, c); err != nil {
				return err
			}
		} else {
			o, err := decode.Order(s.id, raw)
			if err != nil {
				pr.Bad++
				s.stats.BadRecords.Add(1)
				s.log.Warn().Int("page", page).Int("position", i+1).Err(err).Msg("woocommerce: order skipped")
				continue
			}
			s.stats.Orders.Add(1)
			if err := w.AddOrder(ctx, o); err != nil {
				return err
			}
		}
		pr.Records++
	}
	return nil
}

// staffRoles are WordPress roles of the shop's staff, not of its customers.
var staffRoles = map[string]bool{"administrator": true, "shop_manager": true, "editor": true, "author": true, "contributor": true}

// staffRole reports whether a raw customer is a staff account.
func staffRole(raw json.RawMessage) bool {
	var r struct {
		Role string `json:"role"`
	}
	return json.Unmarshal(raw, &r) == nil && staffRoles[r.Role]
}

// rememberStaff records a staff account's id, so that the meta write-back leaves it alone
// (a staff member's own orders still make a profile).
func (s *Syncer) rememberStaff(ctx context.Context, raw json.RawMessage) error {
	var r struct {
		ID json.Number `json:"id"`
	}
	if json.Unmarshal(raw, &r) != nil || r.ID == "" {
		return nil
	}
	key := []byte("woocommerce/" + s.id + "/staff/" + r.ID.String())
	if v, err := s.opts.DB.Get(store.Cursors, key); err == nil && v != nil {
		return nil
	}
	if err := s.opts.DB.Put(ctx, store.Cursors, key, []byte{1}); err != nil {
		return fmt.Errorf("woosync: %s: remember staff account: %w", s.id, err)
	}
	return nil
}

// isStaff reports whether a customer id is a known staff account.
func (s *Syncer) isStaff(id string) bool {
	v, err := s.opts.DB.Get(store.Cursors, []byte("woocommerce/"+s.id+"/staff/"+id))
	return err == nil && v != nil
}
