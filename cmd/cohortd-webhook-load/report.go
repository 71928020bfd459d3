package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"slices"
	"sort"
	"time"
)

// report is the outcome of a run; it is also the --out JSON document.
type report struct {
	URL           string         `json:"url"` // without query or credentials
	TargetRate    float64        `json:"target_rate"`
	Duration      string         `json:"duration"`
	Concurrency   int            `json:"concurrency"`
	DuplicateRate float64        `json:"duplicate_rate"`
	Planned       int            `json:"planned"`
	Sent          int            `json:"sent"`
	Duplicates    int            `json:"duplicates_sent"`
	OK            int            `json:"ok"`
	Non200        map[string]int `json:"non_200"`
	Errors        int            `json:"errors"`
	ErrorSamples  []string       `json:"error_samples,omitempty"`
	ElapsedSec    float64        `json:"elapsed_seconds"`
	AchievedRate  float64        `json:"achieved_rate"`
	// Latency is time to 200 measured from each request's scheduled send
	// time (includes any client-side queueing); Service from the moment
	// it was actually sent.
	Latency Percentiles `json:"latency_ms"`
	Service Percentiles `json:"service_ms"`
	// LateStarts counts requests sent more than 10ms after their schedule:
	// when it is high, the client (not the server) was the bottleneck.
	LateStarts int `json:"late_starts"`
}

// Percentiles in milliseconds (nearest rank).
type Percentiles struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func newReport(cfg config, planned, dups int, elapsed time.Duration, samples []sample) *report {
	rep := &report{
		URL:           redactURL(cfg.URL),
		TargetRate:    cfg.Rate,
		Duration:      cfg.Duration.String(),
		Concurrency:   cfg.Concurrency,
		DuplicateRate: cfg.Duplicates,
		Planned:       planned,
		Sent:          len(samples),
		Duplicates:    dups,
		Non200:        map[string]int{},
		ElapsedSec:    elapsed.Seconds(),
	}
	var lat, svc []time.Duration
	seenErr := map[string]bool{}
	for _, s := range samples {
		if s.late > 10*time.Millisecond {
			rep.LateStarts++
		}
		switch {
		case s.status == 0:
			rep.Errors++
			if !seenErr[s.err] && len(rep.ErrorSamples) < 10 {
				seenErr[s.err] = true
				rep.ErrorSamples = append(rep.ErrorSamples, s.err)
			}
		case s.status == 200:
			rep.OK++
			lat = append(lat, s.latency)
			svc = append(svc, s.service)
		default:
			rep.Non200[fmt.Sprint(s.status)]++
		}
	}
	if elapsed > 0 {
		rep.AchievedRate = float64(len(samples)) / elapsed.Seconds()
	}
	rep.Latency, rep.Service = percentiles(lat), percentiles(svc)
	return rep
}

func percentiles(d []time.Duration) Percentiles {
	if len(d) == 0 {
		return Percentiles{}
	}
	slices.Sort(d)
	rank := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(d)))) - 1
		return ms(d[max(i, 0)])
	}
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return Percentiles{
		P50: rank(0.50), P90: rank(0.90), P99: rank(0.99), P999: rank(0.999),
		Max: ms(d[len(d)-1]), Mean: ms(sum / time.Duration(len(d))),
	}
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// failed reports whether any request failed (transport error or non-200)
// or fewer requests than planned were sent.
func (r *report) failed() bool {
	return r.Errors > 0 || len(r.Non200) > 0 || r.Sent < r.Planned
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "target   %.0f/s for %s (%d requests), concurrency %d, duplicates %.1f%%\n",
		r.TargetRate, r.Duration, r.Planned, r.Concurrency, 100*r.DuplicateRate)
	fmt.Fprintf(w, "sent     %d in %.2fs: %.1f/s achieved (%d duplicates)\n", r.Sent, r.ElapsedSec, r.AchievedRate, r.Duplicates)
	codes := make([]string, 0, len(r.Non200))
	for c := range r.Non200 {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	fmt.Fprintf(w, "results  200: %d, non-200: %d", r.OK, r.Sent-r.OK-r.Errors)
	for _, c := range codes {
		fmt.Fprintf(w, " [%s x%d]", c, r.Non200[c])
	}
	fmt.Fprintf(w, ", errors: %d, late starts (>10ms): %d\n", r.Errors, r.LateStarts)
	for _, e := range r.ErrorSamples {
		fmt.Fprintf(w, "  error: %s\n", e)
	}
	p := r.Latency
	fmt.Fprintf(w, "time to 200 (from schedule) ms: p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f  mean %.2f\n", p.P50, p.P90, p.P99, p.P999, p.Max, p.Mean)
	p = r.Service
	fmt.Fprintf(w, "service time (from send)    ms: p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f  mean %.2f\n", p.P50, p.P90, p.P99, p.P999, p.Max, p.Mean)
}

func (r *report) writeJSON(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

// redactURL drops credentials and the query string (where a secret could
// hide) from u.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	p.User, p.RawQuery, p.Fragment = nil, "", ""
	return p.String()
}
