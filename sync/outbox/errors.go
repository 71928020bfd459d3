package outbox

import (
	"errors"
	"time"

	"github.com/cohortd/cohortd/internal/logging"
)

// ErrRunning is returned by Run when the destination already has a Run on this Outbox.
var ErrRunning = errors.New("outbox: destination already has a running sender loop")

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as permanent: the destination rejected the item (a GraphQL userError,
// an HTTP 4xx other than 408/429) and sending it again cannot succeed. Run moves the item to
// the dead letters with err's message instead of retrying. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err (or an error it wraps) was marked with Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// retryAfterError carries the destination's own wait hint (HTTP Retry-After, a GraphQL
// THROTTLED cost estimate).
type retryAfterError struct {
	err   error
	after time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// RetryAfter marks err as transient with a minimum wait before the next attempt: Run waits
// at least d (more if the backoff is longer). RetryAfter(nil, d) is nil.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &retryAfterError{err: err, after: d}
}

// retryAfterOf returns the hint carried by err, or 0.
func retryAfterOf(err error) time.Duration {
	var r *retryAfterError
	if errors.As(err, &r) {
		return r.after
	}
	return 0
}

// reasonOf is the text stored and shown for err: its message with e-mail addresses masked,
// because dead letters are printed and logged.
func reasonOf(err error) string {
	if err == nil {
		return ""
	}
	return logging.MaskEmailsIn(err.Error())
}
