package woofake

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
)

// backfill reads every page of resource with per_page=100 and up to parallel requests in
// flight once X-WP-TotalPages is known, like the connector does. It returns the number of
// records read and of requests sent.
func backfill(t testing.TB, s *Fake, sg *signer, resource, query string, parallel int) (records, requests int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: parallel}}
	fetch := func(page int) (int, int) {
		u := sg.sign("GET", s.APIURL()+"/"+resource+"?per_page=100&page="+strconv.Itoa(page)+"&"+query, "")
		res, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("%s page %d: %d %s", resource, page, res.StatusCode, b)
		}
		var items []json.RawMessage
		if err := json.Unmarshal(b, &items); err != nil {
			t.Fatal(err)
		}
		pages, _ := strconv.Atoi(res.Header.Get("X-WP-TotalPages"))
		return len(items), pages
	}
	n, pages := fetch(1)
	records, requests = n, 1
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan int)
	for range parallel {
		wg.Go(func() {
			for p := range next {
				k, _ := fetch(p)
				mu.Lock()
				records += k
				requests++
				mu.Unlock()
			}
		})
	}
	for p := 2; p <= pages; p++ {
		next <- p
	}
	close(next)
	wg.Wait()
	return records, requests
}

func TestBackfillRequestCount(t *testing.T) {
	dir, man := generated(t)
	s := startFake(t, Options{})
	if err := s.LoadGenerated(dir); err != nil {
		t.Fatal(err)
	}
	users := man.Counts.WooCustomers + 1
	n, req := backfill(t, s.Fake, s.sg, "customers", "role=all&orderby=id&order=asc", 4)
	if n != users || req != (users+99)/100 {
		t.Fatalf("customers: %d records in %d requests, want %d in %d", n, req, users, (users+99)/100)
	}
	n, req = backfill(t, s.Fake, s.sg, "orders", "status=any&orderby=id&order=asc", 4)
	if n != man.Counts.WooOrders || req != (man.Counts.WooOrders+99)/100 {
		t.Fatalf("orders: %d records in %d requests", n, req)
	}
	if v := s.Violations(); len(v) != 0 {
		t.Fatalf("a clean backfill recorded violations: %+v", v)
	}
}

// BenchmarkLoadAndBackfill loads internal/gen output from $WOOFAKE_BENCH_DIR (default: the
// small test data set) and backfills customers and orders with 4 requests in flight.
func BenchmarkLoadAndBackfill(b *testing.B) {
	dir := os.Getenv("WOOFAKE_BENCH_DIR")
	if dir == "" {
		dir, _ = generated(&testing.T{})
	}
	for b.Loop() {
		f := New(Options{})
		if err := f.Start(); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if err := f.LoadGenerated(dir); err != nil {
			b.Fatal(err)
		}
		load := time.Since(t0)
		sg := &signer{key: f.Options().ConsumerKey, secret: f.Options().ConsumerSecret}
		t1 := time.Now()
		cn, creq := backfill(b, f, sg, "customers", "role=all&orderby=id&order=asc", 4)
		on, oreq := backfill(b, f, sg, "orders", "status=any&orderby=id&order=asc", 4)
		b.ReportMetric(load.Seconds(), "load-s")
		b.ReportMetric(time.Since(t1).Seconds(), "backfill-s")
		b.ReportMetric(float64(creq+oreq), "requests")
		b.Logf("customers %d in %d requests, orders %d in %d requests, load %v, backfill %v", cn, creq, on, oreq, load, time.Since(t1))
		_ = f.Close()
	}
}
