package mailchimpfake

import (
	"maps"
	"net/http"
	"strconv"
	"time"
)

// Stats counts what the fake was asked. Calls and TooManyRequests are what a benchmark
// compares with the minimum number of calls.
type Stats struct {
	// Calls is every request to the API (/3.0), whatever its answer.
	Calls int
	// Requests counts API requests by spec operationId (postBatches, getBatchesId, ...),
	// those that got past the connection limit, injected faults and authentication.
	Requests map[string]int
	// Operations counts batch operations run, by spec operationId.
	Operations map[string]int
	// Batches is how many batches were submitted; Downloads how many result archives fetched.
	Batches, Downloads int
	// TooManyRequests is how many 429s the connection limit answered (injected ones not
	// included); Injected how many injected faults were answered.
	TooManyRequests, Injected int
	// MaxInFlight is the most API requests seen in flight at once.
	MaxInFlight int
}

func newStats() Stats {
	return Stats{Requests: map[string]int{}, Operations: map[string]int{}}
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Requests = maps.Clone(s.stats.Requests)
	st.Operations = maps.Clone(s.stats.Operations)
	return st
}

// ResetStats zeroes the counters (state and violations are kept).
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = newStats()
}

// fault is an injected answer: a problem document with this status, and a Retry-After header
// when RetryAfter > 0 (Mailchimp itself sends none; the option lets tests check a client
// honours one when a proxy or a future API does).
type fault struct {
	status     int
	retryAfter time.Duration
}

func (f fault) response() response {
	title := http.StatusText(f.status)
	detail := "An unexpected internal error has occurred. Please contact Support for more information."
	if f.status == http.StatusTooManyRequests {
		title, detail = "TooManyRequests", "You have exceeded the limit of 10 simultaneous connections."
	}
	r := problem(f.status, title, detail)
	if f.retryAfter > 0 {
		secs := int((f.retryAfter + time.Second - 1) / time.Second)
		r.header = http.Header{"Retry-After": {strconv.Itoa(secs)}}
	}
	return r
}

// FailNext makes the next n API requests answer status (500, 503, 429...) with Mailchimp's
// problem document, before authentication and validation; retryAfter > 0 adds a Retry-After
// header in whole seconds, rounded up.
func (s *Server) FailNext(n, status int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{status: status, retryAfter: retryAfter})
	}
}

// FailOperations makes the next n batch operations answer status in the result archive.
func (s *Server) FailOperations(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.opFaults = append(s.opFaults, fault{status: status})
	}
}
