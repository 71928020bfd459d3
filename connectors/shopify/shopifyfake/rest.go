package shopifyfake

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
	_ "time/tzdata" // the shop's zone must not depend on the host
)

var shopLoc = func() *time.Location {
	l, err := time.LoadLocation("America/New_York")
	if err != nil {
		return time.UTC
	}
	return l
}()

// restTime is a REST timestamp in the shop's zone ("2024-11-09T12:27:03-05:00").
func restTime(t int64) any {
	if t == 0 {
		return nil
	}
	return time.Unix(t, 0).In(shopLoc).Format(time.RFC3339)
}

// kv is one ordered JSON member.
type kv struct {
	k string
	v any
}

// patchJSON replaces (or appends) top-level members of a JSON object, keeping the order of
// the others.
func patchJSON(raw []byte, set []kv) []byte {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return raw
	}
	var out bytes.Buffer
	out.WriteByte('{')
	done := make([]bool, len(set))
	first := true
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return raw
		}
		key, _ := t.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return raw
		}
		for i, s := range set {
			if s.k == key {
				val, _ = json.Marshal(s.v)
				done[i] = true
			}
		}
		if !first {
			out.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(key)
		out.Write(k)
		out.WriteByte(':')
		out.Write(val)
	}
	for i, s := range set {
		if !done[i] {
			if !first {
				out.WriteByte(',')
			}
			first = false
			k, _ := json.Marshal(s.k)
			v, _ := json.Marshal(s.v)
			out.Write(k)
			out.WriteByte(':')
			out.Write(v)
		}
	}
	out.WriteByte('}')
	return out.Bytes()
}

func readSource(d *dataset, isOrder bool, src source) []byte {
	file := d.custFile
	if isOrder {
		file = d.ordFile
	}
	if file == nil || src.n == 0 {
		return nil
	}
	b := make([]byte, src.n)
	if _, err := file.ReadAt(b, src.off); err != nil {
		return nil
	}
	return b
}

func restAddr(a *address, customerID uint64, isDefault bool) []kv {
	out := []kv{}
	if customerID != 0 {
		out = append(out, kv{"id", a.ID}, kv{"customer_id", customerID})
	}
	out = append(out,
		kv{"first_name", nullable(a.FirstName)}, kv{"last_name", nullable(a.LastName)}, kv{"company", nullable(a.Company)},
		kv{"address1", nullable(a.Address1)}, kv{"address2", nullable(a.Address2)}, kv{"city", nullable(a.City)},
		kv{"province", nullable(a.Province)}, kv{"country", nullable(a.Country)}, kv{"zip", nullable(a.Zip)},
		kv{"phone", nullable(a.Phone)}, kv{"name", strings.TrimSpace(a.FirstName + " " + a.LastName)},
		kv{"province_code", nullable(a.ProvinceCode)}, kv{"country_code", nullable(a.CCode)})
	if customerID != 0 {
		out = append(out, kv{"default", isDefault})
	}
	return out
}

// orderedJSON encodes members in order.
func orderedJSON(m []kv) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, x := range m {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(x.k)
		b.Write(k)
		b.WriteByte(':')
		switch v := x.v.(type) {
		case []kv:
			b.Write(orderedJSON(v))
		default:
			e, _ := json.Marshal(v)
			b.Write(e)
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

func customerConsentKV(c *customer) []kv {
	return []kv{{"state", restMarketingStates[c.Marketing]}, {"opt_in_level", restOptInLevels[c.OptIn]}, {"consent_updated_at", restTime(c.ConsentAt)}}
}

// customerCoreKV are the members that may change after load.
func customerCoreKV(c *customer) []kv {
	return []kv{
		{"email", nullable(c.Email)}, {"first_name", nullable(c.FirstName)}, {"last_name", nullable(c.LastName)},
		{"phone", nullable(c.Phone)}, {"tags", strings.Join(c.Tags, ", ")},
		{"updated_at", restTime(c.UpdatedAt)}, {"email_marketing_consent", orderedJSON(customerConsentKV(c))},
		{"orders_count", c.Orders}, {"total_spent", restMoney(c.Spent, c.Currency)},
	}
}

// restCustomer is the REST customer JSON (webhook payload); caller holds Fake.mu.
func (f *Fake) restCustomer(i int) []byte {
	c := &f.data.customers[i]
	if raw := readSource(&f.data, false, c.src); raw != nil {
		return patchJSON(raw, customerCoreKV(c))
	}
	m := []kv{{"id", c.ID}, {"created_at", restTime(c.CreatedAt)}, {"state", "enabled"}, {"note", nil}, {"verified_email", c.Email != ""},
		{"multipass_identifier", nil}, {"tax_exempt", false}, {"currency", string(c.Currency[:])}, {"sms_marketing_consent", nil},
		{"admin_graphql_api_id", gid("Customer", c.ID)}}
	m = append(m, customerCoreKV(c)...)
	addrs := make([]json.RawMessage, 0, len(c.Addresses))
	for k := range c.Addresses {
		addrs = append(addrs, orderedJSON(restAddr(&c.Addresses[k], c.ID, k == 0)))
	}
	m = append(m, kv{"addresses", addrs})
	if len(addrs) > 0 {
		m = append(m, kv{"default_address", addrs[0]})
	} else {
		m = append(m, kv{"default_address", nil})
	}
	return orderedJSON(m)
}

func restRefundKV(o *order, r *refund) []kv {
	cur := string(o.Currency[:])
	return []kv{{"id", r.ID}, {"order_id", o.ID}, {"created_at", restTime(r.CreatedAt)}, {"note", nullable(r.Note)}, {"restock", false},
		{"admin_graphql_api_id", gid("Refund", r.ID)}, {"refund_line_items", []any{}},
		{"transactions", []json.RawMessage{orderedJSON([]kv{{"id", r.ID + 1}, {"order_id", o.ID}, {"amount", restMoney(r.Amount, o.Currency)}, {"kind", "refund"}, {"status", "success"}, {"created_at", restTime(r.CreatedAt)}, {"currency", cur}})}}}
}

// orderChangeKV are the members that may change after load.
func orderChangeKV(o *order, raw []byte) []kv {
	m := []kv{{"updated_at", restTime(o.UpdatedAt)}, {"cancelled_at", restTime(o.CancelledAt)}, {"cancel_reason", nullable(o.CancelReason)},
		{"closed_at", restTime(o.ClosedAt)}, {"financial_status", o.Financial}}
	if len(o.Refunds) > o.restRefunds {
		var orig struct {
			Refunds []json.RawMessage `json:"refunds"`
		}
		_ = json.Unmarshal(raw, &orig)
		for k := o.restRefunds; k < len(o.Refunds); k++ {
			orig.Refunds = append(orig.Refunds, orderedJSON(restRefundKV(o, &o.Refunds[k])))
		}
		m = append(m, kv{"refunds", orig.Refunds})
	}
	cur := o.Total - o.refunded()
	if o.CancelledAt != 0 {
		cur = 0
	}
	return append(m, kv{"current_total_price", restMoney(cur, o.Currency)})
}

// restOrder is the REST order JSON (webhook payload); caller holds Fake.mu.
func (f *Fake) restOrder(i int) []byte {
	o := &f.data.orders[i]
	if raw := readSource(&f.data, true, o.src); raw != nil {
		return patchJSON(raw, orderChangeKV(o, raw))
	}
	cur := string(o.Currency[:])
	m := []kv{{"id", o.ID}, {"admin_graphql_api_id", gid("Order", o.ID)}, {"name", "#" + itoa(uint64(o.Number))}, {"email", nullable(o.Email)}, {"contact_email", nullable(o.Email)},
		{"created_at", restTime(o.CreatedAt)}, {"processed_at", restTime(o.ProcessedAt)}, {"order_number", o.Number}, {"number", o.Number - 1000},
		{"test", o.Test}, {"confirmed", true}, {"currency", cur}, {"presentment_currency", string(o.Presentment[:])},
		{"total_price", restMoney(o.Total, o.Currency)}, {"subtotal_price", restMoney(o.Subtotal, o.Currency)}, {"total_tax", restMoney(o.Tax, o.Currency)},
		{"source_name", o.SourceName}, {"browser_ip", nullable(o.ClientIP)}, {"customer_locale", nullable(o.Locale)}, {"phone", nullable(o.Phone)}, {"tags", ""}}
	if o.Customer != 0 {
		if k := f.data.customerIndex(o.Customer); k >= 0 {
			var cm map[string]any
			_ = json.Unmarshal(f.restCustomer(k), &cm)
			delete(cm, "addresses")
			delete(cm, "orders_count")
			delete(cm, "total_spent")
			m = append(m, kv{"customer", cm})
		}
	}
	if o.Billing != nil {
		m = append(m, kv{"billing_address", orderedJSON(restAddr(o.Billing, 0, false))})
	}
	if o.Shipping != nil {
		m = append(m, kv{"shipping_address", orderedJSON(restAddr(o.Shipping, 0, false))})
	}
	lines := make([]json.RawMessage, 0, len(o.Items))
	for _, it := range o.Items {
		lines = append(lines, orderedJSON([]kv{{"id", it.ID}, {"admin_graphql_api_id", gid("LineItem", it.ID)}, {"product_id", it.ProductID}, {"title", it.Title}, {"name", it.Title},
			{"sku", nullable(it.SKU)}, {"vendor", nullable(it.Vendor)}, {"quantity", it.Qty}, {"price", restMoney(it.Price, o.Currency)}, {"total_discount", restMoney(0, o.Currency)}}))
	}
	m = append(m, kv{"line_items", lines}, kv{"refunds", []any{}})
	m = append(m, kv{"client_details", orderedJSON([]kv{{"browser_ip", nullable(o.ClientIP)}, {"accept_language", nullable(o.Locale)}, {"user_agent", nullable(o.UserAgent)}})})
	return patchJSON(orderedJSON(m), orderChangeKV(o, nil))
}

func itoa(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
