package codec

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// The types below model a realistic merged customer profile as the profiles
// package is expected to store it. They exist to benchmark the codec
// against encoding/json, so they carry both tag sets.

type testAddress struct {
	Line1       string `json:"line1,omitempty" cbor:"1,keyasint,omitempty"`
	Line2       string `json:"line2,omitempty" cbor:"2,keyasint,omitempty"`
	City        string `json:"city,omitempty" cbor:"3,keyasint,omitempty"`
	Province    string `json:"province,omitempty" cbor:"4,keyasint,omitempty"`
	Zip         string `json:"zip,omitempty" cbor:"5,keyasint,omitempty"`
	CountryCode string `json:"country_code,omitempty" cbor:"6,keyasint,omitempty"`
	Default     bool   `json:"default,omitempty" cbor:"7,keyasint,omitempty"`
}

type testConsent struct {
	EmailMarketing bool      `json:"email_marketing" cbor:"1,keyasint,omitempty"`
	SMSMarketing   bool      `json:"sms_marketing" cbor:"2,keyasint,omitempty"`
	OptInLevel     string    `json:"opt_in_level,omitempty" cbor:"3,keyasint,omitempty"`
	UpdatedAt      time.Time `json:"updated_at" cbor:"4,keyasint,omitempty"`
}

type testLineItem struct {
	SKU      string `json:"sku,omitempty" cbor:"1,keyasint,omitempty"`
	Title    string `json:"title,omitempty" cbor:"2,keyasint,omitempty"`
	Quantity int    `json:"quantity" cbor:"3,keyasint,omitempty"`
	Price    string `json:"price" cbor:"4,keyasint,omitempty"` // decimal as string
}

type testOrder struct {
	ID        string         `json:"id" cbor:"1,keyasint,omitempty"`
	Number    string         `json:"number,omitempty" cbor:"2,keyasint,omitempty"`
	CreatedAt time.Time      `json:"created_at" cbor:"3,keyasint,omitempty"`
	Currency  string         `json:"currency,omitempty" cbor:"4,keyasint,omitempty"`
	Subtotal  string         `json:"subtotal" cbor:"5,keyasint,omitempty"`
	Tax       string         `json:"tax" cbor:"6,keyasint,omitempty"`
	Total     string         `json:"total" cbor:"7,keyasint,omitempty"`
	Status    string         `json:"status,omitempty" cbor:"8,keyasint,omitempty"`
	Items     []testLineItem `json:"items,omitempty" cbor:"9,keyasint,omitempty"`
}

type testOrderSummary struct {
	Count         int       `json:"count" cbor:"1,keyasint,omitempty"`
	TotalSpent    string    `json:"total_spent" cbor:"2,keyasint,omitempty"`
	AvgOrderValue string    `json:"avg_order_value" cbor:"3,keyasint,omitempty"`
	Currency      string    `json:"currency,omitempty" cbor:"4,keyasint,omitempty"`
	FirstOrderAt  time.Time `json:"first_order_at" cbor:"5,keyasint,omitempty"`
	LastOrderAt   time.Time `json:"last_order_at" cbor:"6,keyasint,omitempty"`
}

type testProfile struct {
	ID        string            `json:"id" cbor:"1,keyasint,omitempty"`
	Emails    []string          `json:"emails,omitempty" cbor:"2,keyasint,omitempty"`
	Phone     string            `json:"phone,omitempty" cbor:"3,keyasint,omitempty"`
	FirstName string            `json:"first_name,omitempty" cbor:"4,keyasint,omitempty"`
	LastName  string            `json:"last_name,omitempty" cbor:"5,keyasint,omitempty"`
	Addresses []testAddress     `json:"addresses,omitempty" cbor:"6,keyasint,omitempty"`
	Consent   testConsent       `json:"consent" cbor:"7,keyasint,omitempty"`
	Tags      []string          `json:"tags,omitempty" cbor:"8,keyasint,omitempty"`
	Summary   testOrderSummary  `json:"order_summary" cbor:"9,keyasint,omitempty"`
	Orders    []testOrder       `json:"orders,omitempty" cbor:"10,keyasint,omitempty"`
	Sources   map[string]string `json:"sources,omitempty" cbor:"11,keyasint,omitempty"`
	CreatedAt time.Time         `json:"created_at" cbor:"12,keyasint,omitempty"`
	UpdatedAt time.Time         `json:"updated_at" cbor:"13,keyasint,omitempty"`
}

func realisticProfile() testProfile {
	base := time.Date(2024, 3, 14, 9, 26, 53, 0, time.UTC)
	p := testProfile{
		ID:        "prof_01HS3K2V6Y8Q4ZP7N2B5C9D0EF",
		Emails:    []string{"jane.doe@example.com", "jdoe.work@example.org"},
		Phone:     "+14155550123",
		FirstName: "Jane",
		LastName:  "Doe",
		Addresses: []testAddress{
			{Line1: "123 Market Street", Line2: "Apt 4B", City: "San Francisco", Province: "CA", Zip: "94103", CountryCode: "US", Default: true},
			{Line1: "500 Howard St", City: "San Francisco", Province: "CA", Zip: "94105", CountryCode: "US"},
		},
		Consent: testConsent{EmailMarketing: true, OptInLevel: "confirmed_opt_in", UpdatedAt: base.Add(-90 * 24 * time.Hour)},
		Tags:    []string{"vip", "newsletter", "wholesale-lead", "returning"},
		Sources: map[string]string{"shopify": "gid://shopify/Customer/7081234567890", "woocommerce": "4821"},
		Summary: testOrderSummary{
			Count: 10, TotalSpent: "1234.50", AvgOrderValue: "123.45", Currency: "USD",
			FirstOrderAt: base.Add(-400 * 24 * time.Hour), LastOrderAt: base.Add(-3 * 24 * time.Hour),
		},
		CreatedAt: base.Add(-400 * 24 * time.Hour),
		UpdatedAt: base,
	}
	for i := range 10 {
		o := testOrder{
			ID:        fmt.Sprintf("gid://shopify/Order/55012345%04d", i),
			Number:    fmt.Sprintf("#%d", 1001+i),
			CreatedAt: base.Add(-time.Duration(400-40*i) * 24 * time.Hour),
			Currency:  "USD", Subtotal: "112.23", Tax: "11.22", Total: "123.45", Status: "fulfilled",
		}
		for j := range 3 {
			o.Items = append(o.Items, testLineItem{
				SKU:      fmt.Sprintf("SKU-%03d-%d", 100+i, j),
				Title:    "Organic Cotton T-Shirt - Navy / M",
				Quantity: 1 + j,
				Price:    "24.99",
			})
		}
		p.Orders = append(p.Orders, o)
	}
	return p
}

func BenchmarkMarshalCBOR(b *testing.B) {
	p := realisticProfile()
	var n int
	b.ReportAllocs()
	for b.Loop() {
		data, err := Marshal(&p)
		if err != nil {
			b.Fatal(err)
		}
		n = len(data)
	}
	b.ReportMetric(float64(n), "bytes/op-size")
}

func BenchmarkMarshalJSON(b *testing.B) {
	p := realisticProfile()
	var n int
	b.ReportAllocs()
	for b.Loop() {
		data, err := json.Marshal(&p)
		if err != nil {
			b.Fatal(err)
		}
		n = len(data)
	}
	b.ReportMetric(float64(n), "bytes/op-size")
}

func BenchmarkUnmarshalCBOR(b *testing.B) {
	p := realisticProfile()
	data, err := Marshal(&p)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var out testProfile
		if err := Unmarshal(data, &out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data)), "bytes/op-size")
}

func BenchmarkUnmarshalJSON(b *testing.B) {
	p := realisticProfile()
	data, err := json.Marshal(&p)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var out testProfile
		if err := json.Unmarshal(data, &out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data)), "bytes/op-size")
}
