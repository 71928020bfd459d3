package outbox

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// MaxKeyLen bounds Item.Key (bbolt keys are limited, and a key is an identifier, not data).
const MaxKeyLen = 512

// ErrInvalidItem is wrapped by Enqueue for an item without a valid destination or key.
var ErrInvalidItem = errors.New("outbox: invalid item")

// Item is one pending change for one remote object of one destination.
type Item struct {
	// Destination is the configured destination id ([a-z0-9_-], never '/').
	Destination string `cbor:"1,keyasint" json:"destination"`
	// Key identifies the remote object and is the coalescing key, e.g.
	// "customer/7000000000001". Never personal data (see the package doc).
	Key string `cbor:"2,keyasint" json:"key"`
	// Payload is the destination-specific encoding of the whole change for Key. It may hold
	// personal data, so it is never logged or printed.
	Payload []byte `cbor:"3,keyasint" json:"-"`
	// Summary is an optional human-readable description without personal data
	// ("add cohort:vip; remove cohort:lost"), shown by status and dry runs.
	Summary string `cbor:"4,keyasint,omitempty" json:"summary,omitempty"`

	// The fields below are kept by the outbox; values given to Enqueue are ignored.

	// Enqueued is when the key was first enqueued since it was last delivered.
	Enqueued time.Time `cbor:"5,keyasint" json:"enqueued"`
	// Attempts counts failed sends.
	Attempts int `cbor:"6,keyasint,omitempty" json:"attempts,omitempty"`
	// NextAttempt is when the item is due.
	NextAttempt time.Time `cbor:"7,keyasint" json:"next_attempt"`
	// LastError is the last send's error (e-mail addresses masked).
	LastError string `cbor:"8,keyasint,omitempty" json:"last_error,omitempty"`
	// LastAttempt is when the last failed send was recorded.
	LastAttempt time.Time `cbor:"9,keyasint,omitempty" json:"last_attempt,omitzero"`
	// Seq is the queue position (FIFO order).
	Seq uint64 `cbor:"10,keyasint" json:"seq"`
	// Rev changes whenever a newer change replaces the payload.
	Rev uint64 `cbor:"11,keyasint" json:"rev"`
	// Replaced counts how many pending changes this one has replaced.
	Replaced int `cbor:"12,keyasint,omitempty" json:"replaced,omitempty"`
}

// DeadLetter is an item that will not be retried without an operator: a permanent error or
// too many transient ones.
type DeadLetter struct {
	Item Item `cbor:"1,keyasint" json:"item"`
	// Reason is the platform's message, or "gave up after N attempts: last error".
	Reason string `cbor:"2,keyasint" json:"reason"`
	// Permanent is true when the destination rejected the item (not a give-up).
	Permanent bool      `cbor:"3,keyasint,omitempty" json:"permanent"`
	At        time.Time `cbor:"4,keyasint" json:"at"`
}

// Planned is what a dry run would have sent for one key (the latest change).
type Planned struct {
	Item Item      `cbor:"1,keyasint" json:"item"`
	At   time.Time `cbor:"2,keyasint" json:"at"`
}

// checkDestination rejects ids that would break the key layout.
func checkDestination(dest string) error {
	if dest == "" || strings.ContainsAny(dest, "/\x00") || len(dest) > 64 {
		return fmt.Errorf("%w: destination %q (want a non-empty id without '/')", ErrInvalidItem, dest)
	}
	return nil
}

func (it *Item) validate() error {
	if err := checkDestination(it.Destination); err != nil {
		return err
	}
	if it.Key == "" || len(it.Key) > MaxKeyLen {
		return fmt.Errorf("%w: %s: key of %d bytes (want 1..%d)", ErrInvalidItem, it.Destination, len(it.Key), MaxKeyLen)
	}
	return nil
}
