package listmonk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/internal/logging"
)

// APIError is a listmonk answer with a 4xx/5xx status: its {"message": ...} (addresses
// masked) and, for a 429, the Retry-After asked for.
type APIError struct {
	Method     string // HTTP method
	Endpoint   string // path with ids ("/api/subscribers/42"), never the query string
	Status     int
	Message    string
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	return fmt.Sprintf("listmonk: %s %s: %d %s", e.Method, e.Endpoint, e.Status, e.Message)
}

// Permanent reports whether retrying cannot help: a 4xx other than 408 and 429.
func (e *APIError) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusTooManyRequests && e.Status != http.StatusRequestTimeout
}

// emailLike finds addresses in platform messages so none reaches an error or a log.
var emailLike = regexp.MustCompile(`[^\s'"<>(),;:]+@[^\s'"<>(),;:]+`)

// maskAddresses replaces every address-looking word of s with its masked form.
func maskAddresses(s string) string {
	return emailLike.ReplaceAllStringFunc(s, logging.MaskEmail)
}

// outcomeErr turns a request error into the error an Outcome carries: 429 ->
// email.RateLimited, permanent refusals -> email.Permanent, anything else as is (retried).
func outcomeErr(err error) error {
	var rl *email.RateLimitError
	if err == nil || email.IsPermanent(err) || errors.As(err, &rl) {
		return err
	}
	var ae *APIError
	if errors.As(err, &ae) {
		switch {
		case ae.Status == http.StatusTooManyRequests:
			return email.RateLimited(err, ae.RetryAfter)
		case ae.Permanent():
			return email.Permanent(err)
		}
	}
	return err
}

// isStatus reports whether err is an APIError with one of the statuses.
func isStatus(err error, statuses ...int) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, s := range statuses {
		if ae.Status == s {
			return true
		}
	}
	return false
}

// unknownEndpoint reports whether err says the server has no such route or method: a
// listmonk older than v6.1.0 answering PATCH /api/subscribers/{id}.
func unknownEndpoint(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.Status == http.StatusMethodNotAllowed ||
		(ae.Status == http.StatusNotFound && strings.Contains(strings.ToLower(ae.Message), "unknown endpoint"))
}

// ctxErr is the context's error if it ended, so callers do not dress it as a platform one.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("listmonk: %w", ctx.Err())
	}
	return err
}
