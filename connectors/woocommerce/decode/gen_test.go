package decode

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cohortd/cohortd/internal/gen"
)

// Every record internal/gen writes for WooCommerce (the same keys as the real responses)
// decodes, and the decoded data agrees with the generator's own counts and with the raw
// fields it came from.
func TestGeneratedData(t *testing.T) {
	dir := t.TempDir()
	m, err := gen.Generate(context.Background(), gen.Config{
		Seed: 7, Customers: 800, Orders: 2400, OutDir: dir,
		Formats: gen.Formats{WooCommerce: true},
		Start:   time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	customers := 0
	eachLine(t, filepath.Join(dir, "woocommerce", "customers.jsonl"), func(line []byte) {
		c, err := Customer("woo-b", line)
		if err != nil {
			t.Fatal(err)
		}
		var raw struct {
			Email   string `json:"email"`
			Billing struct {
				Phone string `json:"phone"`
			} `json:"billing"`
		}
		_ = json.Unmarshal(line, &raw)
		if c.Email != raw.Email || c.Phone != raw.Billing.Phone || c.CreatedAt.IsZero() || c.UpdatedAt.Before(c.CreatedAt) {
			t.Fatalf("customer %s decoded wrong: %+v", c.ID, c)
		}
		customers++
	})
	var orders, guests, refunded, cancelled, withUA int
	eachLine(t, filepath.Join(dir, "woocommerce", "orders.jsonl"), func(line []byte) {
		o, err := Order("woo-b", line)
		if err != nil {
			t.Fatal(err)
		}
		var raw struct {
			Status  string            `json:"status"`
			Total   string            `json:"total"`
			Refunds []json.RawMessage `json:"refunds"`
			Created string            `json:"date_created_gmt"`
		}
		_ = json.Unmarshal(line, &raw)
		orders++
		if o.IsGuest() {
			guests++
		}
		if len(raw.Refunds) > 0 {
			refunded++
			if !o.Refunded.IsPositive() || o.Refunded.GreaterThan(o.Total) {
				t.Fatalf("order %s: refunded %s of %s", o.ID, o.Refunded, o.Total)
			}
		}
		if raw.Status == "refunded" && !o.Refunded.Equal(o.Total) {
			t.Fatalf("order %s refunded in full but Refunded %s of %s", o.ID, o.Refunded, o.Total)
		}
		if raw.Status == "cancelled" {
			cancelled++
			if o.CancelledAt.IsZero() {
				t.Fatalf("cancelled order %s without CancelledAt", o.ID)
			}
		}
		if o.CreatedAt.Format(gmtLayout) != raw.Created || len(o.Lines) == 0 || !o.Total.Equal(dec(raw.Total)) {
			t.Fatalf("order %s decoded wrong: %+v", o.ID, o)
		}
		if o.UserAgent != "" && o.BrowserIP != "" {
			withUA++
		}
	})
	c := m.Counts
	if customers != c.WooCustomers || orders != c.WooOrders || guests != c.WooGuests {
		t.Errorf("decoded %d customers, %d orders, %d guest orders; manifest %d, %d, %d",
			customers, orders, guests, c.WooCustomers, c.WooOrders, c.WooGuests)
	}
	if refunded == 0 || cancelled == 0 || withUA != orders {
		t.Errorf("refunded %d cancelled %d with user agent %d of %d", refunded, cancelled, withUA, orders)
	}
}

func eachLine(t *testing.T, path string, fn func([]byte)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		fn(sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}
