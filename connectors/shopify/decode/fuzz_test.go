package decode

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// wantEventType is the event type each topic decodes to.
var wantEventType = map[string]reflect.Type{
	TopicCustomersCreate:     reflect.TypeFor[CustomerEvent](),
	TopicCustomersUpdate:     reflect.TypeFor[CustomerEvent](),
	TopicCustomersDelete:     reflect.TypeFor[CustomerEvent](),
	TopicOrdersCreate:        reflect.TypeFor[OrderEvent](),
	TopicOrdersUpdated:       reflect.TypeFor[OrderEvent](),
	TopicOrdersPaid:          reflect.TypeFor[OrderEvent](),
	TopicOrdersCancelled:     reflect.TypeFor[OrderEvent](),
	TopicRefundsCreate:       reflect.TypeFor[RefundEvent](),
	TopicCustomersDataReq:    reflect.TypeFor[DataRequest](),
	TopicCustomersRedact:     reflect.TypeFor[CustomerRedact](),
	TopicShopRedact:          reflect.TypeFor[ShopRedact](),
	TopicBulkOperationFinish: reflect.TypeFor[BulkOperationFinished](),
}

func TestTopicsComplete(t *testing.T) {
	if len(Topics) != len(wantEventType) {
		t.Fatalf("Topics has %d entries, the test knows %d", len(Topics), len(wantEventType))
	}
	for _, topic := range Topics {
		if _, ok := wantEventType[topic]; !ok {
			t.Errorf("topic %s untested", topic)
		}
	}
}

// FuzzWebhook: no input panics; a success is the topic's event type, a failure returns no
// event; an error never carries an email address from the payload.
func FuzzWebhook(f *testing.F) {
	seeds := map[string]string{
		"webhooks/customers_create.json":        TopicCustomersCreate,
		"webhooks/customers_update.json":        TopicCustomersUpdate,
		"webhooks/customers_delete.json":        TopicCustomersDelete,
		"webhooks/orders_create.json":           TopicOrdersCreate,
		"webhooks/orders_updated_refunded.json": TopicOrdersUpdated,
		"webhooks/orders_cancelled_guest.json":  TopicOrdersCancelled,
		"webhooks/refunds_create.json":          TopicRefundsCreate,
		"webhooks/customers_data_request.json":  TopicCustomersDataReq,
		"webhooks/customers_redact.json":        TopicCustomersRedact,
		"webhooks/shop_redact.json":             TopicShopRedact,
		"webhooks/bulk_operations_finish.json":  TopicBulkOperationFinish,
	}
	for file, topic := range seeds {
		f.Add(topicIndex(topic), readTestdata(f, file))
	}
	f.Add(uint8(0), []byte(`{"id":"x@y.z","email":["a@b.c"],"created_at":"@"}`))
	f.Add(uint8(4), []byte(`{"id":1,"quantity":1e999,"line_items":[{"quantity":-1e400}]}`))
	f.Add(uint8(200), []byte(`{}`))
	f.Fuzz(func(t *testing.T, topicN uint8, body []byte) {
		topic := "unknown/topic"
		if int(topicN) < len(Topics) {
			topic = Topics[topicN]
		}
		ev, err := Webhook("fuzz", topic, triggered, body)
		if err != nil {
			if ev != nil {
				t.Fatalf("event %#v returned with error %v", ev, err)
			}
			if strings.Contains(err.Error(), "@") {
				t.Fatalf("error quotes the payload: %v", err)
			}
			return
		}
		if got, want := reflect.TypeOf(ev), wantEventType[topic]; got != want {
			t.Fatalf("%s decoded to %v, want %v", topic, got, want)
		}
		switch e := ev.(type) {
		case CustomerEvent:
			if !isDigits(e.Customer.ID) {
				t.Fatalf("customer id %q", e.Customer.ID)
			}
		case OrderEvent:
			if !isDigits(e.Order.ID) || e.Order.Currency == "" || e.Order.CreatedAt.IsZero() {
				t.Fatalf("order %+v", e.Order)
			}
		}
	})
}

func topicIndex(topic string) uint8 {
	for i, t := range Topics {
		if t == topic {
			return uint8(i)
		}
	}
	return 255
}

// FuzzGraphQL: no node panics Customer or Order, and errors never quote an email.
func FuzzGraphQL(f *testing.F) {
	f.Add(readTestdata(f, "graphql/customer.json"), []byte(nil))
	f.Add(readTestdata(f, "graphql/order_page.json"), []byte(nil))
	lines := readJSONL(f, "graphql/orders_bulk.jsonl")
	f.Add([]byte(lines[0]), []byte(lines[1]))
	f.Fuzz(func(t *testing.T, node, child []byte) {
		var children []json.RawMessage
		if child != nil {
			children = []json.RawMessage{child}
		}
		if _, err := Customer("fuzz", node); err != nil && strings.Contains(err.Error(), "@") {
			t.Fatalf("error quotes the payload: %v", err)
		}
		o, err := Order("fuzz", node, children)
		if err != nil {
			if strings.Contains(err.Error(), "@") {
				t.Fatalf("error quotes the payload: %v", err)
			}
			return
		}
		if !isDigits(o.ID) || o.Currency == "" || o.CreatedAt.IsZero() {
			t.Fatalf("order %+v", o)
		}
	})
}
