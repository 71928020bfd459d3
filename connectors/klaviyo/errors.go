package klaviyo

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/internal/logging"
)

// ErrorObject is one entry of Klaviyo's JSON:API "errors" array.
type ErrorObject struct {
	ID     string `json:"id"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Source struct {
		Pointer   string `json:"pointer,omitempty"`
		Parameter string `json:"parameter,omitempty"`
	} `json:"source"`
	Meta map[string]any `json:"meta,omitempty"`
}

// APIError is a non-2xx answer from Klaviyo. Its text carries the operation, the status and
// Klaviyo's own words with any address in them masked.
type APIError struct {
	Op         string        // Klaviyo operationId
	StatusCode int           // HTTP status
	Errors     []ErrorObject // Klaviyo's errors array (details masked)
	RetryAfter time.Duration // from Retry-After on 429
}

// Error renders "op: status code: detail (at pointer)" for every error Klaviyo returned.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d", e.Op, e.StatusCode)
	if len(e.Errors) == 0 {
		b.WriteString(" " + http.StatusText(e.StatusCode))
	}
	for i, o := range e.Errors {
		if i > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " %s: %s", o.Code, o.Detail)
		if o.Source.Pointer != "" && o.Source.Pointer != "/data/" {
			fmt.Fprintf(&b, " (at %s)", o.Source.Pointer)
		} else if o.Source.Parameter != "" {
			fmt.Fprintf(&b, " (parameter %s)", o.Source.Parameter)
		}
	}
	return b.String()
}

// Message is Klaviyo's own words (detail, else title) of the first error, masked.
func (e *APIError) Message() string {
	if len(e.Errors) == 0 {
		return http.StatusText(e.StatusCode)
	}
	if e.Errors[0].Detail != "" {
		return e.Errors[0].Detail
	}
	return e.Errors[0].Title
}

// Code is the first error's code ("invalid", "throttled", "duplicate_profile", ...).
func (e *APIError) Code() string {
	if len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}

// classify wraps an APIError the way the engine needs: 429 as email.RateLimited, other 4xx
// as email.Permanent, 5xx as is (transient).
func classify(err error) error {
	var ae *APIError
	if !errors.As(err, &ae) {
		return err
	}
	switch {
	case ae.StatusCode == http.StatusTooManyRequests:
		return email.RateLimited(err, ae.RetryAfter)
	case ae.StatusCode >= 400 && ae.StatusCode < 500:
		return email.Permanent(err)
	}
	return err
}

func statusOf(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}

var emailLike = regexp.MustCompile(`[^\s"'<>(),;:\[\]]+@[^\s"'<>(),;:\[\]]+`)

// maskEmails replaces every address-looking token in s with its masked form.
func maskEmails(s string) string {
	return emailLike.ReplaceAllStringFunc(s, logging.MaskEmail)
}
