package woocommerce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cohortd/cohortd/connectors/woocommerce/decode"
)

// Webhook statuses (WooCommerce's webhook "status").
const (
	WebhookActive   = "active"
	WebhookPaused   = "paused"
	WebhookDisabled = "disabled"
)

// Webhook is a webhook subscription of the store.
type Webhook struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Status      string `json:"status"`
	Topic       string `json:"topic"`
	DeliveryURL string `json:"delivery_url"`
	// Secret signs deliveries. It is sent when creating a webhook and never read back
	// (WooCommerce does not list it); it is not part of the JSON form so that logging a
	// Webhook cannot leak it.
	Secret string `json:"-"`
}

// ErrWebhookNotActive: WooCommerce created the webhook, but not as active (its ping to the
// delivery URL did not get a 2xx).
var ErrWebhookNotActive = errors.New("webhook created but not active")

// Webhooks lists every webhook of the store (GET /webhooks, all pages).
func (c *Client) Webhooks(ctx context.Context) ([]Webhook, error) {
	var out []Webhook
	err := c.Walk(ctx, "webhooks", nil, 1, func(p Page) error {
		for i, raw := range p.Items {
			var w Webhook
			if err := json.Unmarshal(raw, &w); err != nil {
				return fmt.Errorf("woocommerce: list webhooks page %d item %d: not a webhook", p.Number, i)
			}
			out = append(out, w)
		}
		return nil
	})
	return out, err
}

// CreateWebhook creates an active webhook (POST /webhooks). WooCommerce pings the delivery URL
// first; when the ping fails the webhook is created but not active, and CreateWebhook returns
// it with an error wrapping ErrWebhookNotActive. The request is not retried after it may have
// reached the store (that would create a duplicate): EnsureWebhooks, run again, repairs.
func (c *Client) CreateWebhook(ctx context.Context, w Webhook) (Webhook, error) {
	if w.Topic == "" || w.DeliveryURL == "" {
		return Webhook{}, errors.New("woocommerce: create webhook: topic and delivery_url are required")
	}
	if w.Secret == "" {
		return Webhook{}, errors.New("woocommerce: create webhook: a secret is required (deliveries are verified with it)")
	}
	body, err := json.Marshal(struct {
		Name        string `json:"name"`
		Topic       string `json:"topic"`
		DeliveryURL string `json:"delivery_url"`
		Secret      string `json:"secret"`
		Status      string `json:"status"`
	}{w.Name, w.Topic, w.DeliveryURL, w.Secret, WebhookActive})
	if err != nil {
		return Webhook{}, fmt.Errorf("woocommerce: create webhook %s: %w", w.Topic, err)
	}
	res, err := c.do(ctx, call{method: http.MethodPost, resource: "webhooks", body: body})
	if err != nil {
		return Webhook{}, fmt.Errorf("woocommerce: create webhook %s: %w", w.Topic, err)
	}
	var got Webhook
	if err := json.Unmarshal(res.body, &got); err != nil || got.ID == 0 {
		return Webhook{}, fmt.Errorf("woocommerce: create webhook %s: the answer is not a webhook", w.Topic)
	}
	got.Secret = w.Secret
	if got.Status != WebhookActive {
		return got, fmt.Errorf("woocommerce: webhook %d (%s) is %s: its ping to the delivery URL failed; is %s reachable from the store? %w",
			got.ID, got.Topic, got.Status, redactURL(got.DeliveryURL), ErrWebhookNotActive)
	}
	return got, nil
}

// EnableWebhook sets a webhook's status to active (PUT /webhooks/{id}).
func (c *Client) EnableWebhook(ctx context.Context, id int64) error {
	if id <= 0 {
		return fmt.Errorf("woocommerce: enable webhook %d: not an id", id)
	}
	res, err := c.do(ctx, call{method: http.MethodPut, resource: "webhooks/" + strconv.FormatInt(id, 10),
		body: []byte(`{"status":"active"}`), idempotent: true})
	if err != nil {
		return fmt.Errorf("woocommerce: enable webhook %d: %w", id, err)
	}
	var got Webhook
	if err := json.Unmarshal(res.body, &got); err == nil && got.Status != "" && got.Status != WebhookActive {
		return fmt.Errorf("woocommerce: enable webhook %d: still %s", id, got.Status)
	}
	return nil
}

// EnsureOptions say which subscriptions EnsureWebhooks keeps.
type EnsureOptions struct {
	// DeliveryURL is cohortd's public webhook URL for this store.
	DeliveryURL string
	// Secret signs the deliveries of webhooks created now (existing ones keep theirs).
	Secret string
	// Topics to subscribe to; default decode.SubscribedTopics.
	Topics []string
	// Name prefixes the webhooks' names; default "cohortd".
	Name string
}

// EnsureReport says what EnsureWebhooks found and did. Each list holds webhooks of cohortd's
// delivery URL.
type EnsureReport struct {
	Active    []Webhook // already active, left alone
	Created   []Webhook // created now
	Reenabled []Webhook // found disabled (WooCommerce disables a webhook after repeated failed deliveries) and set active again
	Paused    []Webhook // paused by someone in wp-admin: left paused, reported
}

// EnsureWebhooks makes the store's subscriptions match: for each topic, a webhook to
// DeliveryURL exists and is active. It is idempotent: existing webhooks (matched by topic and
// delivery URL) are reused, a disabled one is re-enabled (and reported), a paused one is left
// as the merchant set it (and reported), a missing one is created. Run it at start and
// periodically: WooCommerce disables a webhook after more than 5 consecutive failed
// deliveries and never retries them, so a disabled webhook means lost deliveries, which the
// caller repairs with a poll.
func (c *Client) EnsureWebhooks(ctx context.Context, o EnsureOptions) (EnsureReport, error) {
	var rep EnsureReport
	if o.DeliveryURL == "" {
		return rep, errors.New("woocommerce: ensure webhooks: no delivery URL configured")
	}
	topics := o.Topics
	if len(topics) == 0 {
		topics = decode.SubscribedTopics
	}
	name := o.Name
	if name == "" {
		name = "cohortd"
	}
	existing, err := c.Webhooks(ctx)
	if err != nil {
		return rep, fmt.Errorf("woocommerce: ensure webhooks: %w", err)
	}
	var errs []error
	for _, topic := range topics {
		var found []Webhook
		for _, w := range existing {
			if w.Topic == topic && sameURL(w.DeliveryURL, o.DeliveryURL) {
				found = append(found, w)
			}
		}
		switch best := pick(found); {
		case best == nil:
			w, err := c.CreateWebhook(ctx, Webhook{Name: name + " " + topic, Topic: topic, DeliveryURL: o.DeliveryURL, Secret: o.Secret})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			rep.Created = append(rep.Created, w)
		case best.Status == WebhookActive:
			rep.Active = append(rep.Active, *best)
		case best.Status == WebhookPaused:
			rep.Paused = append(rep.Paused, *best)
		default:
			if err := c.EnableWebhook(ctx, best.ID); err != nil {
				errs = append(errs, err)
				continue
			}
			best.Status = WebhookActive
			rep.Reenabled = append(rep.Reenabled, *best)
			c.log.Warn().Int64("webhook", best.ID).Str("topic", topic).
				Msg("woocommerce: webhook was disabled after failed deliveries; re-enabled (deliveries in between are lost: poll)")
		}
	}
	return rep, errors.Join(errs...)
}

// pick chooses among the webhooks of one topic and URL: an active one, else a paused one,
// else any.
func pick(ws []Webhook) *Webhook {
	for _, status := range []string{WebhookActive, WebhookPaused} {
		for i := range ws {
			if ws[i].Status == status {
				return &ws[i]
			}
		}
	}
	if len(ws) > 0 {
		return &ws[0]
	}
	return nil
}

// sameURL compares delivery URLs ignoring a trailing slash and the case of scheme and host.
func sameURL(a, b string) bool {
	ua, err1 := url.Parse(strings.TrimSpace(a))
	ub, err2 := url.Parse(strings.TrimSpace(b))
	if err1 != nil || err2 != nil {
		return a == b
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host) &&
		strings.TrimRight(ua.Path, "/") == strings.TrimRight(ub.Path, "/") && ua.RawQuery == ub.RawQuery
}

// redactURL drops a URL's query and user info (a delivery URL may carry a token).
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "the delivery URL"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return clipString(u.String(), 200)
}
