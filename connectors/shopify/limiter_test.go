package shopify

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"
)

// leakyBucket simulates Shopify's cost bucket: a query is admitted only when the bucket holds
// its requested cost, is charged its actual cost, and the bucket refills at rate points/s.
type leakyBucket struct {
	mu                  sync.Mutex
	max, rate           float64
	avail               float64
	at                  time.Time
	admitted, throttled int
	used                float64
}

func (b *leakyBucket) take(requested, actual float64) answer {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.avail = math.Min(b.max, b.avail+b.rate*now.Sub(b.at).Seconds())
	b.at = now
	status := fmt.Sprintf(`"throttleStatus":{"maximumAvailable":%g,"currentlyAvailable":%g,"restoreRate":%g}`, b.max, math.Floor(b.avail), b.rate)
	if b.avail < requested {
		b.throttled++
		return answer{200, fmt.Sprintf(`{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED","documentation":"https://shopify.dev/api/usage/rate-limits"}}],"extensions":{"cost":{"requestedQueryCost":%g,"actualQueryCost":null,%s}}}`, requested, status)}
	}
	b.avail -= actual
	b.admitted++
	b.used += actual
	status = fmt.Sprintf(`"throttleStatus":{"maximumAvailable":%g,"currentlyAvailable":%g,"restoreRate":%g}`, b.max, math.Floor(b.avail), b.rate)
	return answer{200, fmt.Sprintf(`{"data":{"shop":{"name":"Acme"}},"extensions":{"cost":{"requestedQueryCost":%g,"actualQueryCost":%g,%s}}}`, requested, actual, status)}
}

// The acceptance for tag pushes, scaled down in time: many goroutines hammer a shop whose
// bucket is Standard-shaped (max = 20 s of restore); the limiter must never be throttled and
// must use at least 90 % of the points the bucket made available.
func TestLimiterUsesTheBucketWithoutThrottling(t *testing.T) {
	for _, plan := range []struct {
		name            string
		max, rate, cost float64
	}{
		{"standard-shaped", 200, 1000, 25},
		{"plus-shaped", 2000, 10000, 40},
	} {
		t.Run(plan.name, func(t *testing.T) {
			s := newTestShop(t)
			b := &leakyBucket{max: plan.max, rate: plan.rate, avail: plan.max, at: time.Now()}
			s.handle("Shop", func(map[string]any) answer { return b.take(plan.cost, plan.cost) })
			c := newTestClient(t, s)
			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			defer cancel()
			start := time.Now()
			var wg sync.WaitGroup
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for ctx.Err() == nil {
						if _, err := c.Shop(ctx); err != nil && ctx.Err() == nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start).Seconds()
			b.mu.Lock()
			defer b.mu.Unlock()
			offered := plan.max + plan.rate*elapsed
			t.Logf("%s: %d requests, %.0f of %.0f points (%.1f%%), %d throttled, limiter waited %v",
				plan.name, b.admitted, b.used, offered, 100*b.used/offered, b.throttled, c.Stats().LimiterWait)
			if b.throttled != 0 || c.Stats().Throttled != 0 {
				t.Errorf("throttled %d times (client counted %d), want 0", b.throttled, c.Stats().Throttled)
			}
			if b.used < 0.9*offered {
				t.Errorf("used %.0f points of %.0f available (%.1f%%), want >= 90%%", b.used, offered, 100*b.used/offered)
			}
		})
	}
}

// A cheaper actual cost than requested (Shopify refunds the difference) must not fool the
// limiter into sending a query the bucket cannot admit at its requested cost.
func TestLimiterWaitsForRequestedNotActualCost(t *testing.T) {
	s := newTestShop(t)
	b := &leakyBucket{max: 100, rate: 500, avail: 100, at: time.Now()}
	s.handle("Shop", func(map[string]any) answer { return b.take(90, 10) })
	c := newTestClient(t, s)
	for i := 0; i < 30; i++ {
		if _, err := c.Shop(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if b.throttled != 0 {
		t.Errorf("throttled %d times, want 0", b.throttled)
	}
	if st := c.Stats(); st.PointsUsed != 300 || st.Requests != 30 {
		t.Errorf("stats = %+v, want 300 points in 30 requests", st)
	}
}

func TestThrottledIsRetriedAfterTheComputedWait(t *testing.T) {
	s := newTestShop(t)
	// 10 of 2000 available, 210 requested, 4000 points/s: the retry must wait ~50 ms.
	n := 0
	s.handle("Shop", func(map[string]any) answer {
		n++
		if n == 1 {
			return answer{200, `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED","documentation":"https://shopify.dev/api/usage/rate-limits"}}],"extensions":{"cost":{"requestedQueryCost":210,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":10,"restoreRate":4000.0}}}}`}
		}
		return ok(`{"shop":{"name":"Acme"}}`)
	})
	c := newTestClient(t, s)
	start := time.Now()
	shop, err := c.Shop(context.Background())
	if err != nil || shop.Name != "Acme" {
		t.Fatalf("Shop = %+v, %v", shop, err)
	}
	if d := time.Since(start); d < 45*time.Millisecond || d > 2*time.Second {
		t.Errorf("took %v, want about 50 ms", d)
	}
	if st := c.Stats(); st.Throttled != 1 || st.Requests != 2 {
		t.Errorf("stats = %+v, want 1 throttled of 2", st)
	}
}

func TestThrottledRetriesAreBounded(t *testing.T) {
	s := newTestShop(t)
	s.handle("Shop", func(map[string]any) answer {
		return answer{200, `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],"extensions":{"cost":{"requestedQueryCost":1,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":1000,"restoreRate":100.0}}}}`}
	})
	c := newTestClient(t, s, func(o *Options) { o.MaxThrottledRetries = 3 })
	_, err := c.Shop(context.Background())
	if err == nil || c.Stats().Throttled != 4 {
		t.Fatalf("err = %v, throttled = %d; want ErrThrottled after 4", err, c.Stats().Throttled)
	}
}

func TestLimiterMirror(t *testing.T) {
	now := time.Unix(0, 0)
	l := newCostLimiter(1000, func() time.Time { return now })
	if d := l.delay("q"); d != 0 {
		t.Fatalf("unknown bucket: delay %v, want 0", d)
	}
	l.observe("q", &queryCost{RequestedQueryCost: 300, ThrottleStatus: throttleStatus{MaximumAvailable: 2000, CurrentlyAvailable: 100, RestoreRate: 100}})
	if d := l.delay("q"); d != 2*time.Second {
		t.Errorf("delay = %v, want 2s (200 points at 100/s)", d)
	}
	if d := l.delay("new"); d != 9*time.Second {
		t.Errorf("unseen document: delay = %v, want 9s (first estimate 1000)", d)
	}
	now = now.Add(time.Hour)
	if b := l.bucket(); b.CurrentlyAvailable != 2000 {
		t.Errorf("refill capped at %v, want 2000", b.CurrentlyAvailable)
	}
	l.spend("q")
	if b := l.bucket(); b.CurrentlyAvailable != 1700 {
		t.Errorf("after spend: %v, want 1700", b.CurrentlyAvailable)
	}
}
