package shopify

import (
	"context"
	"fmt"
	"net/url"
	"slices"
)

// Webhook topics cohortd subscribes to, as WebhookSubscriptionTopic enum values. The
// mandatory privacy topics (customers/data_request, customers/redact, shop/redact) are not
// subscribable through the API: they are configured in the app's settings.
const (
	TopicCustomersCreate      = "CUSTOMERS_CREATE"
	TopicCustomersUpdate      = "CUSTOMERS_UPDATE"
	TopicCustomersDelete      = "CUSTOMERS_DELETE"
	TopicOrdersCreate         = "ORDERS_CREATE"
	TopicOrdersUpdated        = "ORDERS_UPDATED"
	TopicOrdersPaid           = "ORDERS_PAID"
	TopicOrdersCancelled      = "ORDERS_CANCELLED"
	TopicRefundsCreate        = "REFUNDS_CREATE"
	TopicBulkOperationsFinish = "BULK_OPERATIONS_FINISH"
)

// DefaultTopics is every topic cohortd listens to.
var DefaultTopics = []string{
	TopicCustomersCreate, TopicCustomersUpdate, TopicCustomersDelete,
	TopicOrdersCreate, TopicOrdersUpdated, TopicOrdersPaid, TopicOrdersCancelled,
	TopicRefundsCreate, TopicBulkOperationsFinish,
}

// WebhookSubscription is one of the app's webhook subscriptions.
type WebhookSubscription struct {
	ID          string
	Topic       string
	Format      string
	CallbackURL string // "" for non-HTTP endpoints (EventBridge, Pub/Sub)
}

// WebhookSubscriptions lists the app's webhook subscriptions (all pages).
func (c *Client) WebhookSubscriptions(ctx context.Context) ([]WebhookSubscription, error) {
	var subs []WebhookSubscription
	after := ""
	for page := 1; ; page++ {
		var out struct {
			Subs struct {
				PageInfo pageInfo `json:"pageInfo"`
				Nodes    []struct {
					ID       string `json:"id"`
					Topic    string `json:"topic"`
					Format   string `json:"format"`
					Endpoint struct {
						Typename    string `json:"__typename"`
						CallbackURL string `json:"callbackUrl"`
					} `json:"endpoint"`
				} `json:"nodes"`
			} `json:"webhookSubscriptions"`
		}
		if err := c.Do(ctx, QueryWebhookSubscriptions, map[string]any{"after": nullable(after)}, &out); err != nil {
			return nil, fmt.Errorf("shopify: list webhook subscriptions page %d: %w", page, err)
		}
		for _, n := range out.Subs.Nodes {
			subs = append(subs, WebhookSubscription{ID: n.ID, Topic: n.Topic, Format: n.Format, CallbackURL: n.Endpoint.CallbackURL})
		}
		if !out.Subs.PageInfo.HasNextPage || out.Subs.PageInfo.EndCursor == after {
			return subs, nil
		}
		after = out.Subs.PageInfo.EndCursor
	}
}

// EnsureWebhooks makes the app's subscriptions match: every topic delivered to callbackURL.
// It creates the missing topic→callback pairs and deletes the subscriptions of the wanted
// topics that point to another path on the same origin (scheme and host) as callbackURL: an
// older cohortd callback. Subscriptions to any other origin, and to topics not asked for,
// are never touched. Running it twice changes nothing the second time.
func (c *Client) EnsureWebhooks(ctx context.Context, callbackURL string, topics []string) (created, removed int, err error) {
	cb, err := url.Parse(callbackURL)
	if err != nil || cb.Host == "" || (cb.Scheme != "https" && cb.Scheme != "http") {
		return 0, 0, fmt.Errorf("shopify: ensure webhooks: callback %q is not an absolute http(s) URL", callbackURL)
	}
	subs, err := c.WebhookSubscriptions(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("shopify: ensure webhooks: %w", err)
	}
	have := map[string]bool{}
	for _, s := range subs {
		if s.CallbackURL == callbackURL {
			have[s.Topic] = true
			continue
		}
		u, perr := url.Parse(s.CallbackURL)
		if s.CallbackURL == "" || perr != nil || u.Scheme != cb.Scheme || u.Host != cb.Host || !slices.Contains(topics, s.Topic) {
			continue // not ours to touch
		}
		if err := c.deleteWebhook(ctx, s.ID); err != nil {
			return created, removed, err
		}
		removed++
	}
	for _, topic := range topics {
		if have[topic] {
			continue
		}
		if err := c.createWebhook(ctx, topic, callbackURL); err != nil {
			return created, removed, err
		}
		have[topic] = true
		created++
	}
	return created, removed, nil
}

func (c *Client) createWebhook(ctx context.Context, topic, callbackURL string) error {
	var out struct {
		Create struct {
			UserErrors []UserError `json:"userErrors"`
		} `json:"webhookSubscriptionCreate"`
	}
	if err := c.Do(ctx, MutationWebhookSubscriptionCreate, map[string]any{"topic": topic, "callbackUrl": callbackURL}, &out); err != nil {
		return fmt.Errorf("shopify: subscribe %s: %w", topic, err)
	}
	if err := userErrors("webhookSubscriptionCreate", out.Create.UserErrors); err != nil {
		return fmt.Errorf("shopify: subscribe %s: %w", topic, err)
	}
	return nil
}

func (c *Client) deleteWebhook(ctx context.Context, id string) error {
	var out struct {
		Delete struct {
			UserErrors []UserError `json:"userErrors"`
		} `json:"webhookSubscriptionDelete"`
	}
	if err := c.Do(ctx, MutationWebhookSubscriptionDelete, map[string]any{"id": id}, &out); err != nil {
		return fmt.Errorf("shopify: delete webhook subscription %s: %w", id, err)
	}
	if err := userErrors("webhookSubscriptionDelete", out.Delete.UserErrors); err != nil {
		return fmt.Errorf("shopify: delete webhook subscription %s: %w", id, err)
	}
	return nil
}
