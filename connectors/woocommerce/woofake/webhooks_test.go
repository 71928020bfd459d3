package woofake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type sampleDelivery struct {
	Headers map[string]string `json:"headers"`
	RawBody string            `json:"raw_body"`
}

func sampleDeliveries(t *testing.T) map[string]sampleDelivery {
	t.Helper()
	var m map[string]sampleDelivery
	if err := json.Unmarshal(readTestdata(t, "webhook-deliveries.json"), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Every real delivery verifies with the real secret; a tampered body does not.
func TestSignMatchesRealDeliveries(t *testing.T) {
	n := 0
	for topic, d := range sampleDeliveries(t) {
		sig := d.Headers["X-WC-Webhook-Signature"]
		if sig == "" {
			continue
		}
		n++
		if got := Sign("testsecret", []byte(d.RawBody)); got != sig {
			t.Errorf("%s: signature %s, want %s", topic, got, sig)
		}
		if Sign("testsecret", []byte(d.RawBody+" ")) == sig {
			t.Errorf("%s: tampered body verifies", topic)
		}
	}
	if n != 5 {
		t.Fatalf("checked %d signed deliveries, want 5", n)
	}
}

// The fake re-encodes a record the way PHP's json_encode did for the real deliveries.
func TestPHPJSONMatchesRealBody(t *testing.T) {
	d := sampleDeliveries(t)["order.created"]
	goStyle := strings.NewReplacer(`\/`, `/`, `\u20ac`, `€`).Replace(d.RawBody)
	if goStyle == d.RawBody {
		t.Fatal("sample has no PHP escapes to undo")
	}
	got := phpJSON([]byte(goStyle))
	if string(got) != d.RawBody {
		t.Fatalf("phpJSON differs from the real body\n got %s\nwant %s", got, d.RawBody)
	}
	if Sign("testsecret", got) != d.Headers["X-WC-Webhook-Signature"] {
		t.Fatal("signature of re-encoded body differs")
	}
	if got := string(phpJSON([]byte(`{"a":"😀 <b>&","b":"\u00e9\n"}`))); got != `{"a":"\ud83d\ude00 <b>&","b":"\u00e9\n"}` {
		t.Fatalf("escapes: %s", got)
	}
}

func createHook(t *testing.T, s *testStore, topic, target string) Webhook {
	t.Helper()
	r := s.do(http.MethodPost, "/webhooks", map[string]any{"name": "t-" + topic, "topic": topic, "delivery_url": target, "secret": "testsecret", "status": "active"})
	if r.status != http.StatusCreated {
		t.Fatalf("create webhook: %d %s", r.status, r.body)
	}
	var w struct {
		ID     uint64 `json:"id"`
		Status string `json:"status"`
		Topic  string `json:"topic"`
	}
	if err := json.Unmarshal(r.body, &w); err != nil {
		t.Fatal(err)
	}
	for _, x := range s.Webhooks() {
		if x.ID == w.ID {
			return x
		}
	}
	t.Fatalf("webhook %d not stored", w.ID)
	return Webhook{}
}

func TestWebhookPingAndRealHeaderSet(t *testing.T) {
	rv := newReceiver(t, nil)
	s := startFake(t, Options{})
	h := createHook(t, s, "customer.created", rv.srv.URL+"/hook")
	got := rv.waitFor(t, 1)
	ping := got[0]
	if string(ping.body) != fmt.Sprintf("webhook_id=%d", h.ID) || ping.header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Fatalf("ping %q %v", ping.body, ping.header)
	}
	for k := range ping.header {
		if strings.HasPrefix(k, "X-Wc-") {
			t.Fatalf("ping carries %s", k)
		}
	}
	if h.Status != StatusActive || h.PendingDelivery {
		t.Fatalf("webhook after answered ping: %+v", h)
	}

	id, err := s.AddCustomer(NewCustomer{Email: "zoë/1@example.test", FirstName: "Zoë"})
	if err != nil {
		t.Fatal(err)
	}
	d := rv.waitFor(t, 2)[1]
	real := sampleDeliveries(t)["customer.created"].Headers
	for k := range real {
		if k == "Host" || k == "Content-Length" || k == "Connection" {
			continue
		}
		if d.header.Get(k) == "" {
			t.Errorf("delivery lacks header %s", k)
		}
	}
	want := map[string]string{
		"User-Agent": "WooCommerce/10.0.2 Hookshot (WordPress/6.8.8)", "Content-Type": "application/json",
		"X-WC-Webhook-Source": s.URL() + "/", "X-WC-Webhook-Topic": "customer.created", "X-WC-Webhook-Resource": "customer",
		"X-WC-Webhook-Event": "created", "X-WC-Webhook-ID": fmt.Sprint(h.ID),
	}
	for k, v := range want {
		if d.header.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, d.header.Get(k), v)
		}
	}
	if len(d.header.Get("X-WC-Webhook-Delivery-ID")) != 32 {
		t.Errorf("delivery id %q", d.header.Get("X-WC-Webhook-Delivery-ID"))
	}
	if Sign("testsecret", d.body) != d.header.Get("X-WC-Webhook-Signature") {
		t.Fatal("delivery signature does not verify")
	}
	if !strings.Contains(string(d.body), `"email":"zo\u00eb\/1@example.test"`) || !strings.Contains(string(d.body), fmt.Sprintf(`{"id":%d,`, id)) {
		t.Fatalf("body not PHP-encoded: %s", d.body)
	}
	waitUntil(t, func() bool { return s.Stats().DeliveriesOK == 1 })
	if st := s.Stats(); st.Pings != 1 || st.DeliveriesFailed != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCustomerCreatedAndUpdatedPairAndDeletedID(t *testing.T) {
	rv := newReceiver(t, nil)
	s := startFake(t, Options{})
	for _, topic := range []string{"customer.created", "customer.updated", "customer.deleted"} {
		createHook(t, s, topic, rv.srv.URL)
	}
	rv.waitFor(t, 3) // pings
	id, err := s.AddCustomer(NewCustomer{Email: "pair@example.test"})
	if err != nil {
		t.Fatal(err)
	}
	got := rv.waitFor(t, 5)[3:]
	topics := map[string][]byte{}
	for _, d := range got {
		topics[d.header.Get("X-WC-Webhook-Topic")] = d.body
	}
	if len(topics) != 2 || topics["customer.created"] == nil || string(topics["customer.created"]) != string(topics["customer.updated"]) {
		t.Fatalf("created/updated pair: %v", topics)
	}
	if err := s.DeleteCustomer(id); err != nil {
		t.Fatal(err)
	}
	del := rv.waitFor(t, 6)[5]
	if del.header.Get("X-WC-Webhook-Topic") != "customer.deleted" || string(del.body) != fmt.Sprintf(`{"id":%d}`, id) {
		t.Fatalf("deleted: %s %s", del.header.Get("X-WC-Webhook-Topic"), del.body)
	}
}

func TestPingNot200LeavesWebhookDisabled(t *testing.T) {
	rv := newReceiver(t, func(r recorded) int { return http.StatusNoContent })
	s := startFake(t, Options{})
	h := createHook(t, s, "order.updated", rv.srv.URL)
	if h.Status != StatusDisabled || !h.PendingDelivery || s.Stats().PingsFailed != 1 {
		t.Fatalf("after a 204 ping: %+v", h)
	}
	s2 := startFake(t, Options{Webhooks: WebhookKnobs{PingKeepsActive: true}})
	if h := createHook(t, s2, "order.updated", rv.srv.URL); h.Status != StatusActive {
		t.Fatalf("PingKeepsActive: %+v", h)
	}
}

func TestWebhookDisabledAfterMoreThanFiveFailures(t *testing.T) {
	var failing atomic.Bool
	failing.Store(true)
	rv := newReceiver(t, func(r recorded) int {
		if isPing(r) || !failing.Load() {
			return http.StatusOK
		}
		return http.StatusSeeOther // 303 already counts as a failure
	})
	s := startFake(t, Options{})
	h := createHook(t, s, "customer.updated", rv.srv.URL)
	id, _ := s.AddCustomer(NewCustomer{Email: "f@example.test"})
	rv.waitFor(t, 2)
	hookOf := func() Webhook {
		for _, x := range s.Webhooks() {
			if x.ID == h.ID {
				return x
			}
		}
		t.Fatal("webhook gone")
		return Webhook{}
	}
	first := "x"
	for i := 2; i <= 7; i++ {
		waitUntil(t, func() bool { return hookOf().FailureCount == i-1 })
		if x := hookOf(); x.Status != StatusActive {
			t.Fatalf("disabled after %d failures", i-1)
		}
		if err := s.UpdateCustomer(id, CustomerUpdate{FirstName: &first}); err != nil {
			t.Fatal(err)
		}
		rv.waitFor(t, i+1)
	}
	waitUntil(t, func() bool { return hookOf().Status == StatusDisabled })
	if x := hookOf(); x.FailureCount != 6 || s.Stats().WebhooksDisabled != 1 {
		t.Fatalf("after 7 failures: %+v, stats %+v", x, s.Stats())
	}
	r := s.do("GET", "/webhooks?per_page=100", nil)
	if !strings.Contains(string(r.body), `"status":"disabled"`) {
		t.Fatalf("list: %s", r.body)
	}
	// No delivery while disabled.
	_ = s.UpdateCustomer(id, CustomerUpdate{FirstName: &first})
	time.Sleep(50 * time.Millisecond)
	if n := len(rv.all()); n != 8 {
		t.Fatalf("%d requests while disabled, want 8", n)
	}
	// Re-enabling keeps the failure count: one more failure disables it again.
	if r := s.do(http.MethodPut, fmt.Sprintf("/webhooks/%d", h.ID), map[string]any{"status": "active"}); r.status != 200 || !strings.Contains(string(r.body), `"status":"active"`) {
		t.Fatalf("re-enable: %d %s", r.status, r.body)
	}
	_ = s.UpdateCustomer(id, CustomerUpdate{FirstName: &first})
	rv.waitFor(t, 9)
	waitUntil(t, func() bool { return hookOf().Status == StatusDisabled })
	// A success resets the count.
	failing.Store(false)
	_ = s.SetWebhookStatus(h.ID, StatusActive)
	_ = s.UpdateCustomer(id, CustomerUpdate{FirstName: &first})
	rv.waitFor(t, 10)
	waitUntil(t, func() bool { return hookOf().FailureCount == 0 })
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestDeliveryIDsAndDuplicates(t *testing.T) {
	clock := &fixedClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	rv := newReceiver(t, nil)
	s := startFake(t, Options{Now: clock.Now})
	createHook(t, s, "customer.created", rv.srv.URL)
	a, _ := s.AddCustomer(NewCustomer{Email: "a@example.test"})
	b, _ := s.AddCustomer(NewCustomer{Email: "b@example.test"})
	got := rv.waitFor(t, 3)[1:]
	if got[0].header.Get("X-WC-Webhook-Delivery-ID") != got[1].header.Get("X-WC-Webhook-Delivery-ID") {
		t.Fatal("deliveries of one webhook in the same second should share wp_hash(id . time())")
	}
	if string(got[0].body) == string(got[1].body) || a == b {
		t.Fatal("different customers, same body")
	}
	clock.Set(clock.Now().Add(time.Second))
	_, _ = s.AddCustomer(NewCustomer{Email: "c@example.test"})
	if d := rv.waitFor(t, 4)[3]; d.header.Get("X-WC-Webhook-Delivery-ID") == got[0].header.Get("X-WC-Webhook-Delivery-ID") {
		t.Fatal("a later second should give another delivery id")
	}

	rv2 := newReceiver(t, nil)
	s2 := startFake(t, Options{Now: clock.Now, Webhooks: WebhookKnobs{DuplicateProb: 1, UniqueDeliveryIDs: false}})
	createHook(t, s2, "customer.created", rv2.srv.URL)
	_, _ = s2.AddCustomer(NewCustomer{Email: "d@example.test"})
	dup := rv2.waitFor(t, 3)[1:]
	if string(dup[0].body) != string(dup[1].body) || dup[0].header.Get("X-WC-Webhook-Delivery-ID") != dup[1].header.Get("X-WC-Webhook-Delivery-ID") || s2.Stats().DeliveryDuplicates != 1 {
		t.Fatalf("duplicate delivery: %v / %v", dup[0].header, dup[1].header)
	}

	rv3 := newReceiver(t, nil)
	s3 := startFake(t, Options{Now: clock.Now, Webhooks: WebhookKnobs{UniqueDeliveryIDs: true}})
	createHook(t, s3, "customer.created", rv3.srv.URL)
	_, _ = s3.AddCustomer(NewCustomer{Email: "e@example.test"})
	_, _ = s3.AddCustomer(NewCustomer{Email: "f@example.test"})
	u := rv3.waitFor(t, 3)[1:]
	if u[0].header.Get("X-WC-Webhook-Delivery-ID") == u[1].header.Get("X-WC-Webhook-Delivery-ID") {
		t.Fatal("UniqueDeliveryIDs gave the same id twice")
	}
}

func TestWebhookListShape(t *testing.T) {
	rv := newReceiver(t, nil)
	s := startFake(t, Options{})
	createHook(t, s, "order.updated", rv.srv.URL+"/hook")
	r := s.do("GET", "/webhooks?per_page=100", nil)
	var got []map[string]any
	if err := json.Unmarshal(r.body, &got); err != nil || len(got) != 1 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	wantKeys := keysOf(t, mustFirst(t, readTestdata(t, "webhooks-list.json")))
	ms, _ := splitObject(mustFirst(t, r.body))
	var keys []string
	for _, m := range ms {
		keys = append(keys, m.key)
	}
	if strings.Join(keys, ",") != strings.Join(wantKeys, ",") {
		t.Fatalf("keys %v, want %v", keys, wantKeys)
	}
	if fmt.Sprint(got[0]["hooks"]) != "[woocommerce_update_order woocommerce_order_refunded woocommerce_delete_order_refund]" {
		t.Fatalf("hooks %v", got[0]["hooks"])
	}
	if r.header.Get("X-WP-Total") != "1" {
		t.Fatalf("total %s", r.header.Get("X-WP-Total"))
	}
	if r := s.do(http.MethodPost, "/webhooks", map[string]any{"topic": "customer.exploded", "delivery_url": rv.srv.URL}); r.status != 400 || r.wpErr().Code != "woocommerce_rest_shop_webhook_invalid_topic" {
		t.Fatalf("invalid topic: %d %s", r.status, r.body)
	}
}

func mustFirst(t *testing.T, arr []byte) []byte {
	t.Helper()
	var items []json.RawMessage
	if err := json.Unmarshal(arr, &items); err != nil || len(items) == 0 {
		t.Fatalf("not a non-empty array: %s", arr)
	}
	return items[0]
}
