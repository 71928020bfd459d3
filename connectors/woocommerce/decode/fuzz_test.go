package decode

import (
	"testing"
	"time"
)

// FuzzWebhook: no input makes Webhook, Customer, Order or SegmentsMeta panic.
func FuzzWebhook(f *testing.F) {
	for _, d := range deliveries(f) {
		f.Add(d.RawBody)
	}
	f.Add(string(sample(f, "order-12-with-refund.json")))
	f.Add(`{"id":1,"line_items":[{"price":1e5,"quantity":"2"}],"refunds":[{"total":null}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		for _, topic := range Topics {
			_, _ = Webhook("woo", topic, time.Unix(1, 0), []byte(body))
		}
		_, _ = Customer("woo", []byte(body))
		_, _ = Order("woo", []byte(body))
		_, _, _ = SegmentsMeta([]byte(body), "k")
		_, _ = ParsePing([]byte(body))
	})
}
