package mailchimp

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/internal/logging"
)

// Titles of Mailchimp problem documents that mean "this address is suppressed for good".
const (
	titleCompliance = "Member In Compliance State"
	titleForgotten  = "Forgotten Email Not Subscribed"
)

// APIError is a non-2xx answer of the Marketing API (or of one batch operation), from its
// problem document. Detail has every e-mail address in it masked.
type APIError struct {
	Status int
	Title  string
	Detail string
	// RetryAfter is the wait a 429 asked for (Retry-After), or 0.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("%d %s", e.Status, e.Title)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Title, e.Detail)
}

// problemDoc is the part of Mailchimp's Problem_Detail_Document the client reads.
type problemDoc struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// parseAPIError builds the error of a non-2xx answer from its body.
func parseAPIError(status int, body []byte) *APIError {
	var p problemDoc
	_ = json.Unmarshal(body, &p)
	if p.Title == "" {
		p.Title = http.StatusText(status)
	}
	detail := p.Detail
	for _, fe := range p.Errors {
		if fe.Message != "" {
			detail += fmt.Sprintf(" [%s: %s]", fe.Field, fe.Message)
		}
	}
	return &APIError{Status: status, Title: p.Title, Detail: maskAddresses(detail)}
}

// emailRe finds anything that looks like an address in platform text.
var emailRe = regexp.MustCompile(`[^\s@"'<>(),;:\[\]]+@[^\s@"'<>(),;:\[\]]+`)

// maskAddresses masks every address in s: Mailchimp's messages name the address they are
// about, and errors and logs may only carry masked ones.
func maskAddresses(s string) string {
	return emailRe.ReplaceAllStringFunc(s, logging.MaskEmail)
}

// suppression reports the status a refusal stands for, if it is one of Mailchimp's
// permanent consent refusals.
func (e *APIError) suppression() (email.Status, bool) {
	if e.Status != http.StatusBadRequest {
		return email.StatusAbsent, false
	}
	switch e.Title {
	case titleCompliance:
		return email.StatusCompliance, true
	case titleForgotten:
		return email.StatusForgotten, true
	}
	return email.StatusAbsent, false
}

// message is the platform's words for an Outcome (address masked).
func (e *APIError) message() string {
	if e.Detail == "" {
		return e.Title
	}
	return e.Title + ": " + e.Detail
}

// classify wraps err (which wraps an *APIError when the API answered) for the engine: 429 is
// rate limited, other 4xx are permanent, anything else is transient and returned as is.
func classify(err error, apiErr *APIError) error {
	if apiErr == nil {
		return err
	}
	switch {
	case apiErr.Status == http.StatusTooManyRequests:
		return email.RateLimited(err, apiErr.RetryAfter)
	case apiErr.Status >= 400 && apiErr.Status < 500:
		return email.Permanent(err)
	}
	return err
}
