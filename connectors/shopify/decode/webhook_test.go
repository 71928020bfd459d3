package decode

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cohortd/cohortd/profiles"
)

var triggered = time.Date(2025, 7, 10, 16, 15, 47, 0, time.UTC)

func webhook(t *testing.T, topic, file string) Event {
	t.Helper()
	ev, err := Webhook("shop1", topic, triggered, readTestdata(t, file))
	if err != nil {
		t.Fatalf("%s %s: %v", topic, file, err)
	}
	return ev
}

func customerEvent(t *testing.T, ev Event) profiles.CustomerRecord {
	t.Helper()
	c, ok := ev.(CustomerEvent)
	if !ok {
		t.Fatalf("event is %T, want CustomerEvent", ev)
	}
	return c.Customer
}

func orderEvent(t *testing.T, ev Event) profiles.OrderRecord {
	t.Helper()
	o, ok := ev.(OrderEvent)
	if !ok {
		t.Fatalf("event is %T, want OrderEvent", ev)
	}
	return o.Order
}

func TestWebhookCustomerCreate(t *testing.T) {
	got := customerEvent(t, webhook(t, TopicCustomersCreate, "webhooks/customers_create.json"))
	sameJSON(t, "customer", got, profiles.CustomerRecord{
		Store:     "shop1",
		ID:        "706405506930370084",
		Email:     "bob@biller.com",
		FirstName: "Bob",
		LastName:  "Biller",
		CreatedAt: utc(t, "2022-01-01T00:00:00Z"),
		UpdatedAt: utc(t, "2022-01-01T00:00:00Z"),
		// addresses is empty in the payload: the default address is the only one.
		Addresses: []profiles.Address{{FirstName: "Bob", LastName: "Biller", Address1: "151 O'Connor Street",
			City: "Ottawa", Region: "ON", Postcode: "K2P 2L8", Country: "CA", Phone: "555-555-5555"}},
	})
	if got.Consent != (profiles.Consent{}) {
		t.Errorf("payload without consent gave %+v", got.Consent)
	}
}

func TestWebhookCustomerUpdate(t *testing.T) {
	got := customerEvent(t, webhook(t, TopicCustomersUpdate, "webhooks/customers_update.json"))
	def := profiles.Address{FirstName: "Bob", LastName: "Biller", Address1: "151 O'Connor Street",
		City: "Ottawa", Region: "ON", Postcode: "K2P 2L8", Country: "CA", Phone: "555-555-5555"}
	sameJSON(t, "customer", got, profiles.CustomerRecord{
		Store:     "shop1",
		ID:        "706405506930370084",
		Email:     "bob@biller.com",
		Phone:     "+16135550123",
		FirstName: "Bob",
		LastName:  "Biller",
		Tags:      []string{"VIP", "newsletter", "cohort:champions"},
		CreatedAt: utc(t, "2022-01-01T00:00:00Z"),
		UpdatedAt: utc(t, "2024-05-02T15:30:15Z"),
		Consent:   profiles.Consent{State: "subscribed", OptInType: "confirmed_opt_in", UpdatedAt: utc(t, "2024-05-02T15:29:58Z")},
		Addresses: []profiles.Address{def, {FirstName: "Bob", LastName: "Biller", Address1: "1 Rideau St",
			City: "Ottawa", Region: "ON", Postcode: "K1N 8S7", Country: "CA"}},
	})
}

// go-shopify's customer fixture: the REST resource a customers/update webhook carries.
func TestWebhookGoShopifyCustomer(t *testing.T) {
	var wrapped struct{ Customer json.RawMessage }
	if err := json.Unmarshal(readTestdata(t, "goshopify/customer.json"), &wrapped); err != nil {
		t.Fatal(err)
	}
	ev, err := Webhook("shop1", TopicCustomersUpdate, time.Time{}, wrapped.Customer)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "customer", customerEvent(t, ev), profiles.CustomerRecord{
		Store:     "shop1",
		ID:        "1",
		Email:     "test@example.com",
		FirstName: "Test",
		LastName:  "Citizen",
		Tags:      []string{"tag1", "tag2"},
		CreatedAt: utc(t, "2017-09-23T18:15:47Z"),
		UpdatedAt: utc(t, "2017-09-23T18:15:47Z"),
		// email_marketing_consent wins over the legacy accepts_marketing: true.
		Consent: profiles.Consent{State: "not_subscribed", OptInType: "single_opt_in", UpdatedAt: utc(t, "2017-09-23T18:15:47Z")},
		// default_address and addresses[0] are the same address (id 1): listed once.
		Addresses: []profiles.Address{{FirstName: "Test", LastName: "Citizen", Address1: "1 Smith St", City: "BRISBANE",
			Region: "QLD", Postcode: "4000", Country: "AU", Phone: "1111 111 111"}},
	})
}

// Payloads from before email_marketing_consent carry only accepts_marketing.
func TestWebhookCustomerLegacyAcceptsMarketing(t *testing.T) {
	for _, tt := range []struct{ flag, want string }{{"true", "subscribed"}, {"false", "not_subscribed"}} {
		body := `{"id":5,"accepts_marketing":` + tt.flag + `,"accepts_marketing_updated_at":"2019-01-01T00:00:00-00:00"}`
		ev, err := Webhook("s", TopicCustomersCreate, time.Time{}, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if c := customerEvent(t, ev); c.Consent.State != tt.want || !c.Consent.UpdatedAt.Equal(utc(t, "2019-01-01T00:00:00Z")) {
			t.Errorf("accepts_marketing %s: Consent %+v, want %s", tt.flag, c.Consent, tt.want)
		}
	}
}

func TestWebhookCustomerDelete(t *testing.T) {
	got := customerEvent(t, webhook(t, TopicCustomersDelete, "webhooks/customers_delete.json"))
	sameJSON(t, "tombstone", got, profiles.CustomerRecord{
		Store: "shop1", ID: "706405506930370084", Deleted: true, UpdatedAt: triggered,
	})
	_, err := Webhook("shop1", TopicCustomersDelete, time.Time{}, readTestdata(t, "webhooks/customers_delete.json"))
	var de *DecodeError
	if !errors.As(err, &de) || de.ID != "706405506930370084" || !strings.Contains(de.Reason, "X-Shopify-Triggered-At") {
		t.Errorf("delete without triggered time: err = %v, want a DecodeError about X-Shopify-Triggered-At", err)
	}
}

func TestParseTriggeredAt(t *testing.T) {
	got, err := ParseTriggeredAt("2025-07-10T16:15:47.000000Z")
	if err != nil || !got.Equal(triggered) {
		t.Errorf("ParseTriggeredAt = %v, %v; want %v", got, err, triggered)
	}
	for _, bad := range []string{"", "yesterday", "1752164147"} {
		if _, err := ParseTriggeredAt(bad); err == nil {
			t.Errorf("ParseTriggeredAt(%q) succeeded", bad)
		}
	}
}

func TestWebhookOrderCreate(t *testing.T) {
	for _, topic := range []string{TopicOrdersCreate, TopicOrdersUpdated, TopicOrdersPaid, TopicOrdersCancelled} {
		got := orderEvent(t, webhook(t, topic, "webhooks/orders_create.json"))
		sameJSON(t, topic, got, wantOrder820982911946154508(t, true))
	}
}

// The same order through GraphQL and through a webhook gives the same record, except for the
// fields only one API has (user agent: REST; product type: GraphQL).
func TestWebhookAndGraphQLAgree(t *testing.T) {
	rest := orderEvent(t, webhook(t, TopicOrdersCreate, "webhooks/orders_create.json"))
	gql, err := Order("shop1", readTestdata(t, "graphql/order_page.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rest.UserAgent == "" || gql.Lines[0].ProductType == "" {
		t.Fatal("testdata lost the fields that differ")
	}
	rest.UserAgent = ""
	gql.Lines[0].ProductType = ""
	sameJSON(t, "REST vs GraphQL", rest, gql)
}

func TestWebhookOrderRefunded(t *testing.T) {
	got := orderEvent(t, webhook(t, TopicOrdersUpdated, "webhooks/orders_updated_refunded.json"))
	// refund 929361464: the successful 26.99 transaction (the failed one does not count);
	// refund 929361465: no transactions, so its lines: 26.99 + 1.35 (presentment sets) and
	// 5.0 + 0.25 (plain numbers). Order adjustments are not added.
	if want := dec(t, "60.58"); !got.Refunded.Equal(want) {
		t.Errorf("Refunded = %s, want %s", got.Refunded, want)
	}
	if got.Currency != "CAD" || !got.Total.Equal(dec(t, "283.47")) || !got.UpdatedAt.Equal(utc(t, "2025-01-20T21:45:00Z")) {
		t.Errorf("Currency %s Total %s UpdatedAt %v", got.Currency, got.Total, got.UpdatedAt)
	}
}

func TestWebhookGuestCancelledOrder(t *testing.T) {
	got := orderEvent(t, webhook(t, TopicOrdersCancelled, "webhooks/orders_cancelled_guest.json"))
	sameJSON(t, "guest order", got, profiles.OrderRecord{
		Store:       "shop1",
		ID:          "450789469",
		Email:       "bob.norman@mail.example.com", // contact_email: email is empty
		Phone:       "+1 555 010 9999",
		CreatedAt:   utc(t, "2008-01-10T16:00:00Z"), // processed_at is null
		UpdatedAt:   utc(t, "2008-01-12T16:00:00Z"),
		CancelledAt: utc(t, "2008-01-12T15:59:00Z"),
		Currency:    "USD", // no total_price_set: total_price in currency
		Total:       dec(t, "598.94"),
		Refunded:    dec(t, "0"),
		Lines: []profiles.LineItem{
			{ProductID: "632910392", SKU: "IPOD2008GREEN", Title: "IPod Nano - 8gb", Quantity: 1, Price: dec(t, "199.00")},
			{ProductID: "632910392", SKU: "IPOD2008RED", Title: "IPod Nano - 8gb", Quantity: 2, Price: dec(t, "199.00")},
		},
		Billing: profiles.Address{FirstName: "Bob", LastName: "Norman", Address1: "Chestnut Street 92", City: "Louisville",
			Region: "KY", Postcode: "40202", Country: "US", Phone: "555-625-1199"},
		BrowserIP: "0.0.0.0",
	})
	if !got.IsGuest() {
		t.Error("order without customer is not a guest order")
	}
}

// go-shopify's order fixtures: a customer object whose id is null is a guest; order-level
// sale transactions are payments, not refunds.
func TestWebhookGoShopifyOrders(t *testing.T) {
	for _, file := range []string{"goshopify/order.json", "goshopify/order_with_transaction.json"} {
		var wrapped struct{ Order json.RawMessage }
		if err := json.Unmarshal(readTestdata(t, file), &wrapped); err != nil {
			t.Fatal(err)
		}
		ev, err := Webhook("shop1", TopicOrdersUpdated, time.Time{}, wrapped.Order)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		sameJSON(t, file, orderEvent(t, ev), profiles.OrderRecord{
			Store:       "shop1",
			ID:          "123456",
			Email:       "jon@doe.ca",
			CreatedAt:   utc(t, "2016-05-17T04:14:36Z"),
			UpdatedAt:   utc(t, "2016-05-17T08:14:36Z"),
			CancelledAt: utc(t, "2016-05-17T08:14:36Z"),
			Currency:    "USD",
			Total:       dec(t, "10.00"),
			Refunded:    dec(t, "0"),
			Lines: []profiles.LineItem{
				{ProductID: "111475476", Title: "Soda", Quantity: 1, Price: dec(t, "0.00")},
				{ProductID: "5410685889", Title: "Another Beer For Good Times", Quantity: 1, Price: dec(t, "5.00")},
			},
			Billing: profiles.Address{FirstName: "Bob", LastName: "Biller", Company: "My Company", Address1: "123 Billing Street",
				City: "Billtown", Region: "KY", Postcode: "K2P0B0", Country: "US", Phone: "555-555-BILL"},
			Shipping: profiles.Address{FirstName: "Steve", LastName: "Shipper", Company: "Shipping Company", Address1: "123 Shipping Street",
				City: "Shippington", Region: "KY", Postcode: "K2P0S0", Country: "US", Phone: "555-555-SHIP"},
		})
	}
}

func TestWebhookRefundCreate(t *testing.T) {
	ev := webhook(t, TopicRefundsCreate, "webhooks/refunds_create.json")
	r, ok := ev.(RefundEvent)
	if !ok {
		t.Fatalf("event is %T, want RefundEvent", ev)
	}
	sameJSON(t, "refund", r, RefundEvent{
		Store: "shop1", OrderID: "820982911946154508", RefundID: "929361464",
		Amount: dec(t, "26.99"), Currency: "CAD", CreatedAt: utc(t, "2025-01-15T15:34:55Z"),
	})
}

// A refund without transactions whose lines carry only plain numbers has no currency.
func TestWebhookRefundWithoutCurrency(t *testing.T) {
	body := `{"id":1,"order_id":2,"created_at":null,"processed_at":"2020-01-01T00:00:00Z","transactions":[],
	  "refund_line_items":[{"subtotal":10.5,"total_tax":"0.50"},{"subtotal":null,"total_tax":null}]}`
	ev, err := Webhook("s", TopicRefundsCreate, time.Time{}, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	r := ev.(RefundEvent)
	if !r.Amount.Equal(dec(t, "11")) || r.Currency != "" || !r.CreatedAt.Equal(utc(t, "2020-01-01T00:00:00Z")) {
		t.Errorf("refund = %+v, want 11, no currency, processed_at as time", r)
	}
}

func TestWebhookPrivacy(t *testing.T) {
	subject := PrivacySubject{ID: "191167", Email: "john@example.com", Phone: "555-625-1199"}
	orders := []string{"299938", "280263", "220458"}

	ev := webhook(t, TopicCustomersDataReq, "webhooks/customers_data_request.json")
	sameJSON(t, "data request", ev, DataRequest{Store: "shop1", ShopID: "954889", ShopDomain: "{shop}.myshopify.com",
		Customer: subject, OrderIDs: orders, RequestID: "9999"})
	if _, ok := ev.(DataRequest); !ok {
		t.Errorf("event is %T", ev)
	}

	ev = webhook(t, TopicCustomersRedact, "webhooks/customers_redact.json")
	sameJSON(t, "customer redact", ev, CustomerRedact{Store: "shop1", ShopID: "954889", ShopDomain: "{shop}.myshopify.com",
		Customer: subject, OrderIDs: orders})
	if _, ok := ev.(CustomerRedact); !ok {
		t.Errorf("event is %T", ev)
	}

	ev = webhook(t, TopicShopRedact, "webhooks/shop_redact.json")
	if got, ok := ev.(ShopRedact); !ok || got != (ShopRedact{Store: "shop1", ShopID: "954889", ShopDomain: "{shop}.myshopify.com"}) {
		t.Errorf("shop redact = %#v", ev)
	}

	// A guest's redact request: no id, but an email.
	ev, err := Webhook("shop1", TopicCustomersRedact, time.Time{}, []byte(`{"shop_id":954889,"shop_domain":"x.myshopify.com","customer":{"id":null,"email":"guest@example.com","phone":null},"orders_to_redact":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := ev.(CustomerRedact); got.Customer != (PrivacySubject{Email: "guest@example.com"}) || got.OrderIDs != nil {
		t.Errorf("guest redact = %+v", got)
	}
}

func TestWebhookBulkOperationFinish(t *testing.T) {
	ev := webhook(t, TopicBulkOperationFinish, "webhooks/bulk_operations_finish.json")
	sameJSON(t, "bulk finish", ev, BulkOperationFinished{
		Store: "shop1", ID: "gid://shopify/BulkOperation/147595010", Status: "COMPLETED", Type: "QUERY",
		CreatedAt: utc(t, "2024-01-01T12:05:33Z"), CompletedAt: utc(t, "2024-01-01T12:34:56Z"),
	})
	ev = webhook(t, TopicBulkOperationFinish, "webhooks/bulk_operations_finish_failed.json")
	if got, ok := ev.(BulkOperationFinished); !ok || got.Status != "FAILED" || got.ErrorCode != "TIMEOUT" ||
		got.ID != "gid://shopify/BulkOperation/147595011" || !got.CompletedAt.IsZero() {
		t.Errorf("failed bulk operation = %#v", ev)
	}
}

func TestWebhookUnknownTopic(t *testing.T) {
	ev, err := Webhook("s", "products/update", triggered, []byte(`{"id":1}`))
	if ev != nil || !errors.Is(err, ErrUnknownTopic) || !strings.Contains(err.Error(), `"products/update"`) {
		t.Errorf("unknown topic: ev %v err %v, want ErrUnknownTopic naming the topic", ev, err)
	}
}

func TestWebhookErrors(t *testing.T) {
	const email, phone = "hidden.person@example.com", "4155550132"
	tests := []struct {
		topic, body string
		wantField   string
		wantReason  string
	}{
		{TopicCustomersCreate, `{"email":"` + email + `"}`, "id", "missing"},
		{TopicCustomersCreate, `{"id":null,"email":"` + email + `"}`, "id", "missing"},
		{TopicCustomersCreate, `{"id":"` + email + `"}`, "id", "not a numeric id"},
		{TopicCustomersCreate, `{"id":-5}`, "id", "not a numeric id"},
		{TopicCustomersCreate, `{"id":1.5}`, "id", "not a numeric id"},
		{TopicCustomersCreate, `{"id":{"x":1}}`, "id", "not a numeric id"},
		{TopicCustomersUpdate, `{"id":1,"email":["` + email + `"]}`, "email", "want string, got array"},
		{TopicCustomersUpdate, `{"id":1,"phone":` + phone + `}`, "phone", "want string, got number"},
		{TopicCustomersUpdate, `{"id":1,"tags":["a"]}`, "tags", "want string, got array"},
		{TopicCustomersUpdate, `{"id":1,"updated_at":"` + email + `"}`, "updated_at", "not an ISO 8601 time"},
		{TopicCustomersUpdate, `{"id":1,"addresses":[{"id":"` + phone + `x"}]}`, "addresses[0].id", "not a numeric id"},
		{TopicCustomersUpdate, `{"id":1,"email_marketing_consent":{"state":"subscribed","consent_updated_at":"` + phone + `"}}`, "email_marketing_consent.consent_updated_at", "not an ISO 8601 time"},
		{TopicCustomersUpdate, `{"id":1,"email":"` + email + `"`, "", "malformed JSON"},
		{TopicCustomersUpdate, `[` + phone + `]`, "", "want object, got array"},
		{TopicCustomersDelete, `{}`, "id", "missing"},
		{TopicOrdersCreate, `{"email":"` + email + `"}`, "id", "missing"},
		{TopicOrdersCreate, `{"id":1,"email":"` + email + `","total_price":"5.00","currency":"USD"}`, "created_at", "missing"},
		{TopicOrdersCreate, `{"id":1,"created_at":"2020-01-01T00:00:00Z","currency":"USD"}`, "total_price", "missing"},
		{TopicOrdersCreate, `{"id":1,"created_at":"2020-01-01T00:00:00Z","total_price":"` + phone + `x","currency":"USD"}`, "total_price", "not a decimal"},
		{TopicOrdersCreate, `{"id":1,"created_at":"2020-01-01T00:00:00Z","total_price":"5"}`, "currency", "missing"},
		{TopicOrdersPaid, `{"id":1,"created_at":"2020-01-01T00:00:00Z","total_price":"5","currency":"USD","customer":{"id":"` + email + `"}}`, "customer.id", "not a numeric id"},
		{TopicOrdersPaid, `{"id":1,"created_at":"2020-01-01T00:00:00Z","total_price":"5","currency":"USD","line_items":[{"price":"1"},{"price":"x"}]}`, "line_items[1].price", "not a decimal"},
		{TopicOrdersPaid, `{"id":1,"created_at":"2020-01-01T00:00:00Z","total_price":"5","currency":"USD","line_items":[{"quantity":"2","price":"1"}]}`, "line_items.quantity", "want integer, got string"},
		{TopicOrdersUpdated, `{"id":1,"created_at":"2020-01-01T00:00:00Z","currency":"USD","total_price_set":{"presentment_money":{"amount":"5","currency_code":"EUR"}},"line_items":[{"price":"1"}]}`, "line_items[0].price_set.presentment_money", "missing on an order not in the shop currency"},
		{TopicOrdersUpdated, `{"id":1,"created_at":"2020-01-01T00:00:00Z","currency":"USD","total_price_set":{"presentment_money":{"amount":"5","currency_code":"EUR"}},"line_items":[{"price_set":{"presentment_money":{"amount":"1","currency_code":"GBP"}}}]}`, "line_items[0].price_set.presentment_money.currency_code", "differs"},
		{TopicOrdersUpdated, `{"id":1,"created_at":"2020-01-01T00:00:00Z","total_price":"5","currency":"USD","refunds":[{"transactions":[{"kind":"refund","status":"success","amount":"` + phone + `?","currency":"USD"}]}]}`, "refunds[0].transactions[0].amount", "not a decimal"},
		{TopicOrdersUpdated, `{"id":1,"created_at":"2020-01-01T00:00:00Z","total_price":"5","currency":"USD","refunds":[{"transactions":[{"kind":"refund","amount":"1","currency":"EUR"}]}]}`, "refunds[0]", "refund currency differs"},
		{TopicOrdersCancelled, `{"id":1,"created_at":"2020-01-01T00:00:00Z","total_price":"5","currency":"USD","cancelled_at":"soon"}`, "cancelled_at", "not an ISO 8601 time"},
		{TopicRefundsCreate, `{"order_id":1}`, "id", "missing"},
		{TopicRefundsCreate, `{"id":1}`, "order_id", "missing"},
		{TopicRefundsCreate, `{"id":1,"order_id":2,"transactions":[{"kind":"refund","amount":"1","currency":"EUR"},{"kind":"refund","amount":"1","currency":"USD"}]}`, "transactions[1].currency", "differs"},
		{TopicRefundsCreate, `{"id":1,"order_id":2,"refund_line_items":[{"subtotal_set":{"presentment_money":{"amount":"` + email + `"}}}]}`, "refund_line_items[0].subtotal_set.presentment_money.amount", "not a decimal"},
		{TopicCustomersDataReq, `{"shop_domain":"x","customer":{"id":1}}`, "shop_id", "missing"},
		{TopicCustomersDataReq, `{"shop_id":1,"customer":{"email":"` + email + `"},"data_request":{"id":"` + phone + `x"}}`, "data_request.id", "not a numeric id"},
		{TopicCustomersDataReq, `{"shop_id":1,"customer":{"email":"` + email + `"},"orders_requested":[1,"` + phone + `x"]}`, "orders_requested[1]", "not a numeric id"},
		{TopicCustomersRedact, `{"shop_id":1}`, "customer", "missing"},
		{TopicCustomersRedact, `{"shop_id":1,"customer":{"id":null,"email":null,"phone":null}}`, "customer", "has no id, email or phone"},
		{TopicCustomersRedact, `{"shop_id":1,"customer":{"id":"` + email + `"}}`, "customer.id", "not a numeric id"},
		{TopicCustomersRedact, `{"shop_id":1,"customer":{"id":1,"phone":` + phone + `}}`, "customer.phone", "want string, got number"},
		{TopicShopRedact, `{"shop_id":"` + email + `"}`, "shop_id", "not a numeric id"},
		{TopicShopRedact, ``, "", "malformed JSON"},
		{TopicBulkOperationFinish, `{"status":"completed"}`, "admin_graphql_api_id", "missing"},
		{TopicBulkOperationFinish, `{"admin_graphql_api_id":"gid://shopify/Order/1","status":"completed"}`, "admin_graphql_api_id", "not a gid"},
		{TopicBulkOperationFinish, `{"admin_graphql_api_id":"gid://shopify/BulkOperation/1"}`, "status", "missing"},
		{TopicBulkOperationFinish, `{"admin_graphql_api_id":"gid://shopify/BulkOperation/1","status":"completed","completed_at":"` + phone + `"}`, "completed_at", "not an ISO 8601 time"},
	}
	for _, tt := range tests {
		t.Run(tt.topic+" "+tt.wantField+" "+tt.wantReason, func(t *testing.T) {
			ev, err := Webhook("s", tt.topic, triggered, []byte(tt.body))
			if ev != nil {
				t.Errorf("event %#v returned with the error", ev)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a *DecodeError", err)
			}
			if de.Source != tt.topic || de.Field != tt.wantField || !strings.Contains(de.Reason, tt.wantReason) {
				t.Errorf("err = %q: source %q field %q reason %q; want source %q field %q reason containing %q",
					err, de.Source, de.Field, de.Reason, tt.topic, tt.wantField, tt.wantReason)
			}
			if !strings.Contains(err.Error(), tt.topic) {
				t.Errorf("error %q does not name the topic", err)
			}
			for _, leak := range []string{email, phone, "hidden.person"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error %q quotes the payload (%q)", err, leak)
				}
			}
		})
	}
}
