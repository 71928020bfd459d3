package woosync

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/woocommerce"
	"github.com/cohortd/cohortd/connectors/woocommerce/woofake"
	"github.com/cohortd/cohortd/internal/gen"
	"github.com/cohortd/cohortd/store"
)

// TestBenchBackfill backfills a fake WooCommerce store of about COHORTD_BENCH_WOO customers
// and three times as many orders through the real client (OAuth-signed pages, 4 in flight)
// into a real data file, and checks the request count against ceil(N/100) per resource:
//
//	COHORTD_BENCH_WOO=100000 go test -run TestBenchBackfill -v -timeout 30m ./sync/woosync
func TestBenchBackfill(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("COHORTD_BENCH_WOO"))
	if n <= 0 {
		t.Skip("set COHORTD_BENCH_WOO=100000 to run")
	}
	dir := t.TempDir()
	// The generator puts about 0.386 WooCommerce customers per person and 0.419 of the
	// orders in the WooCommerce store.
	g := gen.DefaultConfig()
	g.Seed, g.Customers, g.Orders, g.OutDir = 5, n*1000/386, n*3*1000/419, filepath.Join(dir, "gen")
	g.Formats = gen.Formats{WooCommerce: true}
	if _, err := gen.Generate(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	fake := woofake.New(woofake.Options{Location: berlin})
	t0 := time.Now()
	if err := fake.LoadGenerated(g.OutDir); err != nil {
		t.Fatal(err)
	}
	load := time.Since(t0)
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = fake.Close() }()
	client, err := woocommerce.New(woocommerce.Options{URL: fake.URL(), ConsumerKey: woofake.DefaultConsumerKey,
		ConsumerSecret: woofake.DefaultConsumerSecret, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "cohortd.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := config.Default()
	sc := config.Store{ID: "woo-b", Kind: config.KindWooCommerce, URL: fake.URL(), MetaKey: config.DefaultMetaKey}
	s, err := New(Options{Store: sc, Config: cfg, DB: st, Client: client, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	counts := fake.Counts()
	t1 := time.Now()
	rep, err := s.Backfill(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(t1)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	stats := fake.Stats()
	cust, ord := stats.ByEndpoint["GET /customers"], stats.ByEndpoint["GET /orders"]
	wantC, wantO := int64((counts.Users+99)/100), int64((counts.Orders+99)/100)
	t.Logf("store: %d customers (role=all: %d users), %d orders; fake loaded in %s", counts.Customers, counts.Users, counts.Orders, load.Round(time.Millisecond))
	for _, p := range rep.Phases {
		t.Logf("%s: expected %d, received %d, stored %d, bad %d, %d pages in %s", p.Phase, p.Expected, p.Received, p.Records, p.Bad, p.Pages, p.Took.Round(time.Millisecond))
	}
	t.Logf("requests: customers %d (ceil(N/100) = %d, %+.2f%%), orders %d (ceil(N/100) = %d, %+.2f%%); 4xx %d, 5xx %d",
		cust, wantC, 100*float64(cust-wantC)/float64(wantC), ord, wantO, 100*float64(ord-wantO)/float64(wantO), stats.Answered4xx, stats.Answered5xx)
	t.Logf("backfill wall %s (%.0f records/s), Go heap in use at the end %d MB, total allocated %d MB",
		took.Round(time.Millisecond), float64(counts.Users+counts.Orders)/took.Seconds(), ms.HeapInuse>>20, ms.TotalAlloc>>20)
	if float64(cust) > 1.02*float64(wantC) || float64(ord) > 1.02*float64(wantO) {
		t.Fatalf("request count more than 2%% over ceil(N/100)")
	}
	if rep.Phases[0].Received != int64(counts.Users) || rep.Phases[1].Received != int64(counts.Orders) {
		t.Fatalf("received %d/%d of %d/%d", rep.Phases[0].Received, rep.Phases[1].Received, counts.Users, counts.Orders)
	}
}
