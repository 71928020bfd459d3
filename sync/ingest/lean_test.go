package ingest

import (
	"reflect"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store/codec"
)

// A lean order is the stored order without its lines' titles, SKUs and product ids: every
// other field, the lines' types, vendors, quantities and prices included, comes back.
func TestLeanOrderKeepsWhatBuildReads(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("", 3600))
	full := profiles.OrderRecord{
		Store: "shop", ID: "1001", CustomerID: "17", Email: "a@example.com", Phone: "+44 20 7946 0000",
		CreatedAt: at, UpdatedAt: at.Add(time.Hour), CancelledAt: at.Add(2 * time.Hour), Currency: "EUR",
		Total: decimal.RequireFromString("49.95"), Refunded: decimal.RequireFromString("10.00"),
		Lines: []profiles.LineItem{
			{ProductID: "p1", SKU: "SKU-1", Title: "Hat", ProductType: "Hats", Vendor: "Acme", Quantity: 2, Price: decimal.RequireFromString("12.50")},
			{ProductID: "p2", SKU: "SKU-2", Title: "Scarf", Vendor: "Knit Co", Quantity: 1, Price: decimal.RequireFromString("24.95")},
		},
		Billing:   profiles.Address{FirstName: "Ann", LastName: "Lee", Address1: "1 High St", City: "London", Country: "GB", Phone: "020"},
		Shipping:  profiles.Address{City: "Paris", Country: "FR"},
		UserAgent: "Mozilla/5.0 (iPhone)", BrowserIP: "192.0.2.1", Locale: "en-GB",
		Shop: &profiles.ShopMoney{Currency: "GBP", Total: decimal.RequireFromString("42.00"), Refunded: decimal.RequireFromString("8.40")},
	}
	data, err := codec.Marshal(&full)
	if err != nil {
		t.Fatal(err)
	}
	var got profiles.OrderRecord
	if err := decodeLeanOrder(data, &got); err != nil {
		t.Fatal(err)
	}
	want := full
	want.Lines = []profiles.LineItem{
		{ProductType: "Hats", Vendor: "Acme", Quantity: 2, Price: decimal.RequireFromString("12.50")},
		{Vendor: "Knit Co", Quantity: 1, Price: decimal.RequireFromString("24.95")},
	}
	// Compare through the codec: decimals and times compare by value there.
	wb, _ := codec.Marshal(&want)
	gb, _ := codec.Marshal(&got)
	if string(wb) != string(gb) {
		t.Fatalf("lean order:\n got %+v\nwant %+v", got, want)
	}
}

func TestLeanCustomerIsTheStoredCustomer(t *testing.T) {
	full := profiles.CustomerRecord{
		Store: "shop", ID: "17", Email: "a@example.com", FirstName: "Ann", LastName: "Lee", Locale: "en",
		Addresses: []profiles.Address{{Address1: "1 High St", City: "London", Region: "ENG", Country: "GB"}},
		Consent:   profiles.Consent{State: "subscribed", OptInType: "single_opt_in", UpdatedAt: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
		Tags:      []string{"vip", "wholesale"}, BirthDate: "1980-02-03",
		CreatedAt: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC),
	}
	data, err := codec.Marshal(&full)
	if err != nil {
		t.Fatal(err)
	}
	var got profiles.CustomerRecord
	if err := decodeLeanCustomer(data, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, full) {
		t.Fatalf("lean customer:\n got %+v\nwant %+v", got, full)
	}
	// Of several addresses, the default (first) one only: Build reads no other.
	more := full
	more.Addresses = append(slices.Clone(full.Addresses), profiles.Address{Address1: "2 Low St", City: "Leeds"})
	if data, err = codec.Marshal(&more); err != nil {
		t.Fatal(err)
	}
	if err := decodeLeanCustomer(data, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, full) {
		t.Fatalf("lean customer of two addresses:\n got %+v\nwant %+v", got, full)
	}
}

func TestInternSharesOneCopy(t *testing.T) {
	a, b := intern(string([]byte("Mozilla/5.0"))), intern(string([]byte("Mozilla/5.0")))
	if unsafeData(a) != unsafeData(b) {
		t.Fatal("two interned copies of one string do not share their bytes")
	}
	if intern("") != "" {
		t.Fatal("intern of the empty string")
	}
}

func unsafeData(s string) *byte { return unsafe.StringData(s) }
