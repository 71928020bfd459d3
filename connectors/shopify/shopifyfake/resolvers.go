package shopifyfake

import (
	"strconv"
	"strings"
)

// Object wrappers refer to records by position; they are only resolved while the caller
// holds Fake.mu (read or write).

type moneyObj struct {
	amount int64
	cur    [3]byte
}

func (m moneyObj) typeName() string { return "MoneyV2" }
func (m moneyObj) field(_ *execCtx, name string, _ map[string]any) any {
	switch name {
	case "amount":
		return decimalString(m.amount)
	case "currencyCode":
		return string(m.cur[:])
	}
	return unknownField
}

type moneyBag struct{ shop, presentment moneyObj }

func bag(amount int64, shop, pres [3]byte) moneyBag {
	return moneyBag{moneyObj{amount, shop}, moneyObj{amount, pres}}
}

func (m moneyBag) typeName() string { return "MoneyBag" }
func (m moneyBag) field(_ *execCtx, name string, _ map[string]any) any {
	switch name {
	case "shopMoney":
		return m.shop
	case "presentmentMoney":
		return m.presentment
	}
	return unknownField
}

type addrObj struct {
	a     *address
	gidID string
}

func (o addrObj) typeName() string { return "MailingAddress" }
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
func (o addrObj) field(_ *execCtx, name string, _ map[string]any) any {
	a := o.a
	switch name {
	case "id":
		return o.gidID
	case "firstName":
		return nullable(a.FirstName)
	case "lastName":
		return nullable(a.LastName)
	case "name":
		return nullable(strings.TrimSpace(a.FirstName + " " + a.LastName))
	case "company":
		return nullable(a.Company)
	case "address1":
		return nullable(a.Address1)
	case "address2":
		return nullable(a.Address2)
	case "city":
		return nullable(a.City)
	case "province":
		return nullable(a.Province)
	case "provinceCode":
		return nullable(a.ProvinceCode)
	case "country":
		return nullable(a.Country)
	case "countryCodeV2":
		return nullable(a.CCode)
	case "zip":
		return nullable(a.Zip)
	case "phone":
		return nullable(a.Phone)
	}
	return unknownField
}

func customerAddrObj(a *address) addrObj {
	return addrObj{a: a, gidID: gid("MailingAddress", a.ID) + "?model_name=CustomerAddress"}
}

type custObj struct{ i int }

func (custObj) typeName() string { return "Customer" }
func (o custObj) field(ec *execCtx, name string, args map[string]any) any {
	c := &ec.f.data.customers[o.i]
	switch name {
	case "id":
		return gid("Customer", c.ID)
	case "legacyResourceId":
		return strconv.FormatUint(c.ID, 10)
	case "email":
		return nullable(c.Email)
	case "phone":
		return nullable(c.Phone)
	case "firstName":
		return nullable(c.FirstName)
	case "lastName":
		return nullable(c.LastName)
	case "displayName":
		if n := strings.TrimSpace(c.FirstName + " " + c.LastName); n != "" {
			return n
		}
		return c.Email
	case "locale":
		return c.Locale
	case "tags":
		return append([]string{}, c.Tags...)
	case "createdAt":
		return isoTime(c.CreatedAt)
	case "updatedAt":
		return isoTime(c.UpdatedAt)
	case "numberOfOrders":
		return strconv.FormatUint(uint64(c.Orders), 10)
	case "amountSpent":
		return moneyObj{c.Spent, c.Currency}
	case "verifiedEmail":
		return c.Email != ""
	case "state":
		return "ENABLED"
	case "emailMarketingConsent":
		if c.Email == "" {
			return nil
		}
		return mapObj{typ: "CustomerEmailMarketingConsentState", m: map[string]any{
			"marketingState":      marketingStates[c.Marketing],
			"marketingOptInLevel": optInLevels[c.OptIn],
			"consentUpdatedAt":    timeOrNil(c.ConsentAt),
		}}
	case "defaultAddress":
		if len(c.Addresses) == 0 {
			return nil
		}
		return customerAddrObj(&c.Addresses[0])
	case "addresses":
		out := make([]object, 0, len(c.Addresses))
		for k := range c.Addresses {
			out = append(out, customerAddrObj(&c.Addresses[k]))
		}
		if n, ok := argInt(args, "first"); ok && n < len(out) {
			out = out[:n]
		}
		return out
	}
	return unknownField
}

type ordObj struct{ i int }

func (ordObj) typeName() string { return "Order" }
func (o ordObj) field(ec *execCtx, name string, args map[string]any) any {
	d := &ec.f.data
	od := &d.orders[o.i]
	switch name {
	case "id":
		return gid("Order", od.ID)
	case "legacyResourceId":
		return strconv.FormatUint(od.ID, 10)
	case "name":
		return "#" + strconv.FormatUint(uint64(od.Number), 10)
	case "email":
		return nullable(od.Email)
	case "phone":
		return nullable(od.Phone)
	case "createdAt":
		return isoTime(od.CreatedAt)
	case "updatedAt":
		return isoTime(od.UpdatedAt)
	case "processedAt":
		return isoTime(od.ProcessedAt)
	case "cancelledAt":
		return timeOrNil(od.CancelledAt)
	case "closedAt":
		return timeOrNil(od.ClosedAt)
	case "closed":
		return od.ClosedAt != 0
	case "cancelReason":
		return nullable(strings.ToUpper(od.CancelReason))
	case "test":
		return od.Test
	case "currencyCode":
		return string(od.Currency[:])
	case "presentmentCurrencyCode":
		return string(od.Presentment[:])
	case "customerLocale":
		return nullable(od.Locale)
	case "clientIp":
		return nullable(od.ClientIP)
	case "sourceName":
		return nullable(od.SourceName)
	case "displayFinancialStatus":
		return nullable(strings.ToUpper(od.Financial))
	case "customer":
		if od.Customer == 0 {
			return nil
		}
		if k := d.customerIndex(od.Customer); k >= 0 {
			return custObj{k}
		}
		return nil
	case "totalPriceSet":
		return bag(od.Total, od.Currency, od.Presentment)
	case "subtotalPriceSet":
		return bag(od.Subtotal, od.Currency, od.Presentment)
	case "totalTaxSet":
		return bag(od.Tax, od.Currency, od.Presentment)
	case "totalRefundedSet":
		return bag(od.refunded(), od.Currency, od.Presentment)
	case "currentTotalPriceSet":
		if od.CancelledAt != 0 {
			return bag(0, od.Currency, od.Presentment)
		}
		return bag(od.Total-od.refunded(), od.Currency, od.Presentment)
	case "billingAddress":
		if od.Billing == nil {
			return nil
		}
		return addrObj{a: od.Billing, gidID: gid("MailingAddress", od.ID*10+1) + "?model_name=Address"}
	case "shippingAddress":
		if od.Shipping == nil {
			return nil
		}
		return addrObj{a: od.Shipping, gidID: gid("MailingAddress", od.ID*10+2) + "?model_name=Address"}
	case "customerJourneySummary":
		return nil // the generator records no visits; Shopify also answers null without them
	case "refunds":
		out := make([]object, 0, len(od.Refunds))
		for k := range od.Refunds {
			out = append(out, refundObj{o.i, k})
		}
		if n, ok := argInt(args, "first"); ok && n < len(out) {
			out = out[:n]
		}
		return out
	case "lineItems":
		return lineItemsConnection(ec, o.i, args)
	}
	return unknownField
}

func lineItemsConnection(ec *execCtx, oi int, args map[string]any) any {
	od := &ec.f.data.orders[oi]
	p, ferr := parsePageArgs(args, ec.bulk != nil)
	if ferr != nil {
		return *ferr
	}
	c := &connection{typ: "LineItemConnection"}
	start := 0
	if p.after != nil {
		for k, it := range od.Items {
			if it.ID == p.after.LastID {
				start = k + 1
			}
		}
	}
	for k := start; k < len(od.Items); k++ {
		if !p.all && len(c.nodes) == p.first {
			c.hasNext = true
			break
		}
		c.nodes = append(c.nodes, lineObj{oi, k})
		c.cursors = append(c.cursors, encodeCursor(od.Items[k].ID, ""))
	}
	c.hasPrev = start > 0
	return c
}

type lineObj struct{ o, k int }

func (lineObj) typeName() string { return "LineItem" }
func (l lineObj) field(ec *execCtx, name string, _ map[string]any) any {
	d := &ec.f.data
	od := &d.orders[l.o]
	it := &od.Items[l.k]
	switch name {
	case "id":
		return gid("LineItem", it.ID)
	case "title", "name":
		return it.Title
	case "sku":
		return nullable(it.SKU)
	case "vendor":
		return nullable(it.Vendor)
	case "quantity", "currentQuantity":
		return int(it.Qty)
	case "product":
		if p := d.products[it.ProductID]; p != nil {
			return productObj{p}
		}
		return nil
	case "originalUnitPriceSet", "discountedUnitPriceSet":
		return bag(it.Price, od.Currency, od.Presentment)
	case "originalTotalSet":
		return bag(it.Price*int64(it.Qty), od.Currency, od.Presentment)
	}
	return unknownField
}

type productObj struct{ p *product }

func (productObj) typeName() string { return "Product" }
func (o productObj) field(_ *execCtx, name string, _ map[string]any) any {
	switch name {
	case "id":
		return gid("Product", o.p.ID)
	case "legacyResourceId":
		return strconv.FormatUint(o.p.ID, 10)
	case "title":
		return o.p.Title
	case "vendor":
		return o.p.Vendor
	case "productType":
		return o.p.Type
	}
	return unknownField
}

type refundObj struct{ o, k int }

func (refundObj) typeName() string { return "Refund" }
func (r refundObj) field(ec *execCtx, name string, _ map[string]any) any {
	od := &ec.f.data.orders[r.o]
	rf := &od.Refunds[r.k]
	switch name {
	case "id":
		return gid("Refund", rf.ID)
	case "createdAt":
		return isoTime(rf.CreatedAt)
	case "note":
		return nullable(rf.Note)
	case "totalRefundedSet":
		return bag(rf.Amount, od.Currency, od.Presentment)
	}
	return unknownField
}
