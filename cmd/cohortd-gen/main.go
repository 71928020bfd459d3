// Command cohortd-gen writes a deterministic, deliberately messy synthetic
// data set (Shopify + WooCommerce customers and orders, a transactions CSV
// and identity ground truth). See internal/gen/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/cohortd/cohortd/internal/gen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run returns the exit code: 0 ok, 1 failure, 2 usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	def := gen.DefaultConfig()
	fs := flag.NewFlagSet("cohortd-gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", def.Seed, "random seed; same seed and flags give byte-identical output")
	customers := fs.Int("customers", def.Customers, "number of people (ground-truth persons)")
	orders := fs.Int("orders", -1, "exact number of orders over both stores (default 3x customers)")
	out := fs.String("out", def.OutDir, "output directory")
	formats := fs.String("formats", "shopify,woocommerce,csv", "comma-separated outputs: shopify, woocommerce, csv (truth.csv and manifest.json are always written)")
	start := fs.String("start", def.Start.Format(time.DateOnly), "first order date, YYYY-MM-DD (UTC)")
	end := fs.String("end", def.End.Format(time.DateOnly), "end of the order date range, YYYY-MM-DD (UTC, exclusive)")
	workers := fs.Int("workers", 0, "generator goroutines (0 = GOMAXPROCS); output does not depend on it")
	progress := fs.Bool("progress", false, "print progress to stderr")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: cohortd-gen [flags]\n\nGenerates messy synthetic store data for cohortd:\n  shopify/{customers,orders,products}.jsonl, woocommerce/{customers,orders}.jsonl,\n  orders.csv, truth.csv, manifest.json under --out.\n\nExit codes: 0 ok, 1 failure, 2 usage error.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "cohortd-gen: unexpected arguments: %q\n", fs.Args())
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "cohortd-gen: "+format+"\n", a...)
		return 2
	}
	cfg := def
	cfg.Seed, cfg.Customers, cfg.OutDir, cfg.Workers = *seed, *customers, *out, *workers
	if *customers < 0 {
		return usage("--customers must be >= 0")
	}
	cfg.Orders = *orders
	if *orders < 0 {
		cfg.Orders = 3 * *customers
	}
	var err error
	if cfg.Start, err = time.Parse(time.DateOnly, *start); err != nil {
		return usage("bad --start: %v", err)
	}
	if cfg.End, err = time.Parse(time.DateOnly, *end); err != nil {
		return usage("bad --end: %v", err)
	}
	if !cfg.End.After(cfg.Start) {
		return usage("--end must be after --start")
	}
	cfg.Formats = gen.Formats{}
	for _, f := range strings.Split(*formats, ",") {
		switch strings.TrimSpace(strings.ToLower(f)) {
		case "shopify":
			cfg.Formats.Shopify = true
		case "woocommerce", "woo":
			cfg.Formats.WooCommerce = true
		case "csv":
			cfg.Formats.CSV = true
		case "":
		default:
			return usage("unknown format %q (want shopify, woocommerce, csv)", f)
		}
	}
	if cfg.Customers == 0 && cfg.Orders > 0 {
		return usage("--orders needs --customers > 0")
	}
	if *progress {
		cfg.Progress = stderr
	}
	t0 := time.Now()
	man, err := gen.Generate(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "cohortd-gen: %v\n", err)
		return 1
	}
	c := man.Counts
	fmt.Fprintf(stdout, "cohortd-gen: %d people, %d+%d customers, %d+%d orders (shop-a+woo-b) in %s -> %s\n",
		c.People, c.ShopifyCustomers, c.WooCustomers, c.ShopifyOrders, c.WooOrders, time.Since(t0).Round(time.Millisecond), cfg.OutDir)
	return 0
}
