package decode

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
)

// wcOrder is a wc/v3 order resource as GET /orders, GET /orders/{id} and the order.created /
// order.updated webhooks send it.
type wcOrder struct {
	ID              wcID       `json:"id"`
	Status          string     `json:"status"`
	Currency        string     `json:"currency"`
	DateCreatedGMT  nullString `json:"date_created_gmt"`
	DateModifiedGMT nullString `json:"date_modified_gmt"`
	Total           amount     `json:"total"`
	CustomerID      wcID       `json:"customer_id"`
	Billing         wcAddress  `json:"billing"`
	Shipping        wcAddress  `json:"shipping"`
	IP              string     `json:"customer_ip_address"`
	UserAgent       string     `json:"customer_user_agent"`
	Lines           []wcLine   `json:"line_items"`
	Refunds         []wcRefund `json:"refunds"`
}

type wcLine struct {
	Name      string `json:"name"`
	ProductID wcID   `json:"product_id"`
	SKU       string `json:"sku"`
	Quantity  amount `json:"quantity"`
	Price     amount `json:"price"`
	Subtotal  amount `json:"subtotal"`
}

type wcRefund struct {
	ID    wcID   `json:"id"`
	Total amount `json:"total"`
}

// notPurchased are the statuses of orders that did not end in a purchase: they carry
// CancelledAt, so profiles counts them as cancellations, not spend.
var notPurchased = map[string]bool{
	"cancelled":      true,
	"failed":         true,
	"trash":          true,
	"checkout-draft": true,
}

// Order decodes one wc/v3 order resource for store.
//
// CustomerID is "" for a guest order (customer_id 0). Email and Phone are the billing ones.
// CreatedAt and UpdatedAt are date_created_gmt and date_modified_gmt. Total is the order total
// (refunds never change it in WooCommerce) and Refunded the sum of refunds[] (negative totals
// there); a "refunded" order without refund rows counts as refunded in full. Lines carry the
// product id, SKU, name, quantity and unit price (WooCommerce's "price": the line total after
// discounts divided by the quantity); WooCommerce line items carry no product type or vendor.
// UserAgent and BrowserIP are customer_user_agent and customer_ip_address.
func Order(store string, raw []byte) (profiles.OrderRecord, error) {
	return orderRecord(store, "order", raw)
}

func orderRecord(store, source string, raw []byte) (profiles.OrderRecord, error) {
	var o wcOrder
	if err := json.Unmarshal(raw, &o); err != nil {
		return profiles.OrderRecord{}, jsonErr(source, err)
	}
	id, ok := o.ID.id()
	switch {
	case !ok:
		return profiles.OrderRecord{}, fieldErr(source, "", "id", "not a numeric id")
	case id == "":
		return profiles.OrderRecord{}, fieldErr(source, "", "id", "missing")
	}
	bad := func(field, reason string) (profiles.OrderRecord, error) {
		return profiles.OrderRecord{}, fieldErr(source, id, field, reason)
	}
	r := profiles.OrderRecord{
		Store:     store,
		ID:        id,
		Email:     o.Billing.Email,
		Phone:     o.Billing.Phone,
		Currency:  strings.ToUpper(strings.TrimSpace(o.Currency)),
		Billing:   o.Billing.record(),
		Shipping:  o.Shipping.record(),
		UserAgent: o.UserAgent,
		BrowserIP: o.IP,
	}
	if r.CustomerID, ok = o.CustomerID.id(); !ok {
		return bad("customer_id", "not a numeric id")
	}
	if r.CreatedAt, ok = parseGMT(string(o.DateCreatedGMT)); !ok {
		return bad("date_created_gmt", "not a WooCommerce date")
	}
	if r.UpdatedAt, ok = parseGMT(string(o.DateModifiedGMT)); !ok {
		return bad("date_modified_gmt", "not a WooCommerce date")
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	if r.Total, ok = o.Total.dec(); !ok {
		return bad("total", "not a decimal amount")
	}
	for i, rf := range o.Refunds {
		v, ok := rf.Total.dec()
		if !ok {
			return bad(fmt.Sprintf("refunds[%d].total", i), "not a decimal amount")
		}
		r.Refunded = r.Refunded.Add(v.Abs())
	}
	status := strings.ToLower(strings.TrimSpace(o.Status))
	if status == "refunded" && r.Refunded.LessThan(r.Total) && len(o.Refunds) == 0 {
		r.Refunded = r.Total
	}
	if notPurchased[status] {
		r.CancelledAt = cancelTime(r)
	}
	if len(o.Lines) > 0 {
		r.Lines = make([]profiles.LineItem, 0, len(o.Lines))
	}
	for i, l := range o.Lines {
		li, err := lineItem(l)
		if err != "" {
			return bad(fmt.Sprintf("line_items[%d].%s", i, err), "not a number")
		}
		r.Lines = append(r.Lines, li)
	}
	return r, nil
}

// cancelTime dates a cancellation: WooCommerce keeps no cancellation time, the status change
// is the order's last modification as far as the API tells.
func cancelTime(r profiles.OrderRecord) time.Time {
	if !r.UpdatedAt.IsZero() {
		return r.UpdatedAt
	}
	return r.CreatedAt
}

// lineItem converts one line; it returns the name of the bad field, if any.
func lineItem(l wcLine) (profiles.LineItem, string) {
	pid, ok := l.ProductID.id()
	if !ok {
		return profiles.LineItem{}, "product_id"
	}
	qty, ok := l.Quantity.dec()
	if !ok || !qty.Equal(qty.Truncate(0)) || qty.Abs().GreaterThan(decimal.NewFromInt(1<<31)) {
		return profiles.LineItem{}, "quantity"
	}
	price, ok := l.Price.dec()
	if !ok {
		return profiles.LineItem{}, "price"
	}
	if l.Price.text == "" && !qty.IsZero() {
		// Before WooCommerce 3.x orders had no price field: the unit price is the subtotal
		// over the quantity.
		sub, ok := l.Subtotal.dec()
		if !ok {
			return profiles.LineItem{}, "subtotal"
		}
		price = sub.DivRound(qty, 4)
	}
	return profiles.LineItem{
		ProductID: pid,
		SKU:       l.SKU,
		Title:     l.Name,
		Quantity:  int(qty.IntPart()),
		Price:     price,
	}, ""
}

// orderDeleted reads an order.deleted body ({"id":N}).
func orderDeleted(store, source string, raw []byte, at time.Time) (OrderDeleted, error) {
	var o struct {
		ID wcID `json:"id"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return OrderDeleted{}, jsonErr(source, err)
	}
	id, ok := o.ID.id()
	switch {
	case !ok:
		return OrderDeleted{}, fieldErr(source, "", "id", "not a numeric id")
	case id == "":
		return OrderDeleted{}, fieldErr(source, "", "id", "missing")
	case at.IsZero():
		return OrderDeleted{}, &DecodeError{Platform: platform, Source: source, ID: id, Reason: "no time given to date the deletion"}
	}
	return OrderDeleted{Store: store, ID: id, At: at.UTC()}, nil
}
