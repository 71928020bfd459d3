package klaviyo

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
	"time"

	"github.com/rs/zerolog"
)

// Client talks to one Klaviyo account. Create it with New; it is safe for concurrent use.
type Client struct {
	opts   Options
	log    zerolog.Logger
	pacers pacers
	sem    chan struct{} // bounds requests in flight

	listMu  sync.Mutex        // serialises list resolution and creation (no duplicate lists)
	listIDs map[string]string // list name -> id; only ever saves calls
}

// New validates opts and returns a client.
func New(opts Options) (*Client, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return &Client{
		opts:    opts,
		log:     opts.Logger.With().Str("component", "klaviyo").Logger(),
		sem:     make(chan struct{}, opts.Concurrency),
		listIDs: map[string]string{},
	}, nil
}

// BatchSize is the most changes one Apply should get.
func (c *Client) BatchSize() int { return c.opts.BatchSize }

// request is one API call.
type request struct {
	op     string // operationId; names the rate-limit budget
	budget string // budget key when it differs from op (additional-fields variants)
	method string
	path   string
	query  url.Values
	body   any
	// retryUnsafe: a 5xx or a lost connection may have applied the call, and repeating it
	// is not harmless (list creation); such calls are not retried.
	retryUnsafe bool
}

const maxResponse = 32 << 20

// do sends req, pacing it within its endpoint's budget and retrying 429s (after their
// Retry-After, when it is short) and 5xx/network failures (with backoff). A 2xx body is
// decoded into out when out is not nil. Errors are *APIError (possibly wrapped), context
// errors or transport errors; none contains the API key or an unmasked address.
func (c *Client) do(ctx context.Context, req request, out any) error {
	var payload []byte
	if req.body != nil {
		var err error
		if payload, err = json.Marshal(req.body); err != nil {
			return fmt.Errorf("%s: encode body: %w", req.op, err)
		}
	}
	budget := req.budget
	if budget == "" {
		budget = req.op
	}
	p := c.pacers.get(budget)
	u := c.opts.BaseURL + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	var lastErr error
	for attempt := 0; attempt <= c.opts.MaxRetries; attempt++ {
		if err := p.wait(ctx); err != nil {
			return err
		}
		err := c.send(ctx, req.method, u, req.op, payload, out)
		if err == nil {
			return nil
		}
		lastErr = err
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ae *APIError
		switch {
		case errors.As(err, &ae) && ae.StatusCode == http.StatusTooManyRequests:
			p.pauseFor(ae.RetryAfter)
			if ae.RetryAfter > c.opts.MaxRetryWait {
				return err
			}
			c.log.Warn().Str("op", req.op).Dur("retry_after", ae.RetryAfter).Int("attempt", attempt+1).Msg("throttled")
		case errors.As(err, &ae) && ae.StatusCode < 500:
			return err
		case req.retryUnsafe:
			return err
		default:
			backoff := time.Duration(200<<attempt)*time.Millisecond + rand.N(100*time.Millisecond)
			c.log.Warn().Str("op", req.op).Err(err).Dur("backoff", backoff).Int("attempt", attempt+1).Msg("retrying")
			if err := sleep(ctx, backoff); err != nil {
				return err
			}
		}
	}
	return lastErr
}

// send makes one HTTP exchange.
func (c *Client) send(ctx context.Context, method, u, op string, payload []byte, out any) error {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.sem }()
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	hr, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("%s: build request: %w", op, err)
	}
	hr.Header.Set("Authorization", "Klaviyo-API-Key "+c.opts.APIKey)
	hr.Header.Set("revision", c.opts.Revision)
	hr.Header.Set("Accept", "application/vnd.api+json")
	if payload != nil {
		hr.Header.Set("Content-Type", "application/vnd.api+json")
	}
	resp, err := c.opts.HTTPClient.Do(hr)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may carry a filter with addresses
		}
		return fmt.Errorf("%s: %s", op, maskEmails(err.Error()))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("%s: read response: %w", op, err)
	}
	c.log.Debug().Str("op", op).Int("status", resp.StatusCode).Msg("call")
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if out == nil || len(bytes.TrimSpace(raw)) == 0 {
			return nil
		}
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s: decode response: %w", op, err)
		}
		return nil
	}
	ae := &APIError{Op: op, StatusCode: resp.StatusCode}
	var doc struct {
		Errors []ErrorObject `json:"errors"`
	}
	if json.Unmarshal(raw, &doc) == nil {
		ae.Errors = doc.Errors
	}
	for i := range ae.Errors {
		ae.Errors[i].Detail = maskEmails(ae.Errors[i].Detail)
		ae.Errors[i].Title = maskEmails(ae.Errors[i].Title)
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		ae.RetryAfter = retryAfter(resp.Header.Get("Retry-After"))
	}
	return ae
}

// retryAfter parses Retry-After (seconds or an HTTP date); Klaviyo sends seconds. A missing
// or bad value means one second.
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(max(n, 1)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return time.Second
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// parallel runs fn(i) for i in [0,n) with at most the client's concurrency at once and
// waits for all. Requests are bounded by the semaphore in send as well; this bounds the
// goroutines.
func (c *Client) parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, c.opts.Concurrency)
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			fn(i)
		}(i)
	}
	wg.Wait()
}
