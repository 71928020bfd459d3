package woocommerce

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// The acceptance: a backfill of 100,000 customers and 300,000 orders takes within 2%
// of ceil(N/100) requests per resource (here: exactly that, each page once), every record
// arrives once and in order, over OAuth 1.0a verified by the transcription of WooCommerce's
// verifier.
func TestBackfillRequestCount(t *testing.T) {
	if testing.Short() {
		t.Skip("4,000 requests")
	}
	shop := newTestShop(t, false)
	shop.customers, shop.orders = 100_000, 300_000
	c := shop.client(t, nil)
	ctx := context.Background()
	var want []byte
	for _, r := range []struct {
		resource string
		n        int
		query    func() url.Values
	}{
		{"customers", 100_000, CustomersQuery},
		{"orders", 300_000, OrdersQuery},
	} {
		start := time.Now()
		next := 1
		err := c.ForEach(ctx, r.resource, r.query(), 1, func(page int, items []json.RawMessage) error {
			for _, raw := range items {
				// The shop serves {"id":N}: compared as bytes, the check costs nothing.
				want = strconv.AppendInt(append(want[:0], `{"id":`...), int64(next), 10)
				want = append(want, '}')
				if !bytes.Equal(raw, want) {
					t.Fatalf("%s page %d: item %s, want %s", r.resource, page, raw, want)
				}
				next++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := int64((r.n + 99) / 100)
		got := shop.count(r.resource)
		if next-1 != r.n || got < want || float64(got) > float64(want)*1.02 {
			t.Errorf("%s: %d records in %d requests, want %d in %d (+2%%)", r.resource, next-1, got, r.n, want)
		}
		t.Logf("%s: %d records, %d requests, %v", r.resource, r.n, got, time.Since(start).Round(time.Millisecond))
	}
}
