// Command cohortd-fakeshop runs the fake Shopify (connectors/shopify/shopifyfake) as its own
// process, so benchmarks can keep it out of the daemon's RSS. It generates data with
// internal/gen into --data when missing, loads it, prints
// "fakeshop: listening on http://127.0.0.1:PORT" when ready and serves until SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/cohortd/cohortd/connectors/shopify/shopifyfake"
	"github.com/cohortd/cohortd/internal/gen"
	"github.com/rs/zerolog"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "cohortd-fakeshop:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:0", "listen address")
	customers := flag.Int("customers", 1000, "people to generate when --data has no data")
	orders := flag.Int("orders", -1, "orders to generate (default 3x customers)")
	seed := flag.Uint64("seed", 1, "generator and simulation seed")
	data := flag.String("data", "", "data directory (reused when it holds shopify/*.jsonl; default a temp dir)")
	plan := flag.String("plan", "standard", "rate limit plan: standard, advanced or plus")
	token := flag.String("token", "shpat_fake", "required X-Shopify-Access-Token")
	secret := flag.String("webhook-secret", "fake-webhook-secret", "webhook HMAC secret")
	hookURL := flag.String("webhook-url", "", "catch-all webhook target")
	simulate := flag.Float64("simulate", 0, "live events per second (0: none)")
	flag.Parse()

	p, ok := map[string]shopifyfake.Plan{"standard": shopifyfake.PlanStandard, "advanced": shopifyfake.PlanAdvanced, "plus": shopifyfake.PlanPlus}[*plan]
	if !ok {
		return fmt.Errorf("unknown --plan %q", *plan)
	}
	log := zerolog.New(os.Stderr).With().Timestamp().Logger()
	dir := *data
	if dir == "" {
		d, err := os.MkdirTemp("", "cohortd-fakeshop-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	if _, err := os.Stat(filepath.Join(dir, "shopify", "orders.jsonl")); errors.Is(err, os.ErrNotExist) {
		cfg := gen.DefaultConfig()
		cfg.Seed, cfg.Customers, cfg.OutDir = *seed, *customers, dir
		cfg.Orders = *orders
		if cfg.Orders < 0 {
			cfg.Orders = 3 * cfg.Customers
		}
		cfg.Formats = gen.Formats{Shopify: true}
		start := time.Now()
		if _, err := gen.Generate(context.Background(), cfg); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
		log.Info().Dur("took", time.Since(start)).Int("customers", cfg.Customers).Int("orders", cfg.Orders).Msg("generated")
	}
	f, err := shopifyfake.New(shopifyfake.Options{Listen: *listen, Plan: p, AccessToken: *token, WebhookSecret: *secret, WebhookURL: *hookURL, Seed: *seed, Logger: log})
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	if err := f.LoadGenerated(dir); err != nil {
		return err
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	nc, no := f.Counts()
	log.Info().Dur("took", time.Since(start)).Int("customers", nc).Int("orders", no).Uint64("heap_mb", ms.HeapAlloc>>20).Msg("loaded")
	fmt.Printf("fakeshop: listening on %s\n", f.URL())

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if *simulate > 0 {
		go func() { _ = f.Simulate(ctx, *simulate) }()
	}
	<-ctx.Done()
	return nil
}
