package payloaderr

import (
	"encoding/json"
	"strings"
	"testing"
)

// The error names the field and the kinds, never the value (a phone number is a number).
func TestFromJSONNeverEchoesTheValue(t *testing.T) {
	var v struct {
		Phone string `json:"phone"`
		Items []int  `json:"items"`
	}
	err := json.Unmarshal([]byte(`{"phone": 4155550101}`), &v)
	e := FromJSON("shopify", "orders/create", err)
	if e.Field != "phone" || e.Reason != "want string, got number" || strings.Contains(e.Error(), "4155550101") {
		t.Fatalf("type error: %+v / %s", e, e)
	}
	if got := e.Error(); got != "shopify decode: orders/create: field phone: want string, got number" {
		t.Fatalf("message = %q", got)
	}
	e = FromJSON("woocommerce", "customer", json.Unmarshal([]byte(`{"items": [1, "ann@example.org"]}`), &v))
	if strings.Contains(e.Error(), "ann@") || e.Reason != "want integer, got string" {
		t.Fatalf("array element: %s", e)
	}
	e = FromJSON("woocommerce", "customer", json.Unmarshal([]byte(`{"phone": "4155`), &v))
	if e.Field != "" || !strings.HasPrefix(e.Reason, "malformed JSON") || strings.Contains(e.Error(), "4155") {
		t.Fatalf("syntax error: %s", e)
	}
	if got := (&DecodeError{Platform: "woocommerce", Source: "order.updated", ID: "12", Reason: "no time"}).Error(); got != "woocommerce decode: order.updated 12: no time" {
		t.Fatalf("with id: %q", got)
	}
}

// A field name comes from the payload's keys: one that may be an address is never quoted.
func TestErrorWithholdsAKeyThatMayBeAnAddress(t *testing.T) {
	e := &DecodeError{Platform: "shopify", Source: "graphql Customer", Field: "ann@example.com", Reason: "malformed JSON"}
	if msg := e.Error(); strings.Contains(msg, "@") || strings.Contains(msg, "ann") || !strings.Contains(msg, "malformed JSON") {
		t.Fatalf("error %q", msg)
	}
	e.Field = "defaultAddress.phone"
	if msg := e.Error(); !strings.Contains(msg, "field defaultAddress.phone") {
		t.Fatalf("error %q does not name a plain field", msg)
	}
}
