package gen

import (
	"strconv"
	"strings"
)

const wooBase = "https://woo-b.example.com/wp-json/wc/v3/"

func wooCustBilling(b []byte, id *ident, billing bool) []byte {
	b = append(b, `{"first_name":`...)
	b = appStr(b, id.first)
	b = append(b, `,"last_name":`...)
	b = appStr(b, id.last)
	b = append(b, `,"company":`...)
	b = appStr(b, id.company)
	b = append(b, `,"address_1":`...)
	b = appStr(b, id.addr1)
	b = append(b, `,"address_2":`...)
	b = appStr(b, id.addr2)
	b = append(b, `,"city":`...)
	b = appStr(b, id.city)
	b = append(b, `,"postcode":`...)
	b = appStr(b, id.zip)
	b = append(b, `,"country":`...)
	b = appStr(b, wooCountry(id))
	b = append(b, `,"state":`...)
	b = appStr(b, wooState(id))
	if billing {
		b = append(b, `,"email":`...)
		b = appStr(b, id.email)
	}
	b = append(b, `,"phone":`...)
	b = appStr(b, id.phone)
	return append(b, '}')
}

func wooOrderAddr(b []byte, id *ident, billing bool) []byte {
	b = append(b, `{"first_name":`...)
	b = appStr(b, id.first)
	b = append(b, `,"last_name":`...)
	b = appStr(b, id.last)
	b = append(b, `,"company":`...)
	b = appStr(b, id.company)
	b = append(b, `,"address_1":`...)
	b = appStr(b, id.addr1)
	b = append(b, `,"address_2":`...)
	b = appStr(b, id.addr2)
	b = append(b, `,"city":`...)
	b = appStr(b, id.city)
	b = append(b, `,"state":`...)
	b = appStr(b, wooState(id))
	b = append(b, `,"postcode":`...)
	b = appStr(b, id.zip)
	b = append(b, `,"country":`...)
	b = appStr(b, wooCountry(id))
	if billing {
		b = append(b, `,"email":`...)
		b = appStr(b, id.email)
	}
	b = append(b, `,"phone":`...)
	b = appStr(b, id.phone)
	return append(b, '}')
}

// WooCommerce stores ISO codes from its checkout, but REST/CSV imports keep
// whatever text they were given: the ident's messy country spelling is used
// when it differs from the canonical English name.
func wooCountry(id *ident) string {
	if len(id.country) <= 3 || id.country == countryName(id.countryCode) {
		if len(id.country) <= 3 {
			return id.country
		}
		return id.countryCode
	}
	return id.country
}

func countryName(code string) string {
	for i := range countries {
		if countries[i].code == code {
			return countries[i].name
		}
	}
	return ""
}

func wooState(id *ident) string {
	if id.provinceCode == "" {
		return ""
	}
	if id.province != "" && id.province != countryRegionName(id) {
		return id.province
	}
	return strings.TrimPrefix(id.provinceCode, "JP-")
}

func countryRegionName(id *ident) string {
	for i := range countries {
		for _, r := range countries[i].regions {
			if r.code == id.provinceCode && countries[i].code == id.countryCode {
				return r.name
			}
		}
	}
	return ""
}

func wooSelfLinks(b []byte, kind string, id uint64) []byte {
	b = append(b, `"_links":{"self":[{"href":"`...)
	b = append(b, wooBase...)
	b = append(b, kind...)
	b = append(b, '/')
	b = appUint(b, id)
	b = append(b, `","targetHints":{"allow":["GET","POST","PUT","PATCH","DELETE"]}}],"collection":[{"href":"`...)
	b = append(b, wooBase...)
	b = append(b, kind...)
	return append(b, `"}]`...)
}

func username(email string) string {
	e := strings.ToLower(strings.TrimSpace(email))
	if at := strings.IndexByte(e, '@'); at > 0 {
		e = e[:at]
	}
	if plus := strings.IndexByte(e, '+'); plus > 0 {
		e = e[:plus]
	}
	return e
}

func (w *worker) wooCustomer(b []byte, a *acct) []byte {
	b = append(b, `{"id":`...)
	b = appUint(b, a.id)
	b = append(b, `,"date_created":`...)
	b = appTimeQ(b, a.created, wooLoc, layoutLocal)
	b = append(b, `,"date_created_gmt":`...)
	b = appTimeQ(b, a.created, utc, layoutLocal)
	b = append(b, `,"date_modified":`...)
	b = appTimeQ(b, a.updated, wooLoc, layoutLocal)
	b = append(b, `,"date_modified_gmt":`...)
	b = appTimeQ(b, a.updated, utc, layoutLocal)
	b = append(b, `,"email":`...)
	b = appStr(b, a.id2.email)
	b = append(b, `,"first_name":`...)
	b = appStr(b, a.id2.first)
	b = append(b, `,"last_name":`...)
	b = appStr(b, a.id2.last)
	b = append(b, `,"role":"customer","username":`...)
	b = appStr(b, username(a.id2.email))
	b = append(b, `,"billing":`...)
	b = wooCustBilling(b, &a.id2, true)
	b = append(b, `,"shipping":`...)
	ship := a.id2
	ship.phone = ""
	if !a.hasOrder {
		ship = ident{}
	}
	b = wooCustBilling(b, &ship, false)
	b = append(b, `,"is_paying_customer":`...)
	b = appBool(b, a.spent > 0)
	b = append(b, `,"avatar_url":`...)
	b = appStr(b, gravatar(a.id2.email))
	b = append(b, `,"meta_data":[`...)
	if a.hasOrder {
		b = append(b, `{"id":`...)
		b = appUint(b, 1000+a.seq*3)
		b = append(b, `,"key":"wc_last_active","value":"`...)
		b = strconv.AppendInt(b, a.updated/day*day, 10)
		b = append(b, `"}`...)
	}
	b = append(b, `],`...)
	b = wooSelfLinks(b, "customers", a.id)
	return append(b, "}}\n"...)
}

const orderKeyChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func (w *worker) wooOrder(b []byte, o *ordPlan) []byte {
	p := &w.p
	cur := &currencies[p.currency]
	dec := cur.decimals
	oid := wooOrderID(o.seq)
	var key [13]byte
	h := mix64(oid ^ w.cfg.Seed*0x9e3779b97f4a7c15)
	for i := range key {
		key[i] = orderKeyChars[h%62]
		h = mix64(h + uint64(i))
	}
	status := "completed"
	modified := o.t + 3*day
	var completed int64 = o.t + 3*day
	switch {
	case o.status == stCancelled:
		status, modified, completed = "cancelled", o.cancelT, 0
	case o.status == stFullRefund:
		status, modified = "refunded", o.refundT
	case o.t > w.cfg.End.Unix()-4*day:
		status, modified, completed = "processing", o.t+60, 0
	}
	if o.status == stPartialRefund {
		modified = max(modified, o.refundT)
	}
	var cid uint64
	if o.acct >= 0 {
		cid = w.accts[storeWoo][o.acct].id
	}
	b = append(b, `{"id":`...)
	b = appUint(b, oid)
	b = append(b, `,"parent_id":0,"status":"`...)
	b = append(b, status...)
	b = append(b, `","currency":"`...)
	b = append(b, cur.code...)
	b = append(b, `","version":"10.0.2","prices_include_tax":false,"date_created":`...)
	b = appTimeQ(b, o.t, wooLoc, layoutLocal)
	b = append(b, `,"date_modified":`...)
	b = appTimeQ(b, modified, wooLoc, layoutLocal)
	zero := appMoney(nil, 0, dec)
	b = append(b, `,"discount_total":"`...)
	b = append(b, zero...)
	b = append(b, `","discount_tax":"`...)
	b = append(b, zero...)
	b = append(b, `","shipping_total":"`...)
	b = append(b, zero...)
	b = append(b, `","shipping_tax":"`...)
	b = append(b, zero...)
	b = append(b, `","cart_tax":"`...)
	b = appMoney(b, o.tax, dec)
	b = append(b, `","total":"`...)
	b = appMoney(b, o.total, dec)
	b = append(b, `","total_tax":"`...)
	b = appMoney(b, o.tax, dec)
	b = append(b, `","customer_id":`...)
	b = appUint(b, cid)
	b = append(b, `,"order_key":"wc_order_`...)
	b = append(b, key[:]...)
	b = append(b, `","billing":`...)
	b = wooOrderAddr(b, &o.id, true)
	b = append(b, `,"shipping":`...)
	ship := o.id
	ship.phone = ""
	b = wooOrderAddr(b, &ship, false)
	pm := wooPayment[o.gw]
	b = append(b, `,"payment_method":"`...)
	b = append(b, pm[0]...)
	b = append(b, `","payment_method_title":`...)
	b = appStr(b, pm[1])
	b = append(b, `,"transaction_id":"`...)
	if pm[0] == "stripe" {
		b = append(b, "ch_"...)
		b = strconv.AppendUint(b, mix64(oid), 36)
	}
	b = append(b, `","customer_ip_address":"`...)
	b = append(b, o.ip...)
	b = append(b, `","customer_user_agent":`...)
	b = appStr(b, userAgents[o.ua].ua)
	b = append(b, `,"created_via":"checkout","customer_note":"","date_completed":`...)
	if completed != 0 {
		b = appTimeQ(b, completed, wooLoc, layoutLocal)
	} else {
		b = append(b, "null"...)
	}
	paid := o.t + 5
	b = append(b, `,"date_paid":`...)
	b = appTimeQ(b, paid, wooLoc, layoutLocal)
	b = append(b, `,"cart_hash":"","number":"`...)
	b = appUint(b, oid)
	b = append(b, `","meta_data":[],"line_items":[`...)
	for k := range o.itemN {
		it := &w.items[o.itemLo+k]
		pr := &catalogue[it.prod]
		if k > 0 {
			b = append(b, ',')
		}
		line := it.unit * int64(it.qty)
		b = append(b, `{"id":`...)
		b = appUint(b, o.seq*5+uint64(k)+1)
		b = append(b, `,"name":`...)
		b = appStr(b, pr.title)
		b = append(b, `,"product_id":`...)
		b = appUint(b, wooProductID(it.prod))
		b = append(b, `,"variation_id":0,"quantity":`...)
		b = strconv.AppendInt(b, int64(it.qty), 10)
		b = append(b, `,"tax_class":"","subtotal":"`...)
		b = appMoney(b, line, dec)
		b = append(b, `","subtotal_tax":"`...)
		b = appMoney(b, it.tax, dec)
		b = append(b, `","total":"`...)
		b = appMoney(b, line, dec)
		b = append(b, `","total_tax":"`...)
		b = appMoney(b, it.tax, dec)
		b = append(b, `","taxes":[{"id":1,"total":"`...)
		b = appMoney(b, it.tax, dec)
		b = append(b, `","subtotal":"`...)
		b = appMoney(b, it.tax, dec)
		b = append(b, `"}],"meta_data":[],"sku":"SKU-`...)
		b = strconv.AppendInt(b, int64(1000+it.prod), 10)
		b = append(b, `","price":`...)
		b = appMoneyNum(b, it.unit, dec)
		b = append(b, `,"image":{"id":"","src":""},"parent_name":null}`...)
	}
	b = append(b, `],"tax_lines":[{"id":`...)
	b = appUint(b, o.seq*5+6)
	b = append(b, `,"rate_code":"`...)
	b = append(b, p.ctry.code...)
	b = append(b, `-TAX-1","rate_id":1,"label":"Tax","compound":false,"tax_total":"`...)
	b = appMoney(b, o.tax, dec)
	b = append(b, `","shipping_tax_total":"`...)
	b = append(b, zero...)
	b = append(b, `","rate_percent":`...)
	b = strconv.AppendFloat(b, p.ctry.tax*100, 'f', -1, 64)
	b = append(b, `,"meta_data":[]}],"shipping_lines":[],"fee_lines":[],"coupon_lines":[],"refunds":[`...)
	if o.status == stPartialRefund || o.status == stFullRefund {
		b = append(b, `{"id":`...)
		b = appUint(b, oid+1)
		b = append(b, `,"reason":`...)
		b = appStr(b, refundReasons[o.seq%uint64(len(refundReasons))])
		b = append(b, `,"total":"`...)
		b = appMoney(b, -o.refund, dec)
		b = append(b, `"}`...)
	}
	b = append(b, `],"payment_url":"https://woo-b.example.com/checkout/order-pay/`...)
	b = appUint(b, oid)
	b = append(b, `/?pay_for_order=true&key=wc_order_`...)
	b = append(b, key[:]...)
	b = append(b, `","is_editable":false,"needs_payment":false,"needs_processing":`...)
	b = appBool(b, status == "processing")
	b = append(b, `,"date_created_gmt":`...)
	b = appTimeQ(b, o.t, utc, layoutLocal)
	b = append(b, `,"date_modified_gmt":`...)
	b = appTimeQ(b, modified, utc, layoutLocal)
	b = append(b, `,"date_completed_gmt":`...)
	if completed != 0 {
		b = appTimeQ(b, completed, utc, layoutLocal)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"date_paid_gmt":`...)
	b = appTimeQ(b, paid, utc, layoutLocal)
	b = append(b, `,"currency_symbol":`...)
	b = appStr(b, cur.symbol)
	b = append(b, ',')
	b = wooSelfLinks(b, "orders", oid)
	b = append(b, `,"email_templates":[{"embeddable":true,"href":"`...)
	b = append(b, wooBase...)
	b = append(b, "orders/"...)
	b = appUint(b, oid)
	b = append(b, `/actions/email_templates"}]`...)
	if cid != 0 {
		b = append(b, `,"customer":[{"href":"`...)
		b = append(b, wooBase...)
		b = append(b, "customers/"...)
		b = appUint(b, cid)
		b = append(b, `"}]`...)
	}
	return append(b, "}}\n"...)
}
