package shopify

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors for the permanent HTTP failures of the Admin API. They are wrapped by the
// errors the client returns, so callers test them with errors.Is.
var (
	// ErrUnauthorized: the access token was rejected (HTTP 401). Retrying cannot help.
	ErrUnauthorized = errors.New("shopify: access token rejected (401)")
	// ErrForbidden: the token lacks a scope the request needs (HTTP 403).
	ErrForbidden = errors.New("shopify: access denied (403): the app lacks a required access scope")
	// ErrNotFound: the shop or the API version does not exist (HTTP 404).
	ErrNotFound = errors.New("shopify: not found (404)")
	// ErrShopUnavailable: the shop is frozen, closed or locked (HTTP 402 or 423).
	ErrShopUnavailable = errors.New("shopify: shop unavailable")
	// ErrThrottled: still THROTTLED after the bounded number of cost-limited retries.
	ErrThrottled = errors.New("shopify: throttled")
	// ErrShortfall: a bulk download delivered fewer (or more) lines than the operation's
	// objectCount. A shortfall is never a success.
	ErrShortfall = errors.New("shopify: bulk download line count does not match objectCount")
)

// HTTPError is a non-2xx answer of the GraphQL endpoint that is not retried (or no longer).
type HTTPError struct {
	Status  int
	Message string // Shopify's error text, if any (never contains the access token)
	text    string // the whole message, when set
	kind    error  // one of the sentinels above, or nil
}

func (e *HTTPError) Error() string {
	if e.text != "" {
		return e.text
	}
	if e.kind != nil && e.Message == "" {
		return e.kind.Error()
	}
	if e.kind != nil {
		return e.kind.Error() + ": " + e.Message
	}
	return fmt.Sprintf("shopify: HTTP %d: %s", e.Status, e.Message)
}

// Unwrap exposes the sentinel (ErrUnauthorized, ErrForbidden, ErrNotFound...).
func (e *HTTPError) Unwrap() error { return e.kind }

// GraphQLErrorItem is one entry of a response's top-level "errors" array.
type GraphQLErrorItem struct {
	Message string `json:"message"`
	Path    []any  `json:"path,omitempty"`
	// Code is extensions.code: THROTTLED, MAX_COST_EXCEEDED, ACCESS_DENIED, INTERNAL_SERVER_ERROR...
	Code string `json:"-"`
}

// GraphQLError is a response that carried top-level GraphQL "errors" (a malformed document,
// a missing scope, a query over the cost limit...). Partial data, if any, was still decoded.
type GraphQLError struct {
	Operation string
	Errors    []GraphQLErrorItem
}

func (e *GraphQLError) Error() string {
	msgs := make([]string, 0, len(e.Errors))
	for _, it := range e.Errors {
		m := it.Message
		if it.Code != "" {
			m += " (" + it.Code + ")"
		}
		msgs = append(msgs, m)
	}
	return fmt.Sprintf("shopify: %s: graphql errors: %s", e.Operation, strings.Join(msgs, "; "))
}

// HasCode reports whether any error carries the given extensions.code.
func (e *GraphQLError) HasCode(code string) bool {
	for _, it := range e.Errors {
		if it.Code == code {
			return true
		}
	}
	return false
}

// UserError is one entry of a mutation payload's userErrors: the input was refused.
type UserError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    string   `json:"code,omitempty"`
}

// UserErrors is a mutation whose payload listed userErrors. It is permanent: sending the
// same input again gives the same answer.
type UserErrors struct {
	Mutation string
	Errors   []UserError
}

func (e *UserErrors) Error() string {
	msgs := make([]string, 0, len(e.Errors))
	for _, u := range e.Errors {
		m := u.Message
		if len(u.Field) > 0 {
			m = strings.Join(u.Field, ".") + ": " + m
		}
		if u.Code != "" {
			m += " (" + u.Code + ")"
		}
		msgs = append(msgs, m)
	}
	return fmt.Sprintf("shopify: %s: %s", e.Mutation, strings.Join(msgs, "; "))
}

// HasCode reports whether any user error carries the given code.
func (e *UserErrors) HasCode(code string) bool {
	for _, u := range e.Errors {
		if u.Code == code {
			return true
		}
	}
	return false
}

func userErrors(mutation string, errs []UserError) error {
	if len(errs) == 0 {
		return nil
	}
	return &UserErrors{Mutation: mutation, Errors: errs}
}

// BulkError is a bulk operation that ended FAILED, CANCELED or EXPIRED. Op.PartialDataURL,
// when set, can still be read with DownloadBulk (the caller decides whether partial data helps).
type BulkError struct {
	Op BulkOperation
}

func (e *BulkError) Error() string {
	s := fmt.Sprintf("shopify: bulk operation %s ended %s", e.Op.ID, e.Op.Status)
	if e.Op.ErrorCode != "" {
		s += " (errorCode " + e.Op.ErrorCode + ")"
	}
	if e.Op.PartialDataURL != "" {
		s += "; partial data available"
	}
	return s
}

// redactedError hides the access token from an error's text, whatever produced it.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func redact(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), secret, "[REDACTED]"), err: err}
}
