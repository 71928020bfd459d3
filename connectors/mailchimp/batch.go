package mailchimp

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// batchOp is one operation of a POST /batches request (the spec's Operations object).
type batchOp struct {
	Method      string            `json:"method"`
	Path        string            `json:"path"`
	Params      map[string]string `json:"params,omitempty"`
	Body        string            `json:"body,omitempty"`
	OperationID string            `json:"operation_id"`
}

// opResult is one operation's result from the batch's archive: its HTTP status and the
// response body as a JSON string.
type opResult struct {
	StatusCode  int    `json:"status_code"`
	OperationID string `json:"operation_id"`
	Response    string `json:"response"`
}

// batchStatus is the part of the spec's Batch object the client reads.
type batchStatus struct {
	ID                 string `json:"id"`
	Status             string `json:"status"`
	TotalOperations    int    `json:"total_operations"`
	FinishedOperations int    `json:"finished_operations"`
	ErroredOperations  int    `json:"errored_operations"`
	ResponseBodyURL    string `json:"response_body_url"`
}

// runBatch submits ops as one batch, waits for it to finish and returns every operation's
// result by operation_id. Each operation id must be unique; kind names the sort of batch
// ("read", "write") whose run time per operation is learned to time the first poll. Calls:
// one POST /batches, one GET /batches/{id} per poll (usually one), and one download of the
// result archive from the storage URL Mailchimp names (no API key is sent there).
//
// An error means the whole batch's outcome is unknown (its operations may have run): the
// caller reports it on every change of the batch, and replaying is safe because every
// operation the client sends is idempotent.
func (c *Client) runBatch(ctx context.Context, kind string, ops []batchOp) (map[string]opResult, error) {
	var b batchStatus
	what := fmt.Sprintf("start %s batch of %d operations", kind, len(ops))
	if err := c.call(ctx, what, http.MethodPost, "/batches", nil, map[string]any{"operations": ops}, &b); err != nil {
		return nil, err
	}
	started := time.Now()
	deadline := started.Add(c.opts.BatchTimeout)
	// First poll when the batch should be done (learned); after an early poll, when the
	// progress it reported says the rest should be done; backing off to PollMax.
	wait := c.firstPoll(kind, len(ops))
	backoff := c.opts.PollMin
	polls := 0
	for b.Status != "finished" {
		if time.Now().Add(wait).After(deadline) {
			return nil, fmt.Errorf("mailchimp: batch %s not finished after %s (%d of %d operations done)",
				b.ID, c.opts.BatchTimeout, b.FinishedOperations, b.TotalOperations)
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("mailchimp: wait for batch %s: %w", b.ID, err)
		}
		polls++
		if err := c.call(ctx, "batch "+b.ID+" status", http.MethodGet, "/batches/"+url.PathEscape(b.ID), nil, nil, &b); err != nil {
			return nil, err
		}
		wait, backoff = backoff, min(backoff*2, c.opts.PollMax)
		if done := b.FinishedOperations; done > 0 && done < b.TotalOperations {
			elapsed := time.Since(started)
			rest := elapsed * time.Duration(b.TotalOperations-done) / time.Duration(done)
			wait = min(max(rest*6/5, c.opts.PollMin), c.opts.PollMax)
		}
	}
	took := time.Since(started)
	c.learnPerOp(kind, took, len(ops), polls)
	c.log.Debug().Str("batch", b.ID).Str("kind", kind).Int("operations", b.TotalOperations).
		Int("errored", b.ErroredOperations).Int("polls", polls).Dur("took", took).Msg("batch finished")
	return c.downloadResults(ctx, b)
}

// firstPoll is how long to wait before the first status poll of a batch of n operations:
// the run time per operation learned from earlier batches of that kind, within
// [PollMin, PollMax].
func (c *Client) firstPoll(kind string, n int) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return min(max(c.perOp[kind]*time.Duration(n), c.opts.PollMin), c.opts.PollMax)
}

// learnPerOp updates the run time per operation of a kind of batch. After a batch that needed
// more than one poll, the observed time (an upper bound) plus 25% replaces the estimate; after
// one finished at the first poll, the estimate is lowered by 1% to follow a faster platform.
// The asymmetry keeps polls near one per batch at the price of waiting a little too long.
func (c *Client) learnPerOp(kind string, took time.Duration, n, polls int) {
	if n == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if polls <= 1 && c.perOp[kind] > 0 {
		c.perOp[kind] = c.perOp[kind] * 99 / 100
		return
	}
	c.perOp[kind] = took * 125 / 100 / time.Duration(n)
}

// downloadResults fetches and reads the gzipped tar of result files. The URL is a storage
// URL, not the API: it gets no credentials and does not count against the connection limit.
func (c *Client) downloadResults(ctx context.Context, b batchStatus) (map[string]opResult, error) {
	u, err := url.Parse(b.ResponseBodyURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("mailchimp: batch %s: result URL is not http(s)", b.ID)
	}
	var lastErr error
	for attempt := 1; attempt <= c.opts.MaxAttempts; attempt++ {
		results, err := c.fetchArchive(ctx, u.String())
		if err == nil {
			return results, nil
		}
		lastErr = err
		if ctx.Err() != nil || attempt == c.opts.MaxAttempts {
			break
		}
		if err := sleep(ctx, c.backoff(attempt)); err != nil {
			break
		}
	}
	return nil, fmt.Errorf("mailchimp: download results of batch %s: %w", b.ID, lastErr)
}

func (c *Client) fetchArchive(ctx context.Context, u string) (map[string]opResult, error) {
	rctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, redactURLError(err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, redactURLError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return readArchive(io.LimitReader(resp.Body, 1<<30))
}

// readArchive reads every JSON file of a gzipped tar; each is an array of operation results.
func readArchive(r io.Reader) (map[string]opResult, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	out := map[string]opResult{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("untar: %w", err)
		}
		if h.Typeflag != tar.TypeReg || !strings.HasSuffix(h.Name, ".json") {
			continue
		}
		var part []opResult
		if err := json.NewDecoder(tr).Decode(&part); err != nil {
			return nil, fmt.Errorf("decode %s: %w", h.Name, err)
		}
		for _, r := range part {
			out[r.OperationID] = r
		}
	}
}
