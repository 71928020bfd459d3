package listmonk

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a token bucket (golang.org/x/time/rate) with a shared pause: a 429's
// Retry-After holds every request of the client, not just the one that got it, so a rate
// limit is answered by one wait instead of a storm.
type limiter struct {
	bucket *rate.Limiter // nil: no steady rate

	mu    sync.Mutex
	until time.Time // no request before this (Retry-After)
}

// newLimiter allows r requests per second with bursts of burst; r <= 0 means no rate limit.
func newLimiter(r float64, burst int) *limiter {
	l := &limiter{}
	if r > 0 {
		l.bucket = rate.NewLimiter(rate.Limit(r), max(burst, 1))
	}
	return l
}

// Wait blocks until a request may go, or ctx ends.
func (l *limiter) Wait(ctx context.Context) error {
	for {
		l.mu.Lock()
		d := time.Until(l.until)
		l.mu.Unlock()
		if d <= 0 {
			break
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	if l.bucket == nil {
		return nil
	}
	return l.bucket.Wait(ctx)
}

// PauseFor holds every request for d from now (a 429's Retry-After) and empties the bucket,
// so requests resume at the steady rate rather than in a burst.
func (l *limiter) PauseFor(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := time.Now().Add(d); until.After(l.until) {
		l.until = until
	}
	if l.bucket != nil {
		l.bucket.AllowN(l.until, l.bucket.Burst()) // drain: resume at the steady rate
	}
}
