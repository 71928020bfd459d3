package shopifysync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/shopify"
	"github.com/cohortd/cohortd/connectors/shopify/decode"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/ingest"
)

// Backfill phases, in order.
const (
	phaseCustomers = "customers"
	phaseOrders    = "orders"
	phaseDone      = "done"
	// phaseRedacted: the shop asked for its data to be erased (shop/redact); never read again.
	phaseRedacted = "redacted"
	// pollCustomers marks customers read by a poll (compared with the stored version).
	pollCustomers = "poll-customers"
)

// checkpoint is the backfill's progress, stored under backfillKey.
type checkpoint struct {
	Phase string `json:"phase"`
	// OpID is the bulk operation of the phase ("" before it is started; pages mode: none).
	OpID string `json:"op_id,omitempty"`
	// Line is the last committed line of the bulk file (a root's last line).
	Line int64 `json:"line,omitempty"`
	// After is the committed page cursor (pages mode).
	After string `json:"after,omitempty"`
	// Started is when the backfill began: the first poll starts there (minus the overlap).
	Started time.Time `json:"started"`
	// Rows counts the records of the phase received so far (for the report).
	Rows     int64 `json:"rows,omitempty"`
	Restarts int   `json:"restarts,omitempty"`
}

// PhaseReport is what one phase of a backfill read.
type PhaseReport struct {
	Phase    string
	Mode     string // bulk or pages
	Expected int64  // bulk: objectCount (JSONL lines); pages: records counted by the API
	Received int64  // bulk: lines read (skipped ones included); pages: records read
	Records  int64  // records decoded and stored (or found stored)
	Bad      int64  // records that failed to decode
	Resumed  bool   // continued from a checkpoint
	// Waited is the time spent waiting for Shopify to prepare the bulk export; Read the time
	// spent downloading, decoding and storing it (or reading pages).
	Waited, Read time.Duration
}

// BackfillReport is what Backfill did.
type BackfillReport struct {
	Phases  []PhaseReport
	Skipped bool // the store was backfilled before
	Took    time.Duration
}

// BackfillDone reports whether the store's backfill has completed.
func (s *Syncer) BackfillDone() (bool, error) {
	cp, err := s.loadCheckpoint()
	return cp.Phase == phaseDone, err
}

func (s *Syncer) loadCheckpoint() (checkpoint, error) {
	var cp checkpoint
	b, err := s.opts.DB.Get(store.Cursors, s.backfillKey())
	if errors.Is(err, store.ErrNotFound) || (err == nil && b == nil) {
		return cp, nil
	}
	if err != nil {
		return cp, fmt.Errorf("shopifysync: %s: read checkpoint: %w", s.id, err)
	}
	if err := json.Unmarshal(b, &cp); err != nil {
		return cp, fmt.Errorf("shopifysync: %s: decode checkpoint: %w", s.id, err)
	}
	return cp, nil
}

func (s *Syncer) saveCheckpoint(ctx context.Context, cp checkpoint) error {
	b, _ := json.Marshal(cp)
	if err := s.opts.DB.Put(ctx, store.Cursors, s.backfillKey(), b); err != nil {
		return fmt.Errorf("shopifysync: %s: save checkpoint: %w", s.id, err)
	}
	return nil
}

// Backfill reads every customer and order of the store, resuming from its checkpoint. Once
// done, it sets the poll cursors to its start (polls then re-read what changed during it) and
// is not repeated: Reconcile decides when a store needs reading again.
func (s *Syncer) Backfill(ctx context.Context) (BackfillReport, error) {
	return s.BackfillDigests(ctx, nil)
}

// BackfillDigests is Backfill, keeping in d (when not nil) the digest of every record it
// stores, for ingest.RebuildDigests: the caller runs nothing else that writes records until
// that rebuild (not the daemon: its polls and webhooks write alongside).
func (s *Syncer) BackfillDigests(ctx context.Context, d *ingest.Digests) (BackfillReport, error) {
	start := time.Now()
	var rep BackfillReport
	cp, err := s.loadCheckpoint()
	if err != nil {
		return rep, err
	}
	if cp.Phase == phaseDone || cp.Phase == phaseRedacted {
		rep.Skipped = true
		return rep, nil
	}
	if cp.Phase == "" {
		cp = checkpoint{Phase: phaseCustomers, Started: s.now()}
		if err := s.saveCheckpoint(ctx, cp); err != nil {
			return rep, err
		}
	}
	for cp.Phase != phaseDone {
		var pr PhaseReport
		if s.opts.Store.Backfill == config.BackfillPages {
			pr, err = s.pagesPhase(ctx, &cp, d)
		} else {
			pr, err = s.bulkPhase(ctx, &cp, d)
		}
		rep.Phases = append(rep.Phases, pr)
		if err != nil {
			return rep, err
		}
		s.log.Info().Str("phase", pr.Phase).Str("mode", pr.Mode).Int64("expected", pr.Expected).
			Int64("received", pr.Received).Int64("records", pr.Records).Int64("bad", pr.Bad).
			Bool("resumed", pr.Resumed).Msg("shopify: backfill phase done")
		next := phaseOrders
		if cp.Phase == phaseOrders {
			next = phaseDone
		} else if d != nil {
			if err := d.CustomersDone(); err != nil {
				return rep, err
			}
		}
		cp = checkpoint{Phase: next, Started: cp.Started}
		if next == phaseDone {
			if err := s.startPolls(ctx, cp.Started); err != nil {
				return rep, err
			}
		}
		if err := s.saveCheckpoint(ctx, cp); err != nil {
			return rep, err
		}
		s.opts.Changed()
	}
	rep.Took = time.Since(start)
	return rep, nil
}

// startPolls sets both poll cursors to t.
func (s *Syncer) startPolls(ctx context.Context, t time.Time) error {
	v := []byte(t.UTC().Format(time.RFC3339Nano))
	return s.opts.DB.Update(ctx, func(tx *store.Tx) error {
		for _, k := range []string{phaseCustomers, phaseOrders} {
			if tx.Get(store.Cursors, s.pollKey(k)) == nil {
				if err := tx.Put(store.Cursors, s.pollKey(k), v); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// newWriter returns a Writer for platform records.
func (s *Syncer) newWriter() *ingest.Writer {
	w := ingest.NewWriter(s.opts.DB, s.opts.WriterBatch)
	w.ReplaceOrders = true
	return w
}

// backfillWriter returns a Writer for a backfill phase, keeping digests in d (if not nil).
func (s *Syncer) backfillWriter(d *ingest.Digests) *ingest.Writer {
	w := s.newWriter()
	w.Digests = d
	return w
}

// bulkPhase runs (or resumes) the bulk query of cp.Phase and stores its records.
func (s *Syncer) bulkPhase(ctx context.Context, cp *checkpoint, digests *ingest.Digests) (pr PhaseReport, err error) {
	pr = PhaseReport{Phase: cp.Phase, Mode: config.BackfillBulk, Resumed: cp.OpID != ""}
	template := shopify.BulkCustomers
	if cp.Phase == phaseOrders {
		template = shopify.BulkOrders
	}
	var op shopify.BulkOperation
	waitStart := time.Now()
	for {
		if cp.OpID == "" {
			started, err := s.opts.Client.StartBulkQuery(ctx, shopify.BulkQuery(template, ""))
			if err != nil {
				return pr, fmt.Errorf("shopifysync: %s: start bulk %s: %w", s.id, cp.Phase, err)
			}
			cp.OpID, cp.Line, cp.Rows = started.ID, 0, 0
			if err := s.saveCheckpoint(ctx, *cp); err != nil {
				return pr, err
			}
			s.log.Info().Str("phase", cp.Phase).Str("operation", cp.OpID).Msg("shopify: bulk query started")
		}
		op, err = s.opts.Client.WaitBulk(ctx, cp.OpID, s.bulkWake)
		if err == nil {
			break
		}
		var be *shopify.BulkError
		if !errors.As(err, &be) || cp.Restarts >= 2 || ctx.Err() != nil {
			return pr, fmt.Errorf("shopifysync: %s: bulk %s: %w", s.id, cp.Phase, err)
		}
		// FAILED, CANCELED or EXPIRED: what was committed stays (records are newer-wins), the
		// phase starts again with a new operation.
		s.log.Warn().Err(err).Str("phase", cp.Phase).Int("restart", cp.Restarts+1).Msg("shopify: bulk operation did not complete; starting a new one")
		cp.OpID, cp.Line, cp.Rows = "", 0, 0
		cp.Restarts++
	}
	pr.Waited = time.Since(waitStart)
	readStart := time.Now()
	defer func() { pr.Read = time.Since(readStart) }()
	pr.Expected = int64(op.ObjectCount)
	w := s.backfillWriter(digests)
	encode := recordEncoder(digests)
	rows := cp.Rows
	// Roots are decoded on every core and stored in order with their checkpoints: a root
	// DownloadBulk saw accepted is stored (or the phase fails), so a resumed download loses
	// nothing.
	pipe := startDecodePipe(func(r shopify.Root) decodedNode {
		d := s.decodeNode(cp.Phase, r.Object, r.Children)
		d.encode(cp.Phase, encode)
		return d
	}, func(r shopify.Root, d decodedNode) error {
		rows++
		if err := s.addDecoded(ctx, w, cp.Phase, d, r.Line, &pr); err != nil {
			return err
		}
		next := *cp
		next.Line, next.Rows = r.Line, rows
		b, _ := json.Marshal(next)
		w.Checkpoint(s.backfillKey(), b)
		return nil
	})
	sum, err := s.opts.Client.DownloadBulk(ctx, op, cp.Line, pipe.push)
	if perr := pipe.close(); err == nil {
		err = perr
	}
	if ferr := w.Flush(ctx); err == nil {
		err = ferr
	}
	pr.Received = sum.Lines
	if err != nil {
		return pr, fmt.Errorf("shopifysync: %s: bulk %s download: %w", s.id, cp.Phase, err)
	}
	return pr, nil
}

// recordEncoder returns the encoder of a backfill's records: ingest.Encode, or d's when
// keeping digests.
func recordEncoder(d *ingest.Digests) func(any) (ingest.Encoded, error) {
	if d != nil {
		return d.Encode
	}
	return ingest.Encode
}

// encode encodes the record decoded (if it was) with encode.
func (d *decodedNode) encode(phase string, encode func(any) (ingest.Encoded, error)) {
	if d.err != nil {
		return
	}
	var rec any = &d.order
	if phase == phaseCustomers || phase == pollCustomers {
		rec = &d.customer
	}
	e, err := encode(rec)
	d.encoded, d.encErr = &e, err
}

// addNode decodes one customer or order node and queues it.
func (s *Syncer) addNode(ctx context.Context, w *ingest.Writer, phase string, node json.RawMessage, children []json.RawMessage, line int64, pr *PhaseReport) error {
	return s.addDecoded(ctx, w, phase, s.decodeNode(phase, node, children), line, pr)
}

// decodeNode decodes one customer or order node; safe for concurrent use.
func (s *Syncer) decodeNode(phase string, node json.RawMessage, children []json.RawMessage) (d decodedNode) {
	if phase == phaseCustomers || phase == pollCustomers {
		d.customer, d.err = decode.Customer(s.id, node)
	} else {
		d.order, d.err = decode.Order(s.id, node, children)
	}
	return d
}

// addDecoded counts one decoded node and queues it (a node that did not decode is counted
// and logged, not stored).
func (s *Syncer) addDecoded(ctx context.Context, w *ingest.Writer, phase string, d decodedNode, line int64, pr *PhaseReport) error {
	if phase == phaseCustomers || phase == pollCustomers {
		c, err := d.customer, d.err
		if err != nil {
			pr.Bad++
			s.stats.BadRecords.Add(1)
			s.log.Warn().Err(err).Int64("line", line).Msg("shopify: customer not stored")
			return nil
		}
		if phase == pollCustomers && s.settle(&c) {
			s.stats.Echoes.Add(1)
		}
		pr.Records++
		s.stats.Customers.Add(1)
		return add(ctx, w, d, func() error { return w.AddCustomer(ctx, c) })
	}
	o, err := d.order, d.err
	if err != nil {
		pr.Bad++
		s.stats.BadRecords.Add(1)
		s.log.Warn().Err(err).Int64("line", line).Msg("shopify: order not stored")
		return nil
	}
	pr.Records++
	s.stats.Orders.Add(1)
	return add(ctx, w, d, func() error { return w.AddOrder(ctx, o) })
}

// add queues a decoded record: encoded already when the decode pipe did it, else by addRec.
func add(ctx context.Context, w *ingest.Writer, d decodedNode, addRec func() error) error {
	switch {
	case d.encErr != nil:
		return d.encErr
	case d.encoded != nil:
		return w.AddEncoded(ctx, *d.encoded)
	}
	return addRec()
}

// pagesPhase reads cp.Phase with paginated queries, committing the page cursor with each
// page's records.
func (s *Syncer) pagesPhase(ctx context.Context, cp *checkpoint, digests *ingest.Digests) (PhaseReport, error) {
	pr := PhaseReport{Phase: cp.Phase, Mode: config.BackfillPages, Resumed: cp.After != ""}
	if counts, err := s.opts.Client.Counts(ctx, "", ""); err == nil {
		pr.Expected = counts.Customers.Count
		if cp.Phase == phaseOrders {
			pr.Expected = counts.Orders.Count
		}
	}
	w := s.backfillWriter(digests)
	encode := recordEncoder(digests)
	after := cp.After
	for {
		page, err := s.page(ctx, cp.Phase, "", after)
		if err != nil {
			_ = w.Flush(ctx)
			return pr, fmt.Errorf("shopifysync: %s: %s page after %q: %w", s.id, cp.Phase, after, err)
		}
		for _, n := range page.Nodes {
			pr.Received++
			d := s.decodeNode(cp.Phase, n, nil)
			d.encode(cp.Phase, encode)
			if err := s.addDecoded(ctx, w, cp.Phase, d, pr.Received, &pr); err != nil {
				_ = w.Flush(ctx)
				return pr, err
			}
		}
		if page.EndCursor != "" {
			after = page.EndCursor
			next := *cp
			next.After = after
			b, _ := json.Marshal(next)
			w.Checkpoint(s.backfillKey(), b)
		}
		if !page.HasNextPage {
			break
		}
	}
	if err := w.Flush(ctx); err != nil {
		return pr, err
	}
	if pr.Expected > 0 && pr.Received < pr.Expected && !pr.Resumed {
		return pr, fmt.Errorf("shopifysync: %s: %s: %d records expected, %d received", s.id, cp.Phase, pr.Expected, pr.Received)
	}
	return pr, nil
}

func (s *Syncer) page(ctx context.Context, phase, filter, after string) (shopify.Page, error) {
	if phase == phaseCustomers {
		return s.opts.Client.CustomersPage(ctx, filter, after, s.opts.CustomerPage)
	}
	return s.opts.Client.OrdersPage(ctx, filter, after, s.opts.OrderPage)
}
