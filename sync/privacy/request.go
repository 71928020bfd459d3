package privacy

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/profiles/normalize"
	"github.com/cohortd/cohortd/store"
)

// Request names one customer of one store, as Shopify's customers/data_request and
// customers/redact webhooks do.
type Request struct {
	// Store is the store id as the records carry it ("shop-a").
	Store string
	// CustomerID is the platform customer id; empty when the request is about guest orders only.
	CustomerID string
	// Email is the address the platform sent with the request, if any: guest orders in the
	// store with the same normalized address are the customer's too (as are those with the
	// address of the stored customer record or of the customer's own orders).
	Email string
	// OrderIDs are the orders the platform lists (orders_requested, orders_to_redact).
	OrderIDs []string
	// RequestID is the platform's request or webhook id. It goes into the audit line and the
	// export's file name, so it must not hold personal data; characters outside
	// [A-Za-z0-9._-] are replaced.
	RequestID string
}

// Options configures an erasure.
type Options struct {
	// Build are the options the profiles are rebuilt with (ingest.BuildOptions of the config).
	Build profiles.BuildOptions
	// Logger receives one line per erasure, without personal data.
	Logger zerolog.Logger
	// Now is the clock of the audit lines; time.Now when nil.
	Now func() time.Time
	// OnErased, when set, is called in the erasure's last transaction with the addresses of
	// the profiles that are gone and that no remaining profile holds: the caller queues their
	// deletion at every email destination there, so a crash cannot lose the cascade. The
	// addresses are personal data: never log them.
	OnErased func(tx *store.Tx, addresses []string) error
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now().UTC()
	}
	return time.Now().UTC()
}

// Result is what an erasure did. Counts are zero when there was nothing (left) to erase.
type Result struct {
	Action    string
	RequestID string
	Customers int // customer source records deleted
	Orders    int // order source records deleted
	// ProfilesRemoved are the profiles that held an erased record and no longer exist: every
	// one of their sources was erased, or the rest now make up a profile with another id
	// (a profile's id derives from its smallest source key).
	ProfilesRemoved []string
	// ProfilesChanged are the profiles that now hold what is left of the removed ones and those
	// that lost some sources but kept their id: their segments are to be recomputed.
	ProfilesChanged []string
	Memberships     int // m/ID rows of removed profiles deleted
	Events          int // membership events of removed profiles deleted
	Unmerges        int // cannot-link entries naming an erased record deleted
	// DeadLetters counts dead-lettered webhook deliveries deleted: their raw bodies held the
	// person (or the erased store's data).
	DeadLetters int
	// Applied are the applied_state rows of removed profiles deleted: what each destination
	// had been told about them, to be removed there by the caller.
	Applied []AppliedRow
	// Erased are the addresses of the removed profiles that no remaining profile holds (the
	// ones handed to Options.OnErased). Personal data: never log them.
	Erased []string
}

// AppliedRow is what one destination had been told about a profile that is gone.
type AppliedRow struct {
	Destination string
	ProfileID   string
	Segments    []string
	// Emails are the profile's addresses before the erasure, for finding the person at the
	// destination. Personal data: never log them.
	Emails []string
	// Successor is the profile that now holds the rest of the person's records (another
	// store's), if any: a removal at the destination may have to spare what it still wants.
	Successor string
}

// Actions, as they appear in audit lines and results.
const (
	ActionRedactCustomer = "customers/redact"
	ActionRedactShop     = "shop/redact"
	ActionEraseEmail     = "erase/email"
)

// emailKey is the key an address is matched on: the normalized matching key, or for an
// address that fails the syntax check its trimmed lower-cased text. "" for no address.
func emailKey(raw string) string {
	e := normalize.ParseEmail(raw)
	if e.Key != "" {
		return e.Key
	}
	return e.Address
}

// subjectSalt separates the audit hashes from any other use of SHA-256 over the same values.
const subjectSalt = "cohortd/privacy/v1\x00"

// SubjectHash is the audit lines' stand-in for an address (see subjectHash): destinations
// that erase a person write it in their own audit lines.
func SubjectHash(address string) string { return subjectHash("email", emailKey(address)) }

// subjectHash is the audit line's stand-in for a subject: the first 8 bytes of a salted
// SHA-256, enough to recognise a repeated request, too short to be a useful index.
func subjectHash(kind, value string) string {
	h := sha256.Sum256([]byte(subjectSalt + kind + "\x00" + value))
	return hex.EncodeToString(h[:8])
}

// safeToken keeps s usable in a file name and free of separators: characters outside
// [A-Za-z0-9._-] become '-', and it is cut to 64 bytes.
func safeToken(s string) string {
	b := []byte(s)
	if len(b) > 64 {
		b = b[:64]
	}
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			b[i] = '-'
		}
	}
	return string(b)
}
