package decode

import (
	"encoding/json"
	"testing"

	"github.com/cohortd/cohortd/profiles"
)

// The expected records below are written out by hand from the real samples; none is produced
// by the code under test.

var wantCustomer3 = profiles.CustomerRecord{
	Store:     "woo",
	ID:        "3",
	Email:     "c001@example.test",
	Phone:     "+15550000001",
	FirstName: "C1",
	Addresses: []profiles.Address{{Country: "DE", Phone: "+15550000001"}},
	CreatedAt: utc("2026-11-23T09:05:52Z"),
	UpdatedAt: utc("2026-11-23T09:06:27Z"),
}

var wantCustomer2 = profiles.CustomerRecord{
	Store:     "woo",
	ID:        "2",
	Email:     "c000@example.test",
	Phone:     "+15550000000",
	FirstName: "C0",
	Addresses: []profiles.Address{{Country: "DE", Phone: "+15550000000"}},
	CreatedAt: utc("2026-11-23T09:05:52Z"),
	UpdatedAt: utc("2026-11-23T09:05:52Z"),
}

var wantOrder11 = profiles.OrderRecord{
	Store:      "woo",
	ID:         "11",
	CustomerID: "", // guest: customer_id 0
	Email:      "guest@example.test",
	Phone:      "+4930123",
	CreatedAt:  utc("2026-11-23T09:06:21Z"),
	UpdatedAt:  utc("2026-11-23T09:06:21Z"),
	Currency:   "EUR",
	Total:      dec("19.98"),
	Refunded:   dec("0"),
	Lines:      []profiles.LineItem{{ProductID: "10", SKU: "W-1", Title: "Widget", Quantity: 2, Price: dec("9.99")}},
	Billing:    profiles.Address{FirstName: "Guest", Country: "DE", Phone: "+4930123"},
}

var wantOrder12 = profiles.OrderRecord{
	Store:      "woo",
	ID:         "12",
	CustomerID: "3",
	Email:      "c001@example.test",
	CreatedAt:  utc("2026-11-23T09:06:23Z"),
	UpdatedAt:  utc("2026-11-23T09:06:23Z"),
	Currency:   "USD",
	Total:      dec("49.95"), // WooCommerce leaves the total as it was
	Refunded:   dec("10.00"), // refunds[0].total is "-10.00"
	Lines:      []profiles.LineItem{{ProductID: "10", SKU: "W-1", Title: "Widget", Quantity: 5, Price: dec("9.99")}},
}

func TestGoldenCustomer(t *testing.T) {
	got, err := Customer("woo", sample(t, "customer-3.json"))
	if err != nil {
		t.Fatal(err)
	}
	same(t, "customer-3.json", got, wantCustomer3)
	if got.Consent != (profiles.Consent{}) {
		t.Errorf("consent %+v: WooCommerce core reports none", got.Consent)
	}
}

func TestGoldenCustomersListPage(t *testing.T) {
	var items []json.RawMessage
	if err := json.Unmarshal(sample(t, "customers-list-page.json"), &items); err != nil {
		t.Fatal(err)
	}
	want := []profiles.CustomerRecord{wantCustomer2, wantCustomer3}
	if len(items) != len(want) {
		t.Fatalf("%d items, want %d", len(items), len(want))
	}
	for i, raw := range items {
		got, err := Customer("woo", raw)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "list item", got, want[i])
	}
}

func TestGoldenGuestOrder(t *testing.T) {
	got, err := Order("woo", sample(t, "order-11-guest.json"))
	if err != nil {
		t.Fatal(err)
	}
	same(t, "order-11-guest.json", got, wantOrder11)
	if !got.IsGuest() || got.Ref() != (profiles.SourceRef{Store: "woo", Kind: profiles.KindGuestOrder, ID: "11"}) {
		t.Errorf("guest order ref %+v", got.Ref())
	}
}

func TestGoldenOrderWithRefund(t *testing.T) {
	got, err := Order("woo", sample(t, "order-12-with-refund.json"))
	if err != nil {
		t.Fatal(err)
	}
	same(t, "order-12-with-refund.json", got, wantOrder12)
	if net := got.Total.Sub(got.Refunded); !net.Equal(dec("39.95")) {
		t.Errorf("net %s, want 39.95", net)
	}
	if got.Ref() != (profiles.SourceRef{Store: "woo", Kind: profiles.KindCustomer, ID: "3"}) {
		t.Errorf("ref %+v", got.Ref())
	}
	// The refund endpoint agrees with the order's refunds[] summary.
	var refunds []struct {
		ID     int    `json:"id"`
		Amount string `json:"amount"`
	}
	if err := json.Unmarshal(sample(t, "order-12-refunds.json"), &refunds); err != nil {
		t.Fatal(err)
	}
	if len(refunds) != 1 || refunds[0].ID != 13 || !dec(refunds[0].Amount).Equal(got.Refunded) {
		t.Errorf("refunds endpoint %+v, decoded refunded %s", refunds, got.Refunded)
	}
}

// The order an account placed and the account itself build one profile, with the refund
// reducing its spend.
func TestGoldenBuildProfile(t *testing.T) {
	c, _ := Customer("woo", sample(t, "customer-3.json"))
	o12, _ := Order("woo", sample(t, "order-12-with-refund.json"))
	o11, _ := Order("woo", sample(t, "order-11-guest.json"))
	res, err := profiles.Build([]profiles.CustomerRecord{c}, []profiles.OrderRecord{o11, o12}, profiles.BuildOptions{BaseCurrency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Profiles) != 2 {
		t.Fatalf("%d profiles, want 2 (the account, the guest)", len(res.Profiles))
	}
	var account *profiles.Profile
	for i := range res.Profiles {
		for _, s := range res.Profiles[i].Sources {
			if s == c.Ref() {
				account = &res.Profiles[i]
			}
		}
	}
	if account == nil {
		t.Fatal("no profile links customer 3")
	}
	if got := account.Summary.Totals["USD"]; !got.Equal(dec("39.95")) {
		t.Errorf("customer 3 spend %s, want 39.95 (49.95 - 10.00 refunded)", got)
	}
	if account.Summary.Refunds != 1 || account.Summary.Orders != 1 {
		t.Errorf("summary orders %d refunds %d, want 1 and 1", account.Summary.Orders, account.Summary.Refunds)
	}
}
