package webhook

import (
	"net/http"
	"time"
)

// Source is what the receiver needs from a platform to accept deliveries for
// one store. Implementations live with the platform's connector; a Shopify
// source, for example, supplies:
//
//   - Verify: base64(HMAC-SHA256(raw body, secret)) compared in constant
//     time with X-Shopify-Hmac-Sha256, trying each configured secret so
//     that a secret can be rotated without losing deliveries.
//   - EventID: X-Shopify-Event-Id, falling back to X-Shopify-Webhook-Id.
//   - Topic: X-Shopify-Topic (e.g. "orders/updated").
//   - TriggeredAt: X-Shopify-Triggered-At (RFC 3339).
//
// A WooCommerce source verifies X-WC-Webhook-Signature the same way, uses
// X-WC-Webhook-Delivery-ID and X-WC-Webhook-Topic, and implements Pinger.
//
// Methods are called concurrently from request goroutines and must not
// retain h or body.
type Source interface {
	// Verify reports whether body carries a valid signature for this store.
	// It must use a constant-time comparison.
	Verify(h http.Header, body []byte) bool
	// EventID returns the platform's unique id of the event, stable across
	// retries of the same delivery; "" if the request has none (answered
	// 400).
	EventID(h http.Header) string
	// Topic returns the event topic ("orders/create"), "" if unknown.
	Topic(h http.Header) string
	// TriggeredAt returns when the platform created the event, zero if
	// unknown.
	TriggeredAt(h http.Header) time.Time
}

// Pinger is implemented by a Source whose platform sends an unsigned probe
// when a webhook is created (WooCommerce posts the form body webhook_id=N
// without signature headers and deactivates the webhook unless it gets a
// 2xx). A request for which Ping returns true is answered 200 and nothing is
// stored. Ping must only accept requests that carry nothing worth storing.
type Pinger interface {
	Ping(h http.Header, body []byte) bool
}

// HeaderSelector is implemented by a Source that wants request headers kept
// in the Envelope (e.g. X-Shopify-Shop-Domain, X-Shopify-API-Version). Only
// the listed headers are stored, never signature headers: they are of no use
// after verification.
type HeaderSelector interface {
	KeptHeaders() []string
}

// Validator is implemented by a Source that can tell, before anything is stored, that a signed
// delivery is one the consumer could never apply (malformed JSON, a missing id, an unknown
// topic). Such a delivery is answered 400 and stored nowhere; the error's text goes into the
// response, so it must hold no payload values.
type Validator interface {
	Validate(h http.Header, body []byte) error
}
