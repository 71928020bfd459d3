// Package profiles owns the canonical customer model: raw records as connectors decode them
// (record.go), the cleaned and merged Profile (this file), the cleaning and merging logic
// (build.go, merge.go) and data-quality figures (quality.go). Normalizers live in
// profiles/normalize and identity resolution in profiles/identity; persistence goes through
// package store and is driven by package sync.
package profiles

import (
	"time"

	"github.com/shopspring/decimal"
)

// Profile is one person: every source record that resolved to them, their cleaned contact
// fields with where each came from, and a summary of their orders.
type Profile struct {
	ID      string      `cbor:"1,keyasint" json:"id"`
	Sources []SourceRef `cbor:"2,keyasint" json:"sources"`

	Emails    []EmailValue   `cbor:"3,keyasint,omitempty" json:"emails,omitempty"` // primary first
	Phones    []PhoneValue   `cbor:"4,keyasint,omitempty" json:"phones,omitempty"` // primary first
	FirstName string         `cbor:"5,keyasint,omitempty" json:"first_name,omitempty"`
	LastName  string         `cbor:"6,keyasint,omitempty" json:"last_name,omitempty"`
	Addresses []CleanAddress `cbor:"7,keyasint,omitempty" json:"addresses,omitempty"` // most recent first
	Locale    string         `cbor:"8,keyasint,omitempty" json:"locale,omitempty"`
	BirthDate string         `cbor:"9,keyasint,omitempty" json:"birth_date,omitempty"`
	// Consent per linked source, exactly as reported; never invented.
	Consent map[string]Consent `cbor:"10,keyasint,omitempty" json:"consent,omitempty"`
	// MerchantTags per linked customer record ("store/customer/id"), read-only to us.
	MerchantTags map[string][]string `cbor:"11,keyasint,omitempty" json:"merchant_tags,omitempty"`
	FirstSeen    time.Time           `cbor:"12,keyasint,omitzero" json:"first_seen,omitzero"`
	// FieldSources says where each surviving field came from: "shop-a/customer/17",
	// "shop-a/order/1001 (billing)".
	FieldSources map[string]string `cbor:"13,keyasint,omitempty" json:"field_sources,omitempty"`
	Summary      OrderSummary      `cbor:"14,keyasint" json:"summary"`
	// MergeScore is the lowest match probability among the links that built this profile
	// (1 when every link was deterministic or it has a single source).
	MergeScore float64 `cbor:"15,keyasint,omitempty" json:"merge_score,omitempty"`
	// Orders are the profile's orders in compact form, oldest first, so segments can be
	// recomputed from the profile alone.
	Orders []CompactOrder `cbor:"16,keyasint,omitempty" json:"orders,omitempty"`
}

// CompactOrder is what segments need of one order.
type CompactOrder struct {
	ID        string          `cbor:"1,keyasint" json:"id"` // "store/id"
	At        time.Time       `cbor:"2,keyasint" json:"at"`
	Currency  string          `cbor:"3,keyasint" json:"currency"`
	Net       decimal.Decimal `cbor:"4,keyasint" json:"net"`                           // total minus refunds, order currency
	NetBase   decimal.Decimal `cbor:"5,keyasint" json:"net_base"`                      // the same in the base currency
	Converted bool            `cbor:"6,keyasint,omitempty" json:"converted,omitempty"` // false: no rate, NetBase is zero
	Cancelled bool            `cbor:"7,keyasint,omitempty" json:"cancelled,omitempty"`
	Refunded  bool            `cbor:"8,keyasint,omitempty" json:"refunded,omitempty"`
	Items     int             `cbor:"9,keyasint,omitempty" json:"items,omitempty"`
	Device    string          `cbor:"10,keyasint,omitempty" json:"device,omitempty"`
	// Zero marks an order that bought nothing (left out of the summary's orders and spend).
	Zero bool `cbor:"11,keyasint,omitempty" json:"zero,omitempty"`
	// Types is the order's spend in the base currency per product type (or vendor), net of
	// refunds pro rata: product affinity decays it by the order's age.
	Types []TypeSpend `cbor:"12,keyasint,omitempty" json:"types,omitempty"`
}

// TypeSpend is spend on one product type (or vendor) in the base currency.
type TypeSpend struct {
	Type  string          `cbor:"1,keyasint" json:"type"`
	Spend decimal.Decimal `cbor:"2,keyasint" json:"spend"`
}

// EmailValue is a cleaned email address with its matching key and flags.
type EmailValue struct {
	Address string `cbor:"1,keyasint" json:"address"`
	Key     string `cbor:"2,keyasint,omitempty" json:"key,omitempty"`
	Flags   string `cbor:"3,keyasint,omitempty" json:"flags,omitempty"` // "role,disposable", "invalid"
}

// PhoneValue is a cleaned phone number: E.164 when valid, the raw text otherwise.
type PhoneValue struct {
	E164  string `cbor:"1,keyasint,omitempty" json:"e164,omitempty"`
	Raw   string `cbor:"2,keyasint,omitempty" json:"raw,omitempty"`
	Valid bool   `cbor:"3,keyasint,omitempty" json:"valid"`
}

// CleanAddress is a normalized address: ISO country code, region code, continent.
type CleanAddress struct {
	Address1    string `cbor:"1,keyasint,omitempty" json:"address1,omitempty"`
	Address2    string `cbor:"2,keyasint,omitempty" json:"address2,omitempty"`
	City        string `cbor:"3,keyasint,omitempty" json:"city,omitempty"`
	Region      string `cbor:"4,keyasint,omitempty" json:"region,omitempty"`
	Postcode    string `cbor:"5,keyasint,omitempty" json:"postcode,omitempty"`
	CountryCode string `cbor:"6,keyasint,omitempty" json:"country_code,omitempty"`
	Continent   string `cbor:"7,keyasint,omitempty" json:"continent,omitempty"`
}

// OrderSummary is kept from the profile's orders; segments read it.
type OrderSummary struct {
	Orders        int       `cbor:"1,keyasint" json:"orders"`
	Cancellations int       `cbor:"2,keyasint,omitempty" json:"cancellations,omitempty"`
	Refunds       int       `cbor:"3,keyasint,omitempty" json:"refunds,omitempty"` // orders with a refund
	FirstOrder    time.Time `cbor:"4,keyasint,omitzero" json:"first_order,omitzero"`
	LastOrder     time.Time `cbor:"5,keyasint,omitzero" json:"last_order,omitzero"`
	// Totals per order currency, net of refunds, cancelled orders excluded.
	Totals map[string]decimal.Decimal `cbor:"6,keyasint,omitempty" json:"totals,omitempty"`
	// TotalBase is the same in the configured base currency; Unconverted counts orders that
	// had no effective rate and are missing from it.
	TotalBase    decimal.Decimal `cbor:"7,keyasint" json:"total_base"`
	BaseCurrency string          `cbor:"8,keyasint,omitempty" json:"base_currency,omitempty"`
	Unconverted  int             `cbor:"9,keyasint,omitempty" json:"unconverted,omitempty"`
	RefundedBase decimal.Decimal `cbor:"10,keyasint" json:"refunded_base"`
	// ProductTypes: spend share input for affinity (product type or vendor -> spend in base).
	ProductTypes map[string]decimal.Decimal `cbor:"11,keyasint,omitempty" json:"product_types,omitempty"`
	Devices      map[string]int             `cbor:"12,keyasint,omitempty" json:"devices,omitempty"` // mobile/desktop/tablet -> orders
	ShipTo       map[string]int             `cbor:"13,keyasint,omitempty" json:"ship_to,omitempty"` // country code -> orders
	Items        int                        `cbor:"14,keyasint,omitempty" json:"items,omitempty"`   // units bought
	// ConvertedBase records what was converted: for each order currency other than the base,
	// the base-currency amount its net total became (rates are date-effective per order).
	ConvertedBase map[string]decimal.Decimal `cbor:"16,keyasint,omitempty" json:"converted_base,omitempty"`
	// ZeroValue counts orders that bought nothing (zero total, no priced line): left out of
	// Orders and spend.
	ZeroValue int `cbor:"15,keyasint,omitempty" json:"zero_value,omitempty"`
}
