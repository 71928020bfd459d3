package woocommerce

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"time"

	"github.com/cohortd/cohortd/connectors/woocommerce/decode"
)

// WebhookSource is what the daemon's webhook receiver (sync/webhook) needs to accept one
// store's WooCommerce deliveries. It implements webhook.Source, Pinger, HeaderSelector and
// Validator. It holds no mutable state and is safe for concurrent use.
type WebhookSource struct {
	// Secrets are the webhook secrets a delivery may be signed with; several allow rotating
	// one (deliveries signed with the old secret keep verifying until it is removed).
	Secrets []string
}

// Verify reports whether X-WC-Webhook-Signature is the body's HMAC under one of the secrets
// (constant-time comparison).
func (s WebhookSource) Verify(h http.Header, body []byte) bool {
	sig := h.Get("X-WC-Webhook-Signature")
	ok := false
	for _, secret := range s.Secrets {
		// Every secret is tried, so the time taken does not tell which one matched.
		if decode.VerifySignature(secret, body, sig) {
			ok = true
		}
	}
	return ok
}

// EventID is the dedupe key of a delivery: X-WC-Webhook-Delivery-ID followed by a hash of
// X-WC-Webhook-Signature. The delivery id alone is not unique: WooCommerce makes it
// wp_hash(webhook id . time()), so two events of one webhook in the same second share it
// (a burst of orders, the customer.updated of every customer cohortd writes to), and deduping
// on it would drop real events. The signature is the body's HMAC: a replay of a delivery has
// the same id and signature and is stored once; different events never collide. WooCommerce
// never retries a failed delivery, so a replay comes from a proxy or a test. ("" when the
// delivery id is missing: the receiver answers 400.)
func (WebhookSource) EventID(h http.Header) string {
	id := h.Get("X-WC-Webhook-Delivery-ID")
	if id == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(h.Get("X-WC-Webhook-Signature")))
	return id + "-" + hex.EncodeToString(sum[:8])
}

// Topic is X-WC-Webhook-Topic ("order.updated").
func (WebhookSource) Topic(h http.Header) string { return h.Get("X-WC-Webhook-Topic") }

// TriggeredAt is always zero: WooCommerce sends no event time in its headers (the records'
// date_modified_gmt dates them; the receiver's ReceivedAt dates deletions).
func (WebhookSource) TriggeredAt(http.Header) time.Time { return time.Time{} }

// Ping recognises the probe WooCommerce posts when a webhook is created: a form body
// "webhook_id=N" without any X-WC-Webhook-* header. It must be answered 2xx or the webhook is
// not saved as active. A request with a signature, topic or delivery id is never a ping, so a
// forged "ping" cannot make a signed delivery skip verification, and a ping stores nothing.
func (WebhookSource) Ping(h http.Header, body []byte) bool {
	for _, name := range []string{"X-WC-Webhook-Signature", "X-WC-Webhook-Topic", "X-WC-Webhook-Delivery-ID", "X-WC-Webhook-ID", "X-WC-Webhook-Resource", "X-WC-Webhook-Event"} {
		if h.Get(name) != "" {
			return false
		}
	}
	if ct := h.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
			return false
		}
	}
	_, ok := decode.ParsePing(body)
	return ok
}

// KeptHeaders are stored with each delivery for diagnosis (never the signature).
func (WebhookSource) KeptHeaders() []string {
	return []string{"X-WC-Webhook-Source", "X-WC-Webhook-Resource", "X-WC-Webhook-Event", "X-WC-Webhook-ID"}
}

// Validate refuses, before anything is stored, a signed delivery no consumer could apply: a
// topic Webhook does not decode, or a body that is not a JSON object. It is a syntax check;
// a well-formed payload with a wrong field is dead-lettered by the consumer with decode's
// reason.
func (s WebhookSource) Validate(h http.Header, body []byte) error {
	topic := s.Topic(h)
	if !slices.Contains(decode.Topics, topic) {
		return fmt.Errorf("unknown topic %q", clipString(topic, 64))
	}
	b := bytes.TrimSpace(body)
	if len(b) == 0 || b[0] != '{' || !json.Valid(b) {
		return fmt.Errorf("%s: the body is not a JSON object", topic)
	}
	return nil
}
