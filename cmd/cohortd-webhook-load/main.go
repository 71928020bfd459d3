// Command cohortd-webhook-load drives a cohortd webhook receiver with signed
// Shopify order and customer webhooks at a fixed, open-loop rate and reports
// the time to 200 of every request. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run returns the exit code: 0 every request got 200 (and --max-p99 held),
// 1 a request failed or the latency bound was missed, 2 usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cohortd-webhook-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.StringVar(&cfg.URL, "url", "", "receiver URL, e.g. http://127.0.0.1:8080/webhooks/shopify/STORE (required)")
	secret := fs.String("secret", "", "webhook signing secret (required; or COHORTD_WEBHOOK_SECRET)")
	fs.Float64Var(&cfg.Rate, "rate", 2000, "requests per second (open loop: not slowed down by slow responses)")
	fs.DurationVar(&cfg.Duration, "duration", 60*time.Second, "how long to send")
	fs.IntVar(&cfg.Concurrency, "concurrency", 64, "requests in flight at most (connections)")
	fs.Float64Var(&cfg.Duplicates, "duplicates", 0.05, "share of requests that replay an earlier event (same event id, webhook id and body)")
	fs.DurationVar(&cfg.Timeout, "timeout", 5*time.Second, "per-request timeout (Shopify gives up after 5s)")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random seed for payloads and ids")
	fs.IntVar(&cfg.Payloads, "payloads", 256, "distinct pre-signed bodies to rotate through")
	fs.StringVar(&cfg.ShopDomain, "shop-domain", "", "X-Shopify-Shop-Domain (default <store>.myshopify.com from --url)")
	out := fs.String("out", "", "write the results as JSON to this file")
	maxP99 := fs.Duration("max-p99", 0, "also fail when the p99 time to 200 exceeds this (0: no bound)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: cohortd-webhook-load --url URL --secret S [flags]\n\n"+
			"Sends signed Shopify webhooks at a fixed rate and reports time-to-200 percentiles.\n"+
			"Exit codes: 0 all 200, 1 a request failed (or --max-p99 missed), 2 usage error.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "cohortd-webhook-load: unexpected arguments: %q\n", fs.Args())
		return 2
	}
	if *secret == "" {
		*secret = os.Getenv("COHORTD_WEBHOOK_SECRET")
	}
	cfg.Secret = []byte(*secret)
	if err := cfg.validate(); err != nil {
		fmt.Fprintf(stderr, "cohortd-webhook-load: %v\n", err)
		return 2
	}
	client := newClient(cfg)
	defer client.CloseIdleConnections()
	rep, err := runLoad(ctx, cfg, client)
	if err != nil {
		fmt.Fprintf(stderr, "cohortd-webhook-load: %v\n", err)
		return 1
	}
	rep.print(stdout)
	if *out != "" {
		if err := rep.writeJSON(*out); err != nil {
			fmt.Fprintf(stderr, "cohortd-webhook-load: %v\n", err)
			return 1
		}
	}
	code := 0
	if rep.failed() {
		fmt.Fprintf(stderr, "cohortd-webhook-load: FAIL: %d of %d planned requests did not get 200\n", rep.Planned-rep.OK, rep.Planned)
		code = 1
	}
	if *maxP99 > 0 && rep.Latency.P99 > float64(*maxP99)/float64(time.Millisecond) {
		fmt.Fprintf(stderr, "cohortd-webhook-load: FAIL: p99 %.2fms exceeds --max-p99 %s\n", rep.Latency.P99, *maxP99)
		code = 1
	}
	return code
}
