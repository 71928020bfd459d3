package woocommerce

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

// sampleWebhooks loads the real GET /webhooks answer into the shop.
func sampleWebhooks(t *testing.T, shop *testShop) {
	t.Helper()
	b, err := os.ReadFile("testdata/webhooks-list.json")
	if err != nil {
		t.Fatal(err)
	}
	var hooks []map[string]any
	if err := json.Unmarshal(b, &hooks); err != nil {
		t.Fatal(err)
	}
	// The shop numbers webhooks by position: order the sample by id.
	byID := make([]map[string]any, len(hooks))
	for _, h := range hooks {
		byID[int(h["id"].(float64))-1] = h
	}
	shop.webhooks = byID
}

func TestWebhooksRealList(t *testing.T) {
	shop := newTestShop(t, false)
	sampleWebhooks(t, shop)
	hooks, err := shop.client(t, nil).Webhooks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(hooks) != 5 {
		t.Fatalf("%d webhooks", len(hooks))
	}
	h := hooks[1]
	if h.ID != 2 || h.Topic != "customer.updated" || h.Status != WebhookDisabled || h.DeliveryURL != "http://127.0.0.1:9090/hook" || h.Name != "t-customer.updated" {
		t.Errorf("%+v", h)
	}
}

// EnsureWebhooks on the real store's state: four active, customer.updated disabled after
// failed deliveries (re-enabled and reported), order.deleted missing (created). A second run
// changes nothing and only lists.
func TestEnsureWebhooks(t *testing.T) {
	shop := newTestShop(t, false)
	sampleWebhooks(t, shop)
	c := shop.client(t, nil)
	ctx := context.Background()
	rep, err := c.EnsureWebhooks(ctx, EnsureOptions{DeliveryURL: "http://127.0.0.1:9090/hook/", Secret: "testsecret"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Active) != 4 || len(rep.Reenabled) != 1 || rep.Reenabled[0].Topic != "customer.updated" ||
		len(rep.Created) != 1 || rep.Created[0].Topic != "order.deleted" || len(rep.Paused) != 0 {
		t.Fatalf("report %+v", rep)
	}
	if rep.Created[0].Secret != "testsecret" {
		t.Error("created webhook lost its secret")
	}
	shop.mu.Lock()
	created := shop.webhooks[5]
	status := shop.webhooks[1]["status"]
	shop.mu.Unlock()
	if created["topic"] != "order.deleted" || created["status"] != "active" || status != "active" {
		t.Errorf("shop state: created %v, webhook 2 %v", created, status)
	}
	before := shop.requests.Load()
	rep, err = c.EnsureWebhooks(ctx, EnsureOptions{DeliveryURL: "http://127.0.0.1:9090/hook", Secret: "testsecret"})
	if err != nil || len(rep.Active) != 6 || len(rep.Created)+len(rep.Reenabled) != 0 || shop.requests.Load()-before != 1 {
		t.Errorf("second run: %+v %v, %d requests", rep, err, shop.requests.Load()-before)
	}
	// A paused webhook is the merchant's choice: reported, left alone.
	shop.mu.Lock()
	shop.webhooks[0]["status"] = "paused"
	shop.mu.Unlock()
	rep, err = c.EnsureWebhooks(ctx, EnsureOptions{DeliveryURL: "http://127.0.0.1:9090/hook", Secret: "testsecret"})
	if err != nil || len(rep.Paused) != 1 || rep.Paused[0].ID != 1 {
		t.Errorf("paused: %+v %v", rep, err)
	}
}

func TestCreateWebhookPingFailed(t *testing.T) {
	shop := newTestShop(t, false)
	c := shop.client(t, nil)
	w, err := c.CreateWebhook(context.Background(), Webhook{Topic: "order.created", DeliveryURL: "https://unreachable.example/hook?token=abc", Secret: "s3cret"})
	if !errors.Is(err, ErrWebhookNotActive) || w.ID == 0 || strings.Contains(err.Error(), "token=abc") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("%+v %v", w, err)
	}
	b, _ := json.Marshal(Webhook{ID: 1, Secret: "s3cret"})
	if strings.Contains(string(b), "s3cret") {
		t.Errorf("a Webhook marshals its secret: %s", b)
	}
	if _, err := c.CreateWebhook(context.Background(), Webhook{Topic: "order.created", DeliveryURL: "https://d/h"}); err == nil {
		t.Error("created without a secret")
	}
	if err := c.EnableWebhook(context.Background(), 42); !errors.Is(err, ErrRecordNotFound) {
		t.Errorf("enable missing webhook: %v", err)
	}
}
