package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// config is one load run (the command's flags).
type config struct {
	URL         string
	Secret      []byte
	Rate        float64 // requests per second, open loop
	Duration    time.Duration
	Concurrency int     // requests in flight at most
	Duplicates  float64 // share of requests that replay an earlier event
	Timeout     time.Duration
	Seed        uint64
	Payloads    int    // distinct pre-signed bodies
	ShopDomain  string // X-Shopify-Shop-Domain; default <store>.myshopify.com
	APIVersion  string
}

func (c *config) validate() error {
	u, err := url.Parse(c.URL)
	switch {
	case c.URL == "":
		return errors.New("--url is required")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("--url %q is not an http(s) URL", c.URL)
	case len(c.Secret) == 0:
		return errors.New("--secret is required (the webhook signing secret)")
	case c.Rate <= 0:
		return errors.New("--rate must be > 0")
	case c.Duration <= 0:
		return errors.New("--duration must be > 0")
	case c.Concurrency <= 0:
		return errors.New("--concurrency must be > 0")
	case c.Duplicates < 0 || c.Duplicates >= 1:
		return errors.New("--duplicates must be in [0, 1)")
	case c.Timeout <= 0:
		return errors.New("--timeout must be > 0")
	}
	if c.Payloads <= 0 {
		c.Payloads = 256
	}
	if c.ShopDomain == "" {
		c.ShopDomain = pathBase(u.Path) + ".myshopify.com"
	}
	if c.APIVersion == "" {
		c.APIVersion = "2025-04"
	}
	return nil
}

func pathBase(p string) string {
	p = strings.TrimRight(p, "/")
	return p[strings.LastIndex(p, "/")+1:]
}

// job is one scheduled request. Its latency is measured from due, the time
// an open-loop client would have sent it, so a stalled server (or a
// saturated client) shows up as latency instead of silently lowering the
// rate (no coordinated omission).
type job struct {
	due       time.Time
	payload   int
	eventID   string
	webhookID string
	duplicate bool
}

// sample is the outcome of one request.
type sample struct {
	latency time.Duration // due -> response headers read
	service time.Duration // send -> response headers read
	status  int           // 0: transport error
	err     string
	late    time.Duration // send - due
}

func newClient(cfg config) *http.Client {
	return &http.Client{
		Timeout: cfg.Timeout,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        cfg.Concurrency,
			MaxIdleConnsPerHost: cfg.Concurrency,
			MaxConnsPerHost:     cfg.Concurrency,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
}

// runLoad sends cfg.Rate*cfg.Duration signed webhooks on a fixed schedule
// and returns every request's outcome. ctx cancels the run early (the
// result then covers the requests sent so far).
func runLoad(ctx context.Context, cfg config, client *http.Client) (*report, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	payloads := buildPayloads(cfg.Payloads, cfg.Secret, cfg.Seed)
	total := int(cfg.Rate * cfg.Duration.Seconds())
	if total < 1 {
		total = 1
	}
	jobs := make(chan job, cfg.Concurrency)
	results := make([][]sample, cfg.Concurrency)
	var wg sync.WaitGroup
	for w := range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := make([]sample, 0, total/cfg.Concurrency+1)
			for j := range jobs {
				out = append(out, send(ctx, client, cfg, payloads[j.payload], j))
			}
			results[w] = out
		}()
	}

	start := time.Now()
	r := newRandSeed(cfg.Seed)
	// Recently sent events, for replays (Shopify retries with the same
	// event id, webhook id and body).
	recent := make([]job, 0, 4096)
	interval := float64(time.Second) / cfg.Rate
	sent, dups := 0, 0
schedule:
	for i := range total {
		var j job
		if len(recent) > 0 && r.Float64() < cfg.Duplicates {
			j = recent[r.IntN(len(recent))]
			j.duplicate = true
			dups++
		} else {
			j = job{payload: r.IntN(len(payloads)), eventID: uuid(r), webhookID: uuid(r)}
			if len(recent) < cap(recent) {
				recent = append(recent, j)
			} else {
				recent[r.IntN(len(recent))] = j
			}
		}
		j.due = start.Add(time.Duration(float64(i) * interval))
		if d := time.Until(j.due); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				break schedule
			}
		}
		select {
		case jobs <- j:
			sent++
		case <-ctx.Done():
			break schedule
		}
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	var all []sample
	for _, s := range results {
		all = append(all, s...)
	}
	return newReport(cfg, total, dups, elapsed, all), nil
}

// send performs one delivery with Shopify's headers.
func send(ctx context.Context, client *http.Client, cfg config, p payload, j job) sample {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, bytes.NewReader(p.body))
	if err != nil {
		return sample{err: err.Error()}
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Shopify-Captain-Hook")
	h.Set("X-Shopify-Topic", p.topic)
	h.Set("X-Shopify-Hmac-Sha256", p.hmac)
	h.Set("X-Shopify-Shop-Domain", cfg.ShopDomain)
	h.Set("X-Shopify-Api-Version", cfg.APIVersion)
	h.Set("X-Shopify-Webhook-Id", j.webhookID)
	h.Set("X-Shopify-Event-Id", j.eventID)
	h.Set("X-Shopify-Triggered-At", j.due.UTC().Format(time.RFC3339Nano))
	sendAt := time.Now()
	resp, err := client.Do(req)
	done := time.Now()
	s := sample{latency: done.Sub(j.due), service: done.Sub(sendAt), late: sendAt.Sub(j.due)}
	if err != nil {
		s.err = err.Error()
		return s
	}
	_, _ = io.Copy(io.Discard, resp.Body) // reuse the connection
	resp.Body.Close()
	s.status = resp.StatusCode
	return s
}

// uuid returns a random version-4 UUID string (Shopify's event and webhook
// ids are UUIDs).
func uuid(r *rand.Rand) string {
	hi, lo := r.Uint64(), r.Uint64()
	hi = hi&^0xf000 | 0x4000
	lo = lo&^(0xc<<60) | 0x8<<60
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", hi>>32, hi>>16&0xffff, hi&0xffff, lo>>48, lo&0xffffffffffff)
}

func newRandSeed(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x6c6f6164)) }
