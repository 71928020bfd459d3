package shopify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"sync/atomic"
	"time"

	goshopify "github.com/bold-commerce/go-shopify/v4"
	"github.com/rs/zerolog"
)

// Client is a Shopify Admin GraphQL client. It is safe for concurrent use: calls are
// serialised (one request in flight per client, which is also what keeps the cost mirror
// exact), and every wait (cost limiter, retry backoff, bulk polling) ends when its context does.
type Client struct {
	opts     Options
	gs       *goshopify.Client // not safe for concurrent use: touched only while holding slot
	slot     chan struct{}     // capacity 1: the request in flight
	limiter  *costLimiter
	download *http.Client // bulk result files and staged uploads: no token, no overall timeout
	log      zerolog.Logger

	requests, throttled, retries, pointsUsed, waitNanos atomic.Int64
}

// New builds a client. go-shopify's own retries are disabled (WithRetry(1): its HTTP loop
// returns the first error when retries <= 1 and its GraphQL loop gives up once
// attempts >= retries; both sleep with time.Sleep, deaf to the context), and the API version
// is always set explicitly.
func New(opts Options) (*Client, error) {
	if err := opts.withDefaults(); err != nil {
		return nil, err
	}
	name, base, err := shopTarget(opts.Shop)
	if err != nil {
		return nil, err
	}
	var rt http.RoundTripper = http.DefaultTransport
	if opts.HTTPClient != nil && opts.HTTPClient.Transport != nil {
		rt = opts.HTTPClient.Transport
	}
	gqlTransport := rt
	if base != nil {
		gqlTransport = &rewriteTransport{host: goshopify.ShopFullName(name), base: base, next: rt}
	}
	gs, err := goshopify.NewClient(goshopify.App{}, name, opts.AccessToken,
		goshopify.WithVersion(opts.APIVersion),
		goshopify.WithRetry(1),
		goshopify.WithLogger(quietLogger{}),
		goshopify.WithHTTPClient(&http.Client{Transport: gqlTransport, Timeout: opts.RequestTimeout}),
	)
	if err != nil {
		return nil, redact(fmt.Errorf("shopify: new client: %w", err), opts.AccessToken)
	}
	return &Client{
		opts:     opts,
		gs:       gs,
		slot:     make(chan struct{}, 1),
		limiter:  newCostLimiter(opts.FirstCostEstimate, time.Now),
		download: &http.Client{Transport: rt},
		log:      opts.Logger,
	}, nil
}

// quietLogger drops go-shopify's log lines: at debug level they hold whole request and
// response bodies (customer emails, addresses), which must not reach the logs.
type quietLogger struct{}

func (quietLogger) Debugf(string, ...any) {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Warnf(string, ...any)  {}

// Stats are the client's counters since New, for metrics and benchmarks.
type Stats struct {
	Requests    int64         // GraphQL round trips that got an answer
	Throttled   int64         // answers THROTTLED (the limiter's goal is zero)
	Retries     int64         // retries after 5xx, 429, network errors or THROTTLED
	PointsUsed  int64         // sum of actualQueryCost
	LimiterWait time.Duration // time spent waiting for the cost bucket
	Bucket      Bucket        // the mirror of the shop's cost bucket
}

// Stats returns a snapshot of the counters.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:    c.requests.Load(),
		Throttled:   c.throttled.Load(),
		Retries:     c.retries.Load(),
		PointsUsed:  c.pointsUsed.Load(),
		LimiterWait: time.Duration(c.waitNanos.Load()),
		Bucket:      c.limiter.bucket(),
	}
}

// APIVersion is the Admin API version every request is sent with.
func (c *Client) APIVersion() string { return c.opts.APIVersion }

type gqlErrorJSON struct {
	Message    string `json:"message"`
	Path       []any  `json:"path"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

type gqlResponse struct {
	Data       json.RawMessage `json:"data"`
	Errors     []gqlErrorJSON  `json:"errors"`
	Extensions *struct {
		Cost *queryCost `json:"cost"`
	} `json:"extensions"`
}

var opNameRe = regexp.MustCompile(`^\s*(?:query|mutation)\s+([_A-Za-z][_0-9A-Za-z]*)`)

// operationName is the document's operation name, for errors and logs.
func operationName(doc string) string {
	if m := opNameRe.FindStringSubmatch(doc); m != nil {
		return m[1]
	}
	return "query"
}

// costKey identifies a document for cost learning: its text and page size, since
// requestedQueryCost grows with "first".
func costKey(doc string, vars map[string]any) string {
	if f, ok := vars["first"]; ok {
		return doc + "\x00first=" + fmt.Sprint(f)
	}
	return doc
}

// Do sends one GraphQL document and decodes its "data" into out (a pointer, or nil). Top-level
// GraphQL errors come back as *GraphQLError (partial data is still decoded); permanent HTTP
// failures as *HTTPError wrapping ErrUnauthorized, ErrForbidden, ErrNotFound...; transient
// ones are retried with backoff until Options.MaxAttempts. Do does not look at userErrors: the
// typed methods do.
func (c *Client) Do(ctx context.Context, doc string, vars map[string]any, out any) error {
	op := operationName(doc)
	data, err := c.call(ctx, op, doc, vars)
	if len(data) > 0 && string(data) != "null" && out != nil {
		if uerr := json.Unmarshal(data, out); uerr != nil && err == nil {
			err = fmt.Errorf("shopify: %s: decode data: %w", op, uerr)
		}
	}
	return redact(err, c.opts.AccessToken)
}

func (c *Client) call(ctx context.Context, op, doc string, vars map[string]any) (json.RawMessage, error) {
	body, err := json.Marshal(struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables,omitempty"`
	}{doc, vars})
	if err != nil {
		return nil, fmt.Errorf("shopify: %s: encode variables: %w", op, err)
	}
	key := costKey(doc, vars)
	failures, throttles := 0, 0
	for {
		resp, err := c.roundTrip(ctx, key, body)
		if err == nil && len(resp.Errors) == 0 {
			return resp.Data, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("shopify: %s: %w", op, ctx.Err())
		}
		var after time.Duration
		if err == nil {
			gerr := graphQLError(op, resp.Errors)
			switch {
			case gerr.HasCode("THROTTLED"):
				c.throttled.Add(1)
				throttles++
				if throttles > c.opts.MaxThrottledRetries {
					return nil, fmt.Errorf("%w: %s: %d THROTTLED answers in a row", ErrThrottled, op, throttles)
				}
				c.retries.Add(1)
				c.log.Debug().Str("op", op).Int("throttles", throttles).Msg("shopify: throttled, waiting for the cost bucket")
				if resp.Extensions != nil && resp.Extensions.Cost != nil && c.limiter.delay(key) > 0 {
					continue // the limiter now knows the bucket and waits exactly as long as needed
				}
				after = c.backoff(throttles) // the answer and the mirror disagree: do not hammer
			case gerr.HasCode("INTERNAL_SERVER_ERROR") && isNull(resp.Data):
				failures++
				if failures >= c.opts.MaxAttempts {
					return resp.Data, gerr
				}
				after = c.backoff(failures)
			default:
				return resp.Data, gerr
			}
		} else {
			retry, retryAfter, perr := c.classify(op, err)
			failures++
			if !retry || failures >= c.opts.MaxAttempts {
				if retry {
					return nil, fmt.Errorf("shopify: %s: giving up after %d attempts: %w", op, failures, perr)
				}
				return nil, perr
			}
			after = max(c.backoff(failures), retryAfter)
			c.log.Debug().Str("op", op).Int("attempt", failures).Dur("backoff", after).Str("error", redact(perr, c.opts.AccessToken).Error()).Msg("shopify: retrying")
		}
		c.retries.Add(1)
		if err := sleepCtx(ctx, after); err != nil {
			return nil, fmt.Errorf("shopify: %s: %w", op, err)
		}
	}
}

// roundTrip sends one request while holding the client's only request slot.
func (c *Client) roundTrip(ctx context.Context, key string, body json.RawMessage) (*gqlResponse, error) {
	select {
	case c.slot <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.slot }()
	waited, err := c.limiter.wait(ctx, key)
	c.waitNanos.Add(int64(waited))
	if err != nil {
		return nil, err
	}
	c.limiter.spend(key)
	var resp gqlResponse
	err = c.gs.Post(ctx, "graphql.json", body, &resp)
	if err != nil {
		return nil, err
	}
	c.requests.Add(1)
	if resp.Extensions != nil && resp.Extensions.Cost != nil {
		cost := resp.Extensions.Cost
		c.limiter.observe(key, cost)
		if cost.ActualQueryCost != nil {
			c.pointsUsed.Add(int64(*cost.ActualQueryCost))
		}
	}
	return &resp, nil
}

func graphQLError(op string, errs []gqlErrorJSON) *GraphQLError {
	g := &GraphQLError{Operation: op}
	for _, e := range errs {
		g.Errors = append(g.Errors, GraphQLErrorItem{Message: e.Message, Path: e.Path, Code: e.Extensions.Code})
	}
	return g
}

func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

// classify maps an error from go-shopify to retry-or-not and the error to return.
func (c *Client) classify(op string, err error) (retry bool, after time.Duration, out error) {
	var rl goshopify.RateLimitError
	if errors.As(err, &rl) {
		return true, time.Duration(rl.RetryAfter) * time.Second, fmt.Errorf("shopify: %s: HTTP 429 (retry after %ds)", op, rl.RetryAfter)
	}
	status, msg := 0, ""
	var re goshopify.ResponseError
	var de goshopify.ResponseDecodingError
	switch {
	case errors.As(err, &re):
		status, msg = re.Status, re.Error()
	case errors.As(err, &de):
		status = de.Status
	}
	if status == 0 {
		// Network errors, timeouts, a 2xx body cut short: transient.
		return true, 0, fmt.Errorf("shopify: %s: %w", op, redact(err, c.opts.AccessToken))
	}
	msg = redact(errors.New(msg), c.opts.AccessToken).Error()
	switch {
	case status == http.StatusUnauthorized:
		return false, 0, &HTTPError{Status: status, Message: msg, kind: ErrUnauthorized}
	case status == http.StatusForbidden:
		return false, 0, &HTTPError{Status: status, Message: msg, kind: ErrForbidden}
	case status == http.StatusNotFound:
		return false, 0, &HTTPError{Status: status, Message: msg, kind: ErrNotFound,
			text: fmt.Sprintf("shopify: API version %s not found (404) (or no such shop)", c.opts.APIVersion)}
	case status == http.StatusPaymentRequired || status == http.StatusLocked:
		return false, 0, &HTTPError{Status: status, Message: msg, kind: ErrShopUnavailable,
			text: fmt.Sprintf("shopify: shop unavailable (%d): frozen, closed or locked", status)}
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
		return true, 0, &HTTPError{Status: status, Message: msg}
	default:
		return false, 0, &HTTPError{Status: status, Message: msg, text: "shopify: " + op + ": HTTP " + strconv.Itoa(status) + ": " + msg}
	}
}

// backoff is the n-th (1-based) retry delay: exponential from RetryBase, capped at RetryMax,
// with equal jitter (half fixed, half random) so clients that failed together spread out.
func (c *Client) backoff(n int) time.Duration {
	d := c.opts.RetryBase
	for i := 1; i < n && d < c.opts.RetryMax; i++ {
		d *= 2
	}
	d = min(d, c.opts.RetryMax)
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
