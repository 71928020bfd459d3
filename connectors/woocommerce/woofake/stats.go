package woofake

import (
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
)

// Stats are counters for assertions and the demo.
type Stats struct {
	Requests       int64            // HTTP requests answered (any status, any path)
	ByEndpoint     map[string]int64 // e.g. "GET /customers", "POST /customers/batch", "GET /orders/{id}/refunds"
	Answered4xx    int64
	Answered5xx    int64
	FaultsInjected int64 // faults that fired

	DeliveriesOK       int64 // deliveries answered < 303 (WooCommerce's notion of success)
	DeliveriesFailed   int64 // deliveries answered >= 303, timed out, refused or dropped
	DeliveryDuplicates int64 // extra deliveries sent by WebhookKnobs.DuplicateProb
	Pings              int64
	PingsFailed        int64
	WebhooksDisabled   int64 // times a webhook was disabled after consecutive failures (or a failed ping)
	Violations         int64
}

type statCounters struct {
	mu         sync.Mutex
	byEndpoint map[string]int64

	requests, c4xx, c5xx, faults                   atomic.Int64
	delivOK, delivFailed, dups, pings, pingsFailed atomic.Int64
	disabled                                       atomic.Int64
}

func (s *statCounters) record(endpoint string, status int) {
	s.requests.Add(1)
	switch {
	case status >= 500:
		s.c5xx.Add(1)
	case status >= 400:
		s.c4xx.Add(1)
	}
	s.mu.Lock()
	if s.byEndpoint == nil {
		s.byEndpoint = map[string]int64{}
	}
	s.byEndpoint[endpoint]++
	s.mu.Unlock()
}

// Stats returns a snapshot of the counters.
func (f *Fake) Stats() Stats {
	s := &f.stats
	s.mu.Lock()
	by := maps.Clone(s.byEndpoint)
	s.mu.Unlock()
	if by == nil {
		by = map[string]int64{}
	}
	return Stats{
		Requests: s.requests.Load(), ByEndpoint: by, Answered4xx: s.c4xx.Load(), Answered5xx: s.c5xx.Load(),
		FaultsInjected: s.faults.Load(), DeliveriesOK: s.delivOK.Load(), DeliveriesFailed: s.delivFailed.Load(),
		DeliveryDuplicates: s.dups.Load(), Pings: s.pings.Load(), PingsFailed: s.pingsFailed.Load(),
		WebhooksDisabled: s.disabled.Load(), Violations: f.viol.count.Load(),
	}
}

// statusWriter remembers the status code a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}
