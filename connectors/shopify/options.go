package shopify

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

// DefaultAPIVersion is the Admin API version sent when Options.APIVersion is empty. It is the
// version of the schema the documents are validated against.
const DefaultAPIVersion = "2025-04"

// Options configure a Client. Only Shop and AccessToken are required.
type Options struct {
	// Shop is the shop's name ("acme"), its domain ("acme.myshopify.com") or a base URL
	// ("http://127.0.0.1:8080", the fake Shopify in tests and the demo).
	Shop string
	// AccessToken is the Admin API access token (shpat_...). It is sent only to the shop, never
	// to bulk/staged storage URLs, and never appears in logs or errors.
	AccessToken string
	// APIVersion is the Admin API version, "YYYY-MM" or "unstable"; default DefaultAPIVersion.
	APIVersion string
	// Logger receives debug lines about retries, throttling and bulk progress (no PII, no token).
	Logger zerolog.Logger
	// HTTPClient, if set, provides the Transport for every request (its Timeout is not used).
	HTTPClient *http.Client
	// RequestTimeout bounds one GraphQL round trip; default 60 s.
	RequestTimeout time.Duration
	// MaxAttempts bounds the tries of one request on 5xx, 429 and network errors; default 6.
	MaxAttempts int
	// MaxThrottledRetries bounds the retries of one request answered THROTTLED; default 20.
	MaxThrottledRetries int
	// RetryBase and RetryMax shape the exponential backoff with full jitter; defaults 1 s, 30 s.
	RetryBase, RetryMax time.Duration
	// BulkPollMin and BulkPollMax shape WaitBulk's polling backoff; defaults 250 ms, 5 s (a
	// bulk_operations/finish webhook wakes it sooner).
	BulkPollMin, BulkPollMax time.Duration
	// MaxLineBytes is the longest JSONL line DownloadBulk accepts; default 64 MiB.
	MaxLineBytes int
	// FirstCostEstimate is the cost assumed for a document not seen yet; default 1000 (the
	// most a single Admin query may request, so the first use of a document never throttles).
	FirstCostEstimate float64
}

var (
	apiVersionRe = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}$`)
	shopNameRe   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*(\.myshopify\.com)?$`)
)

// localShopName is the shop name given to go-shopify when Options.Shop is a base URL; the
// rewriting transport recognises its host and sends the request to the base URL instead.
const localShopName = "cohortd-local"

func (o *Options) withDefaults() error {
	if strings.TrimSpace(o.AccessToken) == "" {
		return errors.New("shopify: options: access_token is required")
	}
	if o.APIVersion == "" {
		o.APIVersion = DefaultAPIVersion
	}
	if !apiVersionRe.MatchString(o.APIVersion) && o.APIVersion != "unstable" {
		return fmt.Errorf("shopify: options: api_version %q is not YYYY-MM or unstable", o.APIVersion)
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 60 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 6
	}
	if o.MaxThrottledRetries <= 0 {
		o.MaxThrottledRetries = 20
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
	if o.BulkPollMin <= 0 {
		o.BulkPollMin = 250 * time.Millisecond
	}
	if o.BulkPollMax <= 0 {
		o.BulkPollMax = 5 * time.Second
	}
	if o.BulkPollMax < o.BulkPollMin {
		o.BulkPollMax = o.BulkPollMin
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = 64 << 20
	}
	if o.FirstCostEstimate <= 0 {
		o.FirstCostEstimate = 1000
	}
	return nil
}

// shopTarget resolves Options.Shop into the name handed to go-shopify and, for a base URL,
// the URL requests are rewritten to.
func shopTarget(shop string) (name string, base *url.URL, err error) {
	shop = strings.TrimSpace(shop)
	if shop == "" {
		return "", nil, errors.New("shopify: options: shop is required")
	}
	if strings.Contains(shop, "://") {
		u, err := url.Parse(shop)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return "", nil, fmt.Errorf("shopify: options: shop %q is not a shop name or an http(s) base URL", shop)
		}
		u.Path = strings.TrimSuffix(u.Path, "/")
		u.RawQuery, u.Fragment = "", ""
		return localShopName, u, nil
	}
	lower := strings.ToLower(shop)
	if !shopNameRe.MatchString(lower) {
		return "", nil, fmt.Errorf("shopify: options: shop %q is not a shop name (name or name.myshopify.com)", shop)
	}
	return lower, nil, nil
}

// rewriteTransport sends go-shopify's requests (always https://NAME.myshopify.com/...) to a
// configured base URL; requests for any other host (bulk result files, staged uploads) pass.
type rewriteTransport struct {
	host string   // go-shopify's host, e.g. cohortd-local.myshopify.com
	base *url.URL // where to send them
	next http.RoundTripper
}

func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != t.host {
		return t.next.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.URL.Scheme = t.base.Scheme
	r.URL.Host = t.base.Host
	r.URL.Path = t.base.Path + req.URL.Path
	r.Host = t.base.Host
	return t.next.RoundTrip(r)
}
