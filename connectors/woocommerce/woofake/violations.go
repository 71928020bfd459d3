package woofake

import (
	"sync"
	"sync/atomic"
	"time"
)

// Violation is a request the real WooCommerce would reject, or one a well-behaved client
// should not send (it works, but wastes requests, leaks secrets or returns surprising data).
type Violation struct {
	At     time.Time
	Method string
	Path   string // request path, query string excluded (it may carry oauth_signature)
	Rule   string // stable identifier, e.g. "per-page-over-100", "nonce-reuse", "batch-over-100"
	Detail string
}

// maxViolations bounds the kept list; Stats().Violations counts all of them.
const maxViolations = 1000

type violationLog struct {
	mu    sync.Mutex
	list  []Violation
	count atomic.Int64
}

func (l *violationLog) add(v Violation) {
	l.count.Add(1)
	l.mu.Lock()
	if len(l.list) < maxViolations {
		l.list = append(l.list, v)
	}
	l.mu.Unlock()
}

// Violations returns the recorded violations (at most the first 1000), oldest first.
func (f *Fake) Violations() []Violation {
	f.viol.mu.Lock()
	defer f.viol.mu.Unlock()
	return append([]Violation(nil), f.viol.list...)
}

// ResetViolations forgets the recorded violations.
func (f *Fake) ResetViolations() {
	f.viol.mu.Lock()
	f.viol.list = nil
	f.viol.mu.Unlock()
	f.viol.count.Store(0)
}
