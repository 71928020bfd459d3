package woosync

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/woocommerce"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/ingest"
	"github.com/cohortd/cohortd/sync/outbox"
)

// Platform is the webhook path segment and the platform name of WooCommerce stores.
const Platform = "woocommerce"

// Client is what the syncer needs of the WooCommerce REST client (*woocommerce.Client).
type Client interface {
	Walk(ctx context.Context, resource string, q url.Values, from int, fn func(p woocommerce.Page) error) error
	UpdateCustomerMeta(ctx context.Context, updates []woocommerce.MetaUpdate) ([]error, error)
	EnsureWebhooks(ctx context.Context, o woocommerce.EnsureOptions) (woocommerce.EnsureReport, error)
}

// Options configure a Syncer.
type Options struct {
	Store  config.Store // kind woocommerce
	Config *config.Config
	DB     *store.Store
	Client Client
	// Outbox carries the meta write-back; nil disables it.
	Outbox *outbox.Outbox
	// Build are the profile build options (unused today; erasures will need them).
	Build profiles.BuildOptions
	// Changed is called when records changed (the daemon refreshes profiles and segments).
	Changed func()
	Logger  zerolog.Logger
	Now     func() time.Time
	// WriterBatch is the records per store transaction; default 2000.
	WriterBatch int
}

// Syncer runs one WooCommerce store. Backfill and Scan must not run at the same time as each
// other or as a profile rebuild (the daemon serialises them); Poll and Apply only add
// records (newer-wins) and run alongside anything.
type Syncer struct {
	opts  Options
	id    string
	log   zerolog.Logger
	stats Stats

	mu       sync.Mutex
	webhooks *woocommerce.EnsureReport // the last subscription check
}

// Stats are the counters of a Syncer.
type Stats struct {
	Customers     atomic.Int64 // customer records read (backfill, poll, scan, webhooks)
	Orders        atomic.Int64
	BadRecords    atomic.Int64
	Webhooks      atomic.Int64
	Echoes        atomic.Int64 // customer.updated deliveries recognised as our own write
	Rejected      atomic.Int64
	Deleted       atomic.Int64 // customers found deleted (webhook or scan)
	PushedChanges atomic.Int64 // customers whose meta was written
	Requests      atomic.Int64 // list pages read
}

// New returns the Syncer of one store.
func New(opts Options) (*Syncer, error) {
	if opts.Store.Kind != config.KindWooCommerce {
		return nil, fmt.Errorf("woosync: store %q is of kind %q", opts.Store.ID, opts.Store.Kind)
	}
	if opts.DB == nil || opts.Client == nil || opts.Config == nil {
		return nil, fmt.Errorf("woosync: store %q: DB, Client and Config are required", opts.Store.ID)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.WriterBatch <= 0 {
		opts.WriterBatch = 2000
	}
	if opts.Changed == nil {
		opts.Changed = func() {}
	}
	if opts.Store.MetaKey == "" {
		opts.Store.MetaKey = config.DefaultMetaKey
	}
	return &Syncer{opts: opts, id: opts.Store.ID, log: opts.Logger.With().Str("store", opts.Store.ID).Logger()}, nil
}

// ClientFor builds the REST client of a store's configuration.
func ClientFor(sc config.Store, log zerolog.Logger) (*woocommerce.Client, error) {
	c, err := woocommerce.New(woocommerce.Options{URL: sc.URL, ConsumerKey: sc.ConsumerKey.Value(),
		ConsumerSecret: sc.ConsumerSecret.Value(), Logger: log})
	if err != nil {
		return nil, fmt.Errorf("woosync: store %s: %w", sc.ID, err)
	}
	return c, nil
}

// Secrets are the webhook secrets deliveries of the store may be signed with.
func Secrets(sc config.Store) []string {
	if v := sc.WebhookSecret.Value(); v != "" {
		return []string{v}
	}
	return nil
}

// ID is the store id.
func (s *Syncer) ID() string { return s.id }

// Stats returns the counters.
func (s *Syncer) Stats() *Stats { return &s.stats }

func (s *Syncer) now() time.Time { return s.opts.Now().UTC() }

func (s *Syncer) newWriter() *ingest.Writer {
	w := ingest.NewWriter(s.opts.DB, s.opts.WriterBatch)
	w.ReplaceOrders = true
	return w
}

// cursor keys in the cursors bucket.
func (s *Syncer) backfillKey() []byte { return []byte("woocommerce/" + s.id + "/backfill") }
func (s *Syncer) pollKey() []byte     { return []byte("woocommerce/" + s.id + "/poll/orders") }

func getJSON(st *store.Store, key []byte, v any) (bool, error) {
	b, err := st.Get(store.Cursors, key)
	if err != nil || b == nil {
		if err != nil && err != store.ErrNotFound {
			return false, err
		}
		return false, nil
	}
	return true, json.Unmarshal(b, v)
}
