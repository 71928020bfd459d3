// Package email is the contract between cohortd's sync engine and the email-platform
// connectors (connectors/mailchimp, connectors/klaviyo, connectors/listmonk): what one change
// to one contact looks like, what a platform can say about a contact's marketing status, and
// how a connector reports the outcome of each change. It holds types only; the engine
// (sync/emailsync) declares the interface it consumes.
//
// # Invariants every connector keeps
//
//   - Consent is never upgraded. A connector changes memberships (tags, lists) and properties
//     only. It never subscribes, re-subscribes, confirms or opts anyone in. A contact the
//     platform does not have yet is created with the weakest status the platform allows
//     (non-marketing / transactional / unconfirmed), or as subscribed only when
//     Change.Consent is true; an existing contact's status is never written.
//   - Suppressed is forever. When a connector learns that an address is unsubscribed, cleaned
//     (bounced), in a compliance state or forgotten at the platform, it writes nothing more
//     for that change and reports the status in Outcome.Status; the engine records a
//     suppression that every later sync honours.
//   - Idempotent. Applying the same change twice leaves the platform as applying it once.
//   - Addresses are personal data: errors and logs carry masked addresses only.
package email

import (
	"errors"
	"fmt"
	"time"
)

// Status is a contact's marketing status at a platform, as far as consent is concerned.
type Status string

// Statuses. Suppressed reports the ones that forbid any further write.
const (
	// StatusAbsent: the platform has no such contact.
	StatusAbsent Status = ""
	// StatusSubscribed: opted in to marketing.
	StatusSubscribed Status = "subscribed"
	// StatusNonMarketing: known, never opted in (Mailchimp transactional, Klaviyo never
	// subscribed, listmonk unconfirmed).
	StatusNonMarketing Status = "non_marketing"
	// StatusPending: double opt-in started, not confirmed.
	StatusPending Status = "pending"
	// StatusUnsubscribed: opted out.
	StatusUnsubscribed Status = "unsubscribed"
	// StatusCleaned: the address bounced or was cleaned.
	StatusCleaned Status = "cleaned"
	// StatusCompliance: the platform refuses to (re)subscribe it (Mailchimp "Member In
	// Compliance State", Klaviyo suppression, listmonk blocklist).
	StatusCompliance Status = "compliance"
	// StatusForgotten: permanently deleted at the platform (GDPR); it may not be re-added.
	StatusForgotten Status = "forgotten"
)

// Suppressed reports whether s forbids any further write for the address.
func (s Status) Suppressed() bool {
	switch s {
	case StatusUnsubscribed, StatusCleaned, StatusCompliance, StatusForgotten:
		return true
	}
	return false
}

// Property names a Change may carry in Props. Connectors map them to their own field names
// (Mailchimp merge tags, Klaviyo profile properties, listmonk attribs) and skip names they do
// not know.
const (
	PropRFMGroup       = "rfm_group"
	PropLifecycle      = "lifecycle"
	PropChurnRisk      = "churn_risk"
	PropPredictedCLV   = "predicted_clv"
	PropPAlive         = "p_alive"
	PropExpectedOrders = "expected_orders"
)

// Change is everything the engine wants one contact to look like after a sync, relative to
// what it last told the platform. It carries the whole change for the contact (the outbox
// coalesces changes by profile), never an increment on a pending one.
type Change struct {
	// ProfileID is cohortd's profile id: not personal data, safe in logs.
	ProfileID string `cbor:"1,keyasint" json:"profile_id"`
	// Email is the contact's address, cleaned (lower-case domain); personal data.
	Email string `cbor:"2,keyasint" json:"email"`
	// FirstName and LastName fill a new contact's name fields; never used as keys.
	FirstName string `cbor:"3,keyasint,omitempty" json:"first_name,omitempty"`
	LastName  string `cbor:"4,keyasint,omitempty" json:"last_name,omitempty"`
	// Consent is true when the store recorded marketing consent for this address: only then
	// may a contact new to the platform be created as subscribed.
	Consent bool `cbor:"5,keyasint,omitempty" json:"consent,omitempty"`
	// Add and Remove are remote list or tag names (already mapped from segment names).
	Add    []string `cbor:"6,keyasint,omitempty" json:"add,omitempty"`
	Remove []string `cbor:"7,keyasint,omitempty" json:"remove,omitempty"`
	// Props are property values to set (name -> value, names from the Prop* constants);
	// nil when unchanged.
	Props map[string]string `cbor:"8,keyasint,omitempty" json:"props,omitempty"`
}

// Outcome is what happened to one Change.
type Outcome struct {
	// Err is nil when the change was applied, or when nothing was written because the
	// address is suppressed (then Status says why). Wrap permanent refusals with Permanent
	// and rate limits with RateLimited; anything else is retried.
	Err error
	// Status is the address's status at the platform as learned while applying (before any
	// write), or StatusAbsent when the connector did not learn it.
	Status Status
	// Message is the platform's own words for a suppression ("Member In Compliance State"),
	// without the address.
	Message string
}

// Suppression is an address the platform holds as suppressed, from a status pass.
type Suppression struct {
	Email   string
	Status  Status
	Message string // the platform's reason, without the address
	At      time.Time
}

// PermanentError is a change the platform refused for good: retrying cannot help.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a permanent refusal (4xx other than 429, validation errors).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err wraps a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// RateLimitError is a 429 (or equivalent) with the wait the platform asked for.
type RateLimitError struct {
	RetryAfter time.Duration
	Err        error
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("rate limited, retry after %s: %v", e.RetryAfter, e.Err)
}
func (e *RateLimitError) Unwrap() error { return e.Err }

// RateLimited wraps err with the wait the platform asked for.
func RateLimited(err error, retryAfter time.Duration) error {
	return &RateLimitError{RetryAfter: retryAfter, Err: err}
}

// RetryAfterOf returns the wait of a RateLimitError in err's chain, or 0.
func RetryAfterOf(err error) time.Duration {
	var r *RateLimitError
	if errors.As(err, &r) {
		return r.RetryAfter
	}
	return 0
}
