package shopify

import (
	"context"
	"math"
	"sync"
	"time"
)

// costLimiter mirrors the shop's GraphQL cost bucket (a leaky bucket of points: maximumAvailable
// points, refilled at restoreRate points per second) from the extensions.cost of every
// response, and holds a request back until the mirror says its document's cost is available.
//
// Why a mirror rather than golang.org/x/time/rate: the server tells us, after every request,
// the exact number of points left. rate.Limiter can change its rate and burst but cannot be
// set to an observed token count, so it would drift from the real bucket (other clients of the
// same app, refunds of unused requested cost) and either throttle or leave points unused. The
// mirror re-syncs on every answer; the plan's sizes (Standard 100/s of 2000, Advanced 200/4000,
// Plus 1000/20000) are learned from the first answer, with no configuration.
//
// The estimate only ever errs on the safe side: the refill counted since an answer starts when
// the answer arrives, after the server computed it. Costs are learned per document (and its
// "first" variable): the largest requestedQueryCost seen, since Shopify admits a query only
// when the bucket holds its requested, not its actual, cost.
type costLimiter struct {
	mu        sync.Mutex
	now       func() time.Time
	firstCost float64

	known     bool // an answer has been seen
	max       float64
	available float64
	rate      float64
	at        time.Time
	costs     map[string]float64
}

func newCostLimiter(firstCost float64, now func() time.Time) *costLimiter {
	return &costLimiter{now: now, firstCost: firstCost, costs: make(map[string]float64)}
}

// throttleStatus is extensions.cost.throttleStatus.
type throttleStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable float64 `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"`
}

// queryCost is a response's extensions.cost.
type queryCost struct {
	RequestedQueryCost float64        `json:"requestedQueryCost"`
	ActualQueryCost    *float64       `json:"actualQueryCost"`
	ThrottleStatus     throttleStatus `json:"throttleStatus"`
}

// expected is the cost the next request of this document is assumed to request.
func (l *costLimiter) expected(key string) float64 {
	c, ok := l.costs[key]
	if !ok {
		c = l.firstCost
	}
	if l.known && c > l.max {
		c = l.max
	}
	return c
}

// availableAt is the mirror's estimate of the points available at t.
func (l *costLimiter) availableAt(t time.Time) float64 {
	dt := t.Sub(l.at).Seconds()
	if dt < 0 {
		dt = 0
	}
	return math.Min(l.max, l.available+l.rate*dt)
}

// delay is how long to wait before the document's expected cost is available (0: go now).
func (l *costLimiter) delay(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.known || l.rate <= 0 {
		return 0
	}
	need := l.expected(key)
	have := l.availableAt(l.now())
	if have >= need {
		return 0
	}
	return time.Duration((need - have) / l.rate * float64(time.Second))
}

// wait blocks until delay is zero or ctx ends. Call it with the request slot held (one
// request in flight per client), so the points it sees are not spent by another caller.
func (l *costLimiter) wait(ctx context.Context, key string) (time.Duration, error) {
	var waited time.Duration
	for {
		d := l.delay(key)
		if d <= 0 {
			return waited, nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return waited, ctx.Err()
		case <-t.C:
			waited += d
		}
	}
}

// spend takes the expected cost out of the mirror as the request leaves, so that a request
// whose answer is lost (cancelled, network error) is still accounted for.
func (l *costLimiter) spend(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.known {
		return
	}
	now := l.now()
	l.available = math.Max(0, l.availableAt(now)-l.expected(key))
	l.at = now
}

// observe re-syncs the mirror from an answer's extensions.cost and learns the document's cost.
func (l *costLimiter) observe(key string, c *queryCost) {
	if c == nil || c.ThrottleStatus.MaximumAvailable <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.known = true
	l.max = c.ThrottleStatus.MaximumAvailable
	l.available = c.ThrottleStatus.CurrentlyAvailable
	l.rate = c.ThrottleStatus.RestoreRate
	l.at = l.now()
	if c.RequestedQueryCost > 0 && c.RequestedQueryCost > l.costs[key] {
		l.costs[key] = c.RequestedQueryCost
	}
}

// Bucket is the mirror's view of the shop's cost bucket.
type Bucket struct {
	Known              bool    // false until the first answer
	MaximumAvailable   float64 // 2000 on Standard plans, 4000 Advanced, 20000 Plus
	CurrentlyAvailable float64 // estimated now
	RestoreRate        float64 // points per second
}

func (l *costLimiter) bucket() Bucket {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.known {
		return Bucket{}
	}
	return Bucket{Known: true, MaximumAvailable: l.max, CurrentlyAvailable: l.availableAt(l.now()), RestoreRate: l.rate}
}
