package klaviyo

// Klaviyo limits each endpoint with two fixed windows per account: a burst window of one
// second and a steady window of one minute (create_list also a daily one). The client cannot
// see where the server's windows start, so it keeps a guarantee that holds for any alignment:
//
//   - burst: requests are spaced evenly at 90% of the burst rate (a token bucket of size 1).
//     Evenly spaced requests at 0.9·B/s put at most floor(0.9·B)+1 <= B into any one-second
//     window, for every B >= 1, with room for network jitter. (A golang.org/x/time/rate
//     limiter of burst 1 would do the same; the spacing shares the steady log's lock here.)
//   - steady and daily: a sliding-window log of the last N send times; a request goes out
//     only when the N-th previous one is more than the window (plus one second of slack for
//     jitter) old. Any fixed window then holds at most N. A token bucket cannot express this
//     without halving sustained throughput; the log keeps ~98% of it and still allows a full
//     window's burst after idle time.
//
// A 429 pauses the whole endpoint until its Retry-After has passed.

import (
	"context"
	"sync"
	"time"
)

// Operation ids (Klaviyo's operationId), which also name the rate-limit budgets.
const (
	opGetProfiles     = "get_profiles"
	opProfileImport   = "create_or_update_profile"
	opBulkImport      = "bulk_import_profiles"
	opGetImportJob    = "get_bulk_import_profiles_job"
	opGetImportErrors = "get_errors_for_bulk_import_profiles_job"
	opGetLists        = "get_lists"
	opGetList         = "get_list"
	opCreateList      = "create_list"
	opAddToList       = "add_profiles_to_list"
	opRemoveFromList  = "remove_profiles_from_list"
	opDeleteProfile   = "request_profile_deletion"
	// opGetListCount is get_list with additional-fields[list]=profile_count, which Klaviyo
	// limits separately (and much lower).
	opGetListCount = "get_list|additional-fields[list]=profile_count"
)

// budget is one endpoint's published budget: requests per second (burst), per minute
// (steady) and per day (0: none).
type budget struct {
	Burst, Steady, Daily int
}

// budgets are the budgets the client keeps, copied from the x-klaviyo-ratelimit extensions of
// the 2026-07-15 OpenAPI document (a test checks them against it).
var budgets = map[string]budget{
	opGetProfiles:     {Burst: 75, Steady: 750},
	opProfileImport:   {Burst: 75, Steady: 750},
	opBulkImport:      {Burst: 10, Steady: 150},
	opGetImportJob:    {Burst: 10, Steady: 150},
	opGetImportErrors: {Burst: 10, Steady: 150},
	opGetLists:        {Burst: 75, Steady: 750},
	opGetList:         {Burst: 75, Steady: 750},
	opGetListCount:    {Burst: 1, Steady: 15},
	opCreateList:      {Burst: 10, Steady: 150, Daily: 150},
	opAddToList:       {Burst: 10, Steady: 150},
	opRemoveFromList:  {Burst: 10, Steady: 150},
	opDeleteProfile:   {Burst: 3, Steady: 60},
}

const windowSlack = time.Second

// pacer schedules the requests of one endpoint.
type pacer struct {
	mu      sync.Mutex
	spacing time.Duration // minimum gap between two sends (burst budget)
	windows []slidingWindow
	last    time.Time // latest scheduled send
	pause   time.Time // no send before this (after a 429)
}

type slidingWindow struct {
	size  time.Duration
	limit int
	sent  []time.Time // ring of the last `limit` send times, oldest at head
	head  int
}

func newPacer(l budget) *pacer {
	p := &pacer{spacing: time.Duration(float64(time.Second) / (0.9 * float64(max(l.Burst, 1))))}
	if l.Steady > 0 {
		p.windows = append(p.windows, slidingWindow{size: time.Minute + windowSlack, limit: l.Steady})
	}
	if l.Daily > 0 {
		p.windows = append(p.windows, slidingWindow{size: 24*time.Hour + time.Minute, limit: l.Daily})
	}
	return p
}

// reserve picks the send time of the next request and records it.
func (p *pacer) reserve(now time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := now
	if p.pause.After(t) {
		t = p.pause
	}
	if !p.last.IsZero() && p.last.Add(p.spacing).After(t) {
		t = p.last.Add(p.spacing)
	}
	for i := range p.windows {
		w := &p.windows[i]
		if len(w.sent) == w.limit {
			if earliest := w.sent[w.head].Add(w.size); earliest.After(t) {
				t = earliest
			}
		}
	}
	for i := range p.windows {
		w := &p.windows[i]
		if len(w.sent) < w.limit {
			w.sent = append(w.sent, t)
		} else {
			w.sent[w.head] = t
			w.head = (w.head + 1) % w.limit
		}
	}
	p.last = t
	return t
}

// wait blocks until the next request of this endpoint may go out.
func (p *pacer) wait(ctx context.Context) error {
	at := p.reserve(time.Now())
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// pauseFor holds every later request of this endpoint until now+d.
func (p *pacer) pauseFor(d time.Duration) {
	p.mu.Lock()
	if until := time.Now().Add(d); until.After(p.pause) {
		p.pause = until
	}
	p.mu.Unlock()
}

// pacers holds one pacer per budget.
type pacers struct {
	mu sync.Mutex
	m  map[string]*pacer
}

func (ps *pacers) get(key string) *pacer {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.m == nil {
		ps.m = map[string]*pacer{}
	}
	p, ok := ps.m[key]
	if !ok {
		l, known := budgets[key]
		if !known {
			l = budget{Burst: 1, Steady: 15} // the smallest published budget (XS)
		}
		p = newPacer(l)
		ps.m[key] = p
	}
	return p
}
