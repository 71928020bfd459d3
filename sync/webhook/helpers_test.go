package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/server"
)

// shopifySource is the test double of the source the Shopify connector
// supplies (see the Source doc comment).
type shopifySource struct{ secrets [][]byte }

func sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func (s shopifySource) Verify(h http.Header, body []byte) bool {
	got, err := base64.StdEncoding.DecodeString(h.Get("X-Shopify-Hmac-Sha256"))
	if err != nil || len(got) != sha256.Size {
		return false
	}
	ok := false
	for _, secret := range s.secrets {
		mac := hmac.New(sha256.New, secret)
		mac.Write(body)
		ok = hmac.Equal(mac.Sum(nil), got) || ok // try every secret: no early exit
	}
	return ok
}

func (shopifySource) EventID(h http.Header) string {
	if id := h.Get("X-Shopify-Event-Id"); id != "" {
		return id
	}
	return h.Get("X-Shopify-Webhook-Id")
}

func (shopifySource) Topic(h http.Header) string { return h.Get("X-Shopify-Topic") }

func (shopifySource) TriggeredAt(h http.Header) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, h.Get("X-Shopify-Triggered-At"))
	return t
}

func (shopifySource) KeptHeaders() []string {
	return []string{"X-Shopify-Shop-Domain", "X-Shopify-API-Version", "X-Shopify-Webhook-Id",
		"X-Shopify-Event-Id", "X-Shopify-Topic", "X-Shopify-Triggered-At"}
}

// wooSource is a WooCommerce-style source, here for its creation ping.
type wooSource struct{ secret []byte }

var wooPing = regexp.MustCompile(`^webhook_id=[0-9]+$`)

func (s wooSource) Verify(h http.Header, body []byte) bool {
	got, err := base64.StdEncoding.DecodeString(h.Get("X-WC-Webhook-Signature"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, s.secret)
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), got)
}
func (wooSource) EventID(h http.Header) string      { return h.Get("X-WC-Webhook-Delivery-ID") }
func (wooSource) Topic(h http.Header) string        { return h.Get("X-WC-Webhook-Topic") }
func (wooSource) TriggeredAt(http.Header) time.Time { return time.Time{} }
func (wooSource) Ping(h http.Header, body []byte) bool {
	return h.Get("X-WC-Webhook-Signature") == "" &&
		h.Get("Content-Type") == "application/x-www-form-urlencoded" && wooPing.Match(body)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

type harness struct {
	st    *store.Store
	inbox *Inbox
	rc    *Receiver
	reg   *prometheus.Registry
	url   string // base URL of the test server
	logs  *syncBuffer
}

type harnessOptions struct {
	path         string
	noSync       bool
	maxBody      int64 // receiver limit
	serverLimit  int64 // HTTP server limit
	inboxOptions InboxOptions
}

var (
	secretA = []byte("shpss_current_secret_0123456789")
	secretB = []byte("shpss_previous_secret_abcdefghi")
)

// newHarness runs store + inbox + receiver behind the real cohortd HTTP
// server middleware, with a shop "s1" accepting secretA and secretB.
func newHarness(t *testing.T, o harnessOptions) *harness {
	t.Helper()
	if o.path == "" {
		o.path = store.DefaultPath(t.TempDir())
	}
	st, err := store.Open(o.path, store.Options{NoSync: o.noSync})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{st: st, reg: prometheus.NewRegistry(), logs: &syncBuffer{}}
	logger := zerolog.New(h.logs).Level(zerolog.DebugLevel)
	io := o.inboxOptions
	io.Registerer, io.Logger = h.reg, logger
	h.inbox, err = OpenInbox(st, io)
	if err != nil {
		t.Fatal(err)
	}
	h.rc, err = NewReceiver(h.inbox, Options{MaxBodyBytes: o.maxBody, Registerer: h.reg, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.rc.Register("shopify", "s1", shopifySource{secrets: [][]byte{secretA, secretB}}); err != nil {
		t.Fatal(err)
	}
	if err := h.rc.Register("woocommerce", "w1", wooSource{secret: []byte("testsecret")}); err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Options{Listen: "127.0.0.1:0", Logger: logger, MaxBodyBytes: o.serverLimit, Registerer: h.reg, Gatherer: h.reg})
	h.rc.Mount(srv)
	ts := httptest.NewServer(srv.Handler())
	h.url = ts.URL
	t.Cleanup(func() {
		ts.Close()
		if err := h.inbox.Close(); err != nil {
			t.Error(err)
		}
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return h
}

type delivery struct {
	shop      string
	topic     string
	eventID   string // X-Shopify-Event-Id ("" omits it)
	webhookID string
	body      []byte
	secret    []byte // nil: no signature header
	sigBody   []byte // body the signature is computed over (default body)
}

func (d delivery) request(t testing.TB, base string) *http.Request {
	t.Helper()
	shop := d.shop
	if shop == "" {
		shop = "s1"
	}
	req, err := http.NewRequest(http.MethodPost, base+"/webhooks/shopify/"+shop, bytes.NewReader(d.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", d.topic)
	req.Header.Set("X-Shopify-Shop-Domain", "s1.myshopify.com")
	req.Header.Set("X-Shopify-API-Version", "2025-04")
	req.Header.Set("X-Shopify-Triggered-At", "2026-01-02T03:04:05.123456Z")
	if d.webhookID != "" {
		req.Header.Set("X-Shopify-Webhook-Id", d.webhookID)
	}
	if d.eventID != "" {
		req.Header.Set("X-Shopify-Event-Id", d.eventID)
	}
	if d.secret != nil {
		sb := d.sigBody
		if sb == nil {
			sb = d.body
		}
		req.Header.Set("X-Shopify-Hmac-Sha256", sign(d.secret, sb))
	}
	return req
}

// send performs req and returns the status code.
func send(t testing.TB, req *http.Request) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func orderBody(n int) []byte {
	return fmt.Appendf(nil, `{"id":%d,"email":"buyer%d@example.test","updated_at":"2026-01-02T03:04:05Z","total_price":"19.90","line_items":[{"id":1,"title":"Mug","quantity":2}]}`, 4500000000+n, n)
}

// entries returns every envelope in the inbox, in key order.
func (h *harness) entries(t *testing.T) []Envelope {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if h.inbox.Depth() == 0 {
		return nil
	}
	h.inbox.Rewind()
	envs, err := h.inbox.Next(ctx, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	h.inbox.Rewind()
	return envs
}

// rawInboxKeys counts the inbox bucket's keys by prefix.
func (h *harness) rawInboxKeys(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	err := h.st.View(func(tx *store.Tx) error {
		return tx.ForEach(store.Inbox, func(k, _ []byte) error {
			out[string(k[:2])]++
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
