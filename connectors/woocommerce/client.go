package woocommerce

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/time/rate"
)

// Client talks to one WooCommerce store's REST API v3. It is safe for concurrent use: every
// request is built, signed and retried independently; the rate limiter is shared.
type Client struct {
	opts    Options
	site    *url.URL // the home URL, no trailing slash
	basic   bool     // https: HTTP Basic; http: OAuth 1.0a
	hc      *http.Client
	limiter *rate.Limiter // nil: unlimited
	log     zerolog.Logger

	// sleep waits between attempts; tests replace it to observe the waits.
	sleep func(ctx context.Context, d time.Duration) error

	requests atomic.Int64
}

// New validates opts and returns a Client.
func New(opts Options) (*Client, error) {
	site, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	var transport http.RoundTripper = http.DefaultTransport
	if opts.HTTPClient != nil && opts.HTTPClient.Transport != nil {
		transport = opts.HTTPClient.Transport
	}
	c := &Client{
		opts:  opts,
		site:  site,
		basic: site.Scheme == "https",
		hc: &http.Client{
			Transport: transport,
			// A signed request cannot follow a redirect (the signature covers the URL), and
			// Basic credentials must not travel to another URL: the redirect is reported.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		log:   opts.Logger,
		sleep: sleepCtx,
	}
	if opts.RequestsPerSecond > 0 {
		burst := max(1, int(opts.RequestsPerSecond))
		c.limiter = rate.NewLimiter(rate.Limit(opts.RequestsPerSecond), burst)
	}
	return c, nil
}

// Requests returns how many HTTP requests the client has sent (attempts included).
func (c *Client) Requests() int64 { return c.requests.Load() }

// APIURL is the base of every call: the site URL + APIPath.
func (c *Client) APIURL() string { return c.site.String() + APIPath }

// call is one logical API request.
type call struct {
	method   string
	resource string     // relative to APIPath: "customers", "orders/12/refunds"
	query    url.Values // without auth parameters
	body     []byte     // JSON, or nil
	// idempotent requests are retried on 5xx and network errors; others only when the
	// request certainly was not processed (429, connection refused).
	idempotent bool
}

// response is a successful (2xx) answer with a JSON body.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends cl, retrying what may be retried, and returns a 2xx JSON answer or an *APIError.
func (c *Client) do(ctx context.Context, cl call) (*response, error) {
	path := c.site.Path + APIPath + "/" + cl.resource
	fail := func(attempts, status int, kind error, code, msg string, cause error) error {
		return &APIError{Method: cl.method, Path: path, Status: status, Code: code, Message: msg, Attempts: attempts, kind: kind, cause: cause}
	}
	for attempt := 1; ; attempt++ {
		if c.limiter != nil {
			if err := c.limiter.Wait(ctx); err != nil {
				return nil, fail(attempt-1, 0, nil, "", "", err)
			}
		}
		res, status, retryAfter, err := c.attempt(ctx, cl, path)
		if err == nil {
			return res, nil
		}
		var ae *APIError
		if errors.As(err, &ae) {
			ae.Attempts = attempt
		}
		if ctx.Err() != nil {
			return nil, fail(attempt, 0, nil, "", "", ctx.Err())
		}
		retry := retryable(err, status, cl.idempotent)
		if !retry || attempt >= c.opts.MaxAttempts {
			if ae == nil {
				// A network failure: say so, with the cause (which holds no query string:
				// url.Error is unwrapped below).
				return nil, fail(attempt, 0, ErrServer, "", "no answer", netCause(err))
			}
			return nil, err
		}
		wait := backoff(c.opts.RetryBase, c.opts.RetryMax, attempt)
		if retryAfter > 0 {
			wait = max(wait, min(retryAfter, c.opts.MaxRetryAfter))
		}
		c.log.Debug().Str("method", cl.method).Str("path", path).Int("status", status).Int("attempt", attempt).
			Dur("wait", wait).Msg("woocommerce: retrying")
		if err := c.sleep(ctx, wait); err != nil {
			return nil, fail(attempt, 0, nil, "", "", err)
		}
	}
}

// attempt sends cl once. It returns the answer, or an error with the HTTP status (0 for a
// network failure) and the Retry-After the server asked for.
func (c *Client) attempt(ctx context.Context, cl call, path string) (*response, int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	req, err := c.newRequest(ctx, cl, path)
	if err != nil {
		return nil, 0, 0, err
	}
	c.requests.Add(1)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, 0, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBodyBytes+1))
	if err != nil {
		return nil, 0, 0, err
	}
	if int64(len(body)) > c.opts.MaxBodyBytes {
		return nil, resp.StatusCode, 0, &APIError{Method: cl.method, Path: path, Status: resp.StatusCode,
			Message: fmt.Sprintf("answer larger than %d bytes", c.opts.MaxBodyBytes), kind: ErrServer}
	}
	retryAfter := parseRetryAfter(resp.Header.Get("Retry-After"), c.opts.Now())
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		json, salvaged, ok := jsonBody(body)
		if !ok {
			return nil, resp.StatusCode, 0, &APIError{Method: cl.method, Path: path, Status: resp.StatusCode,
				Message: describeNonJSON(resp.Header.Get("Content-Type"), body), kind: ErrNotJSON}
		}
		if salvaged {
			c.log.Warn().Str("path", path).Msg("woocommerce: the site prints PHP warnings before its JSON answers (turn off display_errors / WP_DEBUG_DISPLAY)")
		}
		return &response{status: resp.StatusCode, header: resp.Header, body: json}, resp.StatusCode, 0, nil
	}
	return nil, resp.StatusCode, retryAfter, c.statusError(cl, path, resp, body)
}

// newRequest builds one signed attempt: a fresh nonce and timestamp every time (WooCommerce
// refuses a nonce it has seen).
func (c *Client) newRequest(ctx context.Context, cl call, path string) (*http.Request, error) {
	u := *c.site
	u.Path = path
	u.RawPath = ""
	q := cl.query
	if !c.basic {
		q = signQuery(cl.method, &u, q, c.opts.ConsumerKey, c.opts.ConsumerSecret, c.opts.Nonce(), c.opts.Now().Unix())
	}
	u.RawQuery = encodeQuery(q)
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u.String(), body)
	if err != nil {
		return nil, &APIError{Method: cl.method, Path: path, Message: "cannot build the request", kind: ErrBadRequest}
	}
	if c.basic {
		req.SetBasicAuth(c.opts.ConsumerKey, c.opts.ConsumerSecret)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "cohortd (+https://github.com/cohortd/cohortd)")
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// netCause strips the URL (which carries the oauth_signature) from a transport error.
func netCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		msg := ue.Err.Error()
		if ue.Timeout() {
			msg = "timeout: " + msg
		}
		return &netError{msg: msg, err: ue.Err}
	}
	return err
}

// netError is a transport failure without the request URL.
type netError struct {
	msg string
	err error
}

func (e *netError) Error() string { return e.msg }
func (e *netError) Unwrap() error { return e.err }

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// resourcePath checks a resource name given by a caller ("customers", "orders/12/refunds").
func resourcePath(resource string) (string, error) {
	r := strings.Trim(resource, "/")
	if r == "" || strings.ContainsAny(r, "?#%\\ ") || strings.Contains(r, "..") || strings.Contains(r, "//") {
		return "", fmt.Errorf("woocommerce: resource %q is not a wc/v3 resource path", clipString(resource, 60))
	}
	return r, nil
}
