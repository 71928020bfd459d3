package mailchimp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"
)

// maxBody bounds what the client reads from one API answer.
const maxBody = 64 << 20

// Client applies cohortd's changes to one Mailchimp audience. It is safe for concurrent use;
// all its calls share one connection budget (Options.MaxConnections) and one rate limiter.
type Client struct {
	opts    Options
	hc      *http.Client
	log     zerolog.Logger
	sem     chan struct{} // one token per simultaneous API request
	limiter *rate.Limiter // courtesy cap; Mailchimp publishes no request rate, only the connection limit

	mu         sync.Mutex
	pauseUntil time.Time                // set by a 429: every request waits until then
	perOp      map[string]time.Duration // learned batch run time per operation, by batch kind

	mergeMu   sync.Mutex      // serializes merge field discovery and creation
	mergeTags map[string]bool // the audience's merge tags; nil until read
}

// New validates opts and returns a Client. It does not call the network.
func New(opts Options) (*Client, error) {
	if err := opts.withDefaults(); err != nil {
		return nil, err
	}
	return &Client{
		opts:    opts,
		hc:      opts.HTTPClient,
		log:     opts.Logger.With().Str("connector", "mailchimp").Logger(),
		sem:     make(chan struct{}, opts.MaxConnections),
		limiter: rate.NewLimiter(rate.Limit(opts.RequestsPerSecond), opts.MaxConnections),
		perOp:   map[string]time.Duration{},
	}, nil
}

// BatchSize is the most changes one Apply should get.
func (c *Client) BatchSize() int { return c.opts.BatchSize }

// listPath is the audience's API path.
func (c *Client) listPath() string { return "/lists/" + url.PathEscape(c.opts.AudienceID) }

// call sends one API request (path relative to BaseURL) with retries on 429, 5xx and network
// errors, and decodes a 2xx JSON answer into out (if not nil). A final non-2xx answer is
// returned as an error wrapping *APIError, classified with classify; what names the request
// in the error ("start batch").
func (c *Client) call(ctx context.Context, what, method, path string, query url.Values, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return email.Permanent(fmt.Errorf("mailchimp: %s: encode request: %w", what, err))
		}
	}
	u := c.opts.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var last error
	var lastAPI *APIError
	for attempt := 1; ; attempt++ {
		status, data, retryAfter, err := c.send(ctx, method, u, payload)
		switch {
		case err != nil && ctx.Err() != nil:
			return fmt.Errorf("mailchimp: %s: %w", what, ctx.Err())
		case err != nil:
			last, lastAPI = fmt.Errorf("mailchimp: %s: %w", what, err), nil
		case status >= 200 && status < 300:
			if out == nil || len(data) == 0 {
				return nil
			}
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("mailchimp: %s: decode answer: %w", what, err)
			}
			return nil
		default:
			lastAPI = parseAPIError(status, data)
			lastAPI.RetryAfter = retryAfter
			last = fmt.Errorf("mailchimp: %s: %w", what, lastAPI)
			if status != http.StatusTooManyRequests && status < 500 {
				return classify(last, lastAPI)
			}
		}
		if attempt >= c.opts.MaxAttempts {
			return classify(last, lastAPI)
		}
		wait := c.backoff(attempt)
		if retryAfter > 0 {
			wait = retryAfter
		}
		if lastAPI != nil && lastAPI.Status == http.StatusTooManyRequests {
			c.pause(wait)
			c.log.Warn().Str("request", what).Dur("wait", wait).Int("attempt", attempt).Msg("mailchimp answered 429 TooManyRequests; pausing every request")
		} else {
			c.log.Debug().Str("request", what).Dur("wait", wait).Int("attempt", attempt).Err(last).Msg("retrying")
		}
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("mailchimp: %s: %w", what, err)
		}
	}
}

// send makes one HTTP round trip within the connection budget and the rate limit. It returns
// the status, the body and the Retry-After wait of the answer.
func (c *Client) send(ctx context.Context, method, u string, payload []byte) (int, []byte, time.Duration, error) {
	if err := c.waitPause(ctx); err != nil {
		return 0, nil, 0, err
	}
	if err := c.limiter.Wait(ctx); err != nil {
		return 0, nil, 0, err
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return 0, nil, 0, ctx.Err()
	}
	defer func() { <-c.sem }()
	rctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(rctx, method, u, rd)
	if err != nil {
		return 0, nil, 0, err
	}
	req.SetBasicAuth("cohortd", c.opts.APIKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "cohortd-mailchimp")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, 0, redactURLError(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, nil, 0, fmt.Errorf("read answer: %w", err)
	}
	return resp.StatusCode, data, retryAfterOf(resp), nil
}

// redactURLError drops the URL from a transport error: it carries the subscriber hash and
// nothing the reader needs.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// retryAfterOf reads a Retry-After header (seconds or HTTP date). Mailchimp sends none today;
// a proxy in front of it may.
func retryAfterOf(resp *http.Response) time.Duration {
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// backoff is the exponential wait with full jitter before retry number attempt.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.opts.RetryBase << (attempt - 1)
	if d <= 0 || d > c.opts.RetryMax {
		d = c.opts.RetryMax
	}
	return d/2 + rand.N(d/2+1)
}

// pause makes every request of this Client wait d: a 429 means the key's connections are
// taken (perhaps by another program), so backing off only the one request would not help.
func (c *Client) pause(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if until := time.Now().Add(d); until.After(c.pauseUntil) {
		c.pauseUntil = until
	}
}

func (c *Client) waitPause(ctx context.Context) error {
	c.mu.Lock()
	d := time.Until(c.pauseUntil)
	c.mu.Unlock()
	if d <= 0 {
		return nil
	}
	return sleep(ctx, d)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
