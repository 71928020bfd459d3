package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/shopify/shopifyfake"
	"github.com/cohortd/cohortd/connectors/woocommerce/woofake"
	"github.com/cohortd/cohortd/internal/gen"
	"github.com/cohortd/cohortd/sync/daemon"
	"github.com/cohortd/cohortd/sync/outbox"
	"github.com/cohortd/cohortd/sync/segmenter"
)

// demoOptions are the demo's flags.
type demoOptions struct {
	customers int
	orders    int
	duration  time.Duration
	listen    string
	dir       string
	rate      float64
	plan      string
	seed      uint64
	platform  string // shopify, woocommerce or both
}

func demoCommand() *command {
	o := demoOptions{}
	return &command{
		name:    "demo",
		summary: "run the whole pipeline against a fake Shopify store with generated messy data (no account needed)",
		flags: func(fs *flag.FlagSet) {
			fs.IntVar(&o.customers, "customers", 20000, "customers in the fake store (people are generated so the store holds about this many)")
			fs.IntVar(&o.orders, "orders", 0, "orders over all generated people (default 3 per person)")
			fs.DurationVar(&o.duration, "for", 0, "run this long, print the final summary and exit (default: until Ctrl-C)")
			fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "the daemon's address (webhooks, /metrics)")
			fs.StringVar(&o.dir, "dir", "", "working directory for data, config and logs (default: a temporary one, removed at the end)")
			fs.Float64Var(&o.rate, "rate", 5, "simulated live orders and customer changes per second")
			fs.StringVar(&o.plan, "plan", "standard", "the fake shop's API rate limits: standard, advanced or plus")
			fs.Uint64Var(&o.seed, "seed", 1, "generator seed")
			fs.StringVar(&o.platform, "platform", "shopify", "the fake store(s): shopify, woocommerce, or both (one person can shop at both: merged into one profile)")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usageErr("unexpected arguments %q", args)
			}
			if o.customers <= 0 {
				return usageErr("--customers must be positive")
			}
			switch o.platform {
			case "shopify", "woocommerce", "both":
			default:
				return usageErr("--platform %q: use shopify, woocommerce or both", o.platform)
			}
			return runDemo(ctx, e, o)
		},
	}
}

const (
	demoStore  = "demo-shop"
	demoShop   = "demo-shop.myshopify.com"
	demoToken  = "shpat_demo_token"
	demoSecret = "demo-webhook-secret"
)

func runDemo(ctx context.Context, e *env, o demoOptions) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir := o.dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "cohortd-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	plan, err := demoPlan(o.plan)
	if err != nil {
		return usageErr("%v", err)
	}
	out := e.stdout
	start := time.Now()

	// 1. Messy data: about half of the generated people have an account at the Shopify store
	// (the others shop at the WooCommerce one, check out as guests or never buy).
	people := o.customers * 2
	orders := o.orders
	if orders <= 0 {
		orders = 3 * people
	}
	genDir := filepath.Join(dir, "generated")
	g := gen.DefaultConfig()
	g.Seed, g.Customers, g.Orders, g.OutDir = o.seed, people, orders, genDir
	withShop, withWoo := o.platform != "woocommerce", o.platform != "shopify"
	g.Formats = gen.Formats{Shopify: withShop, WooCommerce: withWoo}
	fmt.Fprintf(out, "demo: generating %d people and %d orders (messy e-mails, phones, names, guests, duplicates)...\n", people, orders)
	if _, err := gen.Generate(ctx, g); err != nil {
		return fmt.Errorf("demo: generate: %w", err)
	}

	// 2. The fake Shopify store, and the daemon's address it will deliver webhooks to.
	listen, err := demoListen(o.listen)
	if err != nil {
		return err
	}
	logFile, err := os.OpenFile(filepath.Join(dir, "cohortd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close()
	log := zerolog.New(logFile).Level(zerolog.InfoLevel).With().Timestamp().Logger()
	var fake *shopifyfake.Fake
	storesCfg := ""
	if withShop {
		fake, err = shopifyfake.New(shopifyfake.Options{Shop: demoShop, AccessToken: demoToken, Plan: plan,
			WebhookSecret: demoSecret, Dir: filepath.Join(dir, "fake"), Seed: o.seed,
			Logger: log.With().Str("component", "fake-shopify").Logger()})
		if err != nil {
			return fmt.Errorf("demo: fake store: %w", err)
		}
		defer fake.Close()
		if err := fake.LoadGenerated(genDir); err != nil {
			return fmt.Errorf("demo: fake store: %w", err)
		}
		nc, no := fake.Counts()
		fmt.Fprintf(out, "demo: fake Shopify store %s at %s: %d customers, %d orders (%s limits)\n", demoShop, fake.URL(), nc, no, o.plan)
		storesCfg += shopifyStoreConfig(fake.URL())
	}
	var woo *woofake.Fake
	if withWoo {
		woo, err = startDemoWoo(genDir, o.seed, log)
		if err != nil {
			return err
		}
		defer woo.Close()
		c := woo.Counts()
		fmt.Fprintf(out, "demo: fake WooCommerce store at %s: %d customers, %d orders\n", woo.URL(), c.Customers, c.Orders)
		storesCfg += wooStoreConfig(woo.URL())
	}

	// The fake email platforms the segments go to.
	emails, err := startDemoPlatforms(log)
	if err != nil {
		return err
	}
	defer emails.Close()
	fmt.Fprintf(out, "demo: fake Mailchimp at %s, fake Klaviyo at %s, fake listmonk at %s\n", emails.mailchimp.URL(), emails.klaviyo.URL(), emails.listmonk.URL())

	// 3. The real daemon, configured like a merchant would, against the fake store.
	cfgPath := filepath.Join(dir, "cohortd.yaml")
	if err := os.WriteFile(cfgPath, []byte(demoConfig(dir, listen, storesCfg)+emails.config()), 0o600); err != nil {
		return err
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	daemon.RefreshDelay = time.Second
	d, err := daemon.New(daemon.Options{Config: cfg, ConfigSource: cfgPath, Logger: log, Version: version()})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(runCtx) }()
	base := "http://" + listen
	fmt.Fprintf(out, "demo: cohortd running at %s (metrics %s/metrics, status %s/admin/status)\n", base, base, base)
	fmt.Fprintf(out, "demo: config %s, log %s\n", cfgPath, logFile.Name())

	// 4. Live traffic once the backfill is in: orders, customer updates, refunds, webhooks.
	simCtx, simStop := context.WithCancel(ctx)
	defer simStop()
	go func() {
		if !waitBackfill(simCtx, d) {
			return
		}
		go emails.simulateOptOuts(simCtx, o.seed, 7*time.Second)
		if woo != nil {
			go func() { _ = woo.Simulate(simCtx, o.rate) }()
		}
		if fake != nil {
			_ = fake.Simulate(simCtx, o.rate)
		}
	}()

	var deadline <-chan time.Time
	if o.duration > 0 {
		deadline = time.After(o.duration)
	}
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	interactive := o.duration == 0
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-deadline:
			break loop
		case err := <-runErr:
			return fmt.Errorf("demo: daemon stopped: %w", err)
		case <-tick.C:
			if interactive {
				printDemoLine(out, d, fake, time.Since(start))
			}
		}
	}
	simStop()
	sum := demoSummary(d, fake, time.Since(start))
	wooSummary(d, woo, func(k string, v any) { sum[k] = fmt.Sprint(v) })
	emails.summary(context.Background(), d, func(k string, v any) { sum[k] = fmt.Sprint(v) })
	cancel()
	if err := <-runErr; err != nil {
		return fmt.Errorf("demo: daemon: %w", err)
	}
	printSummary(out, sum)
	if sum["profiles"] == "0" {
		return errors.New("demo: no profiles were built (see the log)")
	}
	return nil
}

func demoPlan(name string) (shopifyfake.Plan, error) {
	switch name {
	case "standard":
		return shopifyfake.PlanStandard, nil
	case "advanced":
		return shopifyfake.PlanAdvanced, nil
	case "plus":
		return shopifyfake.PlanPlus, nil
	}
	return shopifyfake.Plan{}, fmt.Errorf("--plan %q: use standard, advanced or plus", name)
}

// demoListen resolves a :0 port to a free one, so the webhook URL is known before the daemon
// starts.
func demoListen(addr string) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("demo: cannot listen on %s (another cohortd running? use --listen 127.0.0.1:0): %w", addr, err)
	}
	a := l.Addr().String()
	return a, l.Close()
}

func shopifyStoreConfig(fakeURL string) string {
	return fmt.Sprintf(`  - id: %s
    kind: shopify
    shop: %s
    endpoint: %q
    access_token: %s
    webhook_secrets: [%s]
`, demoStore, demoShop, fakeURL, demoToken, demoSecret)
}

func demoConfig(dir, listen, stores string) string {
	return fmt.Sprintf(`# Written by cohortd demo: a merchant's configuration, pointed at the fake stores.
data_dir: %q
http:
  listen: %q
  public_url: "http://%s"
stores:
%sschedule:
  store_stats: "@every 5s"
  segments: "@every 1m"
  poll: "@every 5m"
  reconcile: "@every 10m"
  suppressions: "@every 30s"
`, filepath.Join(dir, "data"), listen, listen, stores)
}

func waitBackfill(ctx context.Context, d *daemon.Daemon) bool {
	for {
		for _, s := range d.Syncers() {
			if done, _ := s.BackfillDone(); done {
				return true
			}
		}
		for _, s := range d.WooSyncers() {
			if done, _ := s.BackfillDone(); done {
				return true
			}
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// demoSummary collects the figures the demo prints, as name -> value.
func demoSummary(d *daemon.Daemon, fake *shopifyfake.Fake, elapsed time.Duration) map[string]string {
	m := map[string]string{}
	set := func(k string, v any) { m[k] = fmt.Sprint(v) }
	set("elapsed", elapsed.Round(time.Second))
	if fake != nil {
		nc, no := fake.Counts()
		set("store_customers", nc)
		set("store_orders", no)
	}
	rep, n := d.LastRefresh()
	set("refreshes", n)
	set("identities", rep.Identities)
	set("profiles", rep.Profiles)
	set("merges", rep.Merged)
	var customers, orders, webhooks, echoes, tagsAdded, tagsRemoved, pushed, bad int64
	for _, s := range d.Syncers() {
		st := s.Stats()
		customers += st.Customers.Load()
		orders += st.Orders.Load()
		webhooks += st.Webhooks.Load()
		echoes += st.Echoes.Load()
		tagsAdded += st.TagsAdded.Load()
		tagsRemoved += st.TagsRemoved.Load()
		pushed += st.PushedChanges.Load()
		bad += st.BadRecords.Load()
	}
	for _, s := range d.WooSyncers() {
		st := s.Stats()
		customers += st.Customers.Load()
		orders += st.Orders.Load()
		bad += st.BadRecords.Load()
	}
	set("records_read", customers+orders)
	set("bad_records", bad)
	if fake != nil { // the Shopify store's figures (WooCommerce's are woo_*)
		set("webhooks_applied", webhooks)
		set("webhook_echoes_ignored", echoes)
		set("tags_added", tagsAdded)
		set("tags_removed", tagsRemoved)
		set("customers_tagged", pushed)
	}
	set("inbox_depth", d.InboxDepth())
	pending, dead := 0, 0
	if sts, err := outbox.Status(d.Store(), time.Now()); err == nil {
		for _, s := range sts {
			pending += s.Pending
			dead += s.Dead
		}
	}
	set("outbox_pending", pending)
	set("outbox_dead_letters", dead)
	if fake != nil {
		fs := fake.Stats()
		set("api_requests", fs.Requests)
		set("api_throttled", fs.Throttled)
		set("store_webhooks_delivered", fs.WebhooksDelivered)
	}
	segs := 0
	if snaps, err := segmenter.Snapshots(d.Store()); err == nil && len(snaps) > 0 {
		last := snaps[len(snaps)-1]
		for name, size := range last.Sizes {
			if size > 0 {
				segs++
				m["segment."+name] = fmt.Sprint(size)
			}
		}
	}
	set("segments", segs)
	return m
}

// printSummary prints one "name: value" per line: the headline figures first, then the
// segment sizes.
func printSummary(w io.Writer, m map[string]string) {
	head := []string{"elapsed", "store_customers", "store_orders", "records_read", "bad_records", "identities",
		"profiles", "merges", "segments", "tags_added", "tags_removed", "customers_tagged", "webhooks_applied",
		"webhook_echoes_ignored", "store_webhooks_delivered", "inbox_depth", "outbox_pending", "outbox_dead_letters",
		"api_requests", "api_throttled", "refreshes"}
	for _, k := range head {
		if v, ok := m[k]; ok {
			fmt.Fprintf(w, "%s: %s\n", k, v)
		}
	}
	var segs []string
	for k := range m {
		if strings.HasPrefix(k, "segment.") {
			segs = append(segs, k)
		}
	}
	sort.Strings(segs)
	for _, k := range segs {
		fmt.Fprintf(w, "%s: %s\n", k, m[k])
	}
	var rest []string
	for k := range m {
		if strings.HasPrefix(k, "email") || strings.HasPrefix(k, "list.") || strings.HasPrefix(k, "woo_") || strings.HasPrefix(k, "cross_store_") {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		fmt.Fprintf(w, "%s: %s\n", k, m[k])
	}
}

func printDemoLine(w io.Writer, d *daemon.Daemon, fake *shopifyfake.Fake, elapsed time.Duration) {
	m := demoSummary(d, fake, elapsed)
	fmt.Fprintf(w, "[%s] profiles %s (merges %s) · segments %s · tags +%s/-%s on %s customers · webhooks %s (echoes %s) · inbox %s · outbox %s · API throttled %s\n",
		m["elapsed"], m["profiles"], m["merges"], m["segments"], m["tags_added"], m["tags_removed"], m["customers_tagged"],
		m["webhooks_applied"], m["webhook_echoes_ignored"], m["inbox_depth"], m["outbox_pending"], m["api_throttled"])
}
