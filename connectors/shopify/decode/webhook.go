package decode

import (
	"fmt"
	"time"

	"github.com/cohortd/cohortd/profiles"
)

// Webhook topics this package decodes (the X-Shopify-Topic header).
const (
	TopicCustomersCreate     = "customers/create"
	TopicCustomersUpdate     = "customers/update"
	TopicCustomersDelete     = "customers/delete"
	TopicOrdersCreate        = "orders/create"
	TopicOrdersUpdated       = "orders/updated"
	TopicOrdersPaid          = "orders/paid"
	TopicOrdersCancelled     = "orders/cancelled"
	TopicRefundsCreate       = "refunds/create"
	TopicCustomersDataReq    = "customers/data_request"
	TopicCustomersRedact     = "customers/redact"
	TopicShopRedact          = "shop/redact"
	TopicBulkOperationFinish = "bulk_operations/finish"
)

// Topics lists every topic Webhook decodes, for subscription set-up and tests.
var Topics = []string{
	TopicCustomersCreate, TopicCustomersUpdate, TopicCustomersDelete,
	TopicOrdersCreate, TopicOrdersUpdated, TopicOrdersPaid, TopicOrdersCancelled,
	TopicRefundsCreate,
	TopicCustomersDataReq, TopicCustomersRedact, TopicShopRedact,
	TopicBulkOperationFinish,
}

// Event is what one webhook delivery says. Its dynamic type is one of CustomerEvent,
// OrderEvent, RefundEvent, DataRequest, CustomerRedact, ShopRedact or BulkOperationFinished;
// callers use a type switch.
type Event interface {
	isEvent()
}

// CustomerEvent is a customers/create, customers/update or customers/delete webhook. For
// customers/delete the record is a tombstone: only Store and ID, Deleted set, and UpdatedAt the
// delivery's triggered time.
type CustomerEvent struct {
	Customer profiles.CustomerRecord
}

// OrderEvent is an orders/create, orders/updated, orders/paid or orders/cancelled webhook:
// the whole order as it is now (a cancelled order has CancelledAt set).
type OrderEvent struct {
	Order profiles.OrderRecord
}

func (CustomerEvent) isEvent() {}
func (OrderEvent) isEvent()    {}

// Webhook decodes the body of one Shopify webhook delivery (REST JSON, the API version the
// subscription names) for topic, its X-Shopify-Topic header. triggeredAt is its
// X-Shopify-Triggered-At header (see ParseTriggeredAt); it dates the tombstone of a
// customers/delete, whose body carries no time, and is required for that topic only.
//
// The body is not verified here: check VerifyHMAC first. An unknown topic gives an error
// wrapping ErrUnknownTopic; a body that cannot be decoded gives a *DecodeError naming the
// topic and the field, never a value. Either way the delivery deserves a 4xx and must not be
// stored as a record.
func Webhook(storeID, topic string, triggeredAt time.Time, body []byte) (Event, error) {
	switch topic {
	case TopicCustomersCreate, TopicCustomersUpdate:
		c, err := restCustomerRecord(storeID, topic, body)
		if err != nil {
			return nil, err
		}
		return CustomerEvent{Customer: c}, nil
	case TopicCustomersDelete:
		c, err := restCustomerDeleted(storeID, topic, triggeredAt, body)
		if err != nil {
			return nil, err
		}
		return CustomerEvent{Customer: c}, nil
	case TopicOrdersCreate, TopicOrdersUpdated, TopicOrdersPaid, TopicOrdersCancelled:
		o, err := restOrderRecord(storeID, topic, body)
		if err != nil {
			return nil, err
		}
		return OrderEvent{Order: o}, nil
	case TopicRefundsCreate:
		return wrap(restRefundEvent(storeID, topic, body))
	case TopicCustomersDataReq:
		return wrap(dataRequestEvent(storeID, topic, body))
	case TopicCustomersRedact:
		return wrap(customerRedactEvent(storeID, topic, body))
	case TopicShopRedact:
		return wrap(shopRedactEvent(storeID, topic, body))
	case TopicBulkOperationFinish:
		return wrap(bulkFinishedEvent(storeID, topic, body))
	}
	return nil, fmt.Errorf("shopify decode: topic %q: %w", clip(topic), ErrUnknownTopic)
}

// wrap returns a typed event as an Event, and nil (not a typed zero) with an error.
func wrap[E Event](ev E, err error) (Event, error) {
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// ParseTriggeredAt reads an X-Shopify-Triggered-At header
// ("2025-07-10T16:15:47.000000Z").
func ParseTriggeredAt(header string) (time.Time, error) {
	t, ok := parseTime(header)
	if !ok || t.IsZero() {
		return time.Time{}, fmt.Errorf("shopify decode: X-Shopify-Triggered-At: not an ISO 8601 time")
	}
	return t, nil
}

// clip bounds a caller-supplied string quoted in an error (a topic header can be anything).
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
