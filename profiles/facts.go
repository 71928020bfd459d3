package profiles

import (
	"bytes"
	"cmp"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/internal/parallel"
	"github.com/cohortd/cohortd/profiles/identity"
	"github.com/cohortd/cohortd/profiles/normalize"
)

// OrderFacts is what Build keeps of one order: the key of the identity behind it, what it can
// fill in its customer's empty fields, the buyer of a guest order already cleaned, its weak
// evidence, and its money and summary inputs worked out. A rebuild holds every order at once,
// so it holds these rather than whole records (lines, two addresses, a user agent): an
// OrderDigester makes them as the orders are read, on every core. The struct holds no
// pointer: the variable part is a record in its digester's factArena (factarena.go).
type OrderFacts struct {
	// Weak evidence, hashed as identity resolution compares it (identity.IPUserAgentToken,
	// ShippingToken); 0 when the order has none. The shipping address counts only with an
	// ip|ua token.
	ipua, shipping uint64
	// at and mergeAt are where the order's records are in its arena's recs and merges
	// (factArena.addOrder).
	at, mergeAt uint64
	// created is the order's date, as Unix seconds and nanoseconds (the record keeps its
	// zone).
	created     int64
	createdNsec int32
	store       uint32 // index in the arena's stores
	guest       bool
	// fill is set for an account order whose customer record leaves a contact field empty
	// (or that has no customer record at all), and that offers one: the record ends with the
	// offer. A guest order's record ends with its buyer.
	fill bool
}

// compareCreated compares the dates of a and b (as time.Time.Compare does).
func (a *OrderFacts) compareCreated(b *OrderFacts) int {
	return cmp.Or(cmp.Compare(a.created, b.created), cmp.Compare(a.createdNsec, b.createdNsec))
}

// OrderDigester makes OrderFacts. It is made from the customers, so that orders keep fill data
// only for accounts with an empty contact field; safe for concurrent use.
type OrderDigester struct {
	opts      BuildOptions
	customers *CustomerPacker
	arena     *factArena
	err       error // the first error of a Digest (guarded by arena.mu)
}

// NewOrderDigester returns a digester for orders of these customers (the same the Build gets).
func NewOrderDigester(customers []CustomerRecord, opts BuildOptions) *OrderDigester {
	p := NewCustomerPacker(len(customers))
	for i := range customers {
		if err := p.Put(i, &customers[i]); err != nil {
			d := &OrderDigester{opts: opts, customers: p, arena: newFactArena()}
			d.fail(err)
			return d
		}
	}
	d, err := p.OrderDigester(opts)
	if err != nil { // only for a slot not set, and every one is
		d = &OrderDigester{opts: opts, customers: p, arena: newFactArena()}
		d.fail(err)
	}
	return d
}

// OrderDigester returns a digester for orders of the customers packed by p, every slot of
// which must be set. p is the digester's from then on.
func (p *CustomerPacker) OrderDigester(opts BuildOptions) (*OrderDigester, error) {
	if err := p.index(); err != nil {
		return nil, err
	}
	return &OrderDigester{opts: opts, customers: p, arena: newFactArena()}, nil
}

// Digest returns the facts of one order. Safe for concurrent use.
func (d *OrderDigester) Digest(o *OrderRecord) OrderFacts {
	opts := d.opts
	f := OrderFacts{guest: o.IsGuest(), created: o.CreatedAt.Unix(), createdNsec: int32(o.CreatedAt.Nanosecond())}
	idKey := o.Ref().Key()
	var scratch [1024]byte
	rest := scratch[:0]
	var buyer []byte // the packed identity of a guest order's buyer, length first
	if f.guest {
		r, countryPresent, countryValid := guestIdentity(o)
		var pscratch [512]byte
		buyer = appendBytes(pscratch[:0], packIdentity(make([]byte, 0, 512), &r))
		rest = appendBuyer(rest, qualityOf(&r, countryPresent, countryValid))
	} else if !d.customers.complete(idKey) {
		rest, f.fill = appendFill(rest, o)
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
	whole := false // the net in the base currency is the total: no refund, no conversion
	if m.ok && !o.Total.IsZero() {
		whole = m.netBase.Equal(o.Total)
	}
	for _, l := range o.Lines {
		c.Items += max(l.Quantity, 0)
		key := cmp.Or(l.ProductType, l.Vendor)
		if key == "" || !m.ok || o.Total.IsZero() {
			continue
		}
		// The line's share of the order's net, in the base currency (c.NetBase is m.netBase):
		// the summary's affinity adds it up as it is, the order's types rounded.
		share, exact := lineShare(l.Price, l.Quantity, m.netBase, o.Total, whole)
		if i := slices.IndexFunc(mf.types, func(t TypeSpend) bool { return t.Type == key }); i >= 0 {
			mf.types[i].Spend = mf.types[i].Spend.Add(share)
		} else {
			mf.types = append(mf.types, TypeSpend{Type: key, Spend: share})
		}
		if c.Cancelled || c.Zero {
			continue
		}
		spend := roundShare(share, exact, 4)
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
	var mscratch [256]byte
	money := packMoney(mscratch[:0], &mf)
	var rscratch [1024]byte
	var gscratch [512]byte
	var err error
	f.store, f.at, f.mergeAt, err = d.arena.addOrder(o.Store, appendFactRecord(rscratch[:0], o.ID, idKey, rest),
		appendMergeRecord(gscratch[:0], o.CreatedAt, o.ID, money), buyer)
	if err != nil {
		d.fail(err)
	}
	return f
}

// lineShare returns price × quantity × netBase / total as Decimal.Div gives it: rounded
// half away from zero to DivisionPrecision (16) places, with that exponent. When netBase
// equals total (whole: no refund, no conversion, most orders) the quotient is exactly
// price × quantity, which is then only scaled to 16 places (exact set): the same value and
// exponent, without the divisions' dozen big.Int allocations. TestLineShareMatchesDiv
// compares the two.
func lineShare(price decimal.Decimal, quantity int, netBase, total decimal.Decimal, whole bool) (share decimal.Decimal, exact *big.Int) {
	e := price.Exponent()
	if !whole || decimal.DivisionPrecision != 16 || e < -16 || e > 0 {
		return price.Mul(decimal.NewFromInt(int64(quantity))).Mul(netBase).Div(total), nil
	}
	p := price.Coefficient() // a copy
	p.Mul(p, big.NewInt(int64(quantity)))
	share = decimal.NewFromBigInt(new(big.Int).Mul(p, pow10[16+e]), -16)
	if e < -4 {
		return share, nil // more than 4 places: Round(4) rounds
	}
	return share, p.Mul(p, pow10[4+e])
}

// roundShare returns share.Round(places); exact, when lineShare set it and the price has no
// more than places decimals, is that rounding's value (the share has nothing to round).
func roundShare(share decimal.Decimal, exact *big.Int, places int32) decimal.Decimal {
	if exact == nil || places != 4 || share.Exponent() != -16 {
		return share.Round(places)
	}
	return decimal.NewFromBigInt(exact, -places)
}

// pow10[k] is 10^k.
var pow10 = func() (t [33]*big.Int) {
	for k := range t {
		t[k] = new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(k)), nil)
	}
	return t
}()

// Latest keeps, of the orders with the same store and id, the last one in the slice, and
// returns them sorted by store and id (reusing orders' array). A reader that digests every
// version of an order it stored, newest-wins, and appends them in the order they were stored
// is left with the versions stored.
func (d *OrderDigester) Latest(orders []OrderFacts) []OrderFacts {
	a := d.arena
	idx := make([]int, len(orders))
	for i := range idx {
		idx[i] = i
	}
	parallel.SortFunc(idx, func(x, y int) int {
		fx, fy := &orders[x], &orders[y]
		return cmp.Or(cmp.Compare(a.stores[fx.store], a.stores[fy.store]), bytes.Compare(a.id(fx), a.id(fy)), cmp.Compare(x, y))
	})
	keep := idx[:0]
	for k, i := range idx {
		if k+1 < len(idx) {
			if j := idx[k+1]; orders[i].store == orders[j].store && bytes.Equal(a.id(&orders[i]), a.id(&orders[j])) {
				continue // a later version follows
			}
		}
		keep = append(keep, i)
	}
	if len(keep) == len(orders) {
		permute(orders, keep)
		return orders
	}
	out := make([]OrderFacts, len(keep))
	for k, i := range keep {
		out[k] = orders[i]
	}
	return out
}

// fail records the first error of a Digest, for Digested to return.
func (d *OrderDigester) fail(err error) {
	d.arena.mu.Lock()
	defer d.arena.mu.Unlock()
	if d.err == nil {
		d.err = err
	}
}

// Digested returns what BuildDigested builds from: the customers d was made from and the
// facts d made of their orders.
func (d *OrderDigester) Digested(orders []OrderFacts) (*Digested, error) {
	d.arena.mu.Lock()
	err := d.err
	d.arena.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return &Digested{customers: d.customers, Orders: orders, facts: d.arena}, nil
}
