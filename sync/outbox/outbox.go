package outbox

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/store"
)

// Options configures New. The zero value is valid.
type Options struct {
	// Logger receives one line per dead letter and per failed commit, debug lines per batch.
	// The zero value logs nothing.
	Logger zerolog.Logger
	// Metrics, when set, counts sends and failures (register it with Prometheus yourself).
	Metrics *Metrics
	// Now is the clock; default time.Now. Tests inject one.
	Now func() time.Time
	// Rand returns a number in [0, 1) for the backoff jitter; default math/rand/v2.
	Rand func() float64
}

// Outbox is the outbox of one store. It is safe for concurrent use: any number of
// goroutines may Enqueue while one Run per destination delivers.
type Outbox struct {
	st   *store.Store
	log  zerolog.Logger
	met  *Metrics
	now  func() time.Time
	rand func() float64

	mu      sync.Mutex
	wake    map[string]chan struct{}
	running map[string]bool
}

// New returns the outbox of st.
func New(st *store.Store, opts Options) *Outbox {
	o := &Outbox{
		st: st, log: opts.Logger, met: opts.Metrics, now: opts.Now, rand: opts.Rand,
		wake: map[string]chan struct{}{}, running: map[string]bool{},
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.rand == nil {
		o.rand = rand.Float64
	}
	return o
}

func (o *Outbox) wakeChan(dest string) chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	c, ok := o.wake[dest]
	if !ok {
		c = make(chan struct{}, 1)
		o.wake[dest] = c
	}
	return c
}

// Notify wakes the Run loops of the given destinations. Call it after committing a
// transaction that used EnqueueTx; without it the items wait for RunOptions.PollInterval.
func (o *Outbox) Notify(destinations ...string) {
	for _, d := range destinations {
		select {
		case o.wakeChan(d) <- struct{}{}:
		default: // already pending
		}
	}
}

// EnqueueChunk is the most items Enqueue writes per transaction. EnqueueTx puts a batch's
// keys in byte order, so a transaction's cost grows with its size, not with its square as it
// did with keys put in item order (100,000 items then took 110 s in one transaction). Every
// commit still syncs the file and rewrites bbolt's free list, so larger transactions are
// cheaper, up to a point: 1,000,000 items into the 100k-customer benchmark data file took
// 6-7 s of CPU and 20-32 s of wall time in transactions of 1,000, 5.5 s and 9 s in
// transactions of 10,000, and about the same in transactions of 50,000, which hold more of
// the file's pages in memory until they commit. Callers of EnqueueTx should keep their
// transactions near this size too.
const EnqueueChunk = 10_000

// Enqueue commits items and wakes their destinations' Run loops. It returns nil only once
// every item is durable. Items are validated first, then written in transactions of
// EnqueueChunk: after an error, earlier chunks stay committed, which is harmless because
// enqueueing the same items again coalesces with them.
func (o *Outbox) Enqueue(ctx context.Context, items ...Item) error {
	for i := range items {
		if err := items[i].validate(); err != nil {
			return err
		}
	}
	for chunk := range slices.Chunk(items, EnqueueChunk) {
		if err := o.st.Update(ctx, func(tx *store.Tx) error { return writeItems(tx, chunk, o.now().UTC()) }); err != nil {
			return err
		}
		if len(chunk) == EnqueueChunk {
			// A large enqueue (a plan of a million changes replacing pending ones) maps in
			// most of the outbox's pages: let them go (they stay in the page cache).
			_ = o.st.ReleaseMappedPages() // advisory: an error only leaves the pages mapped
		}
	}
	seen := map[string]bool{}
	for _, it := range items {
		if !seen[it.Destination] {
			seen[it.Destination] = true
			o.Notify(it.Destination)
		}
	}
	return nil
}

// EnqueueTx writes items inside the caller's write transaction, so that whatever made them
// necessary (a diff, a cursor) commits with them. A key already pending for the destination
// is replaced (see the package doc). Call Notify after the commit. Keep a transaction to
// about EnqueueChunk items (see there).
func (o *Outbox) EnqueueTx(tx *store.Tx, items ...Item) error {
	for i := range items {
		if err := items[i].validate(); err != nil {
			return err
		}
	}
	return writeItems(tx, items, o.now().UTC())
}

// pendingByKey loads the pending item of (dest, key) through the coalescing index.
func pendingByKey(tx *store.Tx, dest, key string) (Item, bool, error) {
	v := tx.Get(store.Outbox, indexKey(dest, key))
	if v == nil {
		return Item{}, false, nil
	}
	seq, err := decodeSeq(v)
	if err != nil {
		return Item{}, false, fmt.Errorf("index of %s/%s: %w", dest, key, err)
	}
	return pendingBySeq(tx, dest, seq)
}

func pendingBySeq(tx *store.Tx, dest string, seq uint64) (Item, bool, error) {
	var it Item
	err := tx.GetValue(store.Outbox, queueKey(dest, seq), &it)
	if errors.Is(err, store.ErrNotFound) {
		return Item{}, false, nil
	}
	if err != nil {
		return Item{}, false, err
	}
	return it, true, nil
}

// putPending writes a new queue entry with its index and schedule entries.
func putPending(tx *store.Tx, it *Item) error {
	if err := tx.PutValue(store.Outbox, queueKey(it.Destination, it.Seq), it); err != nil {
		return err
	}
	if err := tx.Put(store.Outbox, indexKey(it.Destination, it.Key), encodeSeq(it.Seq)); err != nil {
		return err
	}
	return tx.Put(store.Outbox, dueKey(it.Destination, it.NextAttempt, it.Seq), nil)
}

// deletePending removes a queue entry (as stored: cur) with its schedule and index entries.
func deletePending(tx *store.Tx, cur *Item) error {
	if err := tx.Delete(store.Outbox, queueKey(cur.Destination, cur.Seq)); err != nil {
		return err
	}
	if err := tx.Delete(store.Outbox, dueKey(cur.Destination, cur.NextAttempt, cur.Seq)); err != nil {
		return err
	}
	return tx.Delete(store.Outbox, indexKey(cur.Destination, cur.Key))
}

// reschedule stores cur (already updated) due at next, moving its schedule entry.
func reschedule(tx *store.Tx, cur *Item, next time.Time) error {
	if err := tx.Delete(store.Outbox, dueKey(cur.Destination, cur.NextAttempt, cur.Seq)); err != nil {
		return err
	}
	cur.NextAttempt = next
	if err := tx.Put(store.Outbox, dueKey(cur.Destination, cur.NextAttempt, cur.Seq), nil); err != nil {
		return err
	}
	return tx.PutValue(store.Outbox, queueKey(cur.Destination, cur.Seq), cur)
}
