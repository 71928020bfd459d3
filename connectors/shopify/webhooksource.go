package shopify

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/cohortd/cohortd/connectors/shopify/decode"
)

// WebhookSource is what the daemon's webhook receiver needs to accept a store's deliveries:
// the signature check over the raw body (X-Shopify-Hmac-Sha256, constant time, any of the
// configured secrets so one can be rotated), the event id (X-Shopify-Event-Id, else
// X-Shopify-Webhook-Id), the topic and the time the event was triggered.
type WebhookSource struct {
	Secrets [][]byte
}

// Verify reports whether body is signed with one of the secrets.
func (s WebhookSource) Verify(h http.Header, body []byte) bool {
	return decode.VerifyHMAC(body, h.Get("X-Shopify-Hmac-Sha256"), s.Secrets)
}

// EventID is the delivery's dedupe key: the same event retried keeps it.
func (WebhookSource) EventID(h http.Header) string {
	if id := h.Get("X-Shopify-Event-Id"); id != "" {
		return id
	}
	return h.Get("X-Shopify-Webhook-Id")
}

// Topic is the delivery's topic ("orders/updated").
func (WebhookSource) Topic(h http.Header) string { return h.Get("X-Shopify-Topic") }

// TriggeredAt is when Shopify says the event happened (zero when absent or malformed).
func (WebhookSource) TriggeredAt(h http.Header) time.Time {
	t, err := decode.ParseTriggeredAt(h.Get("X-Shopify-Triggered-At"))
	if err != nil {
		return time.Time{}
	}
	return t
}

// Validate refuses, before anything is stored, a delivery no consumer could apply: an
// unknown topic or a body that is not a JSON object. It is a syntax check (about a tenth of a
// full decode, on the hot path of every delivery); a well-formed payload with a wrong field is
// dead-lettered by the consumer with decode's reason instead.
func (s WebhookSource) Validate(h http.Header, body []byte) error {
	topic := s.Topic(h)
	if !slices.Contains(decode.Topics, topic) {
		return fmt.Errorf("unknown topic %q", clipTopic(topic))
	}
	if i := skipSpace(body, 0); i >= len(body) || body[i] != '{' || !json.Valid(body) {
		return fmt.Errorf("%s: the body is not a JSON object", topic)
	}
	return nil
}

func clipTopic(t string) string {
	if len(t) > 64 {
		return t[:64] + "..."
	}
	return t
}

// KeptHeaders are stored with each delivery for diagnosis (never the signature).
func (WebhookSource) KeptHeaders() []string {
	return []string{"X-Shopify-Shop-Domain", "X-Shopify-Api-Version", "X-Shopify-Webhook-Id"}
}
