package decode

import (
	"fmt"
	"time"

	"github.com/cohortd/cohortd/profiles"
)

// Webhook topics this package decodes (the X-WC-Webhook-Topic header).
const (
	TopicCustomerCreated = "customer.created"
	TopicCustomerUpdated = "customer.updated"
	TopicCustomerDeleted = "customer.deleted"
	TopicOrderCreated    = "order.created"
	TopicOrderUpdated    = "order.updated"
	TopicOrderDeleted    = "order.deleted"
	TopicOrderRestored   = "order.restored"
)

// Topics lists every topic Webhook decodes.
var Topics = []string{
	TopicCustomerCreated, TopicCustomerUpdated, TopicCustomerDeleted,
	TopicOrderCreated, TopicOrderUpdated, TopicOrderDeleted, TopicOrderRestored,
}

// SubscribedTopics are the topics cohortd subscribes to. order.updated also fires on refunds
// (WooCommerce hooks it to woocommerce_order_refunded); order.restored (an order taken out of
// the trash) is left out: the next poll reads the order back.
var SubscribedTopics = []string{
	TopicCustomerCreated, TopicCustomerUpdated, TopicCustomerDeleted,
	TopicOrderCreated, TopicOrderUpdated, TopicOrderDeleted,
}

// Event is what one webhook delivery says. Its dynamic type is CustomerEvent, OrderEvent or
// OrderDeleted; callers use a type switch.
type Event interface {
	isEvent()
}

// CustomerEvent is a customer.created, customer.updated or customer.deleted delivery. For
// customer.deleted (whose body is only {"id":N}) the record is a tombstone: Store, ID,
// Deleted, and UpdatedAt the time passed to Webhook.
//
// Creating a customer fires customer.created and customer.updated with the same body: both
// decode to the same record (same UpdatedAt), so storing it newer-wins applies it once.
type CustomerEvent struct {
	Customer profiles.CustomerRecord
}

// OrderEvent is an order.created, order.updated or order.restored delivery: the whole order as
// it is now.
type OrderEvent struct {
	Order profiles.OrderRecord
}

// OrderDeleted is an order.deleted delivery (the order was trashed or deleted): only its id.
type OrderDeleted struct {
	Store string
	ID    string
	At    time.Time // the time passed to Webhook
}

func (CustomerEvent) isEvent() {}
func (OrderEvent) isEvent()    {}
func (OrderDeleted) isEvent()  {}

// Webhook decodes the body of one verified WooCommerce delivery for store. topic is its
// X-WC-Webhook-Topic header. WooCommerce sends no event time and a deletion body holds only an
// id, so at (the time the delivery was received) dates customer.deleted tombstones and
// OrderDeleted; it is required for those topics only.
//
// The body is not verified here: check VerifySignature first, and answer the creation ping
// (ParsePing) before. An unknown topic gives an error wrapping ErrUnknownTopic; an undecodable
// body a *DecodeError naming the topic and the field, never a value.
func Webhook(store, topic string, at time.Time, body []byte) (Event, error) {
	switch topic {
	case TopicCustomerCreated, TopicCustomerUpdated:
		c, err := customerRecord(store, topic, body)
		if err != nil {
			return nil, err
		}
		return CustomerEvent{Customer: c}, nil
	case TopicCustomerDeleted:
		c, err := customerTombstone(store, topic, body, at)
		if err != nil {
			return nil, err
		}
		return CustomerEvent{Customer: c}, nil
	case TopicOrderCreated, TopicOrderUpdated, TopicOrderRestored:
		o, err := orderRecord(store, topic, body)
		if err != nil {
			return nil, err
		}
		return OrderEvent{Order: o}, nil
	case TopicOrderDeleted:
		d, err := orderDeleted(store, topic, body, at)
		if err != nil {
			return nil, err
		}
		return d, nil
	}
	return nil, fmt.Errorf("woocommerce decode: topic %q: %w", clip(topic), ErrUnknownTopic)
}

// Echo reports whether next, a customer record read after cohortd wrote segments into the
// customer's meta_data, is the same as stored in every canonical field but UpdatedAt: what the
// customer.updated webhook caused by that write looks like (meta_data is not part of the
// canonical record). Callers also compare SegmentsMeta with what they wrote, then keep the
// stored UpdatedAt so the echo changes nothing.
func Echo(stored, next profiles.CustomerRecord) bool {
	if stored.Store != next.Store || stored.ID != next.ID || stored.Deleted || next.Deleted {
		return false
	}
	if stored.Email != next.Email || stored.Phone != next.Phone || stored.FirstName != next.FirstName ||
		stored.LastName != next.LastName || stored.Locale != next.Locale || stored.BirthDate != next.BirthDate ||
		stored.Consent != next.Consent || !stored.CreatedAt.Equal(next.CreatedAt) ||
		len(stored.Addresses) != len(next.Addresses) || len(stored.Tags) != len(next.Tags) {
		return false
	}
	for i := range stored.Addresses {
		if stored.Addresses[i] != next.Addresses[i] {
			return false
		}
	}
	for i := range stored.Tags {
		if stored.Tags[i] != next.Tags[i] {
			return false
		}
	}
	return true
}
