package webhook

import "time"

// Envelope is one verified delivery as stored in the inbox. Values returned
// by Next are copies owned by the caller.
type Envelope struct {
	// Seq is the entry's position in the inbox (arrival order, starting at
	// 1, never reused). It is the entry's key, not part of the stored value.
	Seq uint64 `cbor:"-" json:"seq"`
	// Platform and Store are the {platform} and {store} of the request path.
	Platform string `cbor:"1,keyasint" json:"platform"`
	Store    string `cbor:"2,keyasint" json:"store"`
	// Topic is Source.Topic, e.g. "orders/updated".
	Topic string `cbor:"3,keyasint,omitempty" json:"topic,omitempty"`
	// EventID is Source.EventID: the dedupe key within (Platform, Store).
	EventID string `cbor:"4,keyasint" json:"event_id"`
	// TriggeredAt is when the platform says the event happened (zero if it
	// does not say).
	TriggeredAt time.Time `cbor:"5,keyasint" json:"triggered_at"`
	// ReceivedAt is when cohortd received the delivery.
	ReceivedAt time.Time `cbor:"6,keyasint" json:"received_at"`
	// Headers holds the request headers the Source selected
	// (HeaderSelector), keyed by canonical name.
	Headers map[string]string `cbor:"7,keyasint,omitempty" json:"headers,omitempty"`
	// Body is the raw request body, byte for byte as signed.
	Body []byte `cbor:"8,keyasint" json:"-"`
	// RequestID is the HTTP request id, to correlate with access logs.
	RequestID string `cbor:"9,keyasint,omitempty" json:"request_id,omitempty"`
}

// DeadLetter is an inbox entry the consumer rejected (verified but
// undecodable, say), kept in the dead_letters bucket for inspection instead
// of being retried forever.
type DeadLetter struct {
	Envelope   Envelope  `cbor:"1,keyasint" json:"envelope"`
	Reason     string    `cbor:"2,keyasint" json:"reason"`
	RejectedAt time.Time `cbor:"3,keyasint" json:"rejected_at"`
	// Seq repeats Envelope.Seq, which is not part of the encoded envelope.
	Seq uint64 `cbor:"4,keyasint" json:"seq"`
	// Raw holds the stored bytes of an entry that could not be decoded (then
	// Envelope is empty); nil otherwise.
	Raw []byte `cbor:"5,keyasint,omitempty" json:"-"`
}
