// Package ingest moves canonical records into the store and rebuilds profiles from them.
//
// Source records are kept in the source_records bucket under "customer/STORE/ID" and
// "order/STORE/ID", one version each: a record replaces the stored one only when it is at least
// as new (UpdatedAt), so a replayed or re-imported older payload never overwrites newer data and
// a re-import of the same file changes nothing.
//
// A rebuild reads every source record, runs profiles.Build, and replaces the profiles, the
// lookup indexes, the merge audit and the possible-duplicates list with a new generation
// (store.Stage): written over many transactions, a window of profiles at a time, and swapped
// in by one with the quality report appended to quality_history. Readers see the old
// generation until the swap; a rebuild that fails or is killed half way leaves it untouched.
// Unmerges are remembered as cannot-link constraints in merge_audit and honoured by every
// later rebuild.
package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/internal/parallel"
	"github.com/cohortd/cohortd/internal/sortedruns"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/profiles/identity"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

// Key prefixes inside the buckets this package owns.
const (
	customerPrefix = "customer/"
	orderPrefix    = "order/"
	emailIndex     = "email/"    // indexes: email key -> profile id
	sourceIndex    = "source/"   // indexes: source key -> profile id
	auditPrefix    = "merge/"    // merge_audit: merge/PROFILE/N -> MergeAudit
	possiblePrefix = "possible/" // merge_audit: possible/N -> PossibleDuplicate
	unmergePrefix  = "unmerge/"  // merge_audit: unmerge/A|B -> time
)

// Writer batches records into store transactions. One Writer is one import run: an order id
// that comes back later in the same run (a CSV whose rows of one order are not contiguous) is
// merged into what the run already stored for it, while a later run replaces it, so
// re-importing a file gives the same result.
//
// Records are encoded as they are added, and each full batch is committed on a goroutine of
// the Writer's while the next one fills. Flush commits the rest and waits for every commit;
// the counters are to be read after it. A run must end with Flush.
type Writer struct {
	st      *store.Store
	batch   []pending
	size    int
	seen    map[string]bool // order keys written by this run (not kept with ReplaceOrders: nothing reads them)
	Written int             // records stored (new or newer)
	Stale   int             // records skipped because the stored version is newer
	Joined  int             // order records merged into one stored earlier in this run
	// Committed counts the records of committed transactions (stored, stale or replayed):
	// once counted, a record survives a crash.
	Committed int
	// OnCommit, if set, is called after each committed transaction with Committed, on the
	// Writer's committing goroutine.
	OnCommit func(committed int)
	// Keep, set before the first record, keeps in memory every record the run stored (or found
	// stored as it is), as it is in the store once its transaction committed: RebuildAfter then
	// need not decode them back, nor a split order its first part.
	Keep bool
	// ReplaceOrders, set by platform connectors, turns off the joining of an order id that
	// comes back in the same run: an API delivers whole orders, so a second copy (a poll
	// page overlap, an order updated while being paged) replaces the first when at least as
	// new, instead of adding its lines again.
	ReplaceOrders bool
	// Digests, set before the first record, keeps the digest of every record the run stores
	// (records added through its Encode) for RebuildDigests.
	Digests *Digests

	customers map[string]*profiles.CustomerRecord // kept records by key
	orders    map[string]*profiles.OrderRecord
	keys      []string // keys of the kept records, in the order they were first stored
	// fresh says the run found no source record stored when it began: every record stored
	// after it is one of the run's, kept.
	fresh   bool
	commits int
	// unreleased counts the records committed since the data file's mapped pages were last
	// released.
	unreleased int
	enc        encoder // for Add's goroutine
	// cursor is the checkpoint to commit with the batch being filled (Checkpoint).
	cursor *cursorPut
	// joinUndecodable is encoder.undecodable for the orders the committing goroutine joined.
	joinUndecodable bool

	// The committing goroutine, while one runs: it owns seen, the counters and the kept
	// records until Flush has waited for it.
	queue chan commitJob
	done  chan struct{}
	mu    sync.Mutex
	err   error // the first failed commit: the run stops there
}

type pending struct {
	key     []byte
	updated time.Time
	value   any    // *profiles.CustomerRecord or *profiles.OrderRecord
	data    []byte // value encoded
	digest  recordDigest
}

type commitJob struct {
	ctx    context.Context
	batch  []pending
	cursor *cursorPut
}

// cursorPut is a key of the cursors bucket written in the same transaction as a batch.
type cursorPut struct{ key, value []byte }

// Checkpoint sets a key of the cursors bucket (a poll cursor, a backfill checkpoint) to be
// written in the same transaction as the records added so far: once it is committed, so are
// they. A later Checkpoint of the same run replaces one not yet committed.
func (w *Writer) Checkpoint(key, value []byte) {
	w.cursor = &cursorPut{key: slices.Clone(key), value: slices.Clone(value)}
}

// NewWriter returns a Writer that commits every size records.
func NewWriter(st *store.Store, size int) *Writer {
	if size <= 0 {
		size = 1000
	}
	return &Writer{st: st, size: size, seen: map[string]bool{},
		customers: map[string]*profiles.CustomerRecord{}, orders: map[string]*profiles.OrderRecord{},
		enc: encoder{decimals: map[decimal.Decimal][]byte{}}}
}

// AddCustomer queues a customer record.
func (w *Writer) AddCustomer(ctx context.Context, c profiles.CustomerRecord) error {
	return w.add(ctx, pending{key: []byte(customerPrefix + c.Store + "/" + c.ID), updated: c.UpdatedAt, value: &c})
}

// AddOrder queues an order record.
func (w *Writer) AddOrder(ctx context.Context, o profiles.OrderRecord) error {
	return w.add(ctx, pending{key: []byte(orderPrefix + o.Store + "/" + o.ID), updated: o.UpdatedAt, value: &o})
}

// Encoded is a record encoded by Encode, off the Writer's goroutine, for AddEncoded.
type Encoded struct {
	p           pending
	undecodable bool
}

// encoders lend encoders (with their cache of decimals) to Encode's callers.
var encoders = sync.Pool{New: func() any { return &encoder{decimals: map[decimal.Decimal][]byte{}} }}

// Encode encodes a customer or an order for AddEncoded, as AddCustomer and AddOrder would:
// a connector that decodes records on several cores encodes them there too. Safe for
// concurrent use.
func Encode(v any) (Encoded, error) {
	var p pending
	switch r := v.(type) {
	case *profiles.CustomerRecord:
		p = pending{key: []byte(customerPrefix + r.Store + "/" + r.ID), updated: r.UpdatedAt, value: r}
	case *profiles.OrderRecord:
		p = pending{key: []byte(orderPrefix + r.Store + "/" + r.ID), updated: r.UpdatedAt, value: r}
	default:
		return Encoded{}, fmt.Errorf("ingest: encode %T: not a record", v)
	}
	e := encoders.Get().(*encoder)
	defer encoders.Put(e)
	e.undecodable = false
	data, err := e.encode(p.value)
	if err != nil {
		return Encoded{}, fmt.Errorf("ingest: encode %s: %w", p.key, err)
	}
	p.data = data
	return Encoded{p: p, undecodable: e.undecodable}, nil
}

// AddEncoded queues a record Encode encoded.
func (w *Writer) AddEncoded(ctx context.Context, e Encoded) error {
	if err := w.failed(); err != nil {
		return err
	}
	w.enc.undecodable = w.enc.undecodable || e.undecodable
	return w.queued(ctx, e.p)
}

func (w *Writer) add(ctx context.Context, p pending) error {
	if err := w.failed(); err != nil {
		return err
	}
	data, err := w.enc.encode(p.value)
	if err != nil {
		return fmt.Errorf("ingest: encode %s: %w", p.key, err)
	}
	p.data = data
	return w.queued(ctx, p)
}

// queued appends an encoded record to the batch, sending the batch when it is full.
func (w *Writer) queued(ctx context.Context, p pending) error {
	if w.batch == nil {
		w.batch = make([]pending, 0, w.size)
	}
	w.batch = append(w.batch, p)
	if len(w.batch) >= w.size {
		return w.send(ctx)
	}
	return nil
}

func (w *Writer) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// send hands the batch to the committing goroutine, starting it if needed.
func (w *Writer) send(ctx context.Context) error {
	if len(w.batch) == 0 && w.cursor == nil {
		return nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if w.queue == nil {
		w.queue, w.done = make(chan commitJob, 1), make(chan struct{})
		go w.commitLoop(w.queue, w.done)
	}
	select {
	case w.queue <- commitJob{ctx: ctx, batch: w.batch, cursor: w.cursor}:
	case <-ctx.Done():
		return ctx.Err()
	}
	w.batch, w.cursor = nil, nil
	return nil
}

func (w *Writer) commitLoop(queue <-chan commitJob, done chan<- struct{}) {
	defer close(done)
	for job := range queue {
		if w.failed() != nil {
			continue // the run has failed: drop the rest
		}
		if err := w.commit(job.ctx, job.batch, job.cursor); err != nil {
			w.mu.Lock()
			w.err = err
			w.mu.Unlock()
		}
	}
}

// Flush commits the queued records and waits until every record added so far is committed.
// It returns the first error of the run.
func (w *Writer) Flush(ctx context.Context) error {
	err := w.send(ctx)
	if w.queue != nil {
		close(w.queue)
		<-w.done
		w.queue, w.done = nil, nil
	}
	if ferr := w.failed(); ferr != nil {
		return ferr
	}
	return err
}

// commit stores one batch in one transaction.
func (w *Writer) commit(ctx context.Context, batch []pending, cursor *cursorPut) error {
	written, stale, joined := 0, 0, 0
	var (
		seen      map[string]bool // order keys this transaction stored; kept only if it commits
		customers map[string]*profiles.CustomerRecord
		orders    map[string]*profiles.OrderRecord // with Keep: what the transaction stores
	)
	fresh := false
	var (
		digested      []recordDigest // with Digests: the digests of the records stored
		digestedFresh bool
	)
	err := w.st.Update(ctx, func(tx *store.Tx) error {
		seen = map[string]bool{}
		customers, orders = map[string]*profiles.CustomerRecord{}, map[string]*profiles.OrderRecord{}
		written, stale, joined = 0, 0, 0
		if w.Digests != nil {
			digested = make([]recordDigest, 0, len(batch))
			var err error
			if digestedFresh, err = w.Digests.begin(tx); err != nil {
				return err
			}
		}
		if w.Keep && w.commits == 0 {
			fresh = true
			if err := tx.ForEachPrefix(store.SourceRecords, nil, func(_, _ []byte) error {
				fresh = false
				return errStop
			}); err != nil && err != errStop {
				return err
			}
		}
		for _, p := range batch {
			key := string(p.key)
			old := tx.Get(store.SourceRecords, p.key)
			o, isOrder := p.value.(*profiles.OrderRecord)
			switch {
			case isOrder && old != nil && !w.ReplaceOrders && (w.seen[key] || seen[key]):
				prev, ok := orders[key]
				if !ok {
					prev, ok = w.orders[key]
				}
				if !ok { // not kept: decode what the run stored
					prev = new(profiles.OrderRecord)
					if err := codec.Unmarshal(old, prev); err != nil {
						return fmt.Errorf("decode %s: %w", p.key, err)
					}
				}
				j := joinOrders(*prev, *o)
				p.value = &j
				enc := &encoder{}
				data, err := enc.encode(p.value)
				if err != nil {
					return fmt.Errorf("encode %s: %w", p.key, err)
				}
				p.data = data
				p.digest = recordDigest{} // the joined order's is not this part's
				w.joinUndecodable = w.joinUndecodable || enc.undecodable
				joined++
			case old != nil && isNewer(old, p.key, p.updated):
				stale++ // not kept: RebuildAfter reads what is stored
				continue
			}
			if isOrder && !w.ReplaceOrders {
				seen[key] = true
			}
			if w.Digests != nil {
				digested = append(digested, p.digest)
			}
			if w.Keep {
				switch v := p.value.(type) {
				case *profiles.OrderRecord:
					orders[key] = v
				case *profiles.CustomerRecord:
					customers[key] = v
				}
			}
			if bytes.Equal(old, p.data) {
				continue // a replay of what is stored
			}
			if err := tx.Put(store.SourceRecords, p.key, p.data); err != nil {
				return err
			}
			written++
		}
		if cursor != nil {
			return tx.Put(store.Cursors, cursor.key, cursor.value)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ingest: store %d records: %w", len(batch), err)
	}
	if w.Digests != nil {
		w.Digests.committed(digestedFresh, digested)
	}
	for k := range seen {
		w.seen[k] = true
	}
	if w.Keep {
		for k, c := range customers {
			if _, ok := w.customers[k]; !ok {
				w.keys = append(w.keys, k)
			}
			w.customers[k] = c
		}
		for k, o := range orders {
			if _, ok := w.orders[k]; !ok {
				w.keys = append(w.keys, k)
			}
			w.orders[k] = o
		}
		if w.commits == 0 {
			w.fresh = fresh
		}
	}
	w.commits++
	// The pages the transactions read (to find each key's place and stored version) stay
	// mapped into the process, and count in its resident memory, until released: a backfill
	// of millions of records touches most of the file.
	if w.unreleased += len(batch); w.unreleased >= releaseRecords {
		_ = w.st.ReleaseMappedPages() // advisory: an error only leaves the pages mapped
		w.unreleased = 0
	}
	w.Written += written
	w.Stale += stale
	w.Joined += joined
	w.Committed += len(batch)
	if w.OnCommit != nil {
		w.OnCommit(w.Committed)
	}
	return nil
}

// joinOrders merges a later part of one order into the part stored before: lines appended,
// totals and refunds added, the earliest date kept.
func joinOrders(prev, next profiles.OrderRecord) profiles.OrderRecord {
	prev.Lines = append(prev.Lines, next.Lines...)
	prev.Total = prev.Total.Add(next.Total)
	prev.Refunded = prev.Refunded.Add(next.Refunded)
	if !next.CreatedAt.IsZero() && next.CreatedAt.Before(prev.CreatedAt) {
		prev.CreatedAt = next.CreatedAt
	}
	if next.UpdatedAt.After(prev.UpdatedAt) {
		prev.UpdatedAt = next.UpdatedAt
	}
	return prev
}

// isNewer reports whether the stored record is strictly newer than updated.
func isNewer(old, key []byte, updated time.Time) bool {
	var stamp time.Time
	if bytes.HasPrefix(key, []byte(customerPrefix)) {
		var c profiles.CustomerRecord
		if codec.Unmarshal(old, &c) != nil {
			return false
		}
		stamp = c.UpdatedAt
	} else {
		var o profiles.OrderRecord
		if codec.Unmarshal(old, &o) != nil {
			return false
		}
		stamp = o.UpdatedAt
	}
	return stamp.After(updated)
}

// LoadRecords reads every stored customer and order record, as much of them as profiles.Build
// reads (order lines without their titles, SKUs and product ids; see lean.go).
func LoadRecords(st *store.Store) ([]profiles.CustomerRecord, []profiles.OrderRecord, error) {
	return loadRecords(st, nil)
}

// loadRecords reads the stored customer and order records whose key skip (if not nil) refuses.
func loadRecords(st *store.Store, skip func(key []byte) bool) ([]profiles.CustomerRecord, []profiles.OrderRecord, error) {
	var (
		customers []profiles.CustomerRecord
		orders    []profiles.OrderRecord
	)
	// The values are collected first (they stay valid while the read transaction is open),
	// then decoded on every core into slices of the exact size: decoding is most of the cost,
	// and appending to growing slices of large structs copied them over and over.
	err := st.View(func(tx *store.Tx) error {
		ck, cv, err := collect(tx, customerPrefix, skip)
		if err != nil {
			return err
		}
		customers = make([]profiles.CustomerRecord, len(cv))
		if err := decodeAll(ck, cv, func(i int, v []byte) error { return decodeLeanCustomer(v, &customers[i]) }); err != nil {
			return err
		}
		ok, ov, err := collect(tx, orderPrefix, skip)
		if err != nil {
			return err
		}
		orders = make([]profiles.OrderRecord, len(ov))
		return decodeAll(ok, ov, func(i int, v []byte) error { return decodeLeanOrder(v, &orders[i]) })
	})
	if err != nil {
		return nil, nil, fmt.Errorf("ingest: load records: %w", err)
	}
	return customers, orders, nil
}

// decodeAll runs decode(i, vals[i]) for every value on every core; the first error (with its
// key) wins.
func decodeAll(keys, vals [][]byte, decode func(i int, v []byte) error) error {
	return parallel.For(len(vals), 512, func(i int) error {
		if err := decode(i, vals[i]); err != nil {
			return fmt.Errorf("decode %s: %w", keys[i], err)
		}
		return nil
	})
}

// collect returns the keys and values of b under prefix that skip (if not nil) does not refuse;
// they stay valid while tx is open.
func collect(tx *store.Tx, prefix string, skip func(key []byte) bool) (keys, vals [][]byte, err error) {
	release := tx.PageReleaser() // the walk maps in every page: let them go as it goes
	n := 0
	err = tx.ForEachPrefix(store.SourceRecords, []byte(prefix), func(k, v []byte) error {
		if n++; n%releaseRecords == 0 {
			_ = release() // advisory: an error only leaves the pages mapped
		}
		if skip == nil || !skip(k) {
			keys, vals = append(keys, k), append(vals, v)
		}
		return nil
	})
	return keys, vals, err
}

// Rebuild recomputes every profile from the stored records and replaces the derived buckets.
// The orders are read as their facts (profiles.OrderFacts), not held whole, and each profile is
// encoded as it is made: the result's Profiles is nil (read them from the store), its Quality
// counts them.
func Rebuild(ctx context.Context, st *store.Store, opts profiles.BuildOptions) (*profiles.BuildResult, error) {
	in, err := loadDigested(st, opts)
	if err != nil {
		return nil, err
	}
	return rebuildDigested(ctx, st, opts, in)
}

// loadDigested reads every stored customer, and the facts of every stored order (each order
// decoded, digested and dropped on every core).
func loadDigested(st *store.Store, opts profiles.BuildOptions) (*profiles.Digested, error) {
	var (
		orders []profiles.OrderFacts
		d      *profiles.OrderDigester
	)
	err := st.View(func(tx *store.Tx) error {
		// The records are walked and decoded a batch at a time (not all collected first: 3M
		// keys and values are 144 MB of slice headers), and the pages read are dropped from
		// the process's memory after each batch (they stay in the page cache): a large
		// store's data file is gigabytes.
		release := tx.PageReleaser()
		n, err := countPrefix(tx, customerPrefix, release)
		if err != nil {
			return err
		}
		// Each customer is packed as it is decoded (profiles.CustomerPacker): a million
		// customers held as records were 650 MB.
		customers := profiles.NewCustomerPacker(n)
		if err := decodeBatches(tx, customerPrefix, n, release, func(i int, v []byte) error {
			var c profiles.CustomerRecord
			if err := decodePackedCustomer(v, &c); err != nil {
				return err
			}
			return customers.Put(i, &c)
		}); err != nil {
			return err
		}
		if d, err = customers.OrderDigester(opts); err != nil {
			return err
		}
		if n, err = countPrefix(tx, orderPrefix, release); err != nil {
			return err
		}
		orders = make([]profiles.OrderFacts, n)
		return decodeBatches(tx, orderPrefix, n, release, func(i int, v []byte) error {
			var o profiles.OrderRecord
			if err := decodeDigestedOrder(v, &o); err != nil {
				return err
			}
			orders[i] = d.Digest(&o)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("ingest: load records: %w", err)
	}
	_ = st.ReleaseMappedPages() // the rest of them (advisory)
	in, err := d.Digested(orders)
	if err != nil {
		return nil, fmt.Errorf("ingest: load records: %w", err)
	}
	return in, nil
}

// releaseRecords is how many records a rebuild reads between two releases of the mapped
// pages, and decodes at a time.
const releaseRecords = 50_000

// countPrefix counts the records under prefix, releasing the mapped pages as it goes.
func countPrefix(tx *store.Tx, prefix string, release func() error) (int, error) {
	n := 0
	err := tx.ForEachPrefix(store.SourceRecords, []byte(prefix), func(_, _ []byte) error {
		if n++; n%releaseRecords == 0 {
			_ = release() // advisory: an error only leaves the pages mapped
		}
		return nil
	})
	return n, err
}

// decodeBatches walks the n records under prefix in key order and calls decode(i, value) for
// the i-th, releaseRecords at a time on every core, releasing the mapped pages after each
// batch. The first error (with its key) wins; more than n records is an error (a write
// between the count and the walk, which one read transaction rules out).
func decodeBatches(tx *store.Tx, prefix string, n int, release func() error, decode func(i int, v []byte) error) error {
	keys := make([][]byte, 0, releaseRecords)
	vals := make([][]byte, 0, releaseRecords)
	base := 0
	flush := func() error {
		err := decodeAll(keys, vals, func(j int, v []byte) error { return decode(base+j, v) })
		base += len(vals)
		keys, vals = keys[:0], vals[:0]
		_ = release() // advisory
		return err
	}
	err := tx.ForEachPrefix(store.SourceRecords, []byte(prefix), func(k, v []byte) error {
		if base+len(keys) >= n {
			return fmt.Errorf("more records under %s than counted (%d)", prefix, n)
		}
		keys, vals = append(keys, k), append(vals, v)
		if len(keys) == releaseRecords {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// RebuildAfter is Rebuild (its result has no Profiles either) right after the import run w, with nothing else written to the
// store's records in between. When w kept its records (Keep), they are taken from memory as
// they were stored, and only the other stored records (earlier runs, other stores, newer
// versions the run left alone) are read back; the profiles are the same as Rebuild's.
func RebuildAfter(ctx context.Context, st *store.Store, opts profiles.BuildOptions, w *Writer) (*profiles.BuildResult, error) {
	if len(w.batch) > 0 || w.queue != nil {
		return nil, errors.New("ingest: rebuild: the import run has records not flushed yet")
	}
	if !w.Keep || w.enc.undecodable || w.joinUndecodable {
		// A record that would not decode back from the store makes Rebuild fail: so be it.
		return Rebuild(ctx, st, opts)
	}
	var (
		customers []profiles.CustomerRecord
		orders    []profiles.OrderRecord
		err       error
	)
	if !w.fresh { // the records the run did not keep are in the store
		customers, orders, err = loadRecords(st, func(k []byte) bool {
			if bytes.HasPrefix(k, []byte(customerPrefix)) {
				_, ok := w.customers[string(k)]
				return ok
			}
			_, ok := w.orders[string(k)]
			return ok
		})
		if err != nil {
			return nil, err
		}
	}
	// In the order they came (Build sorts them, and a file is often nearly sorted).
	customers = slices.Grow(customers, len(w.customers))
	orders = slices.Grow(orders, len(w.orders))
	for _, k := range w.keys {
		if c, ok := w.customers[k]; ok {
			customers = append(customers, *c)
		} else {
			orders = append(orders, *w.orders[k])
		}
	}
	return rebuild(ctx, st, opts, customers, orders)
}

func rebuild(ctx context.Context, st *store.Store, opts profiles.BuildOptions, customers []profiles.CustomerRecord, orders []profiles.OrderRecord) (*profiles.BuildResult, error) {
	d := profiles.NewOrderDigester(customers, opts)
	facts := make([]profiles.OrderFacts, len(orders))
	for i := range orders {
		facts[i] = d.Digest(&orders[i])
	}
	in, err := d.Digested(facts)
	if err != nil {
		return nil, fmt.Errorf("ingest: rebuild: %w", err)
	}
	return rebuildDigested(ctx, st, opts, in)
}

func rebuildDigested(ctx context.Context, st *store.Store, opts profiles.BuildOptions, in *profiles.Digested) (*profiles.BuildResult, error) {
	cannot, err := unmerges(st)
	if err != nil {
		return nil, err
	}
	opts.Identity.CannotLink = append(opts.Identity.CannotLink, cannot...)
	w, err := newGenerationWriter(ctx, st)
	if err != nil {
		return nil, err
	}
	defer w.close()
	// Each profile is encoded as it is made, with its index entries, and each window of them
	// is written to the new generation as soon as it is complete: the rebuild holds neither
	// every profile decoded (two to three times their encoding) nor every one encoded.
	opts.Sink = w.sink
	opts.Flush = w.flush
	res, err := profiles.BuildDigested(in, opts)
	if err != nil {
		return nil, err
	}
	if err := w.finish(res); err != nil {
		return nil, err
	}
	return res, nil
}

// generationWriter writes a rebuild's profiles, lookup indexes and merge audit into a new
// generation of their buckets (store.Stage), over many transactions, and swaps it in at the
// end: no transaction holds the whole rebuild, and readers see the old profiles until the
// swap. Profiles come in profile-ID order and are appended as they come; index entries are
// keyed by e-mail and source, not by profile, so they go through sorted runs on disk
// (sortedruns) and are appended in key order at the end.
type generationWriter struct {
	ctx   context.Context
	st    *store.Store
	stage *store.Stage
	index *sortedruns.Sorter
	once  sync.Once
	slots []*builtProfile // by position in BuildDigested's roots, until flushed
	// written counts the profiles written; indexed is set once the index entries are in the
	// new generation (after the last window, on the goroutine that wrote it).
	written int
	indexed bool
	// writing is closed when the window being written (on a goroutine, while the next
	// window's profiles are made) is written; writeErr is its error, read after.
	writing  chan struct{}
	writeErr error
}

// Index entries held in memory before a sorted run is written.
const indexRunBytes = 64 << 20

// Keys put per transaction when the index entries and the audit are appended.
const generationTxKeys = 100_000

func newGenerationWriter(ctx context.Context, st *store.Store) (*generationWriter, error) {
	dir := filepath.Dir(st.Path())
	removeLeftoverRuns(dir)
	index, err := sortedruns.New(dir, indexRunBytes)
	if err != nil {
		return nil, fmt.Errorf("ingest: write profiles: %w", err)
	}
	stage, err := st.Stage(ctx,
		store.Replace{Bucket: store.Profiles, Prefixes: []string{""}},
		store.Replace{Bucket: store.Indexes, Prefixes: []string{emailIndex, sourceIndex}},
		store.Replace{Bucket: store.MergeAudit, Prefixes: []string{auditPrefix, possiblePrefix}})
	if err != nil {
		index.Close()
		return nil, fmt.Errorf("ingest: write profiles: %w", err)
	}
	return &generationWriter{ctx: ctx, st: st, stage: stage, index: index}, nil
}

// processStart tells a crashed process's leftovers from the runs of this one.
var processStart = time.Now()

// removeLeftoverRuns deletes the sorted runs a rebuild of an earlier process left behind (a
// crash between two of its steps); they hold personal data.
func removeLeftoverRuns(dir string) {
	old, _ := filepath.Glob(filepath.Join(dir, "sortedruns-*"))
	for _, d := range old {
		if fi, err := os.Stat(d); err == nil && fi.ModTime().Before(processStart) {
			_ = os.RemoveAll(d)
		}
	}
}

// sink encodes profile i of n with its index entries; called from several goroutines, each i
// once.
func (w *generationWriter) sink(i, n int, p *profiles.Profile) error {
	w.once.Do(func() { w.slots = make([]*builtProfile, n) })
	data, err := encodeProfile(p)
	if err != nil {
		return fmt.Errorf("ingest: write profiles: encode %s: %w", p.ID, err)
	}
	w.slots[i] = &builtProfile{id: []byte(p.ID), data: data, index: indexEntries(p)}
	return nil
}

// flush starts writing the window of profiles at positions done on a goroutine, once the
// window before is written, and returns (with that window's error, if any): the profiles of
// the next window are made while this one is written. Windows are written one at a time, in
// order.
func (w *generationWriter) flush(done []int) error {
	if err := w.wait(); err != nil {
		return err
	}
	window := slices.Clone(done) // done is the caller's, refilled for the next window
	w.writing = make(chan struct{})
	go func() {
		defer close(w.writing)
		w.writeErr = w.write(window)
	}()
	return nil
}

// wait waits for the window being written, if any, and returns its error.
func (w *generationWriter) wait() error {
	if w.writing != nil {
		<-w.writing
		w.writing = nil
	}
	return w.writeErr
}

// write writes the profiles at positions done (in profile-ID order) in one transaction, and
// hands their index entries to the sorted runs. Of two profiles that claim one index key, the
// later position wins, as it always has.
func (w *generationWriter) write(done []int) error {
	err := w.stage.Update(w.ctx, func(tx *store.StageTx) error {
		for _, i := range done {
			if err := tx.Put(store.Profiles, w.slots[i].id, w.slots[i].data); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ingest: write profiles: %w", err)
	}
	for _, i := range done {
		for _, e := range w.slots[i].index {
			if err := w.index.Add(e.key, uint64(i), e.value); err != nil {
				return fmt.Errorf("ingest: write profiles: %w", err)
			}
		}
		w.slots[i] = nil
	}
	// After the last window the index entries are appended at once, while the build makes
	// the merge audit.
	if w.written += len(done); w.written == len(w.slots) {
		return w.appendIndex()
	}
	return nil
}

// appendIndex appends the index entries to the new generation in key order.
func (w *generationWriter) appendIndex() error {
	batch := newStageBatch(w)
	err := w.index.Merge(func(k, v []byte) error {
		return batch.put(store.Indexes, bytes.Clone(k), bytes.Clone(v))
	})
	if err != nil {
		return fmt.Errorf("ingest: write profiles: %w", err)
	}
	if err := batch.write(); err != nil {
		return err
	}
	w.indexed = true
	return nil
}

// finish appends the index entries, the merge audit and the possible duplicates, then swaps
// the new generation in with the quality report.
func (w *generationWriter) finish(res *profiles.BuildResult) error {
	// The audit's keys are made and sorted while the last window and the index are written.
	keyed := make(chan []auditKey, 1)
	go func() { keyed <- auditKeys(res.Audit) }()
	if err := w.wait(); err != nil { // the last window
		<-keyed
		return err
	}
	if !w.indexed { // no profiles, so no window
		if err := w.appendIndex(); err != nil {
			<-keyed
			return err
		}
	}
	batch := newStageBatch(w)
	audit := <-keyed
	// Encoded a transaction's worth at a time on every core.
	data := make([][]byte, min(len(audit), generationTxKeys))
	for lo := 0; lo < len(audit); lo += generationTxKeys {
		part := audit[lo:min(lo+generationTxKeys, len(audit))]
		err := parallel.For(len(part), 1024, func(j int) error {
			var err error
			data[j], err = codec.Marshal(res.Audit[part[j].i])
			return err
		})
		if err != nil {
			return fmt.Errorf("ingest: write profiles: encode audit: %w", err)
		}
		for j, a := range part {
			if err := batch.put(store.MergeAudit, a.key, data[j]); err != nil {
				return err
			}
		}
	}
	for i, p := range res.Possible {
		data, err := codec.Marshal(p)
		if err != nil {
			return fmt.Errorf("ingest: write profiles: encode possible duplicate: %w", err)
		}
		if err := batch.put(store.MergeAudit, fmt.Appendf(nil, "%s%08d", possiblePrefix, i), data); err != nil {
			return err
		}
	}
	if err := batch.write(); err != nil {
		return err
	}
	if err := w.stage.Commit(w.ctx, func(tx *store.Tx) error { return putQuality(tx, res.Quality) }); err != nil {
		return fmt.Errorf("ingest: write profiles: %w", err)
	}
	w.stage = nil
	return nil
}

// auditKey is the key of the merge audit's line i.
type auditKey struct {
	key []byte
	i   int
}

// auditKeys returns the keys of the merge audit's lines (auditPrefix, the profile, "/", the
// line's number, six digits at least) in key order: the audit comes in merge order, not
// profile order. The keys share one buffer.
func auditKeys(audit []profiles.MergeAudit) []auditKey {
	var num [24]byte
	size := 0
	for i := range audit {
		size += len(auditPrefix) + len(audit[i].ProfileID) + 1 + len(appendLineNumber(num[:0], i))
	}
	buf := make([]byte, 0, size)
	keys := make([]auditKey, len(audit))
	for i := range audit {
		start := len(buf)
		buf = appendLineNumber(append(append(append(buf, auditPrefix...), audit[i].ProfileID...), '/'), i)
		keys[i] = auditKey{buf[start:len(buf):len(buf)], i}
	}
	parallel.SortFunc(keys, func(a, b auditKey) int { return bytes.Compare(a.key, b.key) })
	return keys
}

// appendLineNumber appends i as fmt's %06d does.
func appendLineNumber(dst []byte, i int) []byte {
	var num [20]byte
	d := strconv.AppendInt(num[:0], int64(i), 10)
	for range 6 - len(d) {
		dst = append(dst, '0')
	}
	return append(dst, d...)
}

// close discards the new generation unless it was swapped in, and removes the sorted runs.
func (w *generationWriter) close() {
	_ = w.wait() // a window still being written when the build failed
	if w.stage != nil {
		_ = w.stage.Abort()
	}
	_ = w.index.Close()
}

// stageBatch collects puts into the new generation and writes them generationTxKeys at a
// time.
type stageBatch struct {
	w    *generationWriter
	puts []stagePut
}

type stagePut struct {
	b          store.Bucket
	key, value []byte
}

func newStageBatch(w *generationWriter) *stageBatch {
	return &stageBatch{w: w, puts: make([]stagePut, 0, generationTxKeys)}
}

func (b *stageBatch) put(bucket store.Bucket, key, value []byte) error {
	b.puts = append(b.puts, stagePut{bucket, key, value})
	if len(b.puts) == generationTxKeys {
		return b.write()
	}
	return nil
}

func (b *stageBatch) write() error {
	if len(b.puts) == 0 {
		return nil
	}
	err := b.w.stage.Update(b.w.ctx, func(tx *store.StageTx) error {
		for _, p := range b.puts {
			if err := tx.Put(p.b, p.key, p.value); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ingest: write profiles: %w", err)
	}
	clear(b.puts)
	b.puts = b.puts[:0]
	return nil
}

type indexEntry struct{ key, value []byte }

// builtProfile is one rebuilt profile, encoded, with its index entries.
type builtProfile struct {
	id, data []byte
	index    []indexEntry
}

// indexEntries are a profile's index entries: its email keys and addresses, its sources.
func indexEntries(p *profiles.Profile) []indexEntry {
	id := []byte(p.ID)
	var index []indexEntry
	for _, e := range p.Emails {
		if e.Key != "" {
			index = append(index, indexEntry{[]byte(emailIndex + e.Key), id})
		}
		index = append(index, indexEntry{[]byte(emailIndex + e.Address), id})
	}
	for _, s := range p.Sources {
		index = append(index, indexEntry{[]byte(sourceIndex + s.Key()), id})
	}
	return index
}

// errStop stops an iteration early.
var errStop = errors.New("stop")

// ErrNoProfile means no profile matches the lookup.
var ErrNoProfile = errors.New("no such profile")

// Lookup finds a profile by id, email address or source key ("store/customer/id").
func Lookup(st *store.Store, q string) (profiles.Profile, error) {
	var p profiles.Profile
	id := strings.TrimSpace(q)
	if !strings.HasPrefix(id, "p_") {
		for _, k := range []string{emailIndex + strings.ToLower(id), sourceIndex + id} {
			if v, err := st.Get(store.Indexes, []byte(k)); err == nil {
				id = string(v)
				break
			}
		}
	}
	if err := st.GetValue(store.Profiles, []byte(id), &p); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return p, ErrNoProfile
		}
		return p, fmt.Errorf("ingest: lookup: %w", err)
	}
	return p, nil
}

// Audit returns the merge audit lines of one profile.
func Audit(st *store.Store, profileID string) ([]profiles.MergeAudit, error) {
	var out []profiles.MergeAudit
	err := st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.MergeAudit, []byte(auditPrefix+profileID+"/"), func(k, v []byte) error {
			var a profiles.MergeAudit
			if err := codec.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			out = append(out, a)
			return nil
		})
	})
	return out, err
}

// Possible returns the possible duplicates of the last rebuild.
func Possible(st *store.Store) ([]profiles.PossibleDuplicate, error) {
	var out []profiles.PossibleDuplicate
	err := st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.MergeAudit, []byte(possiblePrefix), func(k, v []byte) error {
			var p profiles.PossibleDuplicate
			if err := codec.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			out = append(out, p)
			return nil
		})
	})
	return out, err
}

// QualityHistoryLimit is how many quality reports are kept (one per rebuild); older ones are
// pruned when a new one is written.
const QualityHistoryLimit = 1000

// qualityKey orders reports by time: fixed-width UTC, so byte order is time order
// (RFC3339Nano trims trailing zeros and would not sort).
func qualityKey(at time.Time) []byte {
	return []byte(at.UTC().Format("2006-01-02T15:04:05.000000000Z"))
}

func putQuality(tx *store.Tx, q profiles.Quality) error {
	if err := tx.PutValue(store.QualityHistory, qualityKey(q.At), q); err != nil {
		return err
	}
	var keys [][]byte
	err := tx.ForEach(store.QualityHistory, func(k, _ []byte) error {
		keys = append(keys, append([]byte(nil), k...))
		return nil
	})
	if err != nil {
		return err
	}
	for len(keys) > QualityHistoryLimit {
		if err := tx.Delete(store.QualityHistory, keys[0]); err != nil {
			return err
		}
		keys = keys[1:]
	}
	return nil
}

// LatestQuality returns the most recent quality report.
func LatestQuality(st *store.Store) (profiles.Quality, error) {
	h, err := QualityHistory(st, 1)
	if err != nil {
		return profiles.Quality{}, err
	}
	return h[0], nil
}

// QualityHistory returns the last n quality reports (all kept ones if n <= 0), oldest first.
func QualityHistory(st *store.Store, n int) ([]profiles.Quality, error) {
	var out []profiles.Quality
	err := st.View(func(tx *store.Tx) error {
		skip := 0
		if total := tx.Count(store.QualityHistory); n > 0 && total > n {
			skip = total - n
		}
		i := 0
		return tx.ForEach(store.QualityHistory, func(k, v []byte) error {
			if i++; i <= skip {
				return nil
			}
			var q profiles.Quality
			if err := codec.Unmarshal(v, &q); err != nil {
				return fmt.Errorf("decode quality report %s: %w", k, err)
			}
			out = append(out, q)
			return nil
		})
	})
	if err == nil && len(out) == 0 {
		err = errNoQuality
	}
	return out, err
}

var errNoQuality = errors.New("no quality report yet: import records first")

// IsNoQuality reports whether err says that no rebuild has produced a quality report yet.
func IsNoQuality(err error) bool { return errors.Is(err, errNoQuality) }

// Unmerge splits a profile: every pair of its source records from different sides of the split
// becomes a cannot-link constraint, so later rebuilds keep them apart. With no split given,
// every source becomes its own profile.
func Unmerge(ctx context.Context, st *store.Store, profileID string) (int, error) {
	p, err := Lookup(st, profileID)
	if err != nil {
		return 0, err
	}
	if len(p.Sources) < 2 {
		return 0, fmt.Errorf("profile %s has a single source: nothing to unmerge", p.ID)
	}
	n := 0
	now := []byte(time.Now().UTC().Format(time.RFC3339))
	err = st.Update(ctx, func(tx *store.Tx) error {
		for i := range p.Sources {
			for j := i + 1; j < len(p.Sources); j++ {
				k := unmergePrefix + p.Sources[i].Key() + "|" + p.Sources[j].Key()
				if err := tx.Put(store.MergeAudit, []byte(k), now); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("ingest: unmerge %s: %w", p.ID, err)
	}
	return n, nil
}

func unmerges(st *store.Store) ([]identity.Constraint, error) {
	var out []identity.Constraint
	err := st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.MergeAudit, []byte(unmergePrefix), func(k, _ []byte) error {
			a, b, ok := strings.Cut(strings.TrimPrefix(string(k), unmergePrefix), "|")
			if ok {
				out = append(out, identity.Constraint{A: a, B: b})
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("ingest: load unmerges: %w", err)
	}
	return out, nil
}
