package klaviyofake

import (
	"net"
	"time"

	"github.com/rs/zerolog"
)

// DefaultAPIKey is the private key the fake accepts when Options.APIKey is empty.
const DefaultAPIKey = "pk_fake_cohortd"

// Options configure a Server. Zero values get the defaults noted per field.
type Options struct {
	// APIKey is the private key expected in "Authorization: Klaviyo-API-Key <key>";
	// default DefaultAPIKey.
	APIKey string
	// Listener serves the fake when set (the demo passes its own); default a fresh
	// 127.0.0.1 listener from httptest.
	Listener net.Listener
	// Now is the clock for rate-limit windows, timestamps and job progress; default time.Now.
	Now func() time.Time
	// JobDelay is how long a bulk import job stays "queued" before it is processed and
	// reported "complete"; default 0 (complete at the first status read).
	JobDelay time.Duration
	// DisableRateLimits turns the per-operation windows off (fault-injected 429s still fire).
	DisableRateLimits bool
	// Logger receives one debug line per request (operation, status); default disabled.
	Logger zerolog.Logger
}

func (o *Options) withDefaults() {
	if o.APIKey == "" {
		o.APIKey = DefaultAPIKey
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// OpStats are the counters of one operation (Klaviyo operationId, e.g. "add_profiles_to_list").
type OpStats struct {
	Requests  int64 // requests routed to the operation, any status
	Throttled int64 // answered 429 by the rate-limit windows
	Faults    int64 // answered by an injected fault
	Invalid   int64 // refused because the request did not match the spec
}

// Stats are counters for assertions, benchmarks and the demo.
type Stats struct {
	Requests  int64 // every request, routed or not
	Throttled int64 // 429s answered by the rate-limit windows (not injected faults)
	// ByOperation holds per-operation counters keyed by operationId.
	ByOperation map[string]OpStats
	// ConsentWrites counts calls to operations that write consent (subscribe, unsubscribe,
	// suppress, unsuppress jobs, client subscriptions): cohortd must never make one.
	ConsentWrites int64
	// WritesToSuppressed counts profile writes and list additions that touched a profile
	// whose email marketing is suppressed or unsubscribed.
	WritesToSuppressed int64
	// ProfilesCreated and ProfilesUpdated count profile upserts (import, bulk import, create)
	// that created a profile or changed one.
	ProfilesCreated, ProfilesUpdated int64
	// MembershipsAdded and MembershipsRemoved count list memberships that actually changed;
	// MembershipNoops counts additions of members and removals of non-members.
	MembershipsAdded, MembershipsRemoved, MembershipNoops int64
	// UnknownProfileIDs counts profile ids in list relationship calls that name no profile
	// (ignored, as an id of a profile deleted meanwhile would be).
	UnknownProfileIDs int64
	// Deletions counts profiles erased by data-privacy deletion jobs.
	Deletions int64
	// Violations is len(Violations()).
	Violations int
}

// Calls returns the requests answered for the given operations (all operations if none).
func (s Stats) Calls(ops ...string) int64 {
	if len(ops) == 0 {
		var n int64
		for _, o := range s.ByOperation {
			n += o.Requests
		}
		return n
	}
	var n int64
	for _, op := range ops {
		n += s.ByOperation[op].Requests
	}
	return n
}

// Violation is a request or response that does not match the OpenAPI document.
type Violation struct {
	Kind      string // "request" or "response"
	Operation string
	Method    string
	Path      string
	Status    int // response status (response violations)
	Detail    string
}
