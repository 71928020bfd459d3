package decode

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cohortd/cohortd/profiles"
)

var received = utc("2026-11-23T09:07:00Z")

func TestWebhookRealDeliveries(t *testing.T) {
	d := deliveries(t)
	for _, topic := range []string{TopicCustomerCreated, TopicCustomerUpdated} {
		ev, err := Webhook("woo", topic, received, []byte(d[topic].RawBody))
		if err != nil {
			t.Fatalf("%s: %v", topic, err)
		}
		ce, ok := ev.(CustomerEvent)
		if !ok {
			t.Fatalf("%s: %T, want CustomerEvent", topic, ev)
		}
		same(t, topic, ce.Customer, wantCustomer2)
	}
	for _, topic := range []string{TopicOrderCreated, TopicOrderUpdated} {
		ev, err := Webhook("woo", topic, received, []byte(d[topic].RawBody))
		if err != nil {
			t.Fatalf("%s: %v", topic, err)
		}
		oe, ok := ev.(OrderEvent)
		if !ok {
			t.Fatalf("%s: %T, want OrderEvent", topic, ev)
		}
		same(t, topic, oe.Order, wantOrder11)
	}
	ev, err := Webhook("woo", TopicCustomerDeleted, received, []byte(d[TopicCustomerDeleted].RawBody))
	if err != nil {
		t.Fatal(err)
	}
	same(t, "customer.deleted", ev, CustomerEvent{Customer: profiles.CustomerRecord{
		Store: "woo", ID: "6", Deleted: true, UpdatedAt: received,
	}})
}

// customer.created and customer.updated fired by one change decode to one identical record:
// stored newer-wins, the pair is applied once.
func TestCreatedUpdatedPairIsOneRecord(t *testing.T) {
	d := deliveries(t)
	a, err1 := Webhook("woo", TopicCustomerCreated, received, []byte(d[TopicCustomerCreated].RawBody))
	b, err2 := Webhook("woo", TopicCustomerUpdated, received.Add(time.Second), []byte(d[TopicCustomerUpdated].RawBody))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	ca, cb := a.(CustomerEvent).Customer, b.(CustomerEvent).Customer
	if !ca.UpdatedAt.Equal(cb.UpdatedAt) || !Echo(ca, cb) {
		t.Errorf("the pair differs:\n%+v\n%+v", ca, cb)
	}
	if d[TopicCustomerCreated].Headers["X-WC-Webhook-Delivery-ID"] == d[TopicCustomerUpdated].Headers["X-WC-Webhook-Delivery-ID"] {
		t.Error("the sample's two deliveries share a delivery id; the test needs distinct ones")
	}
}

func TestWebhookDeletions(t *testing.T) {
	ev, err := Webhook("woo", TopicOrderDeleted, received, []byte(`{"id":12}`))
	if err != nil {
		t.Fatal(err)
	}
	if ev != (OrderDeleted{Store: "woo", ID: "12", At: received}) {
		t.Errorf("order.deleted: %+v", ev)
	}
	if _, err := Webhook("woo", TopicCustomerDeleted, time.Time{}, []byte(`{"id":6}`)); err == nil {
		t.Error("a tombstone without a time was accepted")
	}
	for _, body := range []string{`{}`, `{"id":0}`, `{"id":"x"}`, `{"id":-3}`, `[]`, `{"id":6`} {
		if _, err := Webhook("woo", TopicCustomerDeleted, received, []byte(body)); err == nil {
			t.Errorf("customer.deleted %s accepted", body)
		}
	}
}

func TestWebhookUnknownTopic(t *testing.T) {
	_, err := Webhook("woo", "product.updated", received, []byte(`{"id":1}`))
	if !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("err %v, want ErrUnknownTopic", err)
	}
	for _, topic := range SubscribedTopics {
		if !slices.Contains(Topics, topic) {
			t.Errorf("subscribed topic %s is not decoded", topic)
		}
	}
}

// Errors name the field, never the value.
func TestDecodeErrorsHoldNoPII(t *testing.T) {
	cases := map[string]string{
		`{"id":5,"date_created_gmt":"secret@example.test"}`:                               "date_created_gmt",
		`{"id":5,"total":"secret@example.test","date_created_gmt":"2026-01-01T00:00:00"}`: "total",
		`{"id":5,"line_items":[{"price":"+4930123"}]}`:                                    "line_items[0].price",
		`{"id":5,"billing":{"phone":4930123999}}`:                                         "billing.phone",
		`{"id":5,"customer_id":"secret"}`:                                                 "customer_id",
	}
	for body, field := range cases {
		_, err := Order("woo", []byte(body))
		if err == nil {
			t.Errorf("%s: accepted", body)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, field) {
			t.Errorf("%s: error %q does not name %s", body, msg, field)
		}
		for _, pii := range []string{"secret", "4930123"} {
			if strings.Contains(msg, pii) {
				t.Errorf("error %q quotes the payload", msg)
			}
		}
	}
}

func TestOrderStatuses(t *testing.T) {
	base := `{"id":7,"customer_id":3,"currency":"eur","total":"30.00","date_created_gmt":"2026-01-02T10:00:00","date_modified_gmt":"2026-01-05T08:00:00",`
	cases := []struct {
		status, refunds string
		cancelled       bool
		refunded        string
	}{
		{"completed", `[]`, false, "0"},
		{"processing", `[{"id":8,"total":"-5.50"},{"id":9,"total":"-4.50"}]`, false, "10"},
		{"refunded", `[]`, false, "30"}, // no rows: refunded in full
		{"refunded", `[{"id":8,"total":"-30.00"}]`, false, "30"},
		{"cancelled", `[]`, true, "0"},
		{"failed", `[]`, true, "0"},
		{"trash", `[]`, true, "0"},
		{"checkout-draft", `[]`, true, "0"},
		{"pending", `[]`, false, "0"},
		{"on-hold", `[]`, false, "0"},
	}
	for _, c := range cases {
		o, err := Order("woo", []byte(base+`"status":"`+c.status+`","refunds":`+c.refunds+`}`))
		if err != nil {
			t.Fatalf("%s: %v", c.status, err)
		}
		if got := !o.CancelledAt.IsZero(); got != c.cancelled {
			t.Errorf("%s: cancelled %v, want %v", c.status, got, c.cancelled)
		}
		if c.cancelled && !o.CancelledAt.Equal(utc("2026-01-05T08:00:00Z")) {
			t.Errorf("%s: cancelled at %v, want date_modified_gmt", c.status, o.CancelledAt)
		}
		if !o.Refunded.Equal(dec(c.refunded)) {
			t.Errorf("%s %s: refunded %s, want %s", c.status, c.refunds, o.Refunded, c.refunded)
		}
		if o.Currency != "EUR" {
			t.Errorf("currency %q", o.Currency)
		}
	}
}

func TestLinePrices(t *testing.T) {
	body := `{"id":7,"total":"20.00","line_items":[` +
		`{"product_id":1,"quantity":3,"price":6.666666666666667,"subtotal":"20.00"},` +
		`{"product_id":2,"quantity":2,"price":"1.5"},` +
		`{"product_id":3,"quantity":4,"subtotal":"10.00"},` +
		`{"product_id":4,"quantity":1,"price":1.0e-5}]}`
	o, err := Order("woo", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"6.666666666666667", "1.5", "2.5", "0.00001"}
	for i, w := range want {
		if !o.Lines[i].Price.Equal(dec(w)) {
			t.Errorf("line %d price %s, want %s", i, o.Lines[i].Price, w)
		}
	}
	for _, bad := range []string{`1e999999`, `"NaN"`, `"12,50"`} {
		if _, err := Order("woo", []byte(`{"id":7,"line_items":[{"product_id":1,"quantity":1,"price":`+bad+`}]}`)); err == nil {
			t.Errorf("price %s accepted", bad)
		}
	}
}

func TestCustomerFallbacksAndConsent(t *testing.T) {
	body := `{"id":9,"email":"","date_created_gmt":"2026-01-02T10:00:00","date_modified_gmt":null,` +
		`"billing":{"email":"b@example.test","first_name":"B","country":"FR"},` +
		`"shipping":{"first_name":"S","city":"Lyon","country":"FR"},` +
		`"meta_data":[{"id":1,"key":"locale","value":"fr_FR"},{"id":2,"key":"mailchimp_woocommerce_is_subscribed","value":"1"}]}`
	c, err := Customer("woo", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	same(t, "customer", c, profiles.CustomerRecord{
		Store: "woo", ID: "9", Email: "b@example.test",
		Addresses: []profiles.Address{{FirstName: "B", Country: "FR"}, {FirstName: "S", City: "Lyon", Country: "FR"}},
		Locale:    "fr_FR",
		Consent:   profiles.Consent{State: "subscribed"},
		CreatedAt: utc("2026-01-02T10:00:00Z"), UpdatedAt: utc("2026-01-02T10:00:00Z"),
	})
	for v, want := range map[string]string{`"0"`: "not_subscribed", `"yes"`: "subscribed", `true`: "subscribed", `""`: "", `"maybe"`: "", `null`: ""} {
		c, err := Customer("woo", []byte(`{"id":9,"meta_data":[{"key":"mailchimp_woocommerce_is_subscribed","value":`+v+`}]}`))
		if err != nil {
			t.Fatal(err)
		}
		if c.Consent.State != want {
			t.Errorf("meta %s: consent %q, want %q", v, c.Consent.State, want)
		}
	}
}

func TestSegmentsMeta(t *testing.T) {
	segs, found, err := SegmentsMeta(sample(t, "customer-3.json"), "seg_tags")
	if err != nil || !found || !slices.Equal(segs, []string{"vip"}) {
		t.Errorf("seg_tags: %v %v %v", segs, found, err)
	}
	if _, found, _ := SegmentsMeta(sample(t, "customer-3.json"), "cohort_segments"); found {
		t.Error("absent key found")
	}
	segs, found, err = SegmentsMeta([]byte(`{"id":1,"meta_data":[{"key":"k","value":"a, b,,c"}]}`), "k")
	if err != nil || !found || !slices.Equal(segs, []string{"a", "b", "c"}) {
		t.Errorf("string form: %v %v %v", segs, found, err)
	}
	segs, found, err = SegmentsMeta([]byte(`{"id":1,"meta_data":[{"key":"k","value":[]}]}`), "k")
	if err != nil || !found || segs == nil || len(segs) != 0 {
		t.Errorf("empty list: %v %v %v", segs, found, err)
	}
	if _, _, err := SegmentsMeta([]byte(`{"id":1,"meta_data":[{"key":"k","value":{"a":1}}]}`), "k"); err == nil {
		t.Error("an object was accepted")
	}
}

func TestEcho(t *testing.T) {
	a := wantCustomer3
	b := wantCustomer3
	b.UpdatedAt = b.UpdatedAt.Add(time.Minute)
	if !Echo(a, b) {
		t.Error("a record differing only in updated_at is not an echo")
	}
	b.Addresses = []profiles.Address{{Country: "FR"}}
	if Echo(a, b) {
		t.Error("a changed address is an echo")
	}
	b = wantCustomer3
	b.Email = "other@example.test"
	if Echo(a, b) {
		t.Error("a changed email is an echo")
	}
}
