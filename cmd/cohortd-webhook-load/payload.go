package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"
)

// payload is one pre-built, pre-signed webhook body. Bodies are built once
// so that the generator spends its CPU on sending, not on JSON and HMAC.
type payload struct {
	topic string
	body  []byte
	hmac  string // base64(HMAC-SHA256(body, secret)): X-Shopify-Hmac-Sha256
}

var (
	firstNames = []string{"Anna", "Lukas", "Marie", "Jonas", "Sofia", "Noah", "Emma", "Liam", "Mia", "Elias", "Léa", "Zoë", "José", "Ørjan"}
	lastNames  = []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "O'Brien", "García", "Nguyen", "Smith"}
	cities     = []struct{ city, province, code, country, zip string }{
		{"Berlin", "Berlin", "BE", "DE", "10115"}, {"München", "Bavaria", "BY", "DE", "80331"},
		{"Ottawa", "Ontario", "ON", "CA", "K2P 1L4"}, {"Austin", "Texas", "TX", "US", "78701"},
		{"Lyon", "", "", "FR", "69002"}, {"Wien", "", "", "AT", "1010"},
	}
	products = []struct {
		title, vendor, sku string
		price              string
	}{
		{"Ceramic Mug — Speckled", "Kiln & Co", "MUG-SPK-01", "18.00"},
		{"Organic Cotton Tee", "Loom Works", "TEE-ORG-M", "29.90"},
		{"Cold Brew Coffee 500g", "Roastery 12", "CB-500", "14.50"},
		{"Wool Beanie", "Northern Knit", "BEANIE-GRY", "24.00"},
		{"Linen Tote Bag", "Loom Works", "TOTE-LIN", "19.00"},
		{"Stainless Bottle 750ml", "Hydra", "BTL-750-BLK", "32.00"},
	}
	userAgents = []string{
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
	}
)

// buildPayloads returns n signed bodies: alternating order and customer
// webhooks shaped like Shopify's REST webhook payloads (2-4 KB each).
func buildPayloads(n int, secret []byte, seed uint64) []payload {
	r := rand.New(rand.NewPCG(seed, 0x636f686f7274))
	out := make([]payload, n)
	base := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for i := range out {
		var (
			topic string
			doc   map[string]any
		)
		at := base.Add(time.Duration(r.IntN(90*24*3600)) * time.Second)
		if i%2 == 0 {
			topic = []string{"orders/create", "orders/updated", "orders/paid"}[r.IntN(3)]
			doc = order(r, at)
		} else {
			topic = []string{"customers/create", "customers/update"}[r.IntN(2)]
			doc = customer(r, at)
		}
		body, err := json.Marshal(doc)
		if err != nil {
			panic(fmt.Sprintf("payload %d: %v", i, err)) // static shapes: cannot fail
		}
		mac := hmac.New(sha256.New, secret)
		mac.Write(body)
		out[i] = payload{topic: topic, body: body, hmac: base64.StdEncoding.EncodeToString(mac.Sum(nil))}
	}
	return out
}

func person(r *rand.Rand) (first, last, email, phone string) {
	first, last = firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	email = fmt.Sprintf("%s.%s%d@example.test", first[:1], last[:2], r.IntN(100000))
	phone = fmt.Sprintf("+4915%09d", r.IntN(1e9))
	return
}

func address(r *rand.Rand, first, last, phone string, id int64) map[string]any {
	c := cities[r.IntN(len(cities))]
	return map[string]any{
		"id": id, "first_name": first, "last_name": last, "company": nil,
		"address1": fmt.Sprintf("%s %d", []string{"Hauptstraße", "Main St", "Rue de la Paix", "Elm Street"}[r.IntN(4)], 1+r.IntN(200)),
		"address2": "", "city": c.city, "province": c.province, "province_code": c.code,
		"country": c.country, "country_code": c.country, "zip": c.zip, "phone": phone,
		"name": first + " " + last, "latitude": 40 + r.Float64()*15, "longitude": -100 + r.Float64()*120,
	}
}

func customerObject(r *rand.Rand, at time.Time) map[string]any {
	first, last, email, phone := person(r)
	id := 7000000000000 + r.Int64N(1e12)
	addr := address(r, first, last, phone, 9000000000000+r.Int64N(1e12))
	addr["customer_id"], addr["default"] = id, true
	return map[string]any{
		"id": id, "email": email, "first_name": first, "last_name": last, "phone": phone,
		"created_at": at.Add(-240 * time.Hour).Format(time.RFC3339), "updated_at": at.Format(time.RFC3339),
		"state": "enabled", "verified_email": true, "tax_exempt": false, "currency": "EUR",
		"orders_count": r.IntN(12), "total_spent": fmt.Sprintf("%d.%02d", r.IntN(900), r.IntN(100)),
		"tags": []string{"", "VIP", "wholesale, newsletter", "cohort:champions"}[r.IntN(4)],
		"note": nil, "multipass_identifier": nil, "tax_exemptions": []string{},
		"admin_graphql_api_id": fmt.Sprintf("gid://shopify/Customer/%d", id),
		"email_marketing_consent": map[string]any{
			"state":        []string{"subscribed", "not_subscribed", "unsubscribed"}[r.IntN(3)],
			"opt_in_level": "single_opt_in", "consent_updated_at": at.Add(-48 * time.Hour).Format(time.RFC3339),
		},
		"sms_marketing_consent": map[string]any{
			"state": "not_subscribed", "opt_in_level": "single_opt_in", "consent_updated_at": nil,
			"consent_collected_from": "OTHER",
		},
		"default_address": addr,
		"addresses":       []any{addr},
	}
}

func customer(r *rand.Rand, at time.Time) map[string]any {
	c := customerObject(r, at)
	c["last_order_id"] = 5000000000000 + r.Int64N(1e12)
	c["last_order_name"] = fmt.Sprintf("#%d", 1000+r.IntN(9000))
	return c
}

func order(r *rand.Rand, at time.Time) map[string]any {
	cust := customerObject(r, at)
	first, last := cust["first_name"].(string), cust["last_name"].(string)
	phone := cust["phone"].(string)
	id := 5000000000000 + r.Int64N(1e12)
	var items []any
	subtotal := 0
	for n := 1 + r.IntN(3); n > 0; n-- {
		p := products[r.IntN(len(products))]
		q := 1 + r.IntN(3)
		var cents int
		_, _ = fmt.Sscanf(p.price, "%d.", &cents)
		subtotal += cents * 100 * q
		items = append(items, map[string]any{
			"id": 12000000000000 + r.Int64N(1e12), "variant_id": 40000000000000 + r.Int64N(1e12),
			"product_id": 8000000000000 + r.Int64N(1e12), "title": p.title, "name": p.title,
			"sku": p.sku, "vendor": p.vendor, "quantity": q, "price": p.price,
			"requires_shipping": true, "taxable": true, "gift_card": false, "fulfillable_quantity": q,
			"grams": 300 + r.IntN(700), "total_discount": "0.00", "properties": []any{},
			"tax_lines": []any{map[string]any{"title": "VAT", "rate": 0.19, "price": "0.00"}},
		})
	}
	total := fmt.Sprintf("%d.%02d", subtotal/100+5, subtotal%100)
	return map[string]any{
		"id": id, "admin_graphql_api_id": fmt.Sprintf("gid://shopify/Order/%d", id),
		"name": fmt.Sprintf("#%d", 1000+r.IntN(9000)), "order_number": 1000 + r.IntN(9000),
		"email": cust["email"], "contact_email": cust["email"], "phone": nil,
		"created_at": at.Format(time.RFC3339), "updated_at": at.Add(time.Minute).Format(time.RFC3339),
		"processed_at": at.Format(time.RFC3339), "cancelled_at": nil, "cancel_reason": nil,
		"currency": "EUR", "presentment_currency": "EUR",
		"subtotal_price": fmt.Sprintf("%d.%02d", subtotal/100, subtotal%100), "total_price": total,
		"total_tax": "0.00", "total_discounts": "0.00", "taxes_included": true,
		"financial_status":   []string{"paid", "pending", "partially_refunded"}[r.IntN(3)],
		"fulfillment_status": nil, "source_name": "web", "tags": "", "note": nil,
		"buyer_accepts_marketing": r.IntN(2) == 0, "test": false, "confirmed": true,
		"client_details": map[string]any{
			"browser_ip": fmt.Sprintf("203.0.113.%d", r.IntN(250)), "accept_language": "de-DE,de;q=0.9",
			"user_agent": userAgents[r.IntN(len(userAgents))],
		},
		"billing_address":  address(r, first, last, phone, 0),
		"shipping_address": address(r, first, last, phone, 0),
		"shipping_lines": []any{map[string]any{
			"id": 4000000000000 + r.Int64N(1e12), "title": "Standard", "price": "5.00", "code": "Standard", "source": "shopify",
		}},
		"line_items": items,
		"customer":   cust,
	}
}
