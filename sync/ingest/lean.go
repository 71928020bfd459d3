package ingest

import (
	"unique"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store/codec"
)

// A rebuild holds every stored record in memory at once, so the records are decoded lean:
// only what profiles.Build reads, with the strings that repeat across records (store ids,
// currencies, countries, product types, user agents, tags, ...) interned, so a million
// orders share one copy of each rather than a million.

// leanLine is what profiles.Build reads of an order line: its product type or vendor (for
// affinity), quantity and price. Title, SKU and product id stay undecoded.
type leanLine struct {
	ProductType string          `cbor:"4,keyasint,omitempty"`
	Vendor      string          `cbor:"5,keyasint,omitempty"`
	Quantity    int             `cbor:"6,keyasint,omitempty"`
	Price       decimal.Decimal `cbor:"7,keyasint"`
}

// leanOrder decodes an order with lean lines: its Lines field (key 12) dominates the embedded
// record's.
type leanOrder struct {
	profiles.OrderRecord
	Lines []leanLine `cbor:"12,keyasint,omitempty"`
}

// decodeLeanOrder decodes a stored order for a rebuild into o: by decodeOrderFast when it
// knows the encoding, else by the codec.
func decodeLeanOrder(v []byte, o *profiles.OrderRecord) error {
	if decodeOrderFast(v, o) {
		return nil
	}
	return decodeLeanOrderCodec(v, o)
}

// decodeDigestedOrder is decodeLeanOrder for an order that is digested and dropped: its texts
// are not interned.
func decodeDigestedOrder(v []byte, o *profiles.OrderRecord) error {
	if readOrder(v, o, true) {
		return nil
	}
	return decodeLeanOrderCodec(v, o)
}

// decodeLeanOrderCodec is decodeLeanOrder through the codec's reflection.
func decodeLeanOrderCodec(v []byte, o *profiles.OrderRecord) error {
	var lo leanOrder
	if err := codec.Unmarshal(v, &lo); err != nil {
		return err
	}
	*o = lo.OrderRecord
	if len(lo.Lines) > 0 {
		o.Lines = make([]profiles.LineItem, len(lo.Lines))
		for i, l := range lo.Lines {
			o.Lines[i] = profiles.LineItem{ProductType: intern(l.ProductType), Vendor: intern(l.Vendor),
				Quantity: l.Quantity, Price: l.Price}
		}
	}
	o.Store, o.Currency, o.Locale = intern(o.Store), intern(o.Currency), intern(o.Locale)
	o.UserAgent = intern(o.UserAgent)
	internAddress(&o.Billing)
	internAddress(&o.Shipping)
	if o.Shop != nil {
		o.Shop.Currency = intern(o.Shop.Currency)
	}
	return nil
}

// decodeLeanCustomer decodes a stored customer for a rebuild into c: by decodeCustomerFast
// when it knows the encoding, else by the codec.
func decodeLeanCustomer(v []byte, c *profiles.CustomerRecord) error {
	if decodeCustomerFast(v, c) {
		return nil
	}
	*c = profiles.CustomerRecord{} // nothing the fast decoder read before it refused
	return decodeLeanCustomerCodec(v, c)
}

// decodePackedCustomer is decodeLeanCustomer for a customer that is packed and dropped: its
// texts are not interned.
func decodePackedCustomer(v []byte, c *profiles.CustomerRecord) error {
	if readCustomer(v, c, true) {
		return nil
	}
	*c = profiles.CustomerRecord{}
	return decodeLeanCustomerCodec(v, c)
}

// decodeLeanCustomerCodec is decodeLeanCustomer through the codec's reflection.
func decodeLeanCustomerCodec(v []byte, c *profiles.CustomerRecord) error {
	if err := codec.Unmarshal(v, c); err != nil {
		return err
	}
	c.Store, c.Locale = intern(c.Store), intern(c.Locale)
	c.Consent.State, c.Consent.OptInType = intern(c.Consent.State), intern(c.Consent.OptInType)
	if len(c.Addresses) > 1 { // Build reads the default address only
		c.Addresses = []profiles.Address{c.Addresses[0]}
	}
	for i := range c.Addresses {
		internAddress(&c.Addresses[i])
	}
	for i, t := range c.Tags {
		c.Tags[i] = intern(t)
	}
	return nil
}

func internAddress(a *profiles.Address) {
	a.City, a.Region, a.Country = intern(a.City), intern(a.Region), intern(a.Country)
}

// intern returns the canonical copy of s.
func intern(s string) string {
	if s == "" {
		return ""
	}
	return unique.Make(s).Value()
}
