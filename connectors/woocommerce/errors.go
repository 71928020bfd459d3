package woocommerce

import (
	"errors"
	"fmt"
)

// Sentinel errors, wrapped by the *APIError the client returns; test them with errors.Is.
var (
	// ErrUnauthorized: WooCommerce answered 401 (or 403 with a woocommerce_rest_ code): the
	// consumer key or secret is wrong, the key lacks Read (or Write) permission, or the request
	// was signed wrongly. Retrying cannot help.
	ErrUnauthorized = errors.New("WooCommerce refused the consumer key (check key/secret and its Read/Write permission)")
	// ErrNotFound: the REST API is not where the URL points. The APIError's message says which
	// case it is: a WordPress REST API without the wc/v3 route (WooCommerce inactive or its
	// REST API disabled), or no WordPress REST API at all (a wrong URL, or plain permalinks).
	ErrNotFound = errors.New("WooCommerce REST API not found")
	// ErrRecordNotFound: the API works but the record asked for does not exist (404 with a
	// woocommerce_rest_*invalid_id code): it was deleted.
	ErrRecordNotFound = errors.New("no such WooCommerce record")
	// ErrNotJSON: the site answered something other than JSON (a login page, a maintenance
	// page, a firewall challenge); the APIError's message says what it looked like.
	ErrNotJSON = errors.New("WooCommerce answered HTML instead of JSON")
	// ErrRateLimited: still 429 after every attempt.
	ErrRateLimited = errors.New("WooCommerce rate limit")
	// ErrServer: still 5xx (or a network failure) after every attempt.
	ErrServer = errors.New("WooCommerce server error")
	// ErrRedirected: the site answered a redirect. A signed request cannot follow one (the
	// signature covers the URL, and credentials must not go elsewhere); the message names the
	// URL to configure instead.
	ErrRedirected = errors.New("WooCommerce redirected the request")
	// ErrBadRequest: a 400 (rest_invalid_param and the like); permanent.
	ErrBadRequest = errors.New("WooCommerce refused the request")
	// ErrTooLarge: a 413, a batch larger than the site accepts.
	ErrTooLarge = errors.New("WooCommerce refused a request as too large")
)

// APIError is a request that failed. It never holds the consumer secret, the
// oauth_signature or the query string: Path is the URL path only. The client's methods return
// it wrapped with what they were doing ("woocommerce: list customers page 3: GET ...").
type APIError struct {
	Method string
	Path   string // the request path, e.g. /wp-json/wc/v3/customers
	Status int    // HTTP status, 0 for a network failure
	// Code and Message are WooCommerce's JSON error ("woocommerce_rest_authentication_error",
	// "Invalid signature - provided signature does not match."), or for a non-JSON answer a
	// description of what came back.
	Code    string
	Message string
	// Attempts is how many times the request was sent.
	Attempts int
	kind     error
	cause    error
}

// Error implements error.
func (e *APIError) Error() string {
	msg := e.Method + " " + e.Path + ": "
	if e.kind != nil {
		msg += e.kind.Error()
	}
	if e.Status != 0 {
		msg += fmt.Sprintf(" (HTTP %d", e.Status)
		if e.Code != "" {
			msg += " " + e.Code
		}
		msg += ")"
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.cause != nil {
		msg += ": " + e.cause.Error()
	}
	if e.Attempts > 1 {
		msg += fmt.Sprintf(" [after %d attempts]", e.Attempts)
	}
	return msg
}

// Unwrap exposes the sentinel and the underlying network error, if any.
func (e *APIError) Unwrap() []error {
	var out []error
	if e.kind != nil {
		out = append(out, e.kind)
	}
	if e.cause != nil {
		out = append(out, e.cause)
	}
	return out
}

// ItemError is one item of a batch write that WooCommerce refused (the batch answer lists it
// with an "error" object); the other items were applied.
type ItemError struct {
	CustomerID int64
	Code       string
	Message    string
	Status     int
}

// Error implements error.
func (e *ItemError) Error() string {
	return fmt.Sprintf("woocommerce: customer %d: %s (%s)", e.CustomerID, e.Message, e.Code)
}

// Is makes errors.Is(err, ErrRecordNotFound) true for a customer that no longer exists.
func (e *ItemError) Is(target error) bool {
	return target == ErrRecordNotFound && (e.Status == 404 || isInvalidID(e.Code))
}
