package woofake

import (
	"time"

	"github.com/rs/zerolog"
)

// Versions the fake reports (User-Agent of deliveries, the version field of orders).
const (
	WooVersion = "10.0.2"
	WPVersion  = "6.8.8"
)

// Default credentials: 40 hex characters after the prefix, as WooCommerce generates them.
const (
	DefaultConsumerKey    = "ck_0123456789abcdef0123456789abcdef01234567"
	DefaultConsumerSecret = "cs_fedcba9876543210fedcba9876543210fedcba98"
	DefaultWebhookSecret  = "testsecret"
)

// API key permission levels (woocommerce_api_keys.permissions).
const (
	PermRead      = "read"
	PermWrite     = "write"
	PermReadWrite = "read_write"
)

// Options configure a Fake. Zero values get the defaults noted per field.
type Options struct {
	ConsumerKey    string // default DefaultConsumerKey
	ConsumerSecret string // default DefaultConsumerSecret
	Permissions    string // PermRead, PermWrite or PermReadWrite (default)
	// TLS serves https (httptest certificate; use Fake.HTTPClient). Basic auth works only
	// over TLS, as on a real site.
	TLS bool
	// WebhookSecret signs deliveries of webhooks created without a secret (WooCommerce would
	// generate a random one) and of webhooks added with AddWebhook. Default DefaultWebhookSecret.
	WebhookSecret string
	Webhooks      WebhookKnobs
	Logger        zerolog.Logger
	Now           func() time.Time // default time.Now
	Seed          uint64           // randomness of Simulate and webhook knobs, default 1
	// Location is the site time zone of the date_* fields (date_*_gmt are UTC). Default UTC;
	// data from internal/gen uses Europe/Berlin.
	Location *time.Location
	// OmitAdmin leaves out user 1 (role administrator), which a real store always has and
	// which role=all lists.
	OmitAdmin bool
	// PlainPermalinks serves the REST API only at /?rest_route=/wc/v3/...; /wp-json/... then
	// answers the theme's HTML 404, as on a site without pretty permalinks.
	PlainPermalinks bool
	SiteName        string // default "Fake Woo Shop"
}

// WebhookKnobs make deliveries behave like the real thing at its worst. Delays and timeouts
// are real time: tests compress the timeline by choosing small values.
type WebhookKnobs struct {
	// Timeout per delivery and per ping; WooCommerce waits 60 s. Default 10s.
	Timeout time.Duration
	// Delay holds every delivery back this long (Action Scheduler runs asynchronously).
	Delay time.Duration
	// DuplicateProb is the probability a delivery is performed twice in a row (a queue job
	// that ran twice); within the same second both carry the same X-WC-Webhook-Delivery-ID.
	DuplicateProb float64
	// DropProb is the probability a delivery never reaches the receiver (connection refused
	// on the way); it counts as a failed delivery, as it would on the store.
	DropProb float64
	// UniqueDeliveryIDs replaces WooCommerce's delivery id, wp_hash(webhook id . unix
	// second), which repeats for deliveries of one webhook within a second, with a random one.
	UniqueDeliveryIDs bool
	// PingKeepsActive keeps a webhook active when the creation ping fails, as the REST
	// controller's source does (it ignores the ping's result). By default a failed ping
	// leaves the webhook disabled, as observed on the sample store (see README).
	PingKeepsActive bool
	// Disabled records deliveries in Stats without sending anything (pings included).
	Disabled bool
}

// maxFailures is woocommerce_max_webhook_delivery_failures: a webhook whose failure count
// is already above it is disabled by the next failure.
const maxFailures = 5

func (o *Options) withDefaults() {
	if o.ConsumerKey == "" {
		o.ConsumerKey = DefaultConsumerKey
	}
	if o.ConsumerSecret == "" {
		o.ConsumerSecret = DefaultConsumerSecret
	}
	if o.Permissions == "" {
		o.Permissions = PermReadWrite
	}
	if o.WebhookSecret == "" {
		o.WebhookSecret = DefaultWebhookSecret
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.SiteName == "" {
		o.SiteName = "Fake Woo Shop"
	}
	if o.Webhooks.Timeout == 0 {
		o.Webhooks.Timeout = 10 * time.Second
	}
}
