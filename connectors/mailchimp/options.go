package mailchimp

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Mailchimp's documented limits the client is built around.
const (
	// MaxConnections is Mailchimp's limit of simultaneous connections per API key; beyond it
	// the API answers 429 TooManyRequests.
	MaxConnections = 10
	// DefaultBatchSize is how many changes one Apply takes by default: the 500-member limit
	// of Mailchimp's list batch endpoints (batch subscribe, static segment add/remove). The
	// /batches endpoint itself documents no operation limit; 500 keeps one result archive
	// small and one failed call's retry cheap.
	DefaultBatchSize = 500
	// MaxBatchSize bounds Options.BatchSize: the page size limit (count <= 1000) of the API.
	MaxBatchSize = 1000
)

// Options configure a Client. APIKey and AudienceID are required.
type Options struct {
	// APIKey is the Marketing API key, "<32 hex>-<dc>" (for example "...-us21"). It is sent
	// only to BaseURL (HTTP basic auth), never to the batch result storage URL, and never
	// appears in logs or errors.
	APIKey string
	// AudienceID is the list (audience) id whose members get the tags.
	AudienceID string
	// BaseURL is the API root; default https://<dc>.api.mailchimp.com/3.0 from the key's
	// data-center suffix. Tests and the demo point it at mailchimpfake's URL().
	BaseURL string
	// HTTPClient provides the transport; default a client with no overall timeout
	// (RequestTimeout bounds each request).
	HTTPClient *http.Client
	// Logger receives debug lines about batches, retries and 429s (no addresses, no key).
	Logger zerolog.Logger
	// MaxConnections bounds simultaneous API requests of this Client; default and maximum
	// MaxConnections (10). Share one Client per API key: the limit is per key.
	MaxConnections int
	// RequestsPerSecond is a steady cap on API requests (golang.org/x/time/rate, burst
	// MaxConnections); default 10.
	// Mailchimp publishes no request rate, only the connection limit; batching keeps the
	// request count low, so this cap only matters for polling and status passes.
	RequestsPerSecond float64
	// BatchSize is how many changes one Apply should get; default DefaultBatchSize, at most
	// MaxBatchSize.
	BatchSize int
	// RequestTimeout bounds one HTTP request; default 120 s (Mailchimp's own timeout).
	RequestTimeout time.Duration
	// MaxAttempts bounds the tries of one request on 429, 5xx and network errors; default 5.
	MaxAttempts int
	// RetryBase and RetryMax shape the exponential backoff when no Retry-After is given;
	// defaults 1 s and 30 s.
	RetryBase, RetryMax time.Duration
	// PollMin and PollMax bound the wait between batch status polls; defaults 1 s and 30 s.
	// The first poll waits as long as the batch is expected to take (learned from earlier
	// batches), so most batches cost one poll.
	PollMin, PollMax time.Duration
	// BatchTimeout is how long a batch may stay unfinished before Apply gives up on it with a
	// transient error (a stalled batch queue must not stall the sync silently); default 30 min.
	BatchTimeout time.Duration
}

var (
	apiKeyRe     = regexp.MustCompile(`^[0-9a-zA-Z]+-([a-z]+[0-9]+)$`)
	audienceIDRe = regexp.MustCompile(`^[0-9a-zA-Z]+$`)
)

func (o *Options) withDefaults() error {
	var errs []error
	o.APIKey = strings.TrimSpace(o.APIKey)
	o.AudienceID = strings.TrimSpace(o.AudienceID)
	if o.APIKey == "" {
		errs = append(errs, errors.New("api_key is required"))
	}
	switch {
	case o.AudienceID == "":
		errs = append(errs, errors.New("audience_id is required"))
	case !audienceIDRe.MatchString(o.AudienceID):
		errs = append(errs, fmt.Errorf("audience_id %q is not a Mailchimp list id (letters and digits)", o.AudienceID))
	}
	if o.BaseURL == "" && o.APIKey != "" {
		m := apiKeyRe.FindStringSubmatch(o.APIKey)
		if m == nil {
			errs = append(errs, errors.New(`api_key has no data-center suffix (like "-us21"); set base_url or use the full key`))
		} else {
			o.BaseURL = "https://" + m[1] + ".api.mailchimp.com/3.0"
		}
	}
	if o.BaseURL != "" {
		u, err := url.Parse(o.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("base_url %q is not an http(s) URL", o.BaseURL))
		}
		o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	}
	switch {
	case o.MaxConnections == 0:
		o.MaxConnections = MaxConnections
	case o.MaxConnections < 0 || o.MaxConnections > MaxConnections:
		errs = append(errs, fmt.Errorf("max_connections %d is outside 1..%d (Mailchimp's limit per API key)", o.MaxConnections, MaxConnections))
	}
	switch {
	case o.BatchSize == 0:
		o.BatchSize = DefaultBatchSize
	case o.BatchSize < 0 || o.BatchSize > MaxBatchSize:
		errs = append(errs, fmt.Errorf("batch_size %d is outside 1..%d", o.BatchSize, MaxBatchSize))
	}
	if o.RequestsPerSecond < 0 {
		errs = append(errs, fmt.Errorf("requests_per_second %v is negative", o.RequestsPerSecond))
	}
	for name, d := range map[string]time.Duration{
		"request_timeout": o.RequestTimeout, "retry_base": o.RetryBase, "retry_max": o.RetryMax,
		"poll_min": o.PollMin, "poll_max": o.PollMax, "batch_timeout": o.BatchTimeout,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s %s is negative", name, d))
		}
	}
	if o.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("max_attempts %d is negative", o.MaxAttempts))
	}
	if len(errs) > 0 {
		return fmt.Errorf("mailchimp: options: %w", errors.Join(errs...))
	}
	setDefault(&o.RequestsPerSecond, 10)
	setDefault(&o.RequestTimeout, 120*time.Second)
	setDefault(&o.MaxAttempts, 5)
	setDefault(&o.RetryBase, time.Second)
	setDefault(&o.RetryMax, 30*time.Second)
	setDefault(&o.PollMin, time.Second)
	setDefault(&o.PollMax, 30*time.Second)
	setDefault(&o.BatchTimeout, 30*time.Minute)
	if o.PollMax < o.PollMin {
		o.PollMax = o.PollMin
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	return nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}
