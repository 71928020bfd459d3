package listmonk

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Defaults. listmonk publishes no API rate limit (it is self-hosted); the defaults keep a
// small install's Postgres comfortable and are meant to be raised for big ones.
const (
	DefaultRequestsPerSecond = 200
	DefaultBurst             = 20
	DefaultMaxConcurrency    = 4
	// DefaultLookupSize is how many addresses one lookup query names. 100 addresses keep
	// the URL (GET /api/subscribers?query=LOWER(subscribers.email) IN (...)) well under
	// 8 KiB, the default request-line limit of nginx in front of most installs.
	DefaultLookupSize = 100
	// DefaultMembershipChunk is how many subscriber ids one PUT /api/subscribers/lists
	// carries (listmonk documents no limit; one INSERT ... UNNEST per call).
	DefaultMembershipChunk = 1000
	DefaultBatchSize       = 1000
	// DefaultPageSize is per_page for paging (listmonk caps per_page at 50).
	DefaultPageSize   = 50
	DefaultAttribsKey = "cohortd"
)

// Options configure a Client. URL, Username and Token are required.
type Options struct {
	// URL is the listmonk install's root URL ("https://lists.example.com"; in tests and the
	// demo the fake's URL). listmonk is self-hosted: there is no default.
	URL string
	// Username and Token are an API user's credentials (listmonk v4+: Admin > Users > New
	// API user), sent as "Authorization: token Username:Token". The role needs
	// subscribers:get_all, subscribers:manage, subscribers:sql_query, lists:get_all and
	// lists:manage_all. The token never appears in logs or errors.
	Username, Token string
	// CreateLists creates a missing list when a change adds someone to it; off, such a
	// change fails permanently with "list ... does not exist".
	CreateLists bool
	// NewListOptin is the opt-in type of lists the connector creates: "double" (default) or
	// "single". listmonk mails unconfirmed members of single opt-in lists, so "single" is
	// only right when every contact sent has recorded consent (audience: subscribers); the
	// connector refuses to add a contact without consent to a single opt-in list either way.
	NewListOptin string
	// AttribsKey is the attribs key under which properties are kept ({"cohortd": {...}});
	// default "cohortd".
	AttribsKey string
	// HTTPClient provides the transport; default a client with no timeout of its own
	// (RequestTimeout bounds each request).
	HTTPClient *http.Client
	// Logger receives retries, rate limits and list creation (ids and masked addresses only).
	Logger zerolog.Logger
	// RequestTimeout bounds one request; default 30 s.
	RequestTimeout time.Duration
	// MaxAttempts bounds the tries of one request on 5xx, 429 and network errors; default 4.
	MaxAttempts int
	// RetryBase and RetryMax shape the exponential backoff with jitter; defaults 500 ms, 10 s.
	RetryBase, RetryMax time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits for in place; a longer one
	// ends the request with email.RateLimited. Default 30 s.
	MaxRetryAfter time.Duration
	// RequestsPerSecond and Burst shape the client's token bucket; defaults 200 and 20. A
	// negative RequestsPerSecond switches the bucket off.
	RequestsPerSecond float64
	Burst             int
	// MaxConcurrency bounds the requests in flight; default 4.
	MaxConcurrency int
	// LookupSize, MembershipChunk, BatchSize and PageSize: see the Default* constants.
	LookupSize, MembershipChunk, BatchSize, PageSize int
}

func (o *Options) withDefaults() (*url.URL, error) {
	raw := strings.TrimSpace(o.URL)
	if raw == "" {
		return nil, errors.New("listmonk: options: url is required (the listmonk install's root URL)")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("listmonk: options: url %q is not an http(s) URL", raw)
	}
	if u.User != nil {
		return nil, errors.New("listmonk: options: url must not carry credentials; use username and token")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	if strings.TrimSpace(o.Username) == "" {
		return nil, errors.New("listmonk: options: username is required (an API user's name)")
	}
	if strings.Contains(o.Username, ":") {
		return nil, errors.New("listmonk: options: username must not contain ':'")
	}
	if strings.TrimSpace(o.Token) == "" {
		return nil, errors.New("listmonk: options: token is required (the API user's token)")
	}
	switch o.NewListOptin {
	case "":
		o.NewListOptin = "double"
	case "single", "double":
	default:
		return nil, fmt.Errorf("listmonk: options: new_list_optin %q is not single or double", o.NewListOptin)
	}
	if o.AttribsKey == "" {
		o.AttribsKey = DefaultAttribsKey
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 30 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 4
	}
	if o.RetryBase <= 0 {
		o.RetryBase = 500 * time.Millisecond
	}
	if o.RetryMax < o.RetryBase {
		o.RetryMax = max(10*time.Second, o.RetryBase)
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 30 * time.Second
	}
	if o.RequestsPerSecond == 0 {
		o.RequestsPerSecond = DefaultRequestsPerSecond
	}
	if o.Burst <= 0 {
		o.Burst = DefaultBurst
	}
	if o.MaxConcurrency <= 0 {
		o.MaxConcurrency = DefaultMaxConcurrency
	}
	if o.LookupSize <= 0 {
		o.LookupSize = DefaultLookupSize
	}
	if o.MembershipChunk <= 0 {
		o.MembershipChunk = DefaultMembershipChunk
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	return u, nil
}
