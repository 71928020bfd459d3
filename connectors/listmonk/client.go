package listmonk

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
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// maxBody bounds what the client reads of one answer (per_page=all lookups stay far below).
const maxBody = 256 << 20

// Client talks to one listmonk install. It is safe for concurrent use; all its requests
// share one token bucket and one concurrency limit.
type Client struct {
	opts Options
	base *url.URL
	auth string
	log  zerolog.Logger
	lim  *limiter
	sem  chan struct{}

	lists    listCache
	createMu sync.Mutex // one list creation at a time: listmonk allows duplicate names

	noPatch atomic.Bool // the server has no PATCH /api/subscribers/{id} (listmonk < v6.1)

	requests, retries, rateLimited atomic.Int64
}

// New validates opts and returns a Client. It makes no request.
func New(opts Options) (*Client, error) {
	base, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Client{
		opts: opts,
		base: base,
		auth: "token " + opts.Username + ":" + opts.Token,
		log:  opts.Logger.With().Str("component", "listmonk").Logger(),
		lim:  newLimiter(opts.RequestsPerSecond, opts.Burst),
		sem:  make(chan struct{}, opts.MaxConcurrency),
	}, nil
}

// BatchSize is the most changes one Apply should get.
func (c *Client) BatchSize() int { return c.opts.BatchSize }

// Stats are the client's request counters.
type Stats struct {
	Requests    int64 // HTTP requests sent, retries included
	Retries     int64 // requests sent again after a 5xx, 429 or network error
	RateLimited int64 // 429 answers received
}

// Stats returns the request counters.
func (c *Client) Stats() Stats {
	return Stats{Requests: c.requests.Load(), Retries: c.retries.Load(), RateLimited: c.rateLimited.Load()}
}

// envelope is listmonk's success body.
type envelope struct {
	Data json.RawMessage `json:"data"`
}

// do sends one API request and decodes the answer's "data" into out (when out is not nil).
// It retries 5xx, 429 (waiting Retry-After, up to MaxRetryAfter) and network errors, up to
// MaxAttempts; other answers >= 400 come back as *APIError. The query string never enters
// an error: lookups carry addresses in it.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	var payload []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("listmonk: %s %s: encode body: %w", method, path, err)
		}
		payload = b
	}
	u := *c.base
	u.Path = c.base.Path + path
	u.RawQuery = query.Encode()

	var last error
	for attempt := 1; attempt <= c.opts.MaxAttempts; attempt++ {
		if attempt > 1 {
			c.retries.Add(1)
		}
		data, err := c.send(ctx, method, u.String(), path, payload)
		if err == nil {
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("listmonk: %s %s: decode answer: %w", method, path, err)
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctxErr(ctx, err)
		}
		last = err
		var ae *APIError
		switch {
		case errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests:
			c.rateLimited.Add(1)
			wait := ae.RetryAfter
			if wait <= 0 {
				wait = time.Second
			}
			c.lim.PauseFor(wait)
			if wait > c.opts.MaxRetryAfter {
				return err
			}
			c.log.Debug().Str("endpoint", method+" "+path).Dur("retry_after", wait).Msg("rate limited; waiting")
			continue // the limiter holds the next try until Retry-After has passed
		case errors.As(err, &ae) && ae.Status < 500:
			return err
		}
		if attempt == c.opts.MaxAttempts {
			break
		}
		wait := c.backoff(attempt)
		c.log.Debug().Err(err).Str("endpoint", method+" "+path).Int("attempt", attempt).Dur("wait", wait).Msg("retrying")
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctxErr(ctx, err)
		case <-t.C:
		}
	}
	return last
}

// backoff is RetryBase doubled per attempt, capped at RetryMax, with full jitter on the
// upper half.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.opts.RetryBase << (attempt - 1)
	if d <= 0 || d > c.opts.RetryMax {
		d = c.opts.RetryMax
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// send makes one HTTP round trip under the limiter and the concurrency limit and returns
// the "data" of a 2xx answer.
func (c *Client) send(ctx context.Context, method, rawURL, path string, payload []byte) (json.RawMessage, error) {
	if err := c.lim.Wait(ctx); err != nil {
		return nil, ctxErr(ctx, err)
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctxErr(ctx, ctx.Err())
	}
	defer func() { <-c.sem }()

	rctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(rctx, method, rawURL, rd)
	if err != nil {
		return nil, fmt.Errorf("listmonk: %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c.requests.Add(1)
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		// url.Error quotes the URL, and lookups carry addresses in the query: drop it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("listmonk: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("listmonk: %s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		var env envelope
		if err := json.Unmarshal(body, &env); err != nil {
			return nil, fmt.Errorf("listmonk: %s %s: answer is not listmonk JSON: %w", method, path, err)
		}
		return env.Data, nil
	}
	return nil, &APIError{Method: method, Endpoint: path, Status: resp.StatusCode,
		Message: errorMessage(resp.StatusCode, body), RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
}

// errorMessage is listmonk's {"message": ...}, masked, or the status text when the body is
// something else (a proxy's HTML page).
func errorMessage(status int, body []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil && e.Message != "" {
		return maskAddresses(e.Message)
	}
	return http.StatusText(status)
}

// retryAfter parses Retry-After as seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
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
