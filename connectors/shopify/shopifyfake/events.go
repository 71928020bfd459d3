package shopifyfake

import (
	"encoding/json"
	"fmt"
	"strings"
)

// NewCustomer describes a customer created by CreateCustomer.
type NewCustomer struct {
	Email, Phone, FirstName, LastName string
	Tags                              []string
	Subscribed                        bool
	Currency                          string // default USD
	Address                           *Address
}

// Address is a postal address for CreateCustomer and CreateOrder.
type Address struct {
	FirstName, LastName, Company, Address1, Address2, City   string
	Province, ProvinceCode, Country, CountryCode, Zip, Phone string
}

func (a *Address) internal() address {
	return address{FirstName: a.FirstName, LastName: a.LastName, Company: a.Company, Address1: a.Address1, Address2: a.Address2, City: a.City,
		Province: a.Province, ProvinceCode: a.ProvinceCode, Country: a.Country, CCode: a.CountryCode, Zip: a.Zip, Phone: a.Phone}
}

// NewLine is an order line for CreateOrder; Price is the unit price in hundredths.
type NewLine struct {
	ProductID uint64 // must exist in the catalogue; 0 picks the first product
	Quantity  int
	Price     int64
}

// NewOrder describes an order created by CreateOrder. CustomerID 0 is a guest checkout.
type NewOrder struct {
	CustomerID uint64
	Email      string
	Currency   string // default USD
	Lines      []NewLine
	Address    *Address
	ClientIP   string
	UserAgent  string
	Locale     string
}

// CustomerUpdate changes a customer; nil fields stay as they are.
type CustomerUpdate struct {
	Email, Phone, FirstName, LastName *string
	Subscribed                        *bool
}

func (f *Fake) now() int64 { return f.opts.Now().Unix() }

// CreateCustomer adds a customer and emits customers/create.
func (f *Fake) CreateCustomer(n NewCustomer) (uint64, error) {
	f.mu.Lock()
	d := &f.data
	id := uint64(7000000000000)
	if len(d.customers) > 0 {
		id = d.customers[len(d.customers)-1].ID + 3
	}
	now := f.now()
	cur := n.Currency
	if cur == "" {
		cur = "USD"
	}
	c := customer{ID: id, Email: n.Email, Phone: n.Phone, FirstName: n.FirstName, LastName: n.LastName, Locale: "en",
		Tags: normalizeTags(n.Tags), CreatedAt: now, UpdatedAt: now, Currency: cur3(cur)}
	if n.Subscribed {
		c.Marketing, c.ConsentAt = mSubscribed, now
	}
	if n.Address != nil {
		a := n.Address.internal()
		a.ID = d.nextAddrID
		d.nextAddrID++
		c.Addresses = []address{a}
	}
	d.customers = append(d.customers, c)
	d.custDirty = true
	d.liveCustomers++
	payload := f.restCustomer(len(d.customers) - 1)
	f.mu.Unlock()
	f.hooks.emit("customers/create", payload)
	return id, nil
}

// UpdateCustomer changes a customer and emits customers/update.
func (f *Fake) UpdateCustomer(id uint64, u CustomerUpdate) error {
	f.mu.Lock()
	i := f.data.customerIndex(id)
	if i < 0 {
		f.mu.Unlock()
		return fmt.Errorf("shopifyfake: update customer %d: %w", id, errNotFound)
	}
	c := &f.data.customers[i]
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&c.Email, u.Email)
	set(&c.Phone, u.Phone)
	set(&c.FirstName, u.FirstName)
	set(&c.LastName, u.LastName)
	if u.Subscribed != nil {
		if *u.Subscribed {
			c.Marketing = mSubscribed
		} else {
			c.Marketing = mUnsubscribed
		}
		c.ConsentAt = f.now()
	}
	c.UpdatedAt = max(f.now(), c.UpdatedAt)
	f.data.custDirty = true
	payload := f.restCustomer(i)
	f.mu.Unlock()
	f.hooks.emit("customers/update", payload)
	return nil
}

// DeleteCustomer removes a customer and emits customers/delete ({"id":N}).
func (f *Fake) DeleteCustomer(id uint64) error {
	f.mu.Lock()
	i := f.data.customerIndex(id)
	if i < 0 {
		f.mu.Unlock()
		return fmt.Errorf("shopifyfake: delete customer %d: %w", id, errNotFound)
	}
	f.data.customers[i].Deleted = true
	f.data.liveCustomers--
	f.mu.Unlock()
	b, _ := json.Marshal(map[string]uint64{"id": id})
	f.hooks.emit("customers/delete", b)
	return nil
}

// CreateOrder adds a paid order (for CustomerID, or a guest when 0) and emits
// orders/create, orders/paid and, for a customer, customers/update (orders_count changed).
func (f *Fake) CreateOrder(n NewOrder) (uint64, error) {
	if len(n.Lines) == 0 {
		return 0, fmt.Errorf("shopifyfake: create order: no lines")
	}
	f.mu.Lock()
	d := &f.data
	ci := -1
	if n.CustomerID != 0 {
		if ci = d.customerIndex(n.CustomerID); ci < 0 {
			f.mu.Unlock()
			return 0, fmt.Errorf("shopifyfake: create order for customer %d: %w", n.CustomerID, errNotFound)
		}
	}
	id := uint64(5000000000000)
	var number uint32 = 1001
	if len(d.orders) > 0 {
		last := &d.orders[len(d.orders)-1]
		id, number = last.ID+5, last.Number+1
	}
	now := f.now()
	cur := cur3(n.Currency)
	if n.Currency == "" {
		cur = cur3("USD")
	}
	o := order{ID: id, Number: number, Customer: n.CustomerID, Email: n.Email, CreatedAt: now, UpdatedAt: now, ProcessedAt: now,
		Currency: cur, Presentment: cur, Locale: n.Locale, ClientIP: n.ClientIP, UserAgent: n.UserAgent, SourceName: "web", Financial: "paid"}
	if o.Locale == "" {
		o.Locale = "en"
	}
	if ci >= 0 && o.Email == "" {
		o.Email = d.customers[ci].Email
	}
	for _, l := range n.Lines {
		p := d.products[l.ProductID]
		if p == nil {
			for _, q := range d.products {
				if p == nil || q.ID < p.ID {
					p = q
				}
			}
		}
		it := lineItem{ID: d.nextLineID, Qty: int32(max(1, l.Quantity)), Price: l.Price}
		d.nextLineID++
		if p != nil {
			it.ProductID, it.Title, it.Vendor = p.ID, p.Title, p.Vendor
			it.SKU = "SKU-" + strings.ToUpper(strings.ReplaceAll(p.Title, " ", "-"))
		}
		o.Items = append(o.Items, it)
		o.Subtotal += it.Price * int64(it.Qty)
	}
	o.Total = o.Subtotal
	if n.Address != nil {
		a := n.Address.internal()
		o.Billing, o.Shipping = &a, &a
	} else if ci >= 0 && len(d.customers[ci].Addresses) > 0 {
		a := d.customers[ci].Addresses[0]
		a.ID = 0
		o.Billing, o.Shipping = &a, &a
	}
	d.orders = append(d.orders, o)
	d.ordDirty = true
	oi := len(d.orders) - 1
	var custPayload []byte
	if ci >= 0 {
		c := &d.customers[ci]
		c.Orders++
		c.Spent += o.Total
		c.UpdatedAt = max(now, c.UpdatedAt)
		d.custDirty = true
		custPayload = f.restCustomer(ci)
	}
	payload := f.restOrder(oi)
	f.mu.Unlock()
	f.hooks.emit("orders/create", payload)
	f.hooks.emit("orders/paid", payload)
	if custPayload != nil {
		f.hooks.emit("customers/update", custPayload)
	}
	return id, nil
}

// RefundOrder refunds amount (hundredths; 0 = the rest) and emits refunds/create and
// orders/updated.
func (f *Fake) RefundOrder(id uint64, amount int64, note string) error {
	f.mu.Lock()
	i := f.data.orderIndex(id)
	if i < 0 {
		f.mu.Unlock()
		return fmt.Errorf("shopifyfake: refund order %d: %w", id, errNotFound)
	}
	o := &f.data.orders[i]
	left := o.Total - o.refunded()
	if amount <= 0 || amount > left {
		amount = left
	}
	now := f.now()
	r := refund{ID: f.data.nextRefundID, CreatedAt: now, Amount: amount, Note: note}
	f.data.nextRefundID += 2
	o.Refunds = append(o.Refunds, r)
	o.Financial = "partially_refunded"
	if o.refunded() >= o.Total {
		o.Financial = "refunded"
	}
	o.UpdatedAt = max(now, o.UpdatedAt)
	f.data.ordDirty = true
	refundPayload := orderedJSON(restRefundKV(o, &o.Refunds[len(o.Refunds)-1]))
	payload := f.restOrder(i)
	f.mu.Unlock()
	f.hooks.emit("refunds/create", refundPayload)
	f.hooks.emit("orders/updated", payload)
	return nil
}

// CancelOrder cancels an order (reason: customer, fraud, inventory, declined, other) and
// emits orders/cancelled and orders/updated.
func (f *Fake) CancelOrder(id uint64, reason string) error {
	f.mu.Lock()
	i := f.data.orderIndex(id)
	if i < 0 {
		f.mu.Unlock()
		return fmt.Errorf("shopifyfake: cancel order %d: %w", id, errNotFound)
	}
	o := &f.data.orders[i]
	if o.CancelledAt != 0 {
		f.mu.Unlock()
		return fmt.Errorf("shopifyfake: cancel order %d: already cancelled", id)
	}
	now := f.now()
	if reason == "" {
		reason = "customer"
	}
	o.CancelledAt, o.ClosedAt, o.CancelReason, o.Financial = now, now, reason, "voided"
	o.UpdatedAt = max(now, o.UpdatedAt)
	f.data.ordDirty = true
	payload := f.restOrder(i)
	f.mu.Unlock()
	f.hooks.emit("orders/cancelled", payload)
	f.hooks.emit("orders/updated", payload)
	return nil
}

const shopID = 60000000001

// privacyPayload builds customers/data_request and customers/redact bodies.
func (f *Fake) privacyPayload(id uint64, ordersKey string) ([]byte, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	i := f.data.customerIndex(id)
	if i < 0 {
		return nil, fmt.Errorf("shopifyfake: customer %d: %w", id, errNotFound)
	}
	c := &f.data.customers[i]
	orders := []uint64{}
	for k := range f.data.orders {
		if f.data.orders[k].Customer == id {
			orders = append(orders, f.data.orders[k].ID)
		}
	}
	m := []kv{{"shop_id", shopID}, {"shop_domain", f.opts.Shop},
		{"customer", orderedJSON([]kv{{"id", c.ID}, {"email", c.Email}, {"phone", c.Phone}})}, {ordersKey, orders}}
	if ordersKey == "orders_requested" {
		m = append(m, kv{"data_request", orderedJSON([]kv{{"id", f.now()}})})
	}
	return orderedJSON(m), nil
}

// RequestCustomerData emits customers/data_request (a GDPR access request).
func (f *Fake) RequestCustomerData(id uint64) error {
	b, err := f.privacyPayload(id, "orders_requested")
	if err != nil {
		return err
	}
	f.hooks.emit("customers/data_request", b)
	return nil
}

// RedactCustomer emits customers/redact and deletes the customer from the shop.
func (f *Fake) RedactCustomer(id uint64) error {
	b, err := f.privacyPayload(id, "orders_to_redact")
	if err != nil {
		return err
	}
	f.hooks.emit("customers/redact", b)
	f.mu.Lock()
	if i := f.data.customerIndex(id); i >= 0 {
		f.data.customers[i].Deleted = true
		f.data.liveCustomers--
	}
	f.mu.Unlock()
	return nil
}

// RedactShop emits shop/redact (48 hours after uninstall in real life).
func (f *Fake) RedactShop() {
	f.hooks.emit("shop/redact", orderedJSON([]kv{{"shop_id", shopID}, {"shop_domain", f.opts.Shop}}))
}

// Counts returns the number of live customers and all orders.
func (f *Fake) Counts() (customers, orders int) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.data.liveCustomers, len(f.data.orders)
}

// CustomerIDs returns up to n live customer ids in id order (n <= 0: all).
func (f *Fake) CustomerIDs(n int) []uint64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var out []uint64
	for i := range f.data.customers {
		if n > 0 && len(out) == n {
			break
		}
		if !f.data.customers[i].Deleted {
			out = append(out, f.data.customers[i].ID)
		}
	}
	return out
}
