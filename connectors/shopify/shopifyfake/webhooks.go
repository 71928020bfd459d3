package shopifyfake

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// subscription is a webhookSubscriptionCreate result. Shopify accepts the same topic and
// callback twice (two subscriptions, two deliveries per event); so does the fake.
type subscription struct {
	ID          uint64
	Topic       string // enum, e.g. CUSTOMERS_UPDATE
	CallbackURL string
	Format      string
	CreatedAt   int64
}

// topicEnum turns customers/update into CUSTOMERS_UPDATE.
func topicEnum(rest string) string {
	return strings.ToUpper(strings.ReplaceAll(rest, "/", "_"))
}

// privacyTopics are configured in the app settings, not via the API: they go to WebhookURL.
var privacyTopics = map[string]bool{"customers/data_request": true, "customers/redact": true, "shop/redact": true}

// webhooks manages subscriptions and deliveries.
type webhooks struct {
	f      *Fake
	mu     sync.Mutex
	subs   []subscription
	nextID uint64
	rng    *rand.Rand
	queues map[string]chan delivery // per target URL: in-order sender
	client *http.Client
	wg     sync.WaitGroup

	queued, delivered, dups, retries, failures, abandoned atomic.Int64
}

type delivery struct {
	url, topic, webhookID, eventID, triggeredAt string
	body                                        []byte
	attempt                                     int
}

func newWebhooks(f *Fake) *webhooks {
	return &webhooks{
		f: f, nextID: 1, queues: map[string]chan delivery{},
		rng:    rand.New(rand.NewPCG(f.opts.Seed, 0x5eed)),
		client: &http.Client{Timeout: f.opts.Webhooks.Timeout},
	}
}

func (h *webhooks) wait() { h.wg.Wait() }

func (h *webhooks) fill(s *Stats) {
	s.WebhooksQueued = h.queued.Load()
	s.WebhooksDelivered = h.delivered.Load()
	s.WebhookDuplicates = h.dups.Load()
	s.WebhookRetries = h.retries.Load()
	s.WebhookFailures = h.failures.Load()
	s.WebhooksAbandoned = h.abandoned.Load()
}

// emit sends a REST payload for topic (e.g. "customers/update") to every matching target.
func (h *webhooks) emit(topic string, body []byte) {
	if body == nil {
		return
	}
	enum := topicEnum(topic)
	h.mu.Lock()
	var targets []string
	if !privacyTopics[topic] {
		for _, s := range h.subs {
			if s.Topic == enum {
				targets = append(targets, s.CallbackURL)
			}
		}
	}
	if h.f.opts.WebhookURL != "" {
		targets = append(targets, h.f.opts.WebhookURL)
	}
	eventID := newID()
	now := h.f.opts.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	knobs := h.f.opts.Webhooks
	for _, t := range targets {
		d := delivery{url: t, topic: topic, webhookID: newID(), eventID: eventID, triggeredAt: now, body: body}
		copies := 1
		if knobs.DuplicateProb > 0 && h.rng.Float64() < knobs.DuplicateProb {
			copies = 2
			h.dups.Add(1)
		}
		for range copies {
			h.queued.Add(1)
			if knobs.DelayProb > 0 && h.rng.Float64() < knobs.DelayProb {
				delay := time.Duration(h.rng.Int64N(int64(knobs.MaxDelay)) + 1)
				h.later(d, delay)
				continue
			}
			h.enqueueLocked(d)
		}
	}
	h.mu.Unlock()
}

// enqueueLocked hands d to its target's sender, starting one if needed.
func (h *webhooks) enqueueLocked(d delivery) {
	q, ok := h.queues[d.url]
	if !ok {
		q = make(chan delivery, 4096)
		h.queues[d.url] = q
		h.wg.Add(1)
		go h.sender(q)
	}
	select {
	case q <- d:
	default:
		h.wg.Add(1)
		go func() { // queue full: keep the event, lose its place in line
			defer h.wg.Done()
			select {
			case q <- d:
			case <-h.f.ctx.Done():
			}
		}()
	}
}

func (h *webhooks) later(d delivery, after time.Duration) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		t := time.NewTimer(after)
		defer t.Stop()
		select {
		case <-t.C:
			h.mu.Lock()
			h.enqueueLocked(d)
			h.mu.Unlock()
		case <-h.f.ctx.Done():
		}
	}()
}

func (h *webhooks) sender(q chan delivery) {
	defer h.wg.Done()
	for {
		select {
		case <-h.f.ctx.Done():
			return
		case d := <-q:
			h.send(d)
		}
	}
}

// Sign returns the X-Shopify-Hmac-Sha256 value for body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func (h *webhooks) send(d delivery) {
	knobs := h.f.opts.Webhooks
	if knobs.Disabled {
		h.delivered.Add(1)
		return
	}
	d.attempt++
	if d.attempt > 1 {
		h.retries.Add(1)
	}
	ok := h.post(d)
	if ok {
		h.delivered.Add(1)
		return
	}
	h.failures.Add(1)
	if d.attempt >= knobs.MaxAttempts {
		h.abandoned.Add(1)
		h.f.log.Warn().Str("topic", d.topic).Int("attempts", d.attempt).Msg("webhook abandoned")
		return
	}
	backoff := knobs.RetryBase << (d.attempt - 1)
	h.later(d, backoff)
}

func (h *webhooks) post(d delivery) bool {
	ctx, cancel := context.WithTimeout(h.f.ctx, knobsTimeout(h.f.opts.Webhooks))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(d.body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Shopify-Captain-Hook")
	req.Header.Set("X-Shopify-Topic", d.topic)
	req.Header.Set("X-Shopify-Hmac-Sha256", Sign(h.f.opts.WebhookSecret, d.body))
	req.Header.Set("X-Shopify-Shop-Domain", h.f.opts.Shop)
	req.Header.Set("X-Shopify-API-Version", h.f.opts.APIVersions[0])
	req.Header.Set("X-Shopify-Webhook-Id", d.webhookID)
	req.Header.Set("X-Shopify-Event-Id", d.eventID)
	req.Header.Set("X-Shopify-Triggered-At", d.triggeredAt)
	resp, err := h.client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}

func knobsTimeout(k WebhookKnobs) time.Duration { return k.Timeout }

// create handles webhookSubscriptionCreate.
func (h *webhooks) create(args map[string]any) any {
	topic := argString(args, "topic")
	in, _ := args["webhookSubscription"].(map[string]any)
	cb := argString(in, "callbackUrl")
	format := argString(in, "format")
	if format == "" {
		format = "JSON"
	}
	p := map[string]any{"webhookSubscription": nil, "userErrors": []object{}}
	if !strings.HasPrefix(cb, "http://") && !strings.HasPrefix(cb, "https://") {
		p["userErrors"] = userErrors("UserError", map[string]any{"field": []string{"webhookSubscription", "callbackUrl"}, "message": "Address is invalid"})
		return mapObj{typ: "WebhookSubscriptionCreatePayload", m: p}
	}
	h.mu.Lock()
	s := subscription{ID: h.nextID, Topic: topic, CallbackURL: cb, Format: format, CreatedAt: h.f.opts.Now().Unix()}
	h.nextID++
	h.subs = append(h.subs, s)
	h.mu.Unlock()
	p["webhookSubscription"] = subObj{s}
	return mapObj{typ: "WebhookSubscriptionCreatePayload", m: p}
}

func (h *webhooks) remove(id string) any {
	p := map[string]any{"deletedWebhookSubscriptionId": nil, "userErrors": []object{}}
	_, n, ok := parseGID(id)
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, s := range h.subs {
		if ok && s.ID == n {
			h.subs = append(h.subs[:i], h.subs[i+1:]...)
			p["deletedWebhookSubscriptionId"] = id
			return mapObj{typ: "WebhookSubscriptionDeletePayload", m: p}
		}
	}
	p["userErrors"] = userErrors("UserError", map[string]any{"field": []string{"id"}, "message": "Webhook subscription does not exist"})
	return mapObj{typ: "WebhookSubscriptionDeletePayload", m: p}
}

func (h *webhooks) subscription(id string) *subscription {
	_, n, ok := parseGID(id)
	if !ok {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.subs {
		if s.ID == n {
			return &s
		}
	}
	return nil
}

func (h *webhooks) subscriptionsConnection(args map[string]any) any {
	p, ferr := parsePageArgs(args, false)
	if ferr != nil {
		return *ferr
	}
	topics := argStrings(args, "topics")
	h.mu.Lock()
	defer h.mu.Unlock()
	c := &connection{typ: "WebhookSubscriptionConnection", hasPrev: p.after != nil}
	for _, s := range h.subs {
		if p.after != nil && s.ID <= p.after.LastID {
			continue
		}
		if len(topics) > 0 && !containsStr(topics, s.Topic) {
			continue
		}
		if len(c.nodes) == p.first {
			c.hasNext = true
			break
		}
		c.nodes = append(c.nodes, subObj{s})
		c.cursors = append(c.cursors, encodeCursor(s.ID, ""))
	}
	return c
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Subscriptions returns the current webhook subscriptions as (topic, callback URL) pairs.
func (f *Fake) Subscriptions() [][2]string {
	f.hooks.mu.Lock()
	defer f.hooks.mu.Unlock()
	out := make([][2]string, 0, len(f.hooks.subs))
	for _, s := range f.hooks.subs {
		out = append(out, [2]string{s.Topic, s.CallbackURL})
	}
	return out
}

type subObj struct{ s subscription }

func (subObj) typeName() string { return "WebhookSubscription" }
func (o subObj) field(_ *execCtx, name string, _ map[string]any) any {
	switch name {
	case "id":
		return gid("WebhookSubscription", o.s.ID)
	case "topic":
		return o.s.Topic
	case "format":
		return o.s.Format
	case "callbackUrl":
		return o.s.CallbackURL
	case "endpoint":
		return mapObj{typ: "WebhookHttpEndpoint", m: map[string]any{"callbackUrl": o.s.CallbackURL}}
	case "createdAt", "updatedAt":
		return isoTime(o.s.CreatedAt)
	case "includeFields", "metafieldNamespaces":
		return []string{}
	}
	return unknownField
}
