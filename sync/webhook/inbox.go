package webhook

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/store"
)

// ErrClosed is returned by Inbox operations after Close.
var ErrClosed = errors.New("webhook: inbox closed")

// Defaults for zero InboxOptions fields.
const (
	DefaultRetention    = 7 * 24 * time.Hour
	DefaultMaxBatchSize = 1000
)

// InboxOptions configures OpenInbox. The zero value is valid.
type InboxOptions struct {
	// Retention is how long a consumed event id keeps deduplicating retries
	// (counted from its ReceivedAt). Default 7 days; Shopify retries for up
	// to 48 hours.
	Retention time.Duration
	// MaxBatchSize caps the writes per group commit. Default 1000.
	MaxBatchSize int
	// Registerer receives cohortd_inbox_depth. Nil: not exported.
	Registerer prometheus.Registerer
	Logger     zerolog.Logger
	// Now is the clock; default time.Now. For tests.
	Now func() time.Time
}

// Inbox is the durable queue between the webhook receiver and the daemon's
// consumer, kept in the store's inbox bucket. It is safe for concurrent use:
// any number of goroutines may Append; Next, Done, Reject and Consume are
// meant for one consumer goroutine (several are safe, but each entry is then
// handed to only one of them per run).
type Inbox struct {
	st   *store.Store
	opts InboxOptions
	log  zerolog.Logger

	// Group commit (writer.go). mu guards closed and the send side of queue.
	mu         sync.RWMutex
	closed     bool
	queue      chan *writeOp
	writerDone chan struct{}
	closing    chan struct{} // closed by Close: wakes blocked Next calls

	// Consumer side (consume.go).
	readMu sync.Mutex // serializes Next's scan and cursor update
	cursor uint64     // first seq Next has not handed out yet
	wake   wakeup

	depth      atomic.Int64
	commits    atomic.Uint64        // group commits
	writes     atomic.Uint64        // ops in them
	depthGauge prometheus.Collector // registered with opts.Registerer, removed by Close

	closeOnce sync.Once
}

// OpenInbox opens the inbox kept in st and starts its writer. st must stay
// open until Close has returned. Counting the pending entries (for
// cohortd_inbox_depth) reads their keys once.
func OpenInbox(st *store.Store, opts InboxOptions) (*Inbox, error) {
	if st == nil {
		return nil, errors.New("webhook: open inbox: nil store")
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.MaxBatchSize <= 0 {
		opts.MaxBatchSize = DefaultMaxBatchSize
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	in := &Inbox{
		st:         st,
		opts:       opts,
		log:        opts.Logger,
		queue:      make(chan *writeOp, opts.MaxBatchSize),
		writerDone: make(chan struct{}),
		closing:    make(chan struct{}),
	}
	var n int64
	err := st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.Inbox, entryPrefix, func(k, _ []byte) error {
			if len(k) != len(entryPrefix)+8 || !bytes.HasPrefix(k, entryPrefix) {
				return fmt.Errorf("malformed entry key %x", k)
			}
			n++
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("webhook: open inbox: count entries: %w", err)
	}
	in.depth.Store(n)
	if opts.Registerer != nil {
		g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "cohortd", Name: "inbox_depth",
			Help: "Webhook deliveries committed to the inbox and not yet consumed.",
		}, func() float64 { return float64(in.depth.Load()) })
		if err := opts.Registerer.Register(g); err != nil {
			return nil, fmt.Errorf("webhook: open inbox: register metrics: %w", err)
		}
		in.depthGauge = g
	}
	go in.writer()
	return in, nil
}

// Depth returns the number of entries in the inbox (committed, not yet Done
// or rejected).
func (in *Inbox) Depth() int { return int(in.depth.Load()) }

// Stats counts the inbox's group commits since OpenInbox.
type Stats struct {
	// Commits is the number of transactions (one fsync each); Writes the
	// appends, Done/Reject calls and prune chunks they held. Writes/Commits
	// is the average batch size.
	Commits, Writes uint64
	// Depth is Depth().
	Depth int
}

// Stats returns the group-commit counters and the depth.
func (in *Inbox) Stats() Stats {
	return Stats{Commits: in.commits.Load(), Writes: in.writes.Load(), Depth: in.Depth()}
}

// Close stops accepting writes, commits those already queued, wakes blocked
// Next calls (they return ErrClosed) and returns once the writer has
// finished. It does not close the store, and unregisters
// cohortd_inbox_depth so that a new Inbox can register it. Idempotent.
func (in *Inbox) Close() error {
	in.closeOnce.Do(func() {
		in.mu.Lock()
		in.closed = true
		close(in.queue)
		close(in.closing)
		in.mu.Unlock()
		<-in.writerDone
		if in.depthGauge != nil {
			in.opts.Registerer.Unregister(in.depthGauge)
		}
	})
	return nil
}
