package ingest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
)

// A backfill stores every record of a store, and the rebuild right after it reads them all
// back: at a million customers, 5.8 GB of data file decoded again, and as much time as the
// page cache decides. Digests keeps, as the backfill stores them, what that rebuild reads of
// each record: the customers packed, the orders digested (profiles.CustomerPacker,
// profiles.OrderDigester), on the cores that encode them (from the record as it will decode
// from the store: see customerRoundTrips); the Writer keeps the digest of each
// record it stores, newest-wins, in the order stored. RebuildDigests builds from them: the
// same profiles as Rebuild, which it falls back to when the digests cannot stand for the
// store's records.

// Digests holds the digests of the records a backfill's Writers store, customers first,
// then (after CustomersDone) orders. It stands for the store's records only if the first of
// its Writers' transactions found no record stored, every record its Writers stored came
// through its Encode, and nothing else wrote records since: the caller's part (a command
// that runs the backfill alone, not the daemon whose webhooks and polls write alongside).
// Anything else voids it, and RebuildDigests reads the store instead.
type Digests struct {
	opts profiles.BuildOptions

	mu        sync.Mutex
	void      string // why the digests cannot be used; "" while they can
	started   bool   // a transaction of its Writers committed
	customers *profiles.CustomerPacker
	digester  *profiles.OrderDigester // from CustomersDone on
	orders    factChunks              // kept, in the order stored
}

// recordDigest is what Digests.Encode made of one record, for the Writer to keep once
// stored.
type recordDigest struct {
	set      bool
	isOrder  bool
	customer profiles.PackedCustomer
	order    profiles.OrderFacts
}

// NewDigests returns empty digests for a rebuild with these options.
func NewDigests(opts profiles.BuildOptions) *Digests {
	return &Digests{opts: opts, customers: profiles.NewCustomerPacker(0)}
}

// Encode is ingest.Encode(v), with the record digested for the rebuild: decoded from its
// encoding as a rebuild decodes the store's (lean), then packed (a customer) or digested (an
// order, once CustomersDone). Safe for concurrent use.
func (d *Digests) Encode(v any) (Encoded, error) {
	e, err := Encode(v)
	if err != nil {
		return e, err
	}
	d.mu.Lock()
	void, digester, customers := d.void, d.digester, d.customers
	d.mu.Unlock()
	if void != "" {
		return e, nil
	}
	if e.undecodable {
		d.Void("a record that does not decode back")
		return e, nil
	}
	switch r := v.(type) {
	case *profiles.CustomerRecord:
		if digester != nil {
			d.Void("a customer after the customers were done")
			return e, nil
		}
		c := r
		if !customerRoundTrips(r) {
			c = new(profiles.CustomerRecord)
			if err := decodePackedCustomer(e.p.data, c); err != nil {
				d.Void(fmt.Sprintf("decode %s: %v", e.p.key, err))
				return e, nil
			}
		}
		pc, err := customers.Pack(c)
		if err != nil {
			d.Void(err.Error())
			return e, nil
		}
		e.p.digest = recordDigest{set: true, customer: pc}
	case *profiles.OrderRecord:
		if digester == nil {
			d.Void("an order before the customers were done")
			return e, nil
		}
		o := r
		if !orderRoundTrips(r) {
			o = new(profiles.OrderRecord)
			if err := decodeDigestedOrder(e.p.data, o); err != nil {
				d.Void(fmt.Sprintf("decode %s: %v", e.p.key, err))
				return e, nil
			}
		}
		e.p.digest = recordDigest{set: true, isOrder: true, order: digester.Digest(o)}
	}
	return e, nil
}

// A record that encoded without the undecodable flag decodes back to itself as far as a
// rebuild reads it (strings as they are, decimals through MarshalBinary, nothing lost),
// except for its times: stored as RFC 3339 text, they come back in UTC when their offset is
// zero, in a fixed zone (or Local) otherwise, and a rebuild keeps a date's zone. Connectors
// give times in UTC: such a record is digested as it is, any other is decoded from its
// encoding first, as a rebuild would.

func customerRoundTrips(c *profiles.CustomerRecord) bool {
	return inUTC(c.CreatedAt) && inUTC(c.UpdatedAt) && inUTC(c.Consent.UpdatedAt)
}

func orderRoundTrips(o *profiles.OrderRecord) bool {
	return inUTC(o.CreatedAt) && inUTC(o.UpdatedAt) && inUTC(o.CancelledAt)
}

// inUTC reports whether t decodes back from its RFC 3339 text (or from nothing, zero) as it
// is: in UTC (time.Time{} is).
func inUTC(t time.Time) bool { return t.Location() == time.UTC }

// CustomersDone ends the customers: the versions stored are kept, and orders are digested
// from now on. Call it once the Writers of the customers are flushed.
func (d *Digests) CustomersDone() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.void != "" {
		return nil
	}
	if d.digester != nil {
		d.voidLocked("the customers done twice")
		return nil
	}
	d.customers.Latest()
	dg, err := d.customers.OrderDigester(d.opts)
	if err != nil {
		return fmt.Errorf("ingest: digests: %w", err)
	}
	d.digester = dg
	return nil
}

// Void gives the digests up: the rebuild will read the store.
func (d *Digests) Void(reason string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.voidLocked(reason)
}

func (d *Digests) voidLocked(reason string) {
	if d.void == "" {
		d.void = reason
		d.customers, d.digester, d.orders = nil, nil, factChunks{} // their memory goes
	}
}

// Usable reports whether the digests stand for the store's records, and if not why.
func (d *Digests) Usable() (bool, string) {
	if d == nil {
		return false, "no digests"
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.void != "":
		return false, d.void
	case d.digester == nil:
		return false, "the customers were not done"
	}
	return true, ""
}

// begin is called in a Writer's first transaction: the digests stand for the store only
// if their first transaction finds no record stored.
func (d *Digests) begin(tx *store.Tx) (fresh bool, err error) {
	d.mu.Lock()
	started := d.started
	d.mu.Unlock()
	if started {
		return true, nil
	}
	fresh = true
	err = tx.ForEachPrefix(store.SourceRecords, nil, func(_, _ []byte) error {
		fresh = false
		return errStop
	})
	if err != nil && err != errStop {
		return false, err
	}
	return fresh, nil
}

// committed keeps the digests of the records a committed transaction stored, in order; not
// fresh or a record without a digest voids them.
func (d *Digests) committed(fresh bool, kept []recordDigest) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.started = true
	switch {
	case d.void != "":
		return
	case !fresh:
		d.voidLocked("records were stored before the backfill")
		return
	}
	for i := range kept {
		r := &kept[i]
		switch {
		case !r.set:
			d.voidLocked("a record stored without its digest")
			return
		case r.isOrder:
			d.orders.add(r.order)
		default:
			d.customers.Append(r.customer)
		}
	}
}

// RebuildDigests is Rebuild, from the digests of the backfill that just stored every record
// when they are usable (Digests), else from the store. It says which it did.
func RebuildDigests(ctx context.Context, st *store.Store, opts profiles.BuildOptions, d *Digests) (res *profiles.BuildResult, fromDigests bool, err error) {
	if ok, _ := d.Usable(); !ok {
		res, err = Rebuild(ctx, st, opts)
		return res, false, err
	}
	d.mu.Lock()
	digester, chunks := d.digester, d.orders
	d.customers, d.digester, d.orders = nil, nil, factChunks{}
	d.void = "used by a rebuild"
	d.mu.Unlock()
	orders := digester.Latest(chunks.all())
	in, err := digester.Digested(orders)
	if err != nil {
		return nil, true, fmt.Errorf("ingest: rebuild: %w", err)
	}
	res, err = rebuildDigested(ctx, st, opts, in)
	return res, true, err
}

// factChunks holds orders' facts in fixed-size chunks: appended to one slice, three million
// of them (168 MB) were copied again at every growth, on the commit path, under the mutex.
type factChunks struct{ chunks [][]profiles.OrderFacts }

// factChunk is how many facts a chunk holds (a variable for tests).
var factChunk = 1 << 16

func (c *factChunks) add(f profiles.OrderFacts) {
	if n := len(c.chunks); n == 0 || len(c.chunks[n-1]) == factChunk {
		c.chunks = append(c.chunks, make([]profiles.OrderFacts, 0, factChunk))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, f)
}

// all returns the facts in one slice, in order, releasing the chunks as they are copied.
func (c *factChunks) all() []profiles.OrderFacts {
	n := 0
	for _, ch := range c.chunks {
		n += len(ch)
	}
	out := make([]profiles.OrderFacts, 0, n)
	for i, ch := range c.chunks {
		out = append(out, ch...)
		c.chunks[i] = nil
	}
	c.chunks = nil
	return out
}
