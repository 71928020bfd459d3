package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/connectors/shopify/shopifyfake"
	"github.com/cohortd/cohortd/internal/gen"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
)

// TestWebhookCrashThroughBinary proves invariant 1 (nothing acknowledged is lost) and 2
// (one record per event, newer wins) end to end: signed order webhooks go to a real
// `cohortd run` over HTTP, the daemon is SIGKILLed in the middle of the load, restarted on
// the same data file, and after its inbox drained the data file must hold every order that
// got a 200, with the values of its newest acknowledged version, and nothing else.
//
// The requests, per order id (all ids unique to the test):
//   - v1: orders/create, a fresh event id;
//   - for every 4th order, once v1 got its 200, v2: orders/updated, a fresh event id,
//     updated_at an hour later and a different total (newer wins);
//   - for every 10th order, once v1 got its 200, a replay of v1 (same event id and body, as
//     Shopify retries);
//   - for every 10th order, once v1 got its 200, a decoy: v1's event id with the body of an
//     order id never sent otherwise. Its event is known, so it must never be stored.
func TestWebhookCrashThroughBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the daemon twice and sends thousands of webhooks")
	}
	const (
		storeID = "crash"
		shop    = "crash-shop.myshopify.com"
		token   = "shpat_crash_token"
		secret  = "crash-webhook-secret"
		orders  = 3000
		workers = 32
		killAt  = orders / 2 // SIGKILL once this many v1 requests got their 200
	)
	dir := t.TempDir()
	fake := startFakeShop(t, dir, shop, token)
	cfgPath := filepath.Join(dir, "cohortd.yaml")
	cfg := fmt.Sprintf(`data_dir: %q
http:
  listen: 127.0.0.1:0
stores:
  - id: %s
    kind: shopify
    shop: %s
    endpoint: %q
    access_token: %s
    webhook_secrets: [%s]
    backfill: pages
schedule:
  store_stats: "@every 1s"
  poll: "@every 1h"
  reconcile: "@every 24h"
  segments: "@every 1h"
`, filepath.Join(dir, "data"), storeID, shop, fake.URL(), token, secret)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	d := startDaemon(t, cfgPath)
	waitLog(t, d, "shopify: backfill complete", 20*time.Second)
	url := "http://" + d.addr + "/webhooks/shopify/" + storeID

	// The load: workers take order indexes; a worker sends v1 and, once it got its 200, the
	// order's follow-ups. Everything that got a 200 is recorded.
	base := int64(9_100_000_000_000)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	acks := newAckLog(orders)
	var ackedV1 atomic.Int64
	killed := make(chan struct{})
	var killOnce sync.Once
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				id := base + int64(i)
				v1 := crashOrder(id, 1)
				ev1 := fmt.Sprintf("crash-%d-v1", i)
				if !postOrder(client, url, secret, "orders/create", ev1, v1) {
					continue
				}
				acks.set(i, ackV1)
				if ackedV1.Add(1) == killAt {
					killOnce.Do(func() {
						_ = d.cmd.Process.Kill() // SIGKILL: no shutdown, no final commit
						close(killed)
					})
				}
				if i%4 == 0 && postOrder(client, url, secret, "orders/updated", fmt.Sprintf("crash-%d-v2", i), crashOrder(id, 2)) {
					acks.set(i, ackV2)
				}
				if i%10 == 0 && postOrder(client, url, secret, "orders/create", ev1, v1) {
					acks.set(i, ackReplay)
				}
				if i%10 == 0 && postOrder(client, url, secret, "orders/create", ev1, crashOrder(decoyID(base, i), 1)) {
					acks.set(i, ackDecoy)
				}
			}
		}()
	}
	for i := range orders {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case <-killed:
	default:
		t.Fatalf("only %d of %d orders acknowledged: the daemon was never killed\n%s", ackedV1.Load(), orders, d.stderr.String())
	}
	<-d.done
	nAcked := acks.count(ackV1)
	t.Logf("acknowledged before and after the kill: v1 %d, v2 %d, replays %d, decoys %d (of %d orders)",
		nAcked, acks.count(ackV2), acks.count(ackReplay), acks.count(ackDecoy), orders)
	if nAcked < killAt || nAcked == orders {
		t.Fatalf("%d v1 acknowledged; want at least %d and not all %d (the kill must land mid-load)", nAcked, killAt, orders)
	}

	// Right after the kill, before any restart: every acknowledged event is in the file,
	// consumed or still waiting in the inbox.
	dataFile := filepath.Join(dir, "data", "cohortd.db")
	pending, events := inboxAfterCrash(t, dataFile, storeID)
	for i := range orders {
		if acks.get(i)&ackV1 != 0 && !events[fmt.Sprintf("crash-%d-v1", i)] {
			t.Errorf("order %d: acknowledged, but its event id is not in the data file after the kill", i)
		}
	}
	t.Logf("after the kill: %d deliveries waiting in the inbox, %d event ids known", pending, len(events))

	// Restart on the same data file; the consumer drains what the crash left in the inbox.
	d2 := startDaemon(t, cfgPath)
	waitInboxDrained(t, "http://"+d2.addr, 20*time.Second)
	if code, _ := d2.stop(t); code != 0 {
		t.Fatalf("restarted daemon exit %d\n%s", code, d2.stderr.String())
	}

	checkCrashStore(t, dataFile, storeID, base, orders, acks)
}

// inboxAfterCrash opens the killed daemon's data file read-only and returns how many
// deliveries wait in its inbox and the event ids of its dedupe index.
func inboxAfterCrash(t *testing.T, path, storeID string) (pending int, events map[string]bool) {
	t.Helper()
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.View(func(tx *store.Tx) error {
		var err error
		pending, events, err = readInbox(tx, storeID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return pending, events
}

// readInbox counts the inbox's entries and collects the event ids of its dedupe index (see
// sync/webhook's doc for the layout).
func readInbox(tx *store.Tx, storeID string) (entries int, events map[string]bool, err error) {
	events = map[string]bool{}
	if err := tx.ForEachPrefix(store.Inbox, []byte("e/"), func(_, _ []byte) error { entries++; return nil }); err != nil {
		return 0, nil, err
	}
	prefix := []byte("d/shopify\x00" + storeID + "\x00")
	err = tx.ForEachPrefix(store.Inbox, prefix, func(k, _ []byte) error {
		events[string(k[len(prefix):])] = true
		return nil
	})
	return entries, events, err
}

// decoyID is the order id a decoy's body carries: outside the range of the real orders.
func decoyID(base int64, i int) int64 { return base + 1_000_000 + int64(i) }

// checkCrashStore opens the stopped daemon's data file and checks it against the acks.
func checkCrashStore(t *testing.T, path, storeID string, base int64, orders int, acks *ackLog) {
	t.Helper()
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	prefix := "order/" + storeID + "/"
	stored := map[int64]profiles.OrderRecord{}
	var inboxEntries, deadWebhooks int
	var events map[string]bool
	err = st.View(func(tx *store.Tx) error {
		if err := tx.ForEachPrefix(store.SourceRecords, []byte(prefix), func(k, _ []byte) error {
			id, err := strconv.ParseInt(strings.TrimPrefix(string(k), prefix), 10, 64)
			if err != nil || id < base {
				return nil // the fake store's own orders, from the backfill
			}
			var o profiles.OrderRecord
			if err := tx.GetValue(store.SourceRecords, k, &o); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			if _, dup := stored[id]; dup {
				return fmt.Errorf("order %d stored twice", id)
			}
			stored[id] = o
			return nil
		}); err != nil {
			return err
		}
		var err error
		if inboxEntries, events, err = readInbox(tx, storeID); err != nil {
			return err
		}
		return tx.ForEachPrefix(store.DeadLetters, []byte("webhook/"), func(_, _ []byte) error { deadWebhooks++; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	if inboxEntries != 0 {
		t.Errorf("inbox holds %d unconsumed entries after the drain", inboxEntries)
	}
	if deadWebhooks != 0 {
		t.Errorf("%d deliveries were dead-lettered", deadWebhooks)
	}

	var lost, wrong, extra, v2Stored int
	for i := range orders {
		id := base + int64(i)
		o, ok := stored[id]
		a := acks.get(i)
		if _, decoy := stored[decoyID(base, i)]; decoy {
			t.Errorf("order %d: the decoy (an acknowledged event id with another body) was stored", i)
		}
		if a&ackV1 != 0 && !events[fmt.Sprintf("crash-%d-v1", i)] {
			t.Errorf("order %d: acknowledged event id crash-%d-v1 missing from the dedupe index", i, i)
		}
		switch {
		case !ok && a&ackV1 != 0:
			lost++
			if lost <= 5 {
				t.Errorf("order %d acknowledged but not stored", i)
			}
			continue
		case !ok:
			continue // never acknowledged, never committed
		}
		// Committed but not acknowledged (in flight at the kill) is allowed; values must be
		// those of a version that was sent, and of v2 when v2 was acknowledged.
		want := []profiles.OrderRecord{crashRecord(storeID, id, 1)}
		if i%4 == 0 {
			want = append(want, crashRecord(storeID, id, 2))
		}
		if a&ackV2 != 0 {
			want = want[1:]
		}
		match := false
		for _, w := range want {
			if sameOrder(o, w) {
				match = true
				if w.Total.Equal(crashRecord(storeID, id, 2).Total) {
					v2Stored++
				}
			}
		}
		if !match {
			wrong++
			if wrong <= 5 {
				var ws []string
				for _, w := range want {
					ws = append(ws, "total "+w.Total.String()+" updated "+w.UpdatedAt.Format(time.RFC3339))
				}
				t.Errorf("order %d (acks %04b): stored total %s updated %s email %q; want %s", i, a, o.Total, o.UpdatedAt.Format(time.RFC3339), o.Email, strings.Join(ws, " or "))
			}
		}
	}
	for id := range stored {
		if id >= base+int64(orders) {
			extra++
		}
	}
	if lost+wrong+extra > 0 {
		t.Errorf("%d acknowledged orders lost, %d with wrong values, %d records that were never sent", lost, wrong, extra)
	}
	if want := acks.count(ackV1); len(stored) < want {
		t.Errorf("%d orders stored, fewer than the %d acknowledged", len(stored), want)
	}
	if acks.count(ackV2) > 0 && v2Stored < acks.count(ackV2) {
		t.Errorf("%d orders hold v2, fewer than the %d acknowledged v2", v2Stored, acks.count(ackV2))
	}
	t.Logf("stored %d orders (%d acknowledged, %d committed in flight), %d with v2; dedupe index %d event ids",
		len(stored), acks.count(ackV1), len(stored)-acks.count(ackV1), v2Stored, len(events))
}

func sameOrder(a, b profiles.OrderRecord) bool {
	return a.Store == b.Store && a.ID == b.ID && a.Email == b.Email && a.Currency == b.Currency &&
		a.Total.Equal(b.Total) && a.UpdatedAt.Equal(b.UpdatedAt) && a.CreatedAt.Equal(b.CreatedAt)
}

// Bits of an order's ack state.
const (
	ackV1 = 1 << iota
	ackV2
	ackReplay
	ackDecoy
)

// ackLog records, per order index, which of its requests got a 200. Safe for concurrent use.
type ackLog struct {
	mu   sync.Mutex
	bits []uint8
}

func newAckLog(n int) *ackLog { return &ackLog{bits: make([]uint8, n)} }

func (l *ackLog) set(i int, bit uint8) {
	l.mu.Lock()
	l.bits[i] |= bit
	l.mu.Unlock()
}

func (l *ackLog) get(i int) uint8 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bits[i]
}

func (l *ackLog) count(bit uint8) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, b := range l.bits {
		if b&bit != 0 {
			n++
		}
	}
	return n
}

var crashCreated = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// crashRecord is what version v of order id must be stored as.
func crashRecord(storeID string, id int64, v int) profiles.OrderRecord {
	return profiles.OrderRecord{
		Store:     storeID,
		ID:        strconv.FormatInt(id, 10),
		Email:     fmt.Sprintf("buyer%d@example.test", id%100000),
		Currency:  "EUR",
		Total:     decimal.New(id%1000*100+int64(v)*1001, -2), // cents: v2 differs from v1
		CreatedAt: crashCreated,
		UpdatedAt: crashCreated.Add(time.Duration(v) * time.Hour),
	}
}

// crashOrder is the REST webhook body of version v of order id (a guest order).
func crashOrder(id int64, v int) []byte {
	r := crashRecord("", id, v)
	body, err := json.Marshal(map[string]any{
		"id": id, "admin_graphql_api_id": fmt.Sprintf("gid://shopify/Order/%d", id),
		"email": r.Email, "created_at": r.CreatedAt.Format(time.RFC3339), "updated_at": r.UpdatedAt.Format(time.RFC3339),
		"processed_at": r.CreatedAt.Format(time.RFC3339), "cancelled_at": nil, "currency": "EUR",
		"total_price": r.Total.StringFixed(2), "financial_status": "paid",
		"line_items": []any{map[string]any{"id": id + 1, "product_id": 8000000000001, "title": "Ceramic Mug",
			"sku": "MUG-1", "quantity": 1, "price": r.Total.StringFixed(2)}},
	})
	if err != nil {
		panic(err) // static shape
	}
	return body
}

// postOrder sends one signed delivery and reports whether it got a 200.
func postOrder(c *http.Client, url, secret, topic, eventID string, body []byte) bool {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", topic)
	req.Header.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	req.Header.Set("X-Shopify-Shop-Domain", "crash-shop.myshopify.com")
	req.Header.Set("X-Shopify-Event-Id", eventID)
	req.Header.Set("X-Shopify-Webhook-Id", eventID+"-w")
	req.Header.Set("X-Shopify-Triggered-At", time.Now().UTC().Format(time.RFC3339Nano))
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// startFakeShop starts an in-process fake Shopify with a small generated store.
func startFakeShop(t *testing.T, dir, shop, token string) *shopifyfake.Fake {
	t.Helper()
	genDir := filepath.Join(dir, "generated")
	g := gen.DefaultConfig()
	g.Seed, g.Customers, g.Orders, g.OutDir = 1, 50, 100, genDir
	g.Formats = gen.Formats{Shopify: true}
	if _, err := gen.Generate(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	fake, err := shopifyfake.New(shopifyfake.Options{Shop: shop, AccessToken: token, Dir: filepath.Join(dir, "fake")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	if err := fake.LoadGenerated(genDir); err != nil {
		t.Fatal(err)
	}
	return fake
}

// waitLog waits until the daemon logged a line with msg as its message.
func waitLog(t *testing.T, d *daemonProc, msg string, timeout time.Duration) {
	t.Helper()
	want := `"message":"` + msg + `"`
	deadline := time.Now().Add(timeout)
	for !strings.Contains(d.stderr.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the daemon's log after %s\n%s", msg, timeout, d.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitInboxDrained waits until /metrics shows cohortd_inbox_depth 0.
func waitInboxDrained(t *testing.T, base string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := "?"
	for time.Now().Before(deadline) {
		_, body := httpGet(t, base+"/metrics")
		for line := range strings.Lines(body) {
			if v, ok := strings.CutPrefix(line, "cohortd_inbox_depth "); ok {
				last = strings.TrimSpace(v)
			}
		}
		if last == "0" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("inbox depth still %s after %s", last, timeout)
}
