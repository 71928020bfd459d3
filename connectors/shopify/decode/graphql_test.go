package decode

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/cohortd/cohortd/profiles"
)

func TestCustomerGraphQL(t *testing.T) {
	got, err := Customer("shop1", readTestdata(t, "graphql/customer.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := profiles.CustomerRecord{
		Store:     "shop1",
		ID:        "544365967",
		Email:     "Bob.Bobsen@Example.com ", // raw: trimming and case are profiles' job
		Phone:     "+13125551212",
		FirstName: "Bob",
		LastName:  "Bobsen",
		Locale:    "en",
		Tags:      []string{"Bob", "Canadian", "cohort:champions"},
		CreatedAt: utc(t, "2005-06-15T15:57:11Z"),
		UpdatedAt: utc(t, "2024-03-01T09:12:40Z"),
		Consent: profiles.Consent{
			State:     "subscribed",
			OptInType: "single_opt_in",
			UpdatedAt: utc(t, "2023-10-11T03:20:33Z"),
		},
		Addresses: []profiles.Address{
			// The default address (second in the list) comes first.
			{FirstName: "Bob", LastName: "Bobsen", Company: "Acme", Address1: "Chestnut Street 92",
				City: "Louisville", Region: "KY", Postcode: "40202", Country: "US", Phone: "555-625-1199"},
			{FirstName: "Bob", LastName: "Bobsen", Address1: "2259 Park Ct", Address2: "Apartment 5",
				City: "Drayton Valley", Region: "AB", Postcode: "T0E 0M0", Country: "CA", Phone: "+1(613)555-1212"},
		},
	}
	sameJSON(t, "customer", got, want)
	if got.Ref() != (profiles.SourceRef{Store: "shop1", Kind: profiles.KindCustomer, ID: "544365967"}) {
		t.Errorf("Ref = %+v", got.Ref())
	}
}

func TestCustomerGraphQLMinimal(t *testing.T) {
	got, err := Customer("shop1", readTestdata(t, "graphql/customer_minimal.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := profiles.CustomerRecord{
		Store:     "shop1",
		ID:        "1073339460",
		Phone:     "+16136120707",
		Locale:    "fr",
		Tags:      []string{},
		CreatedAt: utc(t, "2025-02-03T15:00:00Z"),
		UpdatedAt: utc(t, "2025-02-03T15:00:00Z"),
	}
	sameJSON(t, "customer", got, want)
	if got.Consent != (profiles.Consent{}) {
		t.Errorf("null emailMarketingConsent gave Consent %+v, want empty (never invented)", got.Consent)
	}
	if got.Addresses != nil {
		t.Errorf("Addresses = %v, want none", got.Addresses)
	}
}

// The consent enums map to the REST spelling for every documented state.
func TestCustomerGraphQLConsentStates(t *testing.T) {
	for in, want := range map[string]string{
		"SUBSCRIBED": "subscribed", "NOT_SUBSCRIBED": "not_subscribed", "UNSUBSCRIBED": "unsubscribed",
		"PENDING": "pending", "INVALID": "invalid", "REDACTED": "redacted",
	} {
		node := `{"id":"gid://shopify/Customer/1","emailMarketingConsent":{"marketingState":"` + in +
			`","marketingOptInLevel":"CONFIRMED_OPT_IN","consentUpdatedAt":null}}`
		c, err := Customer("s", json.RawMessage(node))
		if err != nil {
			t.Fatal(err)
		}
		if c.Consent.State != want || c.Consent.OptInType != "confirmed_opt_in" || !c.Consent.UpdatedAt.IsZero() {
			t.Errorf("%s: Consent = %+v, want state %q, opt-in confirmed_opt_in, no time", in, c.Consent, want)
		}
	}
}

func TestOrderGraphQLPage(t *testing.T) {
	got, err := Order("shop1", readTestdata(t, "graphql/order_page.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "order", got, wantOrder820982911946154508(t, false))
}

// wantOrder820982911946154508 is the record both graphql/order_page.json and
// webhooks/orders_create.json describe. REST has a user agent and no product types; GraphQL the
// reverse.
func wantOrder820982911946154508(t *testing.T, rest bool) profiles.OrderRecord {
	o := profiles.OrderRecord{
		Store:      "shop1",
		ID:         "820982911946154508",
		CustomerID: "115310627314723954",
		Email:      "jon@example.com",
		CreatedAt:  utc(t, "2025-01-10T14:03:25Z"), // processedAt
		UpdatedAt:  utc(t, "2025-01-10T14:05:02Z"),
		Currency:   "CAD",
		Total:      dec(t, "283.47"),
		Refunded:   dec(t, "0"),
		Lines: []profiles.LineItem{
			{ProductID: "788032119674292922", SKU: "SKU2006-020", Title: "Mid-century lounger",
				ProductType: "Furniture", Vendor: "Acme Home", Quantity: 1, Price: dec(t, "215.99")},
			{SKU: "LENS-PROTECT-2YR", Title: "Lens Protection Plan (2 Year)", Quantity: 2, Price: dec(t, "26.99")},
		},
		Billing: profiles.Address{FirstName: "John", LastName: "Smith", Address1: "123 Elm St.", City: "Ottawa",
			Region: "ON", Postcode: "K2H7A8", Country: "CA", Phone: "123-123-1234"},
		Shipping: profiles.Address{FirstName: "Steve", LastName: "Shipper", Company: "Shipping Company",
			Address1: "123 Shipping Street", City: "Shippington", Region: "ON", Postcode: "K2P0S0", Country: "CA",
			Phone: "555-555-SHIP"},
		BrowserIP: "216.191.105.146",
		Locale:    "en-CA",
		Shop:      &profiles.ShopMoney{Currency: "USD", Total: dec(t, "209.97"), Refunded: dec(t, "0")},
	}
	if rest {
		o.UserAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
		o.Lines[0].ProductType = ""
	}
	return o
}

// bulkOrders groups bulk JSONL lines the way the backfill does: an object with __parentId
// belongs to the last order.
func bulkOrders(t testing.TB) (orders []json.RawMessage, children [][]json.RawMessage) {
	for _, line := range readJSONL(t, "graphql/orders_bulk.jsonl") {
		var probe struct {
			ParentID string `json:"__parentId"`
		}
		if err := json.Unmarshal(line, &probe); err != nil {
			t.Fatal(err)
		}
		if probe.ParentID == "" {
			orders = append(orders, line)
			children = append(children, nil)
			continue
		}
		children[len(children)-1] = append(children[len(children)-1], line)
	}
	return orders, children
}

func TestOrderGraphQLBulk(t *testing.T) {
	orders, children := bulkOrders(t)
	if len(orders) != 2 || len(children[0]) != 3 || len(children[1]) != 1 {
		t.Fatalf("testdata: %d orders, children %v", len(orders), children)
	}
	got, err := Order("shop1", orders[0], children[0])
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "bulk order", got, profiles.OrderRecord{
		Store:      "shop1",
		ID:         "5201000000001",
		CustomerID: "7301000000042",
		Email:      "Marie.Schmidt@example.de",
		Phone:      "+49 30 901820",
		CreatedAt:  utc(t, "2024-11-29T08:15:00Z"),
		UpdatedAt:  utc(t, "2024-12-04T17:40:11Z"),
		Currency:   "EUR",
		Total:      dec(t, "129.40"),
		Refunded:   dec(t, "10.00"),
		Lines: []profiles.LineItem{
			{ProductID: "8800000000011", SKU: "BEANIE-GRY", Title: "Merino Beanie", ProductType: "Hats", Vendor: "Nordwolle", Quantity: 2, Price: dec(t, "25.00")},
			{ProductID: "8800000000012", SKU: "SCARF-ALP-01", Title: "Alpaca Scarf", ProductType: "Scarves", Vendor: "Nordwolle", Quantity: 1, Price: dec(t, "59.90")},
			{ProductID: "8800000000099", Title: "Gift Card", ProductType: "Gift Cards", Vendor: "Nordwolle", Quantity: 1, Price: dec(t, "10.00")},
		},
		Billing: profiles.Address{FirstName: "Marie", LastName: "Schmidt", Address1: "Torstraße 12", Address2: "Hinterhaus",
			City: "Berlin", Postcode: "10119", Country: "DE", Phone: "030 901820"},
		Shipping: profiles.Address{FirstName: "Marie", LastName: "Schmidt", Address1: "Torstraße 12", Address2: "Hinterhaus",
			City: "Berlin", Postcode: "10119", Country: "DE", Phone: "030 901820"},
		BrowserIP: "2a02:8109:b6c0:1a00::5",
		Locale:    "de",
		// The shop's own conversion: exact base-currency figures when the base is USD.
		Shop: &profiles.ShopMoney{Currency: "USD", Total: dec(t, "139.72"), Refunded: dec(t, "10.80")},
	})
	if got.IsGuest() {
		t.Error("order with a customer is a guest order")
	}

	guest, err := Order("shop1", orders[1], children[1])
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "guest order", guest, profiles.OrderRecord{
		Store:       "shop1",
		ID:          "5201000000002",
		Email:       "guest.buyer@example.co.uk",
		CreatedAt:   utc(t, "2024-12-01T21:00:44Z"),
		UpdatedAt:   utc(t, "2024-12-02T10:00:00Z"),
		CancelledAt: utc(t, "2024-12-02T09:59:58Z"),
		Currency:    "GBP",
		Total:       dec(t, "19.99"),
		Refunded:    dec(t, "0"),
		Shop:        &profiles.ShopMoney{Currency: "USD", Total: dec(t, "25.30"), Refunded: dec(t, "0.0")},
		Lines:       []profiles.LineItem{{SKU: "SOCK-W-42", Title: "Wool Socks", Vendor: "Nordwolle", Quantity: 1, Price: dec(t, "19.99")}},
		Billing: profiles.Address{FirstName: "Ann", LastName: "Guest", Address1: "10 Downing St", City: "London",
			Region: "ENG", Postcode: "SW1A 2AA", Country: "GB"},
		Locale: "en-GB",
	})
	if !guest.IsGuest() || guest.Ref() != (profiles.SourceRef{Store: "shop1", Kind: profiles.KindGuestOrder, ID: "5201000000002"}) {
		t.Errorf("guest order: IsGuest %v, Ref %+v", guest.IsGuest(), guest.Ref())
	}
}

// Inline lines and further lines passed as children (the rest of a long order, read with
// OrderLineItems) are concatenated, inline first.
func TestOrderGraphQLInlineAndChildren(t *testing.T) {
	_, children := bulkOrders(t)
	extra := []json.RawMessage{children[0][1]} // a LineItem node; its __parentId is another order
	_, err := Order("shop1", readTestdata(t, "graphql/order_page.json"), extra)
	var de *DecodeError
	if !errors.As(err, &de) || de.Field != "lineChildren[0].__parentId" {
		t.Fatalf("child of another order: err = %v, want a DecodeError on lineChildren[0].__parentId", err)
	}
	var node map[string]any
	if err := json.Unmarshal(children[0][1], &node); err != nil {
		t.Fatal(err)
	}
	delete(node, "__parentId")
	node["originalUnitPriceSet"] = map[string]any{"presentmentMoney": map[string]any{"amount": "80.00", "currencyCode": "CAD"}}
	b, err := json.Marshal(node)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Order("shop1", readTestdata(t, "graphql/order_page.json"), []json.RawMessage{b})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Lines) != 3 || got.Lines[0].SKU != "SKU2006-020" || got.Lines[2].SKU != "SCARF-ALP-01" || !got.Lines[2].Price.Equal(dec(t, "80")) {
		t.Errorf("lines = %+v, want the two inline lines then SCARF-ALP-01 at 80", got.Lines)
	}
}

// lineItems may come as edges { node } too.
func TestOrderGraphQLEdges(t *testing.T) {
	node := `{"id":"gid://shopify/Order/7","createdAt":"2024-01-01T00:00:00Z",
	  "totalPriceSet":{"presentmentMoney":{"amount":"5.5","currencyCode":"JPY"}},
	  "lineItems":{"edges":[{"node":{"id":"gid://shopify/LineItem/9","title":"Tea","quantity":3,
	    "originalUnitPriceSet":{"presentmentMoney":{"amount":"1.5","currencyCode":"JPY"}}}}]}}`
	got, err := Order("s", json.RawMessage(node), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "7" || got.Currency != "JPY" || len(got.Lines) != 1 || got.Lines[0].Title != "Tea" ||
		got.Lines[0].Quantity != 3 || !got.Lines[0].Price.Equal(dec(t, "1.5")) || !got.Refunded.IsZero() {
		t.Errorf("got %+v", got)
	}
}

func TestGraphQLErrors(t *testing.T) {
	const pii = "secret.person@example.com"
	order := func(repl string) string {
		base := `{"id":"gid://shopify/Order/1","email":"` + pii + `","createdAt":"2024-01-01T00:00:00Z",
		  "totalPriceSet":{"presentmentMoney":{"amount":"5","currencyCode":"EUR"}}}`
		if repl == "" {
			return base
		}
		return strings.Replace(base, `"createdAt":"2024-01-01T00:00:00Z"`, repl, 1)
	}
	tests := []struct {
		name, node string
		customer   bool
		wantField  string
		wantReason string
	}{
		{"customer without id", `{"email":"` + pii + `"}`, true, "id", "missing"},
		{"customer id of another type", `{"id":"gid://shopify/Order/1"}`, true, "id", "not a gid"},
		{"customer id and legacy id disagree", `{"id":"gid://shopify/Customer/1","legacyResourceId":"2"}`, true, "legacyResourceId", "does not match"},
		{"customer legacy id not numeric", `{"legacyResourceId":"` + pii + `"}`, true, "legacyResourceId", "not a numeric id"},
		{"customer email of wrong type", `{"id":"gid://shopify/Customer/1","email":["` + pii + `"]}`, true, "email", "want string, got array"},
		{"customer phone as number", `{"id":"gid://shopify/Customer/1","phone":4155550132}`, true, "phone", "want string, got number"},
		{"customer bad time", `{"id":"gid://shopify/Customer/1","updatedAt":"` + pii + `"}`, true, "updatedAt", "not an ISO 8601 time"},
		{"customer tags not a list", `{"id":"gid://shopify/Customer/1","tags":"a,b"}`, true, "tags", "want array, got string"},
		{"customer not JSON", `{"id":"gid://shopify/Customer/1","email":"` + pii + `"`, true, "", "malformed JSON"},
		{"customer garbage", pii, true, "", "malformed JSON"},
		{"order ok baseline", order(""), false, "", ""},
		{"order without createdAt", order(`"createdAt":null`), false, "createdAt", "missing"},
		{"order without total", `{"id":"gid://shopify/Order/1","createdAt":"2024-01-01T00:00:00Z"}`, false, "totalPriceSet.presentmentMoney", "missing"},
		{"order bad total", strings.Replace(order(""), `"amount":"5"`, `"amount":"five"`, 1), false, "totalPriceSet.presentmentMoney.amount", "not a decimal"},
		{"order bad customer", order(`"createdAt":"2024-01-01T00:00:00Z","customer":{"id":"` + pii + `"}`), false, "customer.id", "not a gid"},
		{"order refund in another currency", order(`"createdAt":"2024-01-01T00:00:00Z","totalRefundedSet":{"presentmentMoney":{"amount":"1","currencyCode":"USD"}}`), false, "totalRefundedSet.presentmentMoney.currencyCode", "differs"},
		{"order presentment currency mismatch", order(`"createdAt":"2024-01-01T00:00:00Z","presentmentCurrencyCode":"USD"`), false, "presentmentCurrencyCode", "differs"},
		{"order quantity overflow", order(`"createdAt":"2024-01-01T00:00:00Z","lineItems":{"nodes":[{"quantity":4155550132999999999999}]}`), false, "lineItems.nodes[0].quantity", "want integer, got number"},
		{"order line without price", order(`"createdAt":"2024-01-01T00:00:00Z","lineItems":{"nodes":[{"id":"gid://shopify/LineItem/3","quantity":1}]}`), false, "lineItems.nodes[0].originalUnitPriceSet.presentmentMoney", "missing"},
		{"order line price in another currency", order(`"createdAt":"2024-01-01T00:00:00Z","lineItems":{"nodes":[{"quantity":1,"originalUnitPriceSet":{"presentmentMoney":{"amount":"1","currencyCode":"USD"}}}]}`), false, "lineItems.nodes[0].originalUnitPriceSet.presentmentMoney.currencyCode", "differs"},
		{"order line product of another type", order(`"createdAt":"2024-01-01T00:00:00Z","lineItems":{"nodes":[{"quantity":1,"product":{"id":"gid://shopify/Customer/5"},"originalUnitPriceSet":{"presentmentMoney":{"amount":"1","currencyCode":"EUR"}}}]}`), false, "lineItems.nodes[0].product.id", "not a gid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.customer {
				_, err = Customer("s", json.RawMessage(tt.node))
			} else {
				_, err = Order("s", json.RawMessage(tt.node), nil)
			}
			if tt.wantReason == "" {
				if err != nil {
					t.Fatalf("baseline failed: %v", err)
				}
				return
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a *DecodeError", err)
			}
			if de.Field != tt.wantField || !strings.Contains(de.Reason, tt.wantReason) {
				t.Errorf("err = %v: field %q reason %q, want field %q reason containing %q", err, de.Field, de.Reason, tt.wantField, tt.wantReason)
			}
			for _, leak := range []string{pii, "4155550132", "five"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error %q quotes the payload (%q)", err, leak)
				}
			}
		})
	}
}

// A bulk child that fails to decode is named by its position.
func TestOrderGraphQLBadChild(t *testing.T) {
	orders, children := bulkOrders(t)
	bad := append([]json.RawMessage{}, children[0]...)
	bad[2] = json.RawMessage(`{"id":"gid://shopify/LineItem/1","quantity":"two","__parentId":"gid://shopify/Order/5201000000001"}`)
	_, err := Order("shop1", orders[0], bad)
	var de *DecodeError
	if !errors.As(err, &de) || de.Field != "lineChildren[2].quantity" || de.ID != "5201000000001" {
		t.Fatalf("err = %#v, want field lineChildren[2].quantity on order 5201000000001", err)
	}
	bad[2] = json.RawMessage(`{"id":"gid://shopify/Refund/1","quantity":1,"__parentId":"gid://shopify/Order/5201000000001"}`)
	if _, err := Order("shop1", orders[0], bad); !errors.As(err, &de) || de.Field != "lineChildren[2].id" {
		t.Fatalf("a child that is not a LineItem: err = %v", err)
	}
}
