package shopifysync

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/shopify"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/outbox"
)

// Platform is the {platform} of this connector's webhook path.
const Platform = "shopify"

// Options configures a Syncer.
type Options struct {
	// Store is the store's configuration (kind shopify).
	Store config.Store
	// Config is the whole configuration (tags prefix, custom segment tags).
	Config *config.Config
	// DB is the data file.
	DB *store.Store
	// Client talks to the shop.
	Client *shopify.Client
	// Outbox carries tag changes; nil disables the push.
	Outbox *outbox.Outbox
	// Build are the profile build options (privacy erasures rebuild profiles).
	Build profiles.BuildOptions
	// DataDir receives privacy exports.
	DataDir string
	// OnErased is privacy.Options.OnErased of the store's erasures: the daemon queues the
	// erased addresses' deletion at every email destination there.
	OnErased func(tx *store.Tx, addresses []string) error
	// Changed is called (without blocking for long) when records changed, so the daemon
	// rebuilds profiles and segments and plans pushes.
	Changed func()
	Logger  zerolog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// CustomerPage and OrderPage are the page sizes of paginated queries. Shopify charges a
	// connection first × the cost of one node and refuses a query above 1000 points: a
	// customer costs about 5, an order with its first 20 lines about 120. Defaults 150 and 7.
	CustomerPage, OrderPage int
	// WriterBatch is the records per store transaction; default 2000.
	WriterBatch int
}

// Syncer runs one Shopify store. Its methods may be called from different goroutines.
// Backfill and Reconcile must not run at the same time as each other or as a profile
// rebuild, and privacy requests (in Apply) must not run at the same time as a rebuild: the
// daemon serialises them. Poll and record-only deliveries only add records (newer-wins, in
// their own transactions) and run alongside anything.
type Syncer struct {
	opts     Options
	id       string
	log      zerolog.Logger
	bulkWake chan struct{}
	pollWake chan struct{}
	stats    Stats
}

// Stats are the counters of a Syncer.
type Stats struct {
	Customers     atomic.Int64 // customer records stored or replayed (backfill, poll, webhooks)
	Orders        atomic.Int64
	BadRecords    atomic.Int64 // records that failed to decode
	Webhooks      atomic.Int64 // deliveries applied
	Echoes        atomic.Int64 // customers/update deliveries recognised as our own tag write
	Rejected      atomic.Int64 // deliveries that could not be decoded (dead-lettered)
	TagsAdded     atomic.Int64 // tags the store accepted
	TagsRemoved   atomic.Int64
	PushedChanges atomic.Int64 // customers whose tags were changed
}

// New returns the Syncer of one store.
func New(opts Options) (*Syncer, error) {
	if opts.Store.Kind != config.KindShopify {
		return nil, fmt.Errorf("shopifysync: store %q is of kind %q", opts.Store.ID, opts.Store.Kind)
	}
	if opts.DB == nil || opts.Client == nil || opts.Config == nil {
		return nil, fmt.Errorf("shopifysync: store %q: DB, Client and Config are required", opts.Store.ID)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CustomerPage <= 0 {
		opts.CustomerPage = 150
	}
	if opts.OrderPage <= 0 {
		opts.OrderPage = 7
	}
	if opts.WriterBatch <= 0 {
		opts.WriterBatch = 2000
	}
	if opts.Changed == nil {
		opts.Changed = func() {}
	}
	return &Syncer{opts: opts, id: opts.Store.ID,
		log:      opts.Logger.With().Str("store", opts.Store.ID).Logger(),
		bulkWake: make(chan struct{}, 1), pollWake: make(chan struct{}, 1)}, nil
}

// EnsureWebhooks subscribes callbackURL to every topic cohortd reads (idempotent; stale
// subscriptions of ours are removed). Privacy topics are configured in the app, not here.
func (s *Syncer) EnsureWebhooks(ctx context.Context, callbackURL string) (created, removed int, err error) {
	return s.opts.Client.EnsureWebhooks(ctx, callbackURL, shopify.DefaultTopics)
}

// ID is the store id.
func (s *Syncer) ID() string { return s.id }

// Stats returns the counters.
func (s *Syncer) Stats() *Stats { return &s.stats }

// PollWake is signalled when a webhook asks for an early poll (a refund was created: the
// next poll reads the order with its refunds).
func (s *Syncer) PollWake() <-chan struct{} { return s.pollWake }

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// cursor keys in the cursors bucket.
func (s *Syncer) backfillKey() []byte { return []byte("shopify/" + s.id + "/backfill") }
func (s *Syncer) pollKey(kind string) []byte {
	return []byte("shopify/" + s.id + "/poll/" + kind)
}

func (s *Syncer) now() time.Time { return s.opts.Now().UTC() }
