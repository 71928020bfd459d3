package webhook

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cohortd/cohortd/store"
)

func received(h *harness, topic, result string) float64 {
	return testutil.ToFloat64(h.rc.metrics.received.WithLabelValues("shopify", topic, result))
}

func TestValidSignedRequestStoresExactBody(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noSync: true})
	// Bytes a re-encoding JSON decoder would change: the stored body must be
	// the signed bytes, not a normalised copy.
	body := []byte("{\"id\": 4500000001,  \"note\":\"caf\u00e9 \\u00e9\",\n\"total\":\"1.10\"}")
	before := time.Now()
	d := delivery{topic: "orders/create", eventID: "ev-0001", webhookID: "wh-1", body: body, secret: secretA}
	if code := send(t, d.request(t, h.url)); code != http.StatusOK {
		t.Fatalf("status %d, want 200", code)
	}
	envs := h.entries(t)
	if len(envs) != 1 {
		t.Fatalf("%d entries, want 1", len(envs))
	}
	e := envs[0]
	if !bytes.Equal(e.Body, body) {
		t.Errorf("stored body %q, want %q", e.Body, body)
	}
	if e.Platform != "shopify" || e.Store != "s1" || e.Topic != "orders/create" || e.EventID != "ev-0001" || e.Seq != 1 {
		t.Errorf("metadata %+v", e)
	}
	if want := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC); !e.TriggeredAt.Equal(want) {
		t.Errorf("TriggeredAt %v, want %v", e.TriggeredAt, want)
	}
	if e.ReceivedAt.Before(before.Add(-time.Second)) || e.ReceivedAt.After(time.Now()) {
		t.Errorf("ReceivedAt %v not within the request", e.ReceivedAt)
	}
	if e.Headers["X-Shopify-Shop-Domain"] != "s1.myshopify.com" || e.Headers["X-Shopify-Webhook-Id"] != "wh-1" {
		t.Errorf("kept headers %v", e.Headers)
	}
	if _, ok := e.Headers["X-Shopify-Hmac-Sha256"]; ok || len(e.Headers) != 6 {
		t.Errorf("kept headers %v: want exactly the 6 selected, no signature", e.Headers)
	}
	if len(e.RequestID) != 32 {
		t.Errorf("request id %q", e.RequestID)
	}
	if got := received(h, "orders/create", ResultAccepted); got != 1 {
		t.Errorf("accepted counter %v, want 1", got)
	}
	if n := ackCount(t, h); n != 1 {
		t.Errorf("ack histogram has %d samples, want 1", n)
	}
	if strings.Contains(h.logs.String(), "caf") || strings.Contains(h.logs.String(), string(secretA)) {
		t.Errorf("log holds the body or the secret:\n%s", h.logs.String())
	}
}

func TestBadSignatureIsRejectedAndNothingStored(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noSync: true})
	body := orderBody(1)
	cases := map[string]delivery{
		"tampered body":     {body: body, sigBody: orderBody(2), secret: secretA},
		"wrong secret":      {body: body, secret: []byte("not-the-secret")},
		"missing header":    {body: body},
		"empty body signed": {body: body, sigBody: []byte{}, secret: secretA},
	}
	for name, d := range cases {
		d.topic, d.eventID = "orders/create", "ev-"+name
		if code := send(t, d.request(t, h.url)); code != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, code)
		}
	}
	// A signature header that is not even base64.
	req := delivery{topic: "orders/create", eventID: "ev-garbage", body: body}.request(t, h.url)
	req.Header.Set("X-Shopify-Hmac-Sha256", "%%%not base64")
	if code := send(t, req); code != http.StatusUnauthorized {
		t.Errorf("garbage signature: status %d, want 401", code)
	}
	if keys := h.rawInboxKeys(t); len(keys) != 0 || h.inbox.Depth() != 0 {
		t.Fatalf("inbox after unauthorized requests: keys %v depth %d", keys, h.inbox.Depth())
	}
	if got := received(h, unverifiedTopic, ResultUnauthorized); got != 5 {
		t.Errorf("unauthorized counter %v, want 5", got)
	}
	// The unverified topic header never becomes a label.
	if n := testutil.CollectAndCount(h.rc.metrics.received); n != 1 {
		t.Errorf("%d label sets, want 1 (unknown/unauthorized)", n)
	}
	if got := received(h, "orders/create", ResultAccepted); got != 0 {
		t.Errorf("accepted counter %v, want 0", got)
	}
}

func TestSecretRotationAcceptsEveryConfiguredSecret(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noSync: true})
	for i, secret := range [][]byte{secretA, secretB} {
		d := delivery{topic: "customers/update", eventID: "ev-rot-" + string(rune('a'+i)), body: orderBody(i), secret: secret}
		if code := send(t, d.request(t, h.url)); code != http.StatusOK {
			t.Errorf("secret %d: status %d, want 200", i, code)
		}
	}
	// Rotation finished: the old secret is dropped and stops working.
	if err := h.rc.Register("shopify", "s1", shopifySource{secrets: [][]byte{secretA}}); err != nil {
		t.Fatal(err)
	}
	d := delivery{topic: "customers/update", eventID: "ev-rot-c", body: orderBody(3), secret: secretB}
	if code := send(t, d.request(t, h.url)); code != http.StatusUnauthorized {
		t.Errorf("retired secret: status %d, want 401", code)
	}
	if n := len(h.entries(t)); n != 2 {
		t.Errorf("%d entries, want 2", n)
	}
}

func TestDuplicateEventIDIsStoredOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noSync: true})
	d := delivery{topic: "orders/updated", eventID: "ev-dup", body: orderBody(1), secret: secretA}
	for i := range 3 {
		if code := send(t, d.request(t, h.url)); code != http.StatusOK {
			t.Fatalf("delivery %d: status %d, want 200", i, code)
		}
	}
	// Concurrent deliveries of one new event: the dedupe check and insert
	// share a transaction, so exactly one wins.
	var wg sync.WaitGroup
	codes := make(chan int, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dd := delivery{topic: "orders/updated", eventID: "ev-race", body: orderBody(i), secret: secretA}
			codes <- send(t, dd.request(t, h.url))
		}()
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Errorf("concurrent duplicate: status %d", c)
		}
	}
	envs := h.entries(t)
	if len(envs) != 2 || envs[0].EventID != "ev-dup" || envs[1].EventID != "ev-race" {
		t.Fatalf("entries %d (%v), want ev-dup and ev-race once each", len(envs), envs)
	}
	if got := received(h, "orders/updated", ResultDuplicate); got != 2+39 {
		t.Errorf("duplicate counter %v, want 41", got)
	}
	// The same event id for another shop is a different event.
	if err := h.rc.Register("shopify", "s2", shopifySource{secrets: [][]byte{secretA}}); err != nil {
		t.Fatal(err)
	}
	d.shop = "s2"
	if code := send(t, d.request(t, h.url)); code != http.StatusOK || len(h.entries(t)) != 3 {
		t.Errorf("same id, other shop: status %d, %d entries; want 200 and 3", code, len(h.entries(t)))
	}
}

func TestDuplicateAfterConsumptionAndAfterPrune(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	h := newHarness(t, harnessOptions{noSync: true, inboxOptions: InboxOptions{Retention: 48 * time.Hour, Now: clock}})
	h.rc.opts.Now = clock
	d := delivery{topic: "orders/create", eventID: "ev-p", body: orderBody(1), secret: secretA}
	if send(t, d.request(t, h.url)) != http.StatusOK {
		t.Fatal("first delivery not accepted")
	}
	ctx := context.Background()
	// Pending entries are never pruned, however old.
	mu.Lock()
	now = now.Add(72 * time.Hour)
	mu.Unlock()
	if n, err := h.inbox.Prune(ctx); err != nil || n != 0 {
		t.Fatalf("Prune with a pending entry = %d, %v; want 0", n, err)
	}
	envs := h.entries(t)
	if err := h.inbox.Done(ctx, envs...); err != nil {
		t.Fatal(err)
	}
	if h.inbox.Depth() != 0 {
		t.Fatalf("depth %d after Done", h.inbox.Depth())
	}
	// A retry after consumption is still a duplicate.
	if send(t, d.request(t, h.url)) != http.StatusOK || h.inbox.Depth() != 0 {
		t.Fatalf("retry after consumption stored again (depth %d)", h.inbox.Depth())
	}
	// Received 72h ago, retention 48h: pruned; the dedupe index is empty.
	n, err := h.inbox.Prune(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1", n, err)
	}
	if keys := h.rawInboxKeys(t); len(keys) != 0 {
		t.Fatalf("inbox keys after prune: %v", keys)
	}
	if send(t, d.request(t, h.url)) != http.StatusOK || h.inbox.Depth() != 1 {
		t.Fatalf("delivery after prune: depth %d, want 1 (stored again)", h.inbox.Depth())
	}
}

func TestPruneKeepsRecentIDsAndWorksInChunks(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	h := newHarness(t, harnessOptions{noSync: true, inboxOptions: InboxOptions{Now: clock}})
	ctx := context.Background()
	old := pruneChunk + 5
	for i := range old + 3 {
		if i == old {
			mu.Lock()
			now = now.Add(6 * 24 * time.Hour) // the last 3 are recent at prune time
			mu.Unlock()
		}
		if _, _, err := h.inbox.Append(ctx, Envelope{Platform: "shopify", Store: "s1", EventID: "e" + itoa(i), Body: []byte("{}")}); err != nil {
			t.Fatal(err)
		}
	}
	envs := h.entries(t)
	if len(envs) != old+3 {
		t.Fatalf("%d entries", len(envs))
	}
	if err := h.inbox.Done(ctx, envs...); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(2 * 24 * time.Hour) // old ones: 8 days, recent: 2 days
	mu.Unlock()
	n, err := h.inbox.Prune(ctx)
	if err != nil || n != old {
		t.Fatalf("Prune = %d, %v; want %d", n, err, old)
	}
	keys := h.rawInboxKeys(t)
	if keys["d/"] != 3 || keys["t/"] != 3 || keys["e/"] != 0 {
		t.Fatalf("keys after prune %v, want 3 recent dedupe ids", keys)
	}
	seq, dup, err := h.inbox.Append(ctx, Envelope{Platform: "shopify", Store: "s1", EventID: "e" + itoa(old+1), Body: []byte("{}")})
	if err != nil || !dup || seq != 0 {
		t.Errorf("recent id after prune: seq %d dup %v err %v; want a duplicate", seq, dup, err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// ackCount is the sample count of cohortd_webhook_ack_seconds.
func ackCount(t *testing.T, h *harness) uint64 {
	t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "cohortd_webhook_ack_seconds" {
			return mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	t.Fatal("cohortd_webhook_ack_seconds not registered")
	return 0
}

func TestFallsBackToWebhookID(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noSync: true})
	d := delivery{topic: "customers/create", webhookID: "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", body: orderBody(1), secret: secretA}
	for range 2 {
		if code := send(t, d.request(t, h.url)); code != http.StatusOK {
			t.Fatalf("status %d, want 200", code)
		}
	}
	envs := h.entries(t)
	if len(envs) != 1 || envs[0].EventID != d.webhookID {
		t.Fatalf("entries %+v, want one with event id = webhook id", envs)
	}
	// Signed but with neither header: 400 and nothing stored.
	d2 := delivery{topic: "customers/create", body: orderBody(2), secret: secretA}
	if code := send(t, d2.request(t, h.url)); code != http.StatusBadRequest {
		t.Errorf("no event id: status %d, want 400", code)
	}
	if got := received(h, "customers/create", ResultBadRequest); got != 1 || h.inbox.Depth() != 1 {
		t.Errorf("bad_request counter %v, depth %d; want 1, 1", got, h.inbox.Depth())
	}
}

func TestOversizeBodyIs413AndNotStored(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noSync: true, maxBody: 1000})
	big := bytes.Repeat([]byte("x"), 1001)
	d := delivery{topic: "orders/create", eventID: "ev-big", body: big, secret: secretA}
	if code := send(t, d.request(t, h.url)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("declared length: status %d, want 413", code)
	}
	// Chunked: no Content-Length, caught while reading.
	req := d.request(t, h.url)
	req.ContentLength = -1
	req.Body = readerOnly{bytes.NewReader(big)}
	if code := send(t, req); code != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked: status %d, want 413", code)
	}
	// Exactly the limit is fine.
	d.body = big[:1000]
	if code := send(t, d.request(t, h.url)); code != http.StatusOK {
		t.Errorf("body at the limit: status %d, want 200", code)
	}
	if n := len(h.entries(t)); n != 1 {
		t.Errorf("%d entries, want 1", n)
	}
	if got := received(h, unverifiedTopic, ResultTooLarge); got != 2 {
		t.Errorf("too_large counter %v, want 2", got)
	}
}

// readerOnly hides the length so the client sends chunked.
type readerOnly struct{ r *bytes.Reader }

func (r readerOnly) Read(p []byte) (int, error) { return r.r.Read(p) }
func (r readerOnly) Close() error               { return nil }

func TestServerBodyLimitAlsoApplies(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noSync: true, serverLimit: 500})
	d := delivery{topic: "orders/create", eventID: "ev-s", body: bytes.Repeat([]byte("y"), 600), secret: secretA}
	req := d.request(t, h.url)
	req.ContentLength = -1
	req.Body = readerOnly{bytes.NewReader(d.body)}
	if code := send(t, req); code != http.StatusRequestEntityTooLarge || h.inbox.Depth() != 0 {
		t.Errorf("status %d depth %d, want 413 and nothing stored", code, h.inbox.Depth())
	}
}

func TestWooCommercePingIsAcknowledgedAndNotStored(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noSync: true})
	// The real creation ping from ../shared/samples/woocommerce.
	req, _ := http.NewRequest(http.MethodPost, h.url+"/webhooks/woocommerce/w1", strings.NewReader("webhook_id=1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "WooCommerce/10.0.2 Hookshot (WordPress/6.8.8)")
	if code := send(t, req); code != http.StatusOK {
		t.Fatalf("ping: status %d, want 200", code)
	}
	// Not a ping (JSON body) and unsigned: 401.
	req, _ = http.NewRequest(http.MethodPost, h.url+"/webhooks/woocommerce/w1", strings.NewReader(`{"webhook_id":1}`))
	req.Header.Set("Content-Type", "application/json")
	if code := send(t, req); code != http.StatusUnauthorized {
		t.Errorf("unsigned non-ping: status %d, want 401", code)
	}
	// A real signed delivery (test vector: secret "testsecret").
	body := []byte(`{"id":2}`)
	req, _ = http.NewRequest(http.MethodPost, h.url+"/webhooks/woocommerce/w1", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-WC-Webhook-Topic", "customer.updated")
	req.Header.Set("X-WC-Webhook-Delivery-ID", "0642171257502b244216a4304a05b4ed")
	req.Header.Set("X-WC-Webhook-Signature", sign([]byte("testsecret"), body))
	if code := send(t, req); code != http.StatusOK {
		t.Errorf("signed delivery: status %d, want 200", code)
	}
	if keys := h.rawInboxKeys(t); keys["e/"] != 1 {
		t.Errorf("inbox keys %v, want only the signed delivery", keys)
	}
	if got := testutil.ToFloat64(h.rc.metrics.received.WithLabelValues("woocommerce", unverifiedTopic, ResultPing)); got != 1 {
		t.Errorf("ping counter %v, want 1", got)
	}
}

func TestRoutingUnknownSourceAndMethod(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noSync: true})
	d := delivery{topic: "orders/create", eventID: "ev-r", body: orderBody(1), secret: secretA, shop: "unknown-shop"}
	if code := send(t, d.request(t, h.url)); code != http.StatusNotFound {
		t.Errorf("unknown store: status %d, want 404", code)
	}
	req, _ := http.NewRequest(http.MethodPost, h.url+"/webhooks/bigcommerce/s1", bytes.NewReader(d.body))
	if code := send(t, req); code != http.StatusNotFound {
		t.Errorf("unknown platform: status %d, want 404", code)
	}
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		req, _ := http.NewRequest(m, h.url+"/webhooks/shopify/s1", nil)
		if code := send(t, req); code != http.StatusMethodNotAllowed {
			t.Errorf("%s: status %d, want 405", m, code)
		}
	}
	h.rc.Unregister("shopify", "s1")
	d.shop = "s1"
	if code := send(t, d.request(t, h.url)); code != http.StatusNotFound {
		t.Errorf("after Unregister: status %d, want 404", code)
	}
	if h.inbox.Depth() != 0 {
		t.Errorf("depth %d, want 0", h.inbox.Depth())
	}
}

func TestStoreFailureAnswers503(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noSync: true})
	if err := h.inbox.Close(); err != nil {
		t.Fatal(err)
	}
	d := delivery{topic: "orders/create", eventID: "ev-closed", body: orderBody(1), secret: secretA}
	if code := send(t, d.request(t, h.url)); code != http.StatusServiceUnavailable {
		t.Errorf("closed inbox: status %d, want 503", code)
	}
	if got := received(h, "orders/create", ResultError); got != 1 {
		t.Errorf("error counter %v, want 1", got)
	}
	var n int
	_ = h.st.View(func(tx *store.Tx) error { n = tx.Count(store.Inbox); return nil })
	if n != 0 {
		t.Errorf("%d inbox keys, want 0", n)
	}
}
