package shopifyfake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Fake is a running fake shop. Create it with New; Close it when done.
type Fake struct {
	opts   Options
	log    zerolog.Logger
	bucket *bucket

	mu   sync.RWMutex // guards data
	data dataset

	bulkMu  sync.Mutex // guards bulkOps, staged
	bulkOps []*bulkOp
	staged  map[string]string // staged upload key -> file path

	hooks  *webhooks
	faults faults

	dir     string
	ownDir  bool
	signKey []byte

	ln  net.Listener
	srv *http.Server
	url string

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	requests, throttled, bulkStarted, tagWrites, faultsFired atomic.Int64
	pointsUsed                                               atomic.Int64 // thousandths
}

// New starts a fake shop with no data on a loopback listener. Load data with
// LoadGenerated or create it with CreateCustomer/CreateOrder.
func New(opts Options) (*Fake, error) {
	opts.withDefaults()
	f := &Fake{opts: opts, log: opts.Logger.With().Str("component", "shopifyfake").Logger(), staged: map[string]string{}}
	f.bucket = newBucket(opts.Plan, opts.Now)
	f.signKey = make([]byte, 32)
	if _, err := rand.Read(f.signKey); err != nil {
		return nil, fmt.Errorf("shopifyfake: signing key: %w", err)
	}
	f.dir = opts.Dir
	if f.dir == "" {
		d, err := os.MkdirTemp("", "shopifyfake-")
		if err != nil {
			return nil, fmt.Errorf("shopifyfake: temp dir: %w", err)
		}
		f.dir, f.ownDir = d, true
	} else if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return nil, fmt.Errorf("shopifyfake: dir: %w", err)
	}
	f.data.reset(nil, nil, nil, nil, nil)
	f.ctx, f.cancel = context.WithCancel(context.Background())
	f.hooks = newWebhooks(f)
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("shopifyfake: listen %s: %w", opts.Listen, err)
	}
	f.ln = ln
	f.url = "http://" + ln.Addr().String()
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		if err := f.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			f.log.Error().Err(err).Msg("serve")
		}
	}()
	return f, nil
}

// URL is the shop's base URL (http://127.0.0.1:PORT); the GraphQL endpoint is
// URL()+"/admin/api/2025-04/graphql.json".
func (f *Fake) URL() string { return f.url }

// GraphQLURL is the endpoint for an API version.
func (f *Fake) GraphQLURL(version string) string {
	return f.url + "/admin/api/" + version + "/graphql.json"
}

// Options returns the effective options (defaults filled in).
func (f *Fake) Options() Options { return f.opts }

// Close stops the server, background work and webhook deliveries, and removes the temp dir
// it created.
func (f *Fake) Close() error {
	f.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := f.srv.Shutdown(ctx)
	if err != nil {
		_ = f.srv.Close()
	}
	f.wg.Wait()
	f.hooks.wait()
	f.mu.Lock()
	f.data.reset(nil, nil, nil, nil, nil)
	f.mu.Unlock()
	if f.ownDir {
		_ = os.RemoveAll(f.dir)
	}
	return nil
}

// Stats returns the counters.
func (f *Fake) Stats() Stats {
	s := Stats{
		Requests:        f.requests.Load(),
		Throttled:       f.throttled.Load(),
		PointsUsed:      float64(f.pointsUsed.Load()) / 1000,
		PointsAvailable: f.bucket.available(),
		BulkOperations:  f.bulkStarted.Load(),
		TagWrites:       f.tagWrites.Load(),
		FaultsInjected:  f.faultsFired.Load(),
	}
	f.hooks.fill(&s)
	return s
}

// ServeHTTP routes the Admin API, the bulk result storage and the staged upload target.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/admin/api/"):
		f.serveAdmin(w, r)
	case strings.HasPrefix(r.URL.Path, storagePrefix):
		f.serveStorage(w, r)
	case r.URL.Path == stagedPath:
		f.serveStagedUpload(w, r)
	default:
		http.NotFound(w, r)
	}
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
