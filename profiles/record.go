package profiles

import (
	"time"

	"github.com/shopspring/decimal"
)

// Record kinds, as they appear in a SourceRef.
const (
	KindCustomer   = "customer"
	KindGuestOrder = "guest_order"
)

// SourceRef names one platform record a profile is linked to: a customer account, or the
// identity behind a guest order. Write-back goes to every linked customer record.
type SourceRef struct {
	Store string `cbor:"1,keyasint" json:"store"`
	Kind  string `cbor:"2,keyasint" json:"kind"`
	ID    string `cbor:"3,keyasint" json:"id"`
}

// Key is the SourceRef's stable string form, "store/kind/id".
func (r SourceRef) Key() string { return r.Store + "/" + r.Kind + "/" + r.ID }

// Address is a postal address as a platform reported it (raw, before cleaning).
type Address struct {
	FirstName string `cbor:"1,keyasint,omitempty" json:"first_name,omitempty"`
	LastName  string `cbor:"2,keyasint,omitempty" json:"last_name,omitempty"`
	Company   string `cbor:"3,keyasint,omitempty" json:"company,omitempty"`
	Address1  string `cbor:"4,keyasint,omitempty" json:"address1,omitempty"`
	Address2  string `cbor:"5,keyasint,omitempty" json:"address2,omitempty"`
	City      string `cbor:"6,keyasint,omitempty" json:"city,omitempty"`
	Region    string `cbor:"7,keyasint,omitempty" json:"region,omitempty"`
	Postcode  string `cbor:"8,keyasint,omitempty" json:"postcode,omitempty"`
	Country   string `cbor:"9,keyasint,omitempty" json:"country,omitempty"`
	Phone     string `cbor:"10,keyasint,omitempty" json:"phone,omitempty"`
}

// IsZero reports whether the address holds nothing.
func (a Address) IsZero() bool { return a == Address{} }

// Consent is marketing consent exactly as the platform reported it. cohortd never invents or
// upgrades it: an empty State means the platform said nothing.
type Consent struct {
	State     string    `cbor:"1,keyasint,omitempty" json:"state,omitempty"` // subscribed, not_subscribed, unsubscribed, pending, ...
	OptInType string    `cbor:"2,keyasint,omitempty" json:"opt_in,omitempty"`
	UpdatedAt time.Time `cbor:"3,keyasint,omitzero" json:"updated_at,omitzero"`
}

// CustomerRecord is one platform customer as a connector decoded it, before cleaning. Strings
// are raw: the profiles package normalizes them.
type CustomerRecord struct {
	Store     string    `cbor:"1,keyasint" json:"store"`
	ID        string    `cbor:"2,keyasint" json:"id"`
	Email     string    `cbor:"3,keyasint,omitempty" json:"email,omitempty"`
	Phone     string    `cbor:"4,keyasint,omitempty" json:"phone,omitempty"`
	FirstName string    `cbor:"5,keyasint,omitempty" json:"first_name,omitempty"`
	LastName  string    `cbor:"6,keyasint,omitempty" json:"last_name,omitempty"`
	Addresses []Address `cbor:"7,keyasint,omitempty" json:"addresses,omitempty"` // default address first
	Locale    string    `cbor:"8,keyasint,omitempty" json:"locale,omitempty"`
	Consent   Consent   `cbor:"9,keyasint,omitempty" json:"consent,omitzero"`
	Tags      []string  `cbor:"10,keyasint,omitempty" json:"tags,omitempty"` // the merchant's tags, read-only to us
	BirthDate string    `cbor:"11,keyasint,omitempty" json:"birth_date,omitempty"`
	CreatedAt time.Time `cbor:"12,keyasint,omitzero" json:"created_at,omitzero"`
	UpdatedAt time.Time `cbor:"13,keyasint,omitzero" json:"updated_at,omitzero"`
	// Deleted marks a customer the platform deleted (a tombstone).
	Deleted bool `cbor:"14,keyasint,omitempty" json:"deleted,omitempty"`
}

// Ref is the record's SourceRef.
func (c CustomerRecord) Ref() SourceRef {
	return SourceRef{Store: c.Store, Kind: KindCustomer, ID: c.ID}
}

// LineItem is one order line.
type LineItem struct {
	ProductID   string          `cbor:"1,keyasint,omitempty" json:"product_id,omitempty"`
	SKU         string          `cbor:"2,keyasint,omitempty" json:"sku,omitempty"`
	Title       string          `cbor:"3,keyasint,omitempty" json:"title,omitempty"`
	ProductType string          `cbor:"4,keyasint,omitempty" json:"product_type,omitempty"`
	Vendor      string          `cbor:"5,keyasint,omitempty" json:"vendor,omitempty"`
	Quantity    int             `cbor:"6,keyasint,omitempty" json:"quantity,omitempty"`
	Price       decimal.Decimal `cbor:"7,keyasint" json:"price"` // unit price in the order currency
}

// OrderRecord is one platform order as a connector decoded it, before cleaning. CustomerID is
// empty for a guest order: the buyer is known only by the order's email, phone and addresses.
type OrderRecord struct {
	Store       string          `cbor:"1,keyasint" json:"store"`
	ID          string          `cbor:"2,keyasint" json:"id"`
	CustomerID  string          `cbor:"3,keyasint,omitempty" json:"customer_id,omitempty"`
	Email       string          `cbor:"4,keyasint,omitempty" json:"email,omitempty"`
	Phone       string          `cbor:"5,keyasint,omitempty" json:"phone,omitempty"`
	CreatedAt   time.Time       `cbor:"6,keyasint" json:"created_at"`
	UpdatedAt   time.Time       `cbor:"7,keyasint,omitzero" json:"updated_at,omitzero"`
	CancelledAt time.Time       `cbor:"8,keyasint,omitzero" json:"cancelled_at,omitzero"`
	Currency    string          `cbor:"9,keyasint" json:"currency"`
	Total       decimal.Decimal `cbor:"10,keyasint" json:"total"`    // order total in Currency
	Refunded    decimal.Decimal `cbor:"11,keyasint" json:"refunded"` // sum of refunds in Currency
	Lines       []LineItem      `cbor:"12,keyasint,omitempty" json:"lines,omitempty"`
	Billing     Address         `cbor:"13,keyasint,omitempty" json:"billing,omitzero"`
	Shipping    Address         `cbor:"14,keyasint,omitempty" json:"shipping,omitzero"`
	UserAgent   string          `cbor:"15,keyasint,omitempty" json:"user_agent,omitempty"`
	BrowserIP   string          `cbor:"16,keyasint,omitempty" json:"browser_ip,omitempty"`
	Locale      string          `cbor:"17,keyasint,omitempty" json:"locale,omitempty"`
	// Shop is the order in the shop's own currency as the platform converted it when the
	// order was placed (Shopify's shopMoney); nil when the platform gives one currency only.
	// Total, Refunded and Currency stay the presentment money the customer paid.
	Shop *ShopMoney `cbor:"18,keyasint,omitempty" json:"shop,omitempty"`
}

// ShopMoney is an order's total and refunds in the shop currency.
type ShopMoney struct {
	Currency string          `cbor:"1,keyasint" json:"currency"`
	Total    decimal.Decimal `cbor:"2,keyasint" json:"total"`
	Refunded decimal.Decimal `cbor:"3,keyasint" json:"refunded"`
}

// IsGuest reports whether the order has no customer account.
func (o OrderRecord) IsGuest() bool { return o.CustomerID == "" }

// Ref is the SourceRef of the identity behind the order: the customer account, or the guest
// order itself.
func (o OrderRecord) Ref() SourceRef {
	if o.IsGuest() {
		return SourceRef{Store: o.Store, Kind: KindGuestOrder, ID: o.ID}
	}
	return SourceRef{Store: o.Store, Kind: KindCustomer, ID: o.CustomerID}
}
