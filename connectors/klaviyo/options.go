package klaviyo

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// DefaultBaseURL is Klaviyo's API host.
const DefaultBaseURL = "https://a.klaviyo.com"

// DefaultRevision is the API revision the client speaks (the revision header).
const DefaultRevision = "2026-07-15"

// DefaultBatchSize is the most changes one Apply takes: one bulk import job's worth
// (10,000 profiles), ten full list relationship calls per list.
const DefaultBatchSize = 10000

// Options configure a Client. Zero values get the defaults noted per field.
type Options struct {
	// APIKey is the private API key (scopes: profiles:read/write, lists:read/write,
	// data-privacy:write). Required.
	APIKey string
	// Revision is the API revision header, default DefaultRevision.
	Revision string
	// BaseURL is the API host, default DefaultBaseURL; tests and the demo point it at
	// klaviyofake.
	BaseURL string
	// CreateLists creates a list named after the segment when an added-to list does not
	// exist; without it such changes fail permanently.
	CreateLists bool
	// HTTPClient sends the requests, default a client with a 60 s timeout.
	HTTPClient *http.Client
	// Logger receives debug lines per call and warnings on retries; addresses are masked.
	Logger zerolog.Logger
	// BatchSize is what BatchSize() reports, default DefaultBatchSize; at least 1.
	BatchSize int
	// Concurrency is the most requests in flight at once, default 4.
	Concurrency int
	// MaxRetries is how often one request is retried after a 429 or a 5xx/network error,
	// default 3.
	MaxRetries int
	// MaxRetryWait is the longest Retry-After the client waits out itself; a longer one is
	// returned to the engine as email.RateLimited. Default 30 s.
	MaxRetryWait time.Duration
	// BulkThreshold: a batch with more profile writes than this uses one bulk import job
	// instead of one profile import call each. Default 5.
	BulkThreshold int
	// JobPollInterval is the first wait before polling a bulk import job (it grows by half
	// each poll up to 5 s), default 500 ms; JobTimeout bounds the wait, default 10 min.
	JobPollInterval, JobTimeout time.Duration
	// PropertyPrefix prefixes cohortd's profile property names (cohort_rfm_group, ...),
	// default "cohort_".
	PropertyPrefix string
}

func (o *Options) validate() error {
	var errs []error
	o.APIKey = strings.TrimSpace(o.APIKey)
	if o.APIKey == "" {
		errs = append(errs, errors.New("api_key is required (a Klaviyo private API key)"))
	} else if strings.ContainsAny(o.APIKey, " \t\r\n") {
		errs = append(errs, errors.New("api_key must not contain white space"))
	}
	if o.Revision == "" {
		o.Revision = DefaultRevision
	} else if !validRevision(o.Revision) {
		errs = append(errs, fmt.Errorf("revision %q is not of the form YYYY-MM-DD", o.Revision))
	}
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	if u, err := url.Parse(o.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("base_url %q is not an http(s) URL", o.BaseURL))
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if o.BatchSize < 0 || o.Concurrency < 0 || o.MaxRetries < 0 || o.BulkThreshold < 0 || o.MaxRetryWait < 0 || o.JobPollInterval < 0 || o.JobTimeout < 0 {
		errs = append(errs, errors.New("batch_size, concurrency, max_retries, bulk_threshold and the durations must not be negative"))
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Concurrency == 0 {
		o.Concurrency = 4
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 3
	}
	if o.MaxRetryWait == 0 {
		o.MaxRetryWait = 30 * time.Second
	}
	if o.BulkThreshold == 0 {
		o.BulkThreshold = 5
	}
	if o.JobPollInterval == 0 {
		o.JobPollInterval = 500 * time.Millisecond
	}
	if o.JobTimeout == 0 {
		o.JobTimeout = 10 * time.Minute
	}
	if o.PropertyPrefix == "" {
		o.PropertyPrefix = "cohort_"
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("klaviyo: options: %w", err)
	}
	return nil
}

func validRevision(s string) bool {
	date, _, _ := strings.Cut(s, ".")
	_, err := time.Parse("2006-01-02", date)
	return err == nil
}
