package profiles

import (
	"cmp"
	"slices"
	"strings"
	"time"
	"unique"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles/identity"
	"github.com/cohortd/cohortd/profiles/normalize"
)

// OrderFacts is what Build keeps of one order: the key of the identity behind it, what it can
// fill in its customer's empty fields, the buyer of a guest order already cleaned, its weak
// evidence, and its money and summary inputs worked out. A rebuild holds every order at once,
// so it holds these (a few hundred bytes) rather than whole records (lines, two addresses, a
// user agent): an OrderDigester makes them as the orders are read, on every core.
type OrderFacts struct {
	store, id string
	key       string // the identity's SourceRef key
	guest     bool
	created   time.Time
	// fill is set for an account order whose customer record leaves a contact field empty
	// (or that has no customer record at all).
	fill *orderFill
	// buyer is set for a guest order.
	buyer *guestBuyer
	// Weak evidence, hashed as identity resolution compares it (identity.IPUserAgentToken,
	// ShippingToken); 0 when the order has none. The shipping address counts only with an
	// ip|ua token.
	ipua, shipping uint64
	// money is the packed orderMoneyFacts (factpack.go): the compact order without its id
	// and date, refunds in the base currency, unrounded spend per product type, shipping
	// country.
	money []byte
}

// orderFill is what one order offers an account's empty contact fields, in the order Build
// takes them: billing before shipping, the order's own phone last.
type orderFill struct {
	first, firstTag string
	last, lastTag   string
	phone, phoneTag string
	addr            *Address
	addrTag         string
	email           string
}

// guestBuyer is the cleaned identity behind a guest order: its key, packed, and its quality
// counts.
type guestBuyer struct {
	key     string
	packed  []byte
	quality identityQuality
}

// OrderDigester makes OrderFacts. It is made from the customers, so that orders keep fill data
// only for accounts with an empty contact field; safe for concurrent use.
type OrderDigester struct {
	opts     BuildOptions
	complete map[string]bool // customer key -> the record has every contact field
}

// NewOrderDigester returns a digester for orders of these customers (the same the Build gets).
func NewOrderDigester(customers []CustomerRecord, opts BuildOptions) *OrderDigester {
	d := &OrderDigester{opts: opts, complete: make(map[string]bool, len(customers))}
	for i := range customers {
		c := &customers[i]
		full := c.Deleted || c.FirstName != "" && c.LastName != "" && c.Email != "" && c.Phone != "" &&
			len(c.Addresses) > 0 && !c.Addresses[0].IsZero()
		d.complete[c.Ref().Key()] = full
	}
	return d
}

// Digest returns the facts of one order.
func (d *OrderDigester) Digest(o *OrderRecord) OrderFacts {
	opts := d.opts
	f := OrderFacts{store: o.Store, id: o.ID, key: o.Ref().Key(), guest: o.IsGuest(), created: o.CreatedAt}
	if f.guest {
		r, countryPresent, countryValid := guestIdentity(o)
		f.buyer = &guestBuyer{key: f.key, packed: packedIdentity(&r), quality: qualityOf(&r, countryPresent, countryValid)}
	} else {
		// A customer's orders share one copy of its key (millions of orders are held).
		f.key = unique.Make(f.key).Value()
	}
	if !f.guest && !d.complete[f.key] {
		f.fill = fillOf(o)
	}
	if o.BrowserIP != "" && o.UserAgent != "" {
		f.ipua = identity.IPUserAgentToken(o.BrowserIP + "|" + o.UserAgent + "|" + o.CreatedAt.UTC().Format(time.DateOnly))
		if !o.Shipping.IsZero() {
			f.shipping = identity.ShippingToken(strings.ToLower(strings.Join([]string{o.Shipping.Address1, o.Shipping.Postcode}, "|")))
		}
	}
	var mf orderMoneyFacts
	if c, ok := normalize.ParseCountry(o.Shipping.Country); ok {
		mf.shipTo = c.Code
	}

	m := moneyOf(o, opts)
	c := CompactOrder{
		At: o.CreatedAt.UTC(), Currency: o.Currency, Net: m.net,
		Cancelled: !o.CancelledAt.IsZero(), Refunded: o.Refunded.IsPositive(),
		Device: DeviceClass(o.UserAgent), NetBase: m.netBase, Converted: m.ok,
	}
	c.Zero = !c.Cancelled && !isPurchase(o)
	mf.refBase = m.refBase
	for _, l := range o.Lines {
		c.Items += max(l.Quantity, 0)
		key := cmp.Or(l.ProductType, l.Vendor)
		if key == "" || !m.ok || o.Total.IsZero() {
			continue
		}
		line := l.Price.Mul(decimal.NewFromInt(int64(l.Quantity)))
		if i := slices.IndexFunc(mf.types, func(t TypeSpend) bool { return t.Type == key }); i >= 0 {
			mf.types[i].Spend = mf.types[i].Spend.Add(line.Mul(m.netBase).Div(o.Total))
		} else {
			mf.types = append(mf.types, TypeSpend{Type: key, Spend: line.Mul(m.netBase).Div(o.Total)})
		}
		if c.Cancelled || c.Zero {
			continue
		}
		spend := line.Mul(c.NetBase).Div(o.Total).Round(4)
		if i := slices.IndexFunc(c.Types, func(t TypeSpend) bool { return t.Type == key }); i >= 0 {
			c.Types[i].Spend = c.Types[i].Spend.Add(spend)
		} else {
			c.Types = append(c.Types, TypeSpend{Type: key, Spend: spend})
		}
	}
	if c.Cancelled || c.Zero {
		mf.types = nil // the summary leaves these orders' lines out
	}
	c.At = time.Time{} // made again from created
	mf.compact = c
	f.money = slices.Clip(packMoney(make([]byte, 0, 64), &mf))
	return f
}

// fillOf is what an account order offers its customer's empty fields.
func fillOf(o *OrderRecord) *orderFill {
	var f orderFill
	for _, a := range [...]struct {
		addr *Address
		tag  string
	}{{&o.Billing, "billing"}, {&o.Shipping, "shipping"}} {
		if f.first == "" && a.addr.FirstName != "" {
			f.first, f.firstTag = a.addr.FirstName, a.tag
		}
		if f.last == "" && a.addr.LastName != "" {
			f.last, f.lastTag = a.addr.LastName, a.tag
		}
		if f.phone == "" && a.addr.Phone != "" {
			f.phone, f.phoneTag = a.addr.Phone, a.tag
		}
		if f.addr == nil && !a.addr.IsZero() {
			addr := *a.addr
			f.addr, f.addrTag = &addr, a.tag
		}
	}
	f.email = o.Email
	if f.phone == "" && o.Phone != "" {
		f.phone = o.Phone
	}
	if f == (orderFill{}) {
		return nil
	}
	return &f
}
