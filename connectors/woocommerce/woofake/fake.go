package woofake

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Fake is a fake WooCommerce store. Create it with New, Start it, Close it when done.
type Fake struct {
	opts Options
	log  zerolog.Logger

	mu   sync.RWMutex // guards data
	data dataset

	nonces *nonceStore
	hooks  *hookState
	faults faultState
	viol   violationLog
	stats  statCounters

	ln      net.Listener
	lnErr   error
	srv     *httptest.Server
	url     string
	started bool

	ctx    context.Context
	cancel context.CancelFunc
	salt   []byte // wp_hash salt for delivery ids
}

// New prepares a fake store with no data besides the administrator user (id 1) and
// reserves its loopback port, so URL is known before Start.
func New(opts Options) *Fake {
	opts.withDefaults()
	f := &Fake{
		opts:   opts,
		log:    opts.Logger.With().Str("component", "woofake").Logger(),
		data:   newDataset(),
		nonces: newNonceStore(),
		salt:   make([]byte, 32),
	}
	_, _ = rand.Read(f.salt)
	f.ctx, f.cancel = context.WithCancel(context.Background())
	f.hooks = newHookState(f)
	f.ln, f.lnErr = net.Listen("tcp", "127.0.0.1:0")
	scheme := "http"
	if opts.TLS {
		scheme = "https"
	}
	if f.ln != nil {
		f.url = scheme + "://" + f.ln.Addr().String()
	}
	if !opts.OmitAdmin {
		f.mu.Lock()
		f.data.insertCustomer(f.newUserRecord(1, NewCustomer{Email: "admin@example.test", Username: "admin", Role: "administrator"}, f.opts.Now()))
		f.mu.Unlock()
	}
	return f
}

// Start serves the API on the reserved port.
func (f *Fake) Start() error {
	if f.lnErr != nil {
		return fmt.Errorf("woofake: listen: %w", f.lnErr)
	}
	if f.started {
		return errors.New("woofake: already started")
	}
	f.started = true
	f.srv = &httptest.Server{Listener: f.ln, Config: &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}}
	if f.opts.TLS {
		f.srv.StartTLS()
	} else {
		f.srv.Start()
	}
	return nil
}

// URL is the site URL (http://127.0.0.1:PORT, https with Options.TLS).
func (f *Fake) URL() string { return f.url }

// APIURL is the REST base the connector uses: URL()+"/wp-json/wc/v3".
func (f *Fake) APIURL() string { return f.restURL("/wc/v3") }

// HTTPClient returns a client for the fake: with TLS it trusts the fake's certificate.
func (f *Fake) HTTPClient() *http.Client {
	if f.srv != nil && f.opts.TLS {
		return f.srv.Client()
	}
	return &http.Client{Timeout: time.Minute}
}

// Options returns the effective options (defaults filled in).
func (f *Fake) Options() Options { return f.opts }

// Close stops the server and every pending webhook delivery.
func (f *Fake) Close() error {
	f.cancel()
	if f.srv != nil {
		f.srv.Close()
	} else if f.ln != nil {
		_ = f.ln.Close()
	}
	f.hooks.wait()
	return nil
}

// Counts are record counts for assertions.
type Counts struct {
	Users     int // every user, as role=all lists them
	Customers int // users with role customer
	Orders    int // orders, trashed ones included
	Refunds   int
	Webhooks  int
}

// Counts returns the current record counts.
func (f *Fake) Counts() Counts {
	f.mu.RLock()
	c := Counts{Users: len(f.data.customers), Orders: len(f.data.orders)}
	for _, u := range f.data.customers {
		if u.role == "customer" {
			c.Customers++
		}
	}
	for _, o := range f.data.orders {
		c.Refunds += o.refunds
	}
	f.mu.RUnlock()
	c.Webhooks = len(f.Webhooks())
	return c
}
