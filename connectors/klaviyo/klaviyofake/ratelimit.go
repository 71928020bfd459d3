package klaviyofake

import (
	"sync"
	"time"
)

// window is one fixed rate-limit window: Klaviyo documents "a fixed-window rate limiting
// algorithm with two distinct windows: burst (1-second window) and steady (1-minute window)",
// counted per account and endpoint.
type window struct {
	size  time.Duration
	limit int
	start time.Time
	count int
}

// limiter holds the windows of every rate-limit key.
type limiter struct {
	mu      sync.Mutex
	windows map[string][]window
}

func newLimiter() *limiter { return &limiter{windows: map[string][]window{}} }

// allow counts one request under key at now, or returns how long until the window that is
// full ends (rounded up to whole seconds, at least 1, as Retry-After is).
func (l *limiter) allow(key string, lim Limit, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ws, ok := l.windows[key]
	if !ok {
		ws = windowsFor(lim)
		l.windows[key] = ws
	}
	var wait time.Duration
	for i := range ws {
		w := &ws[i]
		start := now.Truncate(w.size)
		if !start.Equal(w.start) {
			w.start, w.count = start, 0
		}
		if w.count >= w.limit {
			if d := w.start.Add(w.size).Sub(now); d > wait {
				wait = d
			}
		}
	}
	if wait > 0 {
		secs := (wait + time.Second - 1) / time.Second
		if secs < 1 {
			secs = 1
		}
		return false, secs * time.Second
	}
	for i := range ws {
		ws[i].count++
	}
	return true, 0
}
