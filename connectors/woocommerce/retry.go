package woocommerce

import (
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// retryable reports whether a failed attempt may be sent again. 429 and 5xx are retried
// (WordPress answers 503 in maintenance mode, hosts answer 429/503/508 when busy), and network
// failures. A request that is not idempotent (creating a webhook) is retried only when it
// certainly was not processed: a 429, a 503 maintenance answer, or a connection that was
// never made.
func retryable(err error, status int, idempotent bool) bool {
	switch {
	case status == http.StatusTooManyRequests, status == http.StatusServiceUnavailable:
		return true
	case status >= 500:
		return idempotent && status != http.StatusNotImplemented && status != http.StatusHTTPVersionNotSupported
	case status != 0:
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return false // an answer that was not JSON, a body too large: sending again gives the same
	}
	if notSent(err) {
		return true
	}
	return idempotent
}

// notSent reports whether a transport error happened before the request reached the server.
func notSent(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// backoff is the wait before attempt+1: exponential from base, capped at maxWait, with
// "equal jitter" (half fixed, half random) so that parallel page fetches do not retry in step.
func backoff(base, maxWait time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// parseRetryAfter reads a Retry-After header: seconds, or an HTTP date. 0 when absent or
// unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
