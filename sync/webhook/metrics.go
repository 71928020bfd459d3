package webhook

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Values of the result label of cohortd_webhooks_received_total.
const (
	ResultAccepted     = "accepted"     // committed to the inbox, 200
	ResultDuplicate    = "duplicate"    // event id already known, 200, nothing stored
	ResultPing         = "ping"         // platform probe (Pinger), 200, nothing stored
	ResultUnauthorized = "unauthorized" // signature missing or wrong, 401
	ResultTooLarge     = "too_large"    // body over the limit, 413
	ResultBadRequest   = "bad_request"  // unreadable body or no event id, 400
	ResultError        = "error"        // the inbox commit failed, 503
)

// unverifiedTopic labels requests whose headers were not (or could not be)
// authenticated: their topic header is attacker-controlled and must not
// become a label value.
const unverifiedTopic = "unknown"

type receiverMetrics struct {
	received *prometheus.CounterVec
	ack      prometheus.Histogram
}

func newReceiverMetrics(reg prometheus.Registerer) (*receiverMetrics, error) {
	m := &receiverMetrics{
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "cohortd", Name: "webhooks_received_total",
			Help: "Webhook deliveries by platform, topic and result (accepted, duplicate, ping, unauthorized, too_large, bad_request, error).",
		}, []string{"platform", "topic", "result"}),
		ack: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "cohortd", Name: "webhook_ack_seconds",
			Help: "Time from receiving a webhook request to answering 200 (includes the durable inbox commit).",
			// Shopify gives up after 5s; the target is p99 <= 100ms.
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.received, err = registerOrReuse(reg, m.received); err != nil {
		return nil, err
	}
	if m.ack, err = registerOrReuse(reg, m.ack); err != nil {
		return nil, err
	}
	return m, nil
}

// registerOrReuse registers c, or returns the identical collector already
// registered (several receivers, e.g. in tests, may share one registry).
func registerOrReuse[T prometheus.Collector](reg prometheus.Registerer, c T) (T, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(T); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("webhook: register metrics: %w", err)
}

// topicLabel bounds the topic label of a verified request: a topic the
// platform signed is normally one of a few dozen, but a label must never be
// able to grow without limit.
func topicLabel(topic string) string {
	if topic == "" {
		return "none"
	}
	if len(topic) > 64 {
		return "other"
	}
	for i := 0; i < len(topic); i++ {
		c := topic[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '/' || c == '.' || c == '-') {
			return "other"
		}
	}
	return topic
}
