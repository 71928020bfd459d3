package woocommerce

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cohortd/cohortd/connectors/woocommerce/decode"
	"github.com/cohortd/cohortd/internal/gen"
	"github.com/cohortd/cohortd/profiles"
)

// A store holding internal/gen's WooCommerce data (the keys of real responses) is backfilled
// through the client and decoded: every record arrives once, guests stay guests, and the
// records build profiles.
func TestBackfillGeneratedStore(t *testing.T) {
	dir := t.TempDir()
	m, err := gen.Generate(context.Background(), gen.Config{
		Seed: 3, Customers: 600, Orders: 1800, OutDir: dir, Formats: gen.Formats{WooCommerce: true},
		Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := func(name string) [][]byte {
		b, err := os.ReadFile(filepath.Join(dir, "woocommerce", name))
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	}
	shop := newTestShop(t, false)
	shop.raw = map[string][][]byte{"customers": lines("customers.jsonl"), "orders": lines("orders.jsonl")}
	c := shop.client(t, nil)
	ctx := context.Background()

	var customers []profiles.CustomerRecord
	err = c.ForEach(ctx, "customers", CustomersQuery(), 1, func(_ int, items []json.RawMessage) error {
		for _, raw := range items {
			r, err := decode.Customer("woo-b", raw)
			if err != nil {
				return err
			}
			customers = append(customers, r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var orders []profiles.OrderRecord
	guests := 0
	err = c.ForEach(ctx, "orders", OrdersQuery(), 1, func(_ int, items []json.RawMessage) error {
		for _, raw := range items {
			o, err := decode.Order("woo-b", raw)
			if err != nil {
				return err
			}
			if o.IsGuest() {
				guests++
			}
			orders = append(orders, o)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wc := m.Counts
	if len(customers) != wc.WooCustomers || len(orders) != wc.WooOrders || guests != wc.WooGuests {
		t.Fatalf("got %d customers, %d orders, %d guests; manifest %d, %d, %d",
			len(customers), len(orders), guests, wc.WooCustomers, wc.WooOrders, wc.WooGuests)
	}
	pages := int64((wc.WooCustomers+99)/100 + (wc.WooOrders+99)/100)
	if shop.requests.Load() != pages {
		t.Errorf("%d requests for %d pages", shop.requests.Load(), pages)
	}
	res, err := profiles.Build(customers, orders, profiles.BuildOptions{BaseCurrency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Profiles) == 0 || len(res.Profiles) >= len(customers)+guests {
		t.Errorf("%d profiles from %d customers and %d guest orders: guests did not join accounts", len(res.Profiles), len(customers), guests)
	}
	devices := 0
	for _, p := range res.Profiles {
		devices += len(p.Summary.Devices)
	}
	if devices == 0 {
		t.Error("no device from customer_user_agent")
	}
}
