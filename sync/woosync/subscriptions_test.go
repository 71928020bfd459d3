package woosync

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohortd/cohortd/connectors/woocommerce"
	"github.com/cohortd/cohortd/connectors/woocommerce/decode"
	"github.com/cohortd/cohortd/connectors/woocommerce/woofake"
	"github.com/cohortd/cohortd/sync/webhook"
)

// Subscriptions are created once, with WooCommerce's ping answered by the real receiver;
// a webhook WooCommerce disabled after failed deliveries is found and re-enabled; deliveries
// then reach the inbox signed, deduplicated and decodable.
func TestWebhookSubscriptionsCreatedCheckedAndReenabled(t *testing.T) {
	e := newEnv(t, 100)
	ctx := context.Background()
	st := e.st
	inbox, err := webhook.OpenInbox(st, webhook.InboxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer inbox.Close()
	recv, err := webhook.NewReceiver(inbox, webhook.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := recv.Register(Platform, "woo-b", woocommerce.WebhookSource{Secrets: []string{woofake.DefaultWebhookSecret}}); err != nil {
		t.Fatal(err)
	}
	var pings atomic.Int64
	mux := http.NewServeMux()
	recv.Mount(mux)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-WC-Webhook-Topic") == "" {
			pings.Add(1)
		}
		mux.ServeHTTP(w, r)
	}))
	defer srv.Close()
	url := srv.URL + "/webhooks/woocommerce/woo-b"

	rep, err := e.s.EnsureWebhooks(ctx, url)
	if err != nil || len(rep.Created) != len(decode.SubscribedTopics) || pings.Load() != int64(len(decode.SubscribedTopics)) {
		t.Fatalf("first check: %+v (%d pings), %v", rep, pings.Load(), err)
	}
	rep, err = e.s.EnsureWebhooks(ctx, url)
	if err != nil || len(rep.Created) != 0 || len(rep.Active) != len(decode.SubscribedTopics) {
		t.Fatalf("second check: %+v, %v", rep, err)
	}
	var disabled uint64
	for _, h := range e.fake.Webhooks() {
		if h.Topic == decode.TopicOrderCreated {
			disabled = h.ID
		}
	}
	if err := e.fake.SetWebhookStatus(disabled, woofake.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	rep, err = e.s.EnsureWebhooks(ctx, url)
	if err != nil || len(rep.Reenabled) != 1 || rep.Reenabled[0].ID != int64(disabled) {
		t.Fatalf("after disabling: %+v, %v", rep, err)
	}
	state, _ := e.s.State()
	if state.Webhooks == nil || state.Webhooks.Reenabled != 1 {
		t.Fatalf("state = %+v", state)
	}
	// A new order now reaches the inbox, signed and decodable.
	if _, err := e.fake.AddOrder(woofake.NewOrder{Billing: woofake.Address{Email: "hook@example.test"},
		Lines: []woofake.Line{{Name: "Cup", Quantity: 1, Price: "4.00"}}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for inbox.Depth() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // order.created and order.updated are delivered concurrently
	envs, err := inbox.Next(ctx, 10)
	var topics []string
	for _, e := range envs {
		topics = append(topics, e.Topic)
	}
	if err != nil || !slices.Contains(topics, decode.TopicOrderCreated) {
		t.Fatalf("inbox topics: %v, %v", topics, err)
	}
	rej, err := e.s.Apply(ctx, envs)
	if err != nil || len(rej) != 0 || e.s.Stats().Orders.Load() == 0 {
		t.Fatalf("apply: %v %v", rej, err)
	}
	// A tampered delivery is refused and stored nowhere.
	resp, err := http.Post(url, "application/json", strings.NewReader(`{"id":1}`))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unsigned delivery: %d", resp.StatusCode)
	}
}
