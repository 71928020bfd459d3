package shopifyfake

import (
	"time"

	"github.com/rs/zerolog"
)

// Plan is a Shopify plan as far as rate limits go: the GraphQL cost bucket size and the
// points restored per second.
type Plan struct {
	Name        string  // shop.plan.displayName
	Plus        bool    // shop.plan.shopifyPlus
	BucketSize  float64 // throttleStatus.maximumAvailable
	RestoreRate float64 // throttleStatus.restoreRate, points per second
}

// The plans Shopify documents for the GraphQL Admin API (https://shopify.dev/api/usage/rate-limits).
var (
	PlanStandard = Plan{Name: "Basic", BucketSize: 2000, RestoreRate: 100}
	PlanAdvanced = Plan{Name: "Advanced", BucketSize: 4000, RestoreRate: 200}
	PlanPlus     = Plan{Name: "Shopify Plus", Plus: true, BucketSize: 20000, RestoreRate: 1000}
)

// MaxQueryCost is the single-query cost limit; above it Shopify answers MAX_COST_EXCEEDED.
const MaxQueryCost = 1000

// MaxPageSize is the largest first/last Shopify accepts on a connection.
const MaxPageSize = 250

// Options configure a Fake. Zero values get the defaults noted per field.
type Options struct {
	Shop          string           // shop domain, default "shop-a.myshopify.com"
	AccessToken   string           // required X-Shopify-Access-Token, default "shpat_fake"
	APIVersions   []string         // served versions, default ["2025-04"]
	Plan          Plan             // default PlanStandard
	WebhookSecret string           // HMAC key for X-Shopify-Hmac-Sha256, default "fake-webhook-secret"
	WebhookURL    string           // catch-all target receiving every topic (tests, demo); optional
	Webhooks      WebhookKnobs     // delivery misbehaviour
	Dir           string           // bulk output and staged uploads; default a fresh temp dir removed by Close
	Now           func() time.Time // clock for rate limits, timestamps and URL expiry; default time.Now
	URLTTL        time.Duration    // validity of bulk result URLs, default 7 days (Shopify: one week)
	Listen        string           // listen address, default "127.0.0.1:0"
	Seed          uint64           // randomness of Simulate and webhook knobs, default 1
	Logger        zerolog.Logger
}

// WebhookKnobs make delivery behave like the real thing at its worst. Delays are real time:
// tests compress the timeline by choosing small values.
type WebhookKnobs struct {
	DuplicateProb float64       // probability a delivery is sent twice (same event and webhook id)
	DelayProb     float64       // probability a delivery is held back, so later events overtake it
	MaxDelay      time.Duration // upper bound of that hold-back, default 50ms
	MaxAttempts   int           // attempts before giving up, default 8 (Shopify: 8 over 4 hours)
	RetryBase     time.Duration // first retry backoff, doubled per attempt, default 100ms
	Timeout       time.Duration // per attempt; Shopify waits 5 s, default 5s
	Disabled      bool          // record deliveries in Stats only, send nothing
}

// Stats are counters for assertions and the demo.
type Stats struct {
	Requests          int64   // GraphQL requests answered (any status)
	Throttled         int64   // answered THROTTLED
	PointsUsed        float64 // actual cost charged so far
	PointsAvailable   float64 // bucket content now
	BulkOperations    int64   // bulk operations started
	TagWrites         int64   // customers whose tags changed
	WebhooksQueued    int64   // deliveries created (one per event and target)
	WebhooksDelivered int64   // deliveries acknowledged with 2xx
	WebhookDuplicates int64   // extra copies sent by DuplicateProb
	WebhookRetries    int64   // attempts after the first
	WebhookFailures   int64   // attempts that got non-2xx, a timeout or a connection error
	WebhooksAbandoned int64   // deliveries that ran out of attempts
	FaultsInjected    int64   // faults that fired
}

func (o *Options) withDefaults() {
	if o.Shop == "" {
		o.Shop = "shop-a.myshopify.com"
	}
	if o.AccessToken == "" {
		o.AccessToken = "shpat_fake"
	}
	if len(o.APIVersions) == 0 {
		o.APIVersions = []string{"2025-04"}
	}
	if o.Plan.BucketSize == 0 {
		o.Plan = PlanStandard
	}
	if o.WebhookSecret == "" {
		o.WebhookSecret = "fake-webhook-secret"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.URLTTL == 0 {
		o.URLTTL = 7 * 24 * time.Hour
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	w := &o.Webhooks
	if w.MaxDelay == 0 {
		w.MaxDelay = 50 * time.Millisecond
	}
	if w.MaxAttempts == 0 {
		w.MaxAttempts = 8
	}
	if w.RetryBase == 0 {
		w.RetryBase = 100 * time.Millisecond
	}
	if w.Timeout == 0 {
		w.Timeout = 5 * time.Second
	}
}
