package shopify

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// webhookState is a tiny in-memory webhookSubscriptions store behind the test shop.
type webhookState struct {
	mu   sync.Mutex
	next int
	subs map[string][2]string // id -> topic, callback
}

func (w *webhookState) install(s *testShop) {
	s.handle("WebhookSubscriptions", func(map[string]any) answer {
		w.mu.Lock()
		defer w.mu.Unlock()
		var nodes []string
		for id, sub := range w.subs {
			nodes = append(nodes, fmt.Sprintf(`{"id":%q,"topic":%q,"format":"JSON","endpoint":{"__typename":"WebhookHttpEndpoint","callbackUrl":%q}}`, id, sub[0], sub[1]))
		}
		return ok(`{"webhookSubscriptions":{"pageInfo":{"hasNextPage":false,"endCursor":null},"nodes":[` + strings.Join(nodes, ",") + `]}}`)
	})
	s.handle("WebhookSubscriptionCreate", func(v map[string]any) answer {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.next++
		id := fmt.Sprintf("gid://shopify/WebhookSubscription/%d", 100+w.next)
		w.subs[id] = [2]string{v["topic"].(string), v["callbackUrl"].(string)}
		return ok(fmt.Sprintf(`{"webhookSubscriptionCreate":{"webhookSubscription":{"id":%q,"topic":%q,"endpoint":{"__typename":"WebhookHttpEndpoint","callbackUrl":%q}},"userErrors":[]}}`, id, v["topic"], v["callbackUrl"]))
	})
	s.handle("WebhookSubscriptionDelete", func(v map[string]any) answer {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.subs, v["id"].(string))
		return ok(fmt.Sprintf(`{"webhookSubscriptionDelete":{"deletedWebhookSubscriptionId":%q,"userErrors":[]}}`, v["id"]))
	})
}

func TestEnsureWebhooksIsIdempotentAndTouchesOnlyOurs(t *testing.T) {
	s := newTestShop(t)
	const cb = "https://cohortd.example.com/webhooks/shopify/main"
	w := &webhookState{subs: map[string][2]string{
		"gid://shopify/WebhookSubscription/1": {"ORDERS_CREATE", cb},                                          // kept
		"gid://shopify/WebhookSubscription/2": {"CUSTOMERS_UPDATE", "https://cohortd.example.com/hooks/old"},  // stale path: removed
		"gid://shopify/WebhookSubscription/3": {"CUSTOMERS_UPDATE", "https://hooks.zapier.com/abc"},           // another URL: untouched
		"gid://shopify/WebhookSubscription/4": {"PRODUCTS_UPDATE", "https://cohortd.example.com/hooks/other"}, // topic not ours: untouched
	}}
	w.install(s)
	c := newTestClient(t, s)
	topics := []string{TopicOrdersCreate, TopicCustomersUpdate, TopicBulkOperationsFinish}
	created, removed, err := c.EnsureWebhooks(context.Background(), cb, topics)
	if err != nil || created != 2 || removed != 1 {
		t.Fatalf("first run: created %d removed %d err %v, want 2, 1", created, removed, err)
	}
	for _, id := range []string{"gid://shopify/WebhookSubscription/1", "gid://shopify/WebhookSubscription/3", "gid://shopify/WebhookSubscription/4"} {
		if _, ok := w.subs[id]; !ok {
			t.Errorf("%s was removed", id)
		}
	}
	if _, ok := w.subs["gid://shopify/WebhookSubscription/2"]; ok {
		t.Error("stale cohortd callback kept")
	}
	created, removed, err = c.EnsureWebhooks(context.Background(), cb, topics)
	if err != nil || created != 0 || removed != 0 {
		t.Errorf("second run: created %d removed %d err %v, want nothing", created, removed, err)
	}
	subs, err := c.WebhookSubscriptions(context.Background())
	if err != nil || len(subs) != 5 {
		t.Errorf("%d subscriptions (%v), want 5", len(subs), err)
	}
}
