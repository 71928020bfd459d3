package gen

import (
	"strconv"
	"time"
)

var utc = time.UTC

const layoutUTC = time.RFC3339

var consentStates = [...]string{"not_subscribed", "subscribed", "unsubscribed"}

func (w *worker) shopAddress(b []byte, id *ident, custID, addrID uint64, withCustomer bool) []byte {
	b = append(b, '{')
	if withCustomer {
		b = append(b, `"id":`...)
		b = appUint(b, addrID)
		b = append(b, `,"customer_id":`...)
		b = appUint(b, custID)
		b = append(b, ',')
	}
	b = append(b, `"first_name":`...)
	b = appStrOrNull(b, id.first)
	b = append(b, `,"last_name":`...)
	b = appStrOrNull(b, id.last)
	b = append(b, `,"company":`...)
	b = appStrOrNull(b, id.company)
	b = append(b, `,"address1":`...)
	b = appStr(b, id.addr1)
	b = append(b, `,"address2":`...)
	b = appStrOrNull(b, id.addr2)
	b = append(b, `,"city":`...)
	b = appStr(b, id.city)
	b = append(b, `,"province":`...)
	b = appStrOrNull(b, id.province)
	b = append(b, `,"country":`...)
	b = appStr(b, id.country)
	b = append(b, `,"zip":`...)
	b = appStrOrNull(b, id.zip)
	b = append(b, `,"phone":`...)
	b = appStrOrNull(b, id.phone)
	b = append(b, `,"name":`...)
	b = appStr(b, joinName(id.first, id.last))
	b = append(b, `,"province_code":`...)
	b = appStrOrNull(b, id.provinceCode)
	b = append(b, `,"country_code":`...)
	b = appStr(b, id.countryCode)
	if withCustomer {
		b = append(b, `,"country_name":`...)
		b = appStr(b, w.p.ctry.name)
		b = append(b, `,"default":true`...)
	}
	return append(b, '}')
}

func joinName(f, l string) string {
	switch {
	case f == "":
		return l
	case l == "":
		return f
	}
	return f + " " + l
}

// shopCustomerCore writes the fields shared by customers.jsonl and the
// customer object embedded in orders (without braces).
func (w *worker) shopCustomerCore(b []byte, a *acct) []byte {
	p := &w.p
	b = append(b, `"id":`...)
	b = appUint(b, a.id)
	b = append(b, `,"email":`...)
	b = appStr(b, a.id2.email)
	b = append(b, `,"accepts_marketing":`...)
	b = appBool(b, p.marketing == 1)
	b = append(b, `,"created_at":`...)
	b = appTimeQ(b, a.created, shopLoc, layoutOffset)
	b = append(b, `,"updated_at":`...)
	b = appTimeQ(b, a.updated, shopLoc, layoutOffset)
	b = append(b, `,"first_name":`...)
	b = appStrOrNull(b, a.id2.first)
	b = append(b, `,"last_name":`...)
	b = appStrOrNull(b, a.id2.last)
	b = append(b, `,"state":`...)
	b = appStr(b, a.state)
	b = append(b, `,"note":null,"verified_email":`...)
	b = appBool(b, a.verified)
	b = append(b, `,"multipass_identifier":null,"tax_exempt":false,"phone":`...)
	// Shopify only accepts E.164 on customer.phone; messy formats live in addresses.
	if a.id2.phone != "" && a.id2.phone[0] != 'n' && a.id2.phone[0] != 'N' && len(a.id2.phone) > 6 {
		b = appStr(b, w.e164())
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"tags":`...)
	b = appStr(b, a.tags)
	b = append(b, `,"currency":`...)
	b = appStr(b, currencies[p.currency].code)
	b = append(b, `,"email_marketing_consent":{"state":`...)
	b = appStr(b, consentStates[p.marketing])
	b = append(b, `,"opt_in_level":`...)
	if p.marketing == 1 && a.verified {
		b = append(b, `"confirmed_opt_in"`...)
	} else {
		b = append(b, `"single_opt_in"`...)
	}
	b = append(b, `,"consent_updated_at":`...)
	if p.marketing == 0 {
		b = append(b, "null"...)
	} else {
		b = appTimeQ(b, a.created, shopLoc, layoutOffset)
	}
	b = append(b, `},"sms_marketing_consent":null,"admin_graphql_api_id":"gid://shopify/Customer/`...)
	b = appUint(b, a.id)
	return append(b, '"')
}

func (w *worker) shopCustomer(b []byte, a *acct) []byte {
	b = append(b, '{')
	b = w.shopCustomerCore(b, a)
	b = append(b, `,"orders_count":`...)
	b = strconv.AppendInt(b, int64(a.nOrders), 10)
	b = append(b, `,"total_spent":"`...)
	b = appMoney(b, a.spent, currencies[w.p.currency].decimals)
	b = append(b, `","last_order_id":`...)
	if a.lastSeq >= 0 {
		b = appUint(b, shopOrderID(uint64(a.lastSeq)))
		b = append(b, `,"last_order_name":"#`...)
		b = appUint(b, 1001+uint64(a.lastSeq))
		b = append(b, '"')
	} else {
		b = append(b, `null,"last_order_name":null`...)
	}
	addrID := 9000000000000 + a.seq*2
	b = append(b, `,"addresses":[`...)
	b = w.shopAddress(b, &a.id2, a.id, addrID, true)
	b = append(b, `],"default_address":`...)
	b = w.shopAddress(b, &a.id2, a.id, addrID, true)
	return append(b, "}\n"...)
}

func (w *worker) shopOrder(b []byte, o *ordPlan) []byte {
	p := &w.p
	cur := &currencies[p.currency]
	dec := cur.decimals
	oid := shopOrderID(o.seq)
	num := 1001 + o.seq
	updated := o.t + 60
	var closed int64
	fin, ful := "paid", "fulfilled"
	switch o.status {
	case stCancelled:
		fin, ful = "voided", ""
		updated, closed = o.cancelT, o.cancelT
	case stPartialRefund:
		fin = "partially_refunded"
		updated = o.refundT
	case stFullRefund:
		fin = "refunded"
		updated, closed = o.refundT, o.refundT
	}
	if o.status != stCancelled {
		if o.t > w.cfg.End.Unix()-4*day {
			ful = ""
		} else {
			closed = max(closed, o.t+3*day)
			updated = max(updated, closed)
		}
	}
	b = append(b, `{"id":`...)
	b = appUint(b, oid)
	b = append(b, `,"name":"#`...)
	b = appUint(b, num)
	b = append(b, `","email":`...)
	b = appStr(b, o.id.email)
	b = append(b, `,"contact_email":`...)
	b = appStr(b, o.id.email)
	b = append(b, `,"created_at":`...)
	b = appTimeQ(b, o.t, shopLoc, layoutOffset)
	b = append(b, `,"updated_at":`...)
	b = appTimeQ(b, updated, shopLoc, layoutOffset)
	b = append(b, `,"processed_at":`...)
	b = appTimeQ(b, o.t, shopLoc, layoutOffset)
	b = append(b, `,"closed_at":`...)
	if closed != 0 {
		b = appTimeQ(b, closed, shopLoc, layoutOffset)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"cancelled_at":`...)
	if o.status == stCancelled {
		b = appTimeQ(b, o.cancelT, shopLoc, layoutOffset)
		b = append(b, `,"cancel_reason":`...)
		b = appStr(b, cancelReasons[o.cancelReason])
	} else {
		b = append(b, `null,"cancel_reason":null`...)
	}
	b = append(b, `,"number":`...)
	b = appUint(b, o.seq+1)
	b = append(b, `,"order_number":`...)
	b = appUint(b, num)
	b = append(b, `,"test":false,"confirmed":true,"currency":"`...)
	b = append(b, cur.code...)
	b = append(b, `","presentment_currency":"`...)
	b = append(b, cur.code...)
	b = append(b, `","total_price":"`...)
	b = appMoney(b, o.total, dec)
	b = append(b, `","subtotal_price":"`...)
	b = appMoney(b, o.sub, dec)
	b = append(b, `","total_line_items_price":"`...)
	b = appMoney(b, o.sub, dec)
	b = append(b, `","total_tax":"`...)
	b = appMoney(b, o.tax, dec)
	b = append(b, `","total_discounts":"`...)
	b = appMoney(b, 0, dec)
	b = append(b, `","current_total_price":"`...)
	if o.status == stCancelled {
		b = appMoney(b, 0, dec)
	} else {
		b = appMoney(b, o.total-o.refund, dec)
	}
	b = append(b, `","taxes_included":false,"financial_status":"`...)
	b = append(b, fin...)
	b = append(b, `","fulfillment_status":`...)
	b = appStrOrNull(b, ful)
	b = append(b, `,"buyer_accepts_marketing":`...)
	b = appBool(b, p.marketing == 1)
	b = append(b, `,"source_name":"web","browser_ip":"`...)
	b = append(b, o.ip...)
	b = append(b, `","customer_locale":"`...)
	b = append(b, acceptLanguage[p.ctry.locale][:2]...)
	b = append(b, `","gateway":"`...)
	gw := shopGateways[o.gw]
	b = append(b, gw...)
	b = append(b, `","payment_gateway_names":["`...)
	b = append(b, gw...)
	b = append(b, `"],"phone":null,"note":null,"tags":""`...)
	if o.acct >= 0 {
		b = append(b, `,"customer":{`...)
		b = w.shopCustomerCore(b, &w.accts[storeShop][o.acct])
		b = append(b, '}')
	}
	b = append(b, `,"billing_address":`...)
	b = w.shopAddress(b, &o.id, 0, 0, false)
	b = append(b, `,"shipping_address":`...)
	b = w.shopAddress(b, &o.id, 0, 0, false)
	b = append(b, `,"line_items":[`...)
	for k := range o.itemN {
		it := &w.items[o.itemLo+k]
		pr := &catalogue[it.prod]
		gift := pr.ptype == "Gift Cards"
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = appUint(b, shopLineID(o.seq, k))
		b = append(b, `,"product_id":`...)
		b = appUint(b, shopProductID(it.prod))
		b = append(b, `,"variant_id":`...)
		b = appUint(b, shopVariantID(it.prod))
		b = append(b, `,"title":`...)
		b = appStr(b, pr.title)
		b = append(b, `,"name":`...)
		b = appStr(b, pr.title)
		b = append(b, `,"sku":"SKU-`...)
		b = strconv.AppendInt(b, int64(1000+it.prod), 10)
		b = append(b, `","vendor":`...)
		b = appStr(b, pr.vendor)
		b = append(b, `,"quantity":`...)
		b = strconv.AppendInt(b, int64(it.qty), 10)
		b = append(b, `,"price":"`...)
		b = appMoney(b, it.unit, dec)
		b = append(b, `","total_discount":"`...)
		b = appMoney(b, 0, dec)
		b = append(b, `","taxable":true,"gift_card":`...)
		b = appBool(b, gift)
		b = append(b, `,"requires_shipping":`...)
		b = appBool(b, !gift)
		b = append(b, `,"product_exists":true,"fulfillment_status":`...)
		b = appStrOrNull(b, ful)
		b = append(b, `,"tax_lines":[{"title":"Tax","price":"`...)
		b = appMoney(b, it.tax, dec)
		b = append(b, `","rate":`...)
		b = strconv.AppendFloat(b, p.ctry.tax, 'f', -1, 64)
		b = append(b, `}]}`...)
	}
	b = append(b, `],"refunds":[`...)
	if o.status == stPartialRefund || o.status == stFullRefund {
		b = append(b, `{"id":`...)
		b = appUint(b, 900000000000+o.seq)
		b = append(b, `,"order_id":`...)
		b = appUint(b, oid)
		b = append(b, `,"created_at":`...)
		b = appTimeQ(b, o.refundT, shopLoc, layoutOffset)
		b = append(b, `,"note":`...)
		b = appStr(b, refundReasons[o.seq%uint64(len(refundReasons))])
		b = append(b, `,"restock":true,"refund_line_items":[`...)
		first := true
		for k := range o.itemN {
			if o.refundItem >= 0 && k != o.refundItem {
				continue
			}
			it := &w.items[o.itemLo+k]
			qty, sub, tax := it.qty, it.unit*int64(it.qty), it.tax
			if o.refundItem >= 0 {
				qty, sub, tax = 1, it.unit, o.refund-it.unit
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, `{"id":`...)
			b = appUint(b, 1100000000000+o.seq*8+uint64(k))
			b = append(b, `,"quantity":`...)
			b = strconv.AppendInt(b, int64(qty), 10)
			b = append(b, `,"line_item_id":`...)
			b = appUint(b, shopLineID(o.seq, k))
			b = append(b, `,"subtotal":"`...)
			b = appMoney(b, sub, dec)
			b = append(b, `","total_tax":"`...)
			b = appMoney(b, tax, dec)
			b = append(b, `"}`...)
		}
		b = append(b, `],"transactions":[{"id":`...)
		b = appUint(b, 6000000000000+o.seq*2+1)
		b = append(b, `,"order_id":`...)
		b = appUint(b, oid)
		b = append(b, `,"amount":"`...)
		b = appMoney(b, o.refund, dec)
		b = append(b, `","kind":"refund","gateway":"`...)
		b = append(b, gw...)
		b = append(b, `","status":"success","created_at":`...)
		b = appTimeQ(b, o.refundT, shopLoc, layoutOffset)
		b = append(b, `,"currency":"`...)
		b = append(b, cur.code...)
		b = append(b, `"}]}`...)
	}
	b = append(b, `],"client_details":{"browser_ip":"`...)
	b = append(b, o.ip...)
	b = append(b, `","accept_language":"`...)
	b = append(b, acceptLanguage[p.ctry.locale]...)
	b = append(b, `","user_agent":`...)
	b = appStr(b, userAgents[o.ua].ua)
	return append(b, "}}\n"...)
}
