package shopifysync

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/shopify"
	"github.com/cohortd/cohortd/connectors/shopify/shopifyfake"
	"github.com/cohortd/cohortd/internal/gen"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
	"github.com/cohortd/cohortd/sync/outbox"
	"github.com/cohortd/cohortd/sync/tagpush"
)

// TestBenchTagPush measures the tag push at Shopify's Standard limits (100 points/s, bucket
// 2000) against the fake store. It is a benchmark, not part of the test suite: run it with
//
//	COHORTD_BENCH_TAGPUSH=100000 go test -run TestBenchTagPush -v -timeout 30m ./sync/shopifysync
//
// Part 1 pushes that many tag changes (one per customer) the way the daemon does: batches of
// PushBatch through bulk mutations (outside the cost bucket). Part 2 runs the per-customer path
// (tagsAdd, 10 points each) for COHORTD_BENCH_DIRECT (default 60s) and reports the share of the
// available points it used. Both check: zero THROTTLED, every change applied, merchant tags
// untouched.
func TestBenchTagPush(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("COHORTD_BENCH_TAGPUSH"))
	if n <= 0 {
		t.Skip("set COHORTD_BENCH_TAGPUSH=100000 to run")
	}
	direct := 60 * time.Second
	if d, err := time.ParseDuration(os.Getenv("COHORTD_BENCH_DIRECT")); err == nil {
		direct = d
	}
	dir := t.TempDir()
	g := gen.DefaultConfig()
	g.Customers, g.Orders, g.OutDir, g.Formats = n*2+n/4, n, filepath.Join(dir, "gen"), gen.Formats{Shopify: true}
	if _, err := gen.Generate(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	fake, err := shopifyfake.New(shopifyfake.Options{AccessToken: token, Plan: shopifyfake.PlanStandard, Dir: filepath.Join(dir, "fake"),
		Webhooks: shopifyfake.WebhookKnobs{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	if err := fake.LoadGenerated(g.OutDir); err != nil {
		t.Fatal(err)
	}
	ids := fake.CustomerIDs(0)
	if len(ids) < n {
		t.Fatalf("fake holds %d customers, want %d", len(ids), n)
	}
	ids = ids[:n]
	merchant := map[uint64][]string{}
	for _, id := range ids {
		merchant[id] = fake.CustomerTags(id)
	}
	st, err := store.Open(filepath.Join(dir, "cohortd.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	client, err := shopify.New(shopify.Options{Shop: fake.URL(), AccessToken: token})
	if err != nil {
		t.Fatal(err)
	}
	sc := config.Store{ID: storeID, Kind: config.KindShopify, Shop: "shop-a.myshopify.com", APIVersion: "2025-04", WriteTags: true}
	ob := outbox.New(st, outbox.Options{})
	s, err := New(Options{Store: sc, Config: config.Default(), DB: st, Client: client, Outbox: ob, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	enqueue := func(ids []uint64, tag string) {
		items := make([]outbox.Item, 0, len(ids))
		for _, id := range ids {
			c := tagpush.Change{Store: storeID, CustomerID: strconv.FormatUint(id, 10), Add: []string{tag}, Want: []string{tag}}
			b, _ := codec.Marshal(c)
			items = append(items, outbox.Item{Destination: s.Destination(), Key: c.Key(), Payload: b})
		}
		if err := ob.Enqueue(context.Background(), items...); err != nil {
			t.Fatal(err)
		}
	}
	drain := func(batch int, limit time.Duration) time.Duration {
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		start := time.Now()
		done := make(chan error, 1)
		send := s.send
		go func() {
			done <- ob.Run(ctx, s.Destination(), outbox.SenderFunc(send), outbox.RunOptions{BatchSize: batch,
				OnApplied: func(tx *store.Tx, items []outbox.Item) error { return nil }})
		}()
		for ctx.Err() == nil {
			if pending(t, st) == 0 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		took := time.Since(start)
		cancel()
		<-done
		return took
	}

	// Part 1: every change through bulk mutations.
	enqueue(ids, "cohort:bench")
	before := fake.Stats()
	took := drain(PushBatch, 20*time.Minute)
	after := fake.Stats()
	if p := pending(t, st); p != 0 {
		t.Fatalf("%d changes not applied after %s", p, took)
	}
	for _, id := range ids {
		tags := fake.CustomerTags(id)
		if len(tags) != len(merchant[id])+1 || tags[len(tags)-1] != "cohort:bench" {
			t.Fatalf("customer %d: tags %v (merchant's were %v)", id, tags, merchant[id])
		}
	}
	fmt.Printf("tag push, bulk: %d changes in %s (%.0f/s), %d API requests, %d THROTTLED, %d bulk operations, merchant tags unchanged\n",
		n, took.Round(time.Millisecond), float64(n)/took.Seconds(), after.Requests-before.Requests,
		after.Throttled-before.Throttled, after.BulkOperations-before.BulkOperations)
	if after.Throttled != before.Throttled {
		t.Errorf("%d THROTTLED answers", after.Throttled-before.Throttled)
	}

	// Part 2: the per-customer path (batches below BulkThreshold) for a fixed time.
	m := int(direct.Seconds()*100/10) + 400 // more than the points allow
	enqueue(ids[:min(m, len(ids))], "cohort:direct")
	before = fake.Stats()
	time.Sleep(25 * time.Second) // let the shop's bucket refill to its maximum first
	before = fake.Stats()
	took = drain(BulkThreshold-1, direct)
	after = fake.Stats()
	used := after.PointsUsed - before.PointsUsed
	available := before.PointsAvailable + 100*took.Seconds()
	fmt.Printf("tag push, per customer at Standard limits: %d requests in %s, %.0f points used of %.0f available (%.1f%%), %d THROTTLED\n",
		after.Requests-before.Requests, took.Round(time.Millisecond), used, available, 100*used/available, after.Throttled-before.Throttled)
	if after.Throttled != before.Throttled {
		t.Errorf("%d THROTTLED answers", after.Throttled-before.Throttled)
	}
	if used < 0.9*available {
		t.Errorf("used %.1f%% of the available points, want >= 90%%", 100*used/available)
	}
}
