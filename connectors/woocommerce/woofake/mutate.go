package woofake

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// ErrNotFound is returned by the Go API for an unknown customer or order id.
var ErrNotFound = errors.New("woofake: not found")

// NewCustomer describes a customer to create.
type NewCustomer struct {
	Email, FirstName, LastName string
	Username                   string // default: the e-mail's local part
	Role                       string // default "customer"
	Billing, Shipping          Address
	Meta                       []Meta
}

// CustomerUpdate changes a customer; nil fields are left alone. Billing and Shipping
// replace the whole address.
type CustomerUpdate struct {
	Email, FirstName, LastName *string
	Billing, Shipping          *Address
	Meta                       []Meta
}

// CustomerState is a customer as the store holds it.
type CustomerState struct {
	ID              uint64
	Email           string
	Role            string
	Username        string
	DateModifiedGMT time.Time
	Meta            []Meta
	Raw             json.RawMessage // what GET /customers/{id} answers
}

// Line is an order line.
type Line struct {
	Name      string
	ProductID uint64
	SKU       string
	Quantity  int
	Price     string // unit price, e.g. "9.99"
}

// NewOrder describes an order to create. CustomerID 0 is a guest checkout.
type NewOrder struct {
	CustomerID        uint64
	Status            string // default "processing"
	Currency          string // default "USD"
	Billing, Shipping Address
	Lines             []Line
	PaymentMethod     string
	IP, UserAgent     string
	Created           time.Time // default Options.Now
}

// OrderUpdate changes an order: a new status and/or a refund (the order total is not
// changed by a refund, as in WooCommerce; a refund of the whole remaining amount sets the
// status to refunded).
type OrderUpdate struct {
	Status *string
	Refund *Refund
}

// Refund is a refund to add to an order.
type Refund struct {
	Amount string // positive, e.g. "10.00"
	Reason string
}

func addressMap(a Address) map[string]string {
	return map[string]string{"first_name": a.FirstName, "last_name": a.LastName, "company": a.Company, "address_1": a.Address1,
		"address_2": a.Address2, "city": a.City, "state": a.State, "postcode": a.Postcode, "country": a.Country, "email": a.Email, "phone": a.Phone}
}

// newUserRecord renders a new user.
func (f *Fake) newUserRecord(id uint64, nc NewCustomer, now time.Time) *customerRec {
	if nc.Role == "" {
		nc.Role = "customer"
	}
	if nc.Username == "" {
		nc.Username, _, _ = strings.Cut(strings.ToLower(strings.TrimSpace(nc.Email)), "@")
	}
	if nc.Billing.Email == "" {
		nc.Billing.Email = nc.Email
	}
	cj := customerJSON{
		ID: id, DateCreated: f.localTime(now), DateCreatedGMT: gmtTime(now), DateModified: f.localTime(now), DateModifiedGMT: gmtTime(now),
		Email: nc.Email, FirstName: nc.FirstName, LastName: nc.LastName, Role: nc.Role, Username: nc.Username,
		Billing: custBilling(nc.Billing), Shipping: custShipping(nc.Shipping), AvatarURL: gravatar(nc.Email),
		MetaData: []metaJSON{}, Links: f.selfLinks("customers", id),
	}
	return &customerRec{id: id, raw: marshalJSON(cj), role: nc.Role, email: nc.Email, username: nc.Username, created: now.Unix(), modified: now.Unix()}
}

// addCustomerLocked creates a customer and queues customer.created + customer.updated
// (WooCommerce fires both when a customer is created); callers hold f.mu.
func (f *Fake) addCustomerLocked(nc NewCustomer, ev *eventBatch) (uint64, error) {
	if strings.TrimSpace(nc.Email) == "" {
		return 0, errors.New("woofake: customer e-mail is required")
	}
	if f.emailTaken(nc.Email) {
		return 0, fmt.Errorf("woofake: e-mail already registered")
	}
	now := f.opts.Now()
	id := f.data.nextUserID
	c := f.newUserRecord(id, nc, now)
	f.data.insertCustomer(c)
	if len(nc.Meta) > 0 {
		in, err := metaInputs(nc.Meta)
		if err != nil {
			return 0, fmt.Errorf("woofake: %w", err)
		}
		if _, err := f.applyCustomerChange(c, customerChange{meta: in}, now); err != nil {
			return 0, fmt.Errorf("woofake: %w", err)
		}
	}
	ev.add("customer.created", id)
	ev.add("customer.updated", id)
	return id, nil
}

// AddCustomer creates a customer; webhooks customer.created and customer.updated fire.
func (f *Fake) AddCustomer(nc NewCustomer) (uint64, error) {
	ev := f.newEventBatch()
	defer ev.flush()
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addCustomerLocked(nc, ev)
}

// UpdateCustomer changes a customer (as the admin or the customer would); it bumps
// date_modified and fires customer.updated. Meta keys starting with "_" are dropped.
func (f *Fake) UpdateCustomer(id uint64, u CustomerUpdate) error {
	ch := customerChange{email: u.Email, firstName: u.FirstName, lastName: u.LastName}
	if u.Billing != nil {
		ch.billing = addressMap(*u.Billing)
	}
	if u.Shipping != nil {
		ch.shipping = addressMap(*u.Shipping)
	}
	in, err := metaInputs(u.Meta)
	if err != nil {
		return fmt.Errorf("woofake: update customer %d: %w", id, err)
	}
	ch.meta = in
	ev := f.newEventBatch()
	defer ev.flush()
	f.mu.Lock()
	defer f.mu.Unlock()
	c, _ := f.data.customer(id)
	if c == nil {
		return fmt.Errorf("woofake: update customer %d: %w", id, ErrNotFound)
	}
	if _, err := f.applyCustomerChange(c, ch, f.opts.Now()); err != nil {
		return fmt.Errorf("woofake: update customer %d: %w", id, err)
	}
	ev.add("customer.updated", id)
	return nil
}

// deleteCustomerLocked removes a user; customer.deleted fires for users with role
// customer only (WC_Webhook::is_valid_user_action). It returns the user's last JSON.
func (f *Fake) deleteCustomerLocked(id uint64, ev *eventBatch) ([]byte, error) {
	c, i := f.data.customer(id)
	if c == nil {
		return nil, ErrNotFound
	}
	f.data.customers = append(f.data.customers[:i], f.data.customers[i+1:]...)
	f.data.changed()
	if c.role == "customer" {
		ev.add("customer.deleted", id)
	}
	return c.raw, nil
}

// DeleteCustomer deletes a customer; customer.deleted fires with {"id":N} only.
func (f *Fake) DeleteCustomer(id uint64) error {
	ev := f.newEventBatch()
	defer ev.flush()
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.deleteCustomerLocked(id, ev); err != nil {
		return fmt.Errorf("woofake: delete customer %d: %w", id, err)
	}
	return nil
}

// Customer returns a customer's current state.
func (f *Fake) Customer(id uint64) (CustomerState, bool) {
	f.mu.RLock()
	c, _ := f.data.customer(id)
	if c == nil {
		f.mu.RUnlock()
		return CustomerState{}, false
	}
	st := CustomerState{ID: c.id, Email: c.email, Role: c.role, Username: c.username,
		DateModifiedGMT: time.Unix(c.modified, 0).UTC(), Raw: append(json.RawMessage(nil), c.raw...)}
	f.mu.RUnlock()
	if meta, ok := getMember(st.Raw, "meta_data"); ok && len(meta) > 2 {
		var ms []metaJSON
		if json.Unmarshal(meta, &ms) == nil {
			for _, m := range ms {
				var v any
				_ = json.Unmarshal(m.Value, &v)
				st.Meta = append(st.Meta, Meta{ID: m.ID, Key: m.Key, Value: v})
			}
		}
	}
	return st, true
}

// CustomerIDs returns the ids of all users, ascending.
func (f *Fake) CustomerIDs() []uint64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]uint64, len(f.data.customers))
	for i, c := range f.data.customers {
		out[i] = c.id
	}
	return out
}

// Order returns what GET /orders/{id} answers for an order.
func (f *Fake) Order(id uint64) (json.RawMessage, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	o, _ := f.data.order(id)
	if o == nil {
		return nil, false
	}
	return append(json.RawMessage(nil), o.raw...), true
}

// AddOrder creates an order; order.created and order.updated fire. A guest order
// (CustomerID 0) needs Billing.Email.
func (f *Fake) AddOrder(no NewOrder) (uint64, error) {
	if len(no.Lines) == 0 {
		return 0, errors.New("woofake: order without lines")
	}
	ev := f.newEventBatch()
	defer ev.flush()
	f.mu.Lock()
	defer f.mu.Unlock()
	if no.CustomerID != 0 {
		c, _ := f.data.customer(no.CustomerID)
		if c == nil {
			return 0, fmt.Errorf("woofake: order for customer %d: %w", no.CustomerID, ErrNotFound)
		}
		if no.Billing.Email == "" {
			no.Billing.Email = c.email
		}
	}
	if no.Billing.Email == "" {
		return 0, errors.New("woofake: guest order without billing e-mail")
	}
	o, err := f.renderOrder(no)
	if err != nil {
		return 0, err
	}
	f.data.insertOrder(o)
	ev.add("order.created", o.id)
	ev.add("order.updated", o.id)
	return o.id, nil
}

func (f *Fake) renderOrder(no NewOrder) (*orderRec, error) {
	now := no.Created
	if now.IsZero() {
		now = f.opts.Now()
	}
	if no.Status == "" {
		no.Status = "processing"
	}
	if no.Currency == "" {
		no.Currency = "USD"
	}
	id := f.data.nextPostID
	total := decimal.Zero
	items := make([]lineItemJSON, 0, len(no.Lines))
	for i, l := range no.Lines {
		price, err := decimal.NewFromString(l.Price)
		if err != nil {
			return nil, fmt.Errorf("woofake: line %d price %q: %w", i, l.Price, err)
		}
		q := max(l.Quantity, 1)
		line := price.Mul(decimal.NewFromInt(int64(q)))
		total = total.Add(line)
		items = append(items, lineItemJSON{
			ID: id*10 + uint64(i) + 1, Name: l.Name, ProductID: l.ProductID, Quantity: q,
			Subtotal: line.StringFixed(2), SubtotalTax: "0.00", Total: line.StringFixed(2), TotalTax: "0.00",
			Taxes: []any{}, MetaData: []any{}, SKU: l.SKU, Price: json.Number(price.String()),
			ParentName: json.RawMessage("null"),
		})
	}
	key := "wc_order_" + strconv.FormatUint(id*2654435761%1e13, 36)
	paid := f.localTime(now)
	paidGMT := gmtTime(now)
	var completed, completedGMT *string
	if no.Status == "completed" {
		completed, completedGMT = strPtr(paid), strPtr(paidGMT)
	}
	links := f.selfLinks("orders", id)
	links.EmailTemplates = []embeddableLink{{Embeddable: true, Href: f.restURL("/wc/v3/orders/" + strconv.FormatUint(id, 10) + "/actions/email_templates")}}
	if no.CustomerID != 0 {
		links.Customer = []hrefLink{{Href: f.restURL("/wc/v3/customers/" + strconv.FormatUint(no.CustomerID, 10))}}
	}
	sym := currencySymbols[no.Currency]
	if sym == "" {
		sym = no.Currency
	}
	oj := orderJSON{
		ID: id, Status: no.Status, Currency: no.Currency, Version: WooVersion,
		DateCreated: f.localTime(now), DateModified: f.localTime(now),
		DiscountTotal: "0.00", DiscountTax: "0.00", ShippingTotal: "0.00", ShippingTax: "0.00", CartTax: "0.00",
		Total: total.StringFixed(2), TotalTax: "0.00", CustomerID: no.CustomerID, OrderKey: key,
		Billing: ordBilling(no.Billing), Shipping: ordShipping(no.Shipping),
		PaymentMethod: no.PaymentMethod, CustomerIPAddress: no.IP, CustomerUserAgent: no.UserAgent, CreatedVia: "checkout",
		DateCompleted: completed, DatePaid: strPtr(paid), Number: strconv.FormatUint(id, 10),
		MetaData: []any{}, LineItems: items, TaxLines: []any{}, ShippingLines: []any{}, FeeLines: []any{}, CouponLines: []any{},
		Refunds:         []refundSummaryJSON{},
		PaymentURL:      f.url + "/checkout/order-pay/" + strconv.FormatUint(id, 10) + "/?pay_for_order=true&key=" + key,
		NeedsProcessing: no.Status == "processing", DateCreatedGMT: gmtTime(now), DateModifiedGMT: gmtTime(now),
		DateCompletedGMT: completedGMT, DatePaidGMT: strPtr(paidGMT), CurrencySymbol: sym, Links: links,
	}
	return &orderRec{id: id, raw: marshalJSON(oj), status: no.Status, customerID: no.CustomerID, created: now.Unix(), modified: now.Unix()}, nil
}

// UpdateOrder changes an order's status and/or adds a refund; order.updated fires.
func (f *Fake) UpdateOrder(id uint64, u OrderUpdate) error {
	ev := f.newEventBatch()
	defer ev.flush()
	f.mu.Lock()
	defer f.mu.Unlock()
	o, _ := f.data.order(id)
	if o == nil {
		return fmt.Errorf("woofake: update order %d: %w", id, ErrNotFound)
	}
	now := f.opts.Now()
	set := map[string][]byte{}
	status := o.status
	if u.Status != nil {
		if !contains(orderStatuses[2:], *u.Status) {
			return fmt.Errorf("woofake: update order %d: invalid status %q", id, *u.Status)
		}
		status = *u.Status
	}
	if u.Refund != nil {
		amount, err := decimal.NewFromString(u.Refund.Amount)
		if err != nil || !amount.IsPositive() {
			return fmt.Errorf("woofake: refund of order %d: invalid amount %q", id, u.Refund.Amount)
		}
		raw, _ := getMember(o.raw, "refunds")
		var sums []refundSummaryJSON
		if len(raw) > 2 {
			if err := json.Unmarshal(raw, &sums); err != nil {
				return fmt.Errorf("woofake: refund of order %d: %w", id, err)
			}
		}
		refunded := amount
		for _, s := range sums {
			if v, err := decimal.NewFromString(strings.TrimPrefix(s.Total, "-")); err == nil {
				refunded = refunded.Add(v)
			}
		}
		rid := f.data.nextPostID
		f.data.nextPostID++
		s := refundSummaryJSON{ID: rid, Reason: u.Refund.Reason, Total: "-" + amount.StringFixed(2)}
		sums = append([]refundSummaryJSON{s}, sums...) // newest first
		set["refunds"] = marshalJSON(sums)
		f.data.refundRaw[rid] = f.refundJSON(id, s, f.localTime(now), gmtTime(now))
		o.refunds = len(sums)
		totalRaw, _ := getMember(o.raw, "total")
		if total, err := decimal.NewFromString(rawString(totalRaw)); err == nil && refunded.GreaterThanOrEqual(total) {
			status = "refunded"
		}
	}
	if status != o.status {
		set["status"] = quoteJSON(status)
		if status == "completed" {
			set["date_completed"] = quoteJSON(f.localTime(now))
			set["date_completed_gmt"] = quoteJSON(gmtTime(now))
		}
		if o.status == "trash" {
			f.data.trashed--
		}
		if status == "trash" {
			f.data.trashed++
		}
	}
	set["date_modified"] = quoteJSON(f.localTime(now))
	set["date_modified_gmt"] = quoteJSON(gmtTime(now))
	raw, err := setMembers(o.raw, set)
	if err != nil {
		return fmt.Errorf("woofake: update order %d: %w", id, err)
	}
	o.raw, o.status, o.modified = raw, status, now.Unix()
	f.data.changed()
	if status == "trash" {
		ev.add("order.deleted", id)
	} else {
		ev.add("order.updated", id)
	}
	return nil
}

// DeleteOrder moves an order to the trash; order.deleted fires with {"id":N}.
func (f *Fake) DeleteOrder(id uint64) error {
	trash := "trash"
	return f.UpdateOrder(id, OrderUpdate{Status: &trash})
}
