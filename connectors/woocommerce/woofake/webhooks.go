package woofake

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Webhook statuses (wc_get_webhook_statuses).
const (
	StatusActive   = "active"
	StatusPaused   = "paused"
	StatusDisabled = "disabled"
)

// topicHooks is WC_Webhook::get_default_topic_hooks for the topics cohortd uses; other
// valid topics report no hooks.
var topicHooks = map[string][]string{
	"customer.created": {"user_register", "woocommerce_created_customer", "woocommerce_new_customer"},
	"customer.updated": {"profile_update", "woocommerce_update_customer"},
	"customer.deleted": {"delete_user"},
	"order.created":    {"woocommerce_new_order"},
	"order.updated":    {"woocommerce_update_order", "woocommerce_order_refunded", "woocommerce_delete_order_refund"},
	"order.deleted":    {"wp_trash_post", "woocommerce_trash_order"},
	"order.restored":   {"untrashed_post", "woocommerce_untrash_order"},
}

// Webhook is a webhook as the store keeps it.
type Webhook struct {
	ID              uint64
	Name            string
	Status          string // active, paused, disabled
	Topic           string // e.g. customer.updated
	DeliveryURL     string
	Secret          string
	FailureCount    int  // consecutive failed deliveries
	PendingDelivery bool // the creation ping has not been answered 200 yet
	Created         time.Time
	Modified        time.Time
}

type hook struct {
	Webhook
	pending []delivery
	wake    chan struct{}
	running bool
}

type hookState struct {
	f      *Fake
	mu     sync.Mutex
	hooks  []*hook // sorted by id
	nextID uint64
	rng    *rand.Rand
	client *http.Client
	wg     sync.WaitGroup
}

func newHookState(f *Fake) *hookState {
	return &hookState{
		f: f, nextID: 1,
		rng: rand.New(rand.NewPCG(f.opts.Seed, 0x5eed)),
		client: &http.Client{
			Timeout: f.opts.Webhooks.Timeout,
			// WooCommerce posts with 'redirection' => 0: a 301/302 is the answer.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

func (h *hookState) wait() { h.wg.Wait() }

func (h *hookState) find(id uint64) *hook {
	for _, x := range h.hooks {
		if x.ID == id {
			return x
		}
	}
	return nil
}

// Webhooks returns the store's webhooks, by id.
func (f *Fake) Webhooks() []Webhook {
	f.hooks.mu.Lock()
	defer f.hooks.mu.Unlock()
	out := make([]Webhook, 0, len(f.hooks.hooks))
	for _, x := range f.hooks.hooks {
		out = append(out, x.Webhook)
	}
	return out
}

// AddWebhook creates a webhook as POST /webhooks does (ping included) without going through
// HTTP. An empty Secret uses Options.WebhookSecret; an empty Name gets WooCommerce's default.
func (f *Fake) AddWebhook(w Webhook) (Webhook, error) {
	if !validTopic(w.Topic) {
		return Webhook{}, fmt.Errorf("woofake: invalid webhook topic %q", w.Topic)
	}
	if !validDeliveryURL(w.DeliveryURL) {
		return Webhook{}, fmt.Errorf("woofake: invalid delivery URL %q", w.DeliveryURL)
	}
	return f.createWebhook(w), nil
}

// SetWebhookStatus changes a webhook's status as an admin would (no ping).
func (f *Fake) SetWebhookStatus(id uint64, status string) error {
	if status != StatusActive && status != StatusPaused && status != StatusDisabled {
		return fmt.Errorf("woofake: invalid webhook status %q", status)
	}
	h := f.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	x := h.find(id)
	if x == nil {
		return fmt.Errorf("woofake: webhook %d not found", id)
	}
	x.Status = status
	x.Modified = f.opts.Now()
	return nil
}

func validTopic(t string) bool {
	res, ev, ok := strings.Cut(strings.ToLower(t), ".")
	if !ok {
		return false
	}
	if res == "action" {
		return ev != "" && ev != "woocommerce_login_credentials" && ev != "woocommerce_webhook_should_deliver"
	}
	return contains([]string{"coupon", "customer", "order", "product"}, res) && contains([]string{"created", "updated", "deleted", "restored"}, ev)
}

func validDeliveryURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// createWebhook saves an active webhook, then pings it (WC_REST_Webhooks_V1_Controller::create_item).
func (f *Fake) createWebhook(w Webhook) Webhook {
	h := f.hooks
	now := f.opts.Now()
	if w.Secret == "" {
		w.Secret = f.opts.WebhookSecret
	}
	if w.Name == "" {
		w.Name = "Webhook created on " + now.In(f.opts.Location).Format("Jan 02, 2006 @ 03:04 PM")
	}
	h.mu.Lock()
	x := &hook{Webhook: Webhook{
		ID: h.nextID, Name: w.Name, Status: StatusActive, Topic: strings.ToLower(w.Topic), DeliveryURL: w.DeliveryURL,
		Secret: w.Secret, PendingDelivery: true, Created: now, Modified: now,
	}, wake: make(chan struct{}, 1)}
	h.nextID++
	h.hooks = append(h.hooks, x)
	h.mu.Unlock()

	err := f.deliverPing(x.ID, x.DeliveryURL)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		x.PendingDelivery = false
	} else {
		f.log.Warn().Uint64("webhook", x.ID).Err(err).Msg("webhook ping failed")
		if !f.opts.Webhooks.PingKeepsActive {
			x.Status = StatusDisabled
			f.stats.disabled.Add(1)
		}
	}
	x.Modified = f.opts.Now()
	return x.Webhook
}

// webhookJSON renders a webhook as GET /webhooks does (v3, view context: no secret).
func (f *Fake) webhookJSON(w Webhook) []byte {
	res, ev, _ := strings.Cut(w.Topic, ".")
	hooks := topicHooks[w.Topic]
	if hooks == nil {
		hooks = []string{}
	}
	type webhookOut struct {
		ID              uint64      `json:"id"`
		Name            string      `json:"name"`
		Status          string      `json:"status"`
		Topic           string      `json:"topic"`
		Resource        string      `json:"resource"`
		Event           string      `json:"event"`
		Hooks           []string    `json:"hooks"`
		DeliveryURL     string      `json:"delivery_url"`
		DateCreated     string      `json:"date_created"`
		DateCreatedGMT  string      `json:"date_created_gmt"`
		DateModified    string      `json:"date_modified"`
		DateModifiedGMT string      `json:"date_modified_gmt"`
		Links           recordLinks `json:"_links"`
	}
	return marshalJSON(webhookOut{
		ID: w.ID, Name: w.Name, Status: w.Status, Topic: w.Topic, Resource: res, Event: ev, Hooks: hooks,
		DeliveryURL: w.DeliveryURL, DateCreated: f.localTime(w.Created), DateCreatedGMT: gmtTime(w.Created),
		DateModified: f.localTime(w.Modified), DateModifiedGMT: gmtTime(w.Modified), Links: f.selfLinks("webhooks", w.ID),
	})
}

func (f *Fake) listWebhooks(w http.ResponseWriter, rc *reqCtx) *wpError {
	q, e := validate(webhookParams, rc.get)
	if e != nil {
		return e
	}
	if !rc.authed {
		return errCannotList
	}
	all := f.Webhooks()
	desc := q.str("order") == "desc"
	slices.SortStableFunc(all, func(a, b Webhook) int {
		var c int
		switch q.str("orderby") {
		case "id":
			c = cmp.Compare(a.ID, b.ID)
		case "title":
			c = cmp.Compare(a.Name, b.Name)
		default:
			c = cmp.Compare(a.Created.Unix(), b.Created.Unix())
		}
		if desc {
			c = -c
		}
		if c == 0 { // same second: MySQL returns them by id
			c = cmp.Compare(a.ID, b.ID)
		}
		return c
	})
	status := q.str("status")
	keep := func(x Webhook) bool { return status == "all" || x.Status == status }
	items, total := pageOf(all, keep, false, q.offset, q.perPage)
	f.setPaging(w, rc, "/wc/v3/webhooks", total, q.perPage, q.offset)
	parts := make([][]byte, len(items))
	for i, x := range items {
		parts[i] = f.webhookJSON(x)
	}
	writeJSON(w, http.StatusOK, joinArray(parts))
	return nil
}

type webhookRequest struct {
	Name        *string `json:"name"`
	Status      *string `json:"status"`
	Topic       *string `json:"topic"`
	DeliveryURL *string `json:"delivery_url"`
	Secret      *string `json:"secret"`
	ID          *uint64 `json:"id"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (f *Fake) createWebhookREST(w http.ResponseWriter, rc *reqCtx) *wpError {
	if !rc.authed {
		return errCannotCreate
	}
	var req webhookRequest
	if e := decodeBody(rc, &req); e != nil {
		return e
	}
	if req.ID != nil && *req.ID != 0 {
		return newErr(http.StatusBadRequest, "woocommerce_rest_shop_webhook_exists", "Cannot create existing shop_webhook.")
	}
	if !validTopic(deref(req.Topic)) {
		return newErr(http.StatusBadRequest, "woocommerce_rest_shop_webhook_invalid_topic", "Webhook topic is required and must be valid.")
	}
	if !validDeliveryURL(deref(req.DeliveryURL)) {
		return newErr(http.StatusBadRequest, "woocommerce_rest_shop_webhook_invalid_delivery_url", "Webhook delivery URL must be a valid URL starting with http:// or https://.")
	}
	if req.Secret == nil || *req.Secret == "" {
		rc.violate("webhook-without-secret", "webhook created without a secret: WooCommerce generates one the client never learns, so it cannot verify signatures")
	}
	x := f.createWebhook(Webhook{Name: deref(req.Name), Topic: deref(req.Topic), DeliveryURL: deref(req.DeliveryURL), Secret: deref(req.Secret)})
	w.Header().Set("Location", f.restURL("/wc/v3/webhooks/"+strconv.FormatUint(x.ID, 10)))
	writeJSON(w, http.StatusCreated, f.webhookJSON(x))
	return nil
}

var errWebhookInvalidID = newErr(http.StatusBadRequest, "woocommerce_rest_shop_webhook_invalid_id", "ID is invalid.")

func (f *Fake) getWebhookREST(w http.ResponseWriter, rc *reqCtx, id uint64) *wpError {
	if !rc.authed {
		return errCannotView
	}
	for _, x := range f.Webhooks() {
		if x.ID == id {
			writeJSON(w, http.StatusOK, f.webhookJSON(x))
			return nil
		}
	}
	return errWebhookInvalidID
}

func (f *Fake) updateWebhookREST(w http.ResponseWriter, rc *reqCtx, id uint64) *wpError {
	if !rc.authed {
		return errCannotEdit
	}
	var req webhookRequest
	if e := decodeBody(rc, &req); e != nil {
		return e
	}
	h := f.hooks
	h.mu.Lock()
	x := h.find(id)
	if x == nil {
		h.mu.Unlock()
		return errWebhookInvalidID
	}
	if t := deref(req.Topic); t != "" {
		if !validTopic(t) {
			h.mu.Unlock()
			return newErr(http.StatusBadRequest, "woocommerce_rest_shop_webhook_invalid_topic", "Webhook topic must be valid.")
		}
		x.Topic = strings.ToLower(t)
	}
	if u := deref(req.DeliveryURL); u != "" {
		if !validDeliveryURL(u) {
			h.mu.Unlock()
			return newErr(http.StatusBadRequest, "woocommerce_rest_shop_webhook_invalid_delivery_url", "Webhook delivery URL must be a valid URL starting with http:// or https://.")
		}
		x.DeliveryURL = u
	}
	if s := deref(req.Secret); s != "" {
		x.Secret = s
	}
	if s := deref(req.Status); s != "" {
		s = strings.ToLower(s)
		if s != StatusActive && s != StatusPaused && s != StatusDisabled {
			h.mu.Unlock()
			return newErr(http.StatusBadRequest, "woocommerce_rest_shop_webhook_invalid_status", "Webhook status must be valid.")
		}
		// set_status() leaves failure_count alone: a re-enabled webhook that failed more
		// than 5 times is disabled again by its next failed delivery.
		x.Status = s
	}
	if n := deref(req.Name); n != "" {
		x.Name = n
	}
	x.Modified = f.opts.Now()
	out := x.Webhook
	h.mu.Unlock()
	writeJSON(w, http.StatusOK, f.webhookJSON(out))
	return nil
}

func (f *Fake) deleteWebhookREST(w http.ResponseWriter, rc *reqCtx, id uint64) *wpError {
	if !rc.authed {
		return newErr(http.StatusUnauthorized, "woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource.")
	}
	if v, _ := rc.get.get("force"); v != "true" && v != "1" {
		return newErr(http.StatusNotImplemented, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.")
	}
	h := f.hooks
	h.mu.Lock()
	i := slices.IndexFunc(h.hooks, func(x *hook) bool { return x.ID == id })
	if i < 0 {
		h.mu.Unlock()
		return newErr(http.StatusNotFound, "woocommerce_rest_shop_webhook_invalid_id", "Invalid ID.")
	}
	x := h.hooks[i]
	h.hooks = slices.Delete(h.hooks, i, i+1)
	out := x.Webhook
	h.mu.Unlock()
	writeJSON(w, http.StatusOK, f.webhookJSON(out))
	return nil
}

// eventBatch collects the webhook events of one request or Go call. A webhook fires at
// most once per resource id within it (WC_Webhook::is_already_processed).
type eventBatch struct {
	f    *Fake
	seen map[string]bool
	list []event
}

type event struct {
	topic string
	id    uint64
}

func (f *Fake) newEventBatch() *eventBatch { return &eventBatch{f: f, seen: map[string]bool{}} }

func (b *eventBatch) add(topic string, id uint64) {
	k := topic + "#" + strconv.FormatUint(id, 10)
	if b.seen[k] {
		return
	}
	b.seen[k] = true
	b.list = append(b.list, event{topic, id})
}

// flush queues a delivery per active webhook of each event's topic.
func (b *eventBatch) flush() {
	if len(b.list) == 0 {
		return
	}
	h := b.f.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range b.list {
		for _, x := range h.hooks {
			if x.Topic == ev.topic && x.Status == StatusActive {
				h.enqueueLocked(x, delivery{hookID: x.ID, topic: ev.topic, resourceID: ev.id})
			}
		}
	}
	b.list = nil
}

// enqueueLocked appends to the webhook's queue, starting its sender if needed.
func (h *hookState) enqueueLocked(x *hook, d delivery) {
	x.pending = append(x.pending, d)
	if !x.running {
		x.running = true
		h.wg.Add(1)
		go h.sender(x)
	}
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// sender delivers one webhook's queue in order, as long as the fake runs.
func (h *hookState) sender(x *hook) {
	defer h.wg.Done()
	for {
		h.mu.Lock()
		batch := x.pending
		x.pending = nil
		h.mu.Unlock()
		for _, d := range batch {
			if h.f.ctx.Err() != nil {
				return
			}
			h.f.deliver(d)
		}
		select {
		case <-x.wake:
		case <-h.f.ctx.Done():
			return
		}
	}
}

var errStopped = errors.New("woofake: stopped")

// sleepCtx waits d or until the fake closes.
func (f *Fake) sleepCtx(d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-f.ctx.Done():
		return errStopped
	}
}

func (f *Fake) requestCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(f.ctx, f.opts.Webhooks.Timeout)
}
