package outbox

import "time"

// Default backoff: 1 s doubling to 15 min, giving up after 40 failed sends (about five and a
// half hours of a destination failing, long enough to ride out a platform outage, short
// enough that a stuck item reaches an operator the same day).
const (
	DefaultBackoffBase  = time.Second
	DefaultBackoffMax   = 15 * time.Minute
	DefaultMaxAttempts  = 40
	DefaultBatchSize    = 50
	DefaultPollInterval = time.Second
)

// Backoff is the retry schedule of transient failures.
type Backoff struct {
	// Base is the step after the first failure; default 1 s.
	Base time.Duration
	// Max caps the step; default 15 min.
	Max time.Duration
	// MaxAttempts is the number of failed sends after which an item goes to the dead
	// letters; default 40.
	MaxAttempts int
}

func (b Backoff) withDefaults() Backoff {
	if b.Base <= 0 {
		b.Base = DefaultBackoffBase
	}
	if b.Max <= 0 {
		b.Max = DefaultBackoffMax
	}
	if b.Max < b.Base {
		b.Max = b.Base
	}
	if b.MaxAttempts <= 0 {
		b.MaxAttempts = DefaultMaxAttempts
	}
	return b
}

// Step is the backoff step after the n-th consecutive failure (n >= 1):
// min(Max, Base·2^(n-1)).
func (b Backoff) Step(n int) time.Duration {
	b = b.withDefaults()
	d := b.Base
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Delay is the wait after the n-th consecutive failure, given r in [0, 1) from a random
// source: Step(n)/2 + r·Step(n)/2. Half of the step is fixed so the wait grows for sure
// (full jitter can retry a rate-limited platform at once); the random half spreads the
// retries of many items.
func (b Backoff) Delay(n int, r float64) time.Duration {
	step := b.Step(n)
	r = min(max(r, 0), 1)
	return step/2 + time.Duration(r*float64(step-step/2))
}
