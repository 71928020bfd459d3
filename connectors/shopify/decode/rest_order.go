package decode

import (
	"encoding/json"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
)

// restOrder is a REST Order resource as orders/* webhooks send it (go-shopify's Order type
// describes the same shape).
type restOrder struct {
	ID                  scalar        `json:"id"`
	Email               string        `json:"email"`
	ContactEmail        string        `json:"contact_email"`
	Phone               string        `json:"phone"`
	CreatedAt           string        `json:"created_at"`
	UpdatedAt           string        `json:"updated_at"`
	ProcessedAt         string        `json:"processed_at"`
	CancelledAt         string        `json:"cancelled_at"`
	Currency            string        `json:"currency"`
	PresentmentCurrency string        `json:"presentment_currency"`
	TotalPrice          scalar        `json:"total_price"`
	TotalPriceSet       *restMoneyBag `json:"total_price_set"`
	BrowserIP           string        `json:"browser_ip"`
	CustomerLocale      string        `json:"customer_locale"`
	ClientDetails       *struct {
		BrowserIP string `json:"browser_ip"`
		UserAgent string `json:"user_agent"`
	} `json:"client_details"`
	Customer *struct {
		ID scalar `json:"id"`
	} `json:"customer"`
	BillingAddress  *restAddress   `json:"billing_address"`
	ShippingAddress *restAddress   `json:"shipping_address"`
	LineItems       []restLineItem `json:"line_items"`
	Refunds         []restRefund   `json:"refunds"`
}

type restLineItem struct {
	ProductID scalar        `json:"product_id"`
	SKU       string        `json:"sku"`
	Title     string        `json:"title"`
	Vendor    string        `json:"vendor"`
	Quantity  int           `json:"quantity"`
	Price     scalar        `json:"price"`
	PriceSet  *restMoneyBag `json:"price_set"`
}

// restOrderRecord decodes an orders/create, orders/updated, orders/paid or orders/cancelled
// body.
//
//   - Total and Currency are total_price_set.presentment_money when present, else total_price
//     in currency (older payloads, which predate multi-currency). Line prices follow: the
//     presentment side of price_set, else price, which is only accepted when the order's
//     currency is the shop currency.
//   - Refunded sums refunds[] as restRefund.money describes.
//   - A customer that is absent, null or without an id makes a guest order.
//   - Email is email, else contact_email; BrowserIP is browser_ip, else client_details'.
//   - CreatedAt is processed_at when present, else created_at (as for GraphQL).
//   - REST line items carry no product type: ProductType stays empty.
func restOrderRecord(storeID, topic string, body []byte) (profiles.OrderRecord, error) {
	var o restOrder
	if err := json.Unmarshal(body, &o); err != nil {
		return profiles.OrderRecord{}, jsonErr(topic, err)
	}
	id, ok := o.ID.id()
	switch {
	case !ok:
		return profiles.OrderRecord{}, fieldErr(topic, "", "id", "not a numeric id")
	case id == "":
		return profiles.OrderRecord{}, fieldErr(topic, "", "id", "missing")
	}
	bad := func(field, reason string) (profiles.OrderRecord, error) {
		return profiles.OrderRecord{}, fieldErr(topic, id, field, reason)
	}
	r := profiles.OrderRecord{
		Store:     storeID,
		ID:        id,
		Email:     or(o.Email, o.ContactEmail),
		Phone:     o.Phone,
		BrowserIP: o.BrowserIP,
		Locale:    o.CustomerLocale,
		Billing:   o.BillingAddress.record(),
		Shipping:  o.ShippingAddress.record(),
	}
	if cd := o.ClientDetails; cd != nil {
		r.UserAgent = cd.UserAgent
		r.BrowserIP = or(r.BrowserIP, cd.BrowserIP)
	}
	if o.Customer != nil {
		if r.CustomerID, ok = o.Customer.ID.id(); !ok {
			return bad("customer.id", "not a numeric id")
		}
	}

	created, ok := parseTime(o.CreatedAt)
	if !ok {
		return bad("created_at", "not an ISO 8601 time")
	}
	processed, ok := parseTime(o.ProcessedAt)
	if !ok {
		return bad("processed_at", "not an ISO 8601 time")
	}
	if r.CreatedAt = processed; r.CreatedAt.IsZero() {
		r.CreatedAt = created
	}
	if r.CreatedAt.IsZero() {
		return bad("created_at", "missing")
	}
	if r.UpdatedAt, ok = parseTime(o.UpdatedAt); !ok {
		return bad("updated_at", "not an ISO 8601 time")
	}
	if r.CancelledAt, ok = parseTime(o.CancelledAt); !ok {
		return bad("cancelled_at", "not an ISO 8601 time")
	}

	total, cur, present, ok := o.TotalPriceSet.presentment()
	switch {
	case !ok:
		return bad("total_price_set.presentment_money.amount", "not a decimal")
	case present:
		r.Total, r.Currency = total, or(cur, o.PresentmentCurrency)
	default:
		t, present, ok := o.TotalPrice.money()
		if !present {
			return bad("total_price", "missing")
		}
		if !ok {
			return bad("total_price", "not a decimal")
		}
		r.Total, r.Currency = t, o.Currency
	}
	if r.Currency == "" {
		return bad("currency", "missing")
	}
	shopCurrency := o.Currency == "" || o.Currency == r.Currency

	if len(o.LineItems) > 0 {
		r.Lines = make([]profiles.LineItem, 0, len(o.LineItems))
	}
	for i := range o.LineItems {
		li := &o.LineItems[i]
		p := "line_items[" + strconv.Itoa(i) + "]"
		pid, ok := li.ProductID.id()
		if !ok {
			return bad(p+".product_id", "not a numeric id")
		}
		line := profiles.LineItem{ProductID: pid, SKU: li.SKU, Title: li.Title, Vendor: li.Vendor, Quantity: li.Quantity}
		price, cur, present, ok := li.PriceSet.presentment()
		switch {
		case !ok:
			return bad(p+".price_set.presentment_money.amount", "not a decimal")
		case present && cur != "" && cur != r.Currency:
			return bad(p+".price_set.presentment_money.currency_code", "differs from the order's presentment currency")
		case present:
			line.Price = price
		case !shopCurrency:
			return bad(p+".price_set.presentment_money", "missing on an order not in the shop currency")
		default:
			d, present, ok := li.Price.money()
			if !present || !ok {
				return bad(p+".price", "not a decimal")
			}
			line.Price = d
		}
		r.Lines = append(r.Lines, line)
	}

	for i := range o.Refunds {
		p := "refunds[" + strconv.Itoa(i) + "]"
		amount, cur, field, reason := o.Refunds[i].money(p + ".")
		if field != "" {
			return bad(field, reason)
		}
		if cur != "" && cur != r.Currency {
			return bad(p, "refund currency differs from the order's presentment currency")
		}
		r.Refunded = r.Refunded.Add(amount)
	}
	shopTotal, shopCur, present, ok := o.TotalPriceSet.shop()
	if !ok {
		return bad("total_price_set.shop_money.amount", "not a decimal")
	}
	if present {
		r.Shop = shopMoney(&r, shopTotal, shopCur, decimal.Zero, false)
	}
	return r, nil
}
