package woocommerce

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// APIPath is where the WooCommerce REST API v3 lives under a site's home URL.
const APIPath = "/wp-json/wc/v3"

// MaxPerPage is the largest per_page WooCommerce accepts (more is a 400 rest_invalid_param).
const MaxPerPage = 100

// MaxBatch is the largest batch WooCommerce accepts by default (more is a 413).
const MaxBatch = 100

// Options configure a Client. URL, ConsumerKey and ConsumerSecret are required.
type Options struct {
	// URL is the site's home URL ("https://shop.example.com", "http://127.0.0.1:8080"). The
	// API is URL + APIPath; a URL that already ends in /wp-json or /wp-json/wc/v3 is accepted.
	// Over https the client authenticates with HTTP Basic, over http with OAuth 1.0a
	// one-legged signatures (WooCommerce refuses Basic over plain http). Under OAuth the
	// signature covers this URL: it must be the site's home URL as WordPress knows it.
	URL string
	// ConsumerKey and ConsumerSecret are a WooCommerce REST API key (ck_..., cs_...), with
	// Read/Write permission for write-back and webhook set-up. The secret never appears in
	// logs or errors.
	ConsumerKey, ConsumerSecret string
	// HTTPClient, if set, provides the Transport (its Timeout and CheckRedirect are not used:
	// RequestTimeout bounds each attempt and redirects are never followed).
	HTTPClient *http.Client
	// Logger receives debug lines about retries and warnings about odd answers (no PII, no
	// secrets, no query strings).
	Logger zerolog.Logger
	// PerPage is the page size of list calls; default and maximum MaxPerPage.
	PerPage int
	// Parallel bounds the pages ForEach fetches at once once the page count is known;
	// default 4.
	Parallel int
	// MaxAttempts bounds the tries of one request on 429, 5xx and network errors; default 5.
	MaxAttempts int
	// RetryBase and RetryMax shape the exponential backoff (with jitter); defaults 1 s, 30 s.
	// A Retry-After header longer than the backoff is honoured, up to MaxRetryAfter.
	RetryBase, RetryMax time.Duration
	// MaxRetryAfter caps how long one Retry-After may make the client wait; default 5 min.
	MaxRetryAfter time.Duration
	// RequestTimeout bounds one attempt, body included; default 60 s.
	RequestTimeout time.Duration
	// RequestsPerSecond limits the request rate to the store (shared hosting throttles or
	// bans bursts); 0 means no limit.
	RequestsPerSecond float64
	// MaxBodyBytes bounds a response body; default 64 MiB.
	MaxBodyBytes int64
	// Now and Nonce supply the OAuth timestamp and nonce; defaults time.Now and 32 random
	// alphanumeric characters. For tests.
	Now   func() time.Time
	Nonce func() string
}

func (o *Options) withDefaults() (*url.URL, error) {
	if strings.TrimSpace(o.ConsumerKey) == "" || strings.TrimSpace(o.ConsumerSecret) == "" {
		return nil, errors.New("woocommerce: options: consumer_key and consumer_secret are required")
	}
	u, err := url.Parse(strings.TrimSpace(o.URL))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("woocommerce: options: url %q is not an http(s) URL of the site", clipString(o.URL, 100))
	}
	if u.User != nil {
		return nil, errors.New("woocommerce: options: url must not carry credentials; set consumer_key and consumer_secret")
	}
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimRight(u.Path, "/")
	u.Path = strings.TrimSuffix(u.Path, APIPath)
	u.Path = strings.TrimSuffix(u.Path, "/wp-json")
	u.RawPath = ""
	switch {
	case o.PerPage <= 0:
		o.PerPage = MaxPerPage
	case o.PerPage > MaxPerPage:
		return nil, fmt.Errorf("woocommerce: options: per_page %d is above WooCommerce's limit of %d", o.PerPage, MaxPerPage)
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.RetryBase <= 0 {
		o.RetryBase = time.Second
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 30 * time.Second
	}
	if o.RetryMax < o.RetryBase {
		o.RetryMax = o.RetryBase
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 5 * time.Minute
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 60 * time.Second
	}
	if o.RequestsPerSecond < 0 {
		return nil, errors.New("woocommerce: options: requests_per_second must not be negative")
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 64 << 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Nonce == nil {
		o.Nonce = newNonce
	}
	return u, nil
}

// clipString bounds a string quoted in an error.
func clipString(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
