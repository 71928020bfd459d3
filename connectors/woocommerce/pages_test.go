package woocommerce

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// itemID reads {"id":N}.
func itemID(t *testing.T, raw json.RawMessage) int {
	t.Helper()
	var v struct {
		ID int `json:"id"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v.ID
}

func TestListPageAndLinks(t *testing.T) {
	shop := newTestShop(t, false)
	shop.customers = 250
	c := shop.client(t, nil)
	ctx := context.Background()
	p, err := c.ListPage(ctx, "customers", CustomersQuery(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 100 || p.Total != 250 || p.TotalPages != 3 || itemID(t, p.Items[0]) != 1 || p.Prev != "" {
		t.Fatalf("page 1: %d items, total %d, pages %d, prev %q", len(p.Items), p.Total, p.TotalPages, p.Prev)
	}
	if strings.Contains(p.Next, "oauth_") || !strings.Contains(p.Next, "page=2") || !strings.Contains(p.Next, "role=all") {
		t.Errorf("next %q: want page 2, the filters, no oauth_*", p.Next)
	}
	p2, err := c.ListURL(ctx, p.Next)
	if err != nil {
		t.Fatal(err)
	}
	if p2.Number != 2 || itemID(t, p2.Items[0]) != 101 || p2.Prev == "" {
		t.Errorf("followed next: page %d first id %d prev %q", p2.Number, itemID(t, p2.Items[0]), p2.Prev)
	}
	p3, err := c.ListURL(ctx, p2.Next)
	if err != nil {
		t.Fatal(err)
	}
	if len(p3.Items) != 50 || p3.Next != "" {
		t.Errorf("last page: %d items, next %q", len(p3.Items), p3.Next)
	}
	if _, err := c.ListURL(ctx, "http://evil.example/wp-json/wc/v3/customers?page=2"); err == nil {
		t.Error("followed a link to another host")
	}
	if shop.requests.Load() != 3 {
		t.Errorf("%d requests, want 3", shop.requests.Load())
	}
}

func TestParseLinks(t *testing.T) {
	got := parseLinks([]string{
		`<http://s/wp-json/wc/v3/orders?page=1&x=a,b>; rel="prev", <http://s/wp-json/wc/v3/orders?page=3>; rel="next"`,
		`<http://s/other>; rel=up; title="x;y"`,
	})
	want := []link{{"http://s/wp-json/wc/v3/orders?page=1&x=a,b", "prev"}, {"http://s/wp-json/wc/v3/orders?page=3", "next"}, {"http://s/other", "up"}}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("link %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if s := stripAuth("http://s/x?page=2&oauth_signature=abc%3D&oauth_nonce=n&consumer_secret=cs&role=all"); s != "http://s/x?page=2&role=all" {
		t.Errorf("stripAuth: %s", s)
	}
}

func TestPerPageLimit(t *testing.T) {
	if _, err := New(Options{URL: "http://x", ConsumerKey: "ck", ConsumerSecret: "cs", PerPage: 101}); err == nil {
		t.Error("per_page 101 accepted by New")
	}
	shop := newTestShop(t, false)
	shop.customers = 5
	c := shop.client(t, nil)
	if _, err := c.ListPage(context.Background(), "customers", url.Values{"per_page": {"101"}}, 1); err == nil {
		t.Error("per_page 101 sent")
	}
	if _, err := c.ListPage(context.Background(), "customers", url.Values{"oauth_nonce": {"x"}}, 1); err == nil {
		t.Error("an oauth_ parameter from the caller was sent")
	}
	if shop.requests.Load() != 0 {
		t.Errorf("%d requests reached the shop", shop.requests.Load())
	}
	// What the shop answers to per_page=101 (as a real store does) reads well.
	shop.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		writeJSON(w, 400, map[string]any{"code": "rest_invalid_param", "message": "Invalid parameter(s): per_page",
			"data": map[string]any{"status": 400, "params": map[string]string{"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"}}})
		return true
	})
	_, err := c.ListPage(context.Background(), "customers", nil, 1)
	if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), "per_page must be between 1 (inclusive) and 100 (inclusive)") {
		t.Errorf("400: %v", err)
	}
}

// ForEach hands pages over in order, one request per page, at most Parallel in flight (and
// really in parallel).
func TestForEachOrderedParallel(t *testing.T) {
	shop := newTestShop(t, false)
	shop.customers = 2050
	shop.delay = 5 * time.Millisecond
	c := shop.client(t, func(o *Options) { o.Parallel = 4 })
	var pages []int
	next := 1
	err := c.ForEach(context.Background(), "customers", CustomersQuery(), 1, func(page int, items []json.RawMessage) error {
		pages = append(pages, page)
		for _, raw := range items {
			if id := itemID(t, raw); id != next {
				t.Fatalf("page %d: id %d, want %d", page, id, next)
			}
			next++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if next != 2051 || len(pages) != 21 || pages[20] != 21 {
		t.Errorf("got %d records in pages %v", next-1, pages)
	}
	if n := shop.count("customers"); n != 21 {
		t.Errorf("%d requests for 21 pages", n)
	}
	if m := shop.maxFlight.Load(); m > 4 || m < 2 {
		t.Errorf("max in flight %d, want 2..4", m)
	}
	shop.pages.Range(func(k, v any) bool {
		if n := v.(interface{ Load() int64 }).Load(); n != 1 {
			t.Errorf("%s fetched %d times", k, n)
		}
		return true
	})
}

// Resuming from a checkpointed page fetches that page and the rest, nothing before.
func TestForEachFrom(t *testing.T) {
	shop := newTestShop(t, false)
	shop.orders = 950
	c := shop.client(t, nil)
	var first, count int
	err := c.ForEach(context.Background(), "orders", OrdersQuery(), 5, func(page int, items []json.RawMessage) error {
		if first == 0 {
			first = page
		}
		count += len(items)
		return nil
	})
	if err != nil || first != 5 || count != 550 || shop.count("orders") != 6 {
		t.Errorf("from 5: err %v first %d records %d requests %d", err, first, count, shop.count("orders"))
	}
}

// Records created during the walk add pages: the walk reads them too.
func TestWalkGrowsWithTheStore(t *testing.T) {
	shop := newTestShop(t, false)
	shop.customers = 300
	c := shop.client(t, func(o *Options) { o.Parallel = 1 })
	total := 0
	err := c.Walk(context.Background(), "customers", nil, 1, func(p Page) error {
		total += len(p.Items)
		if p.Number == 1 {
			shop.mu.Lock()
			shop.customers = 420
			shop.mu.Unlock()
		}
		return nil
	})
	if err != nil || total != 420 {
		t.Errorf("err %v, read %d of 420", err, total)
	}
}

// Without X-WP-TotalPages (a caching layer stripped it) the walk follows the Link headers,
// re-signing each.
func TestWalkWithoutTotals(t *testing.T) {
	shop := newTestShop(t, false)
	shop.customers = 230
	shop.noTotals = true
	c := shop.client(t, nil)
	total, pages := 0, 0
	err := c.Walk(context.Background(), "customers", nil, 1, func(p Page) error {
		if p.TotalPages != -1 {
			t.Errorf("page %d: total pages %d, want unknown", p.Number, p.TotalPages)
		}
		total += len(p.Items)
		pages++
		return nil
	})
	if err != nil || total != 230 || pages != 3 || shop.count("customers") != 3 {
		t.Errorf("err %v: %d records, %d pages, %d requests", err, total, pages, shop.count("customers"))
	}
}

func TestWalkStopsOnErrors(t *testing.T) {
	shop := newTestShop(t, false)
	shop.customers = 1000
	c := shop.client(t, nil)
	stop := errors.New("stop")
	err := c.ForEach(context.Background(), "customers", nil, 1, func(page int, _ []json.RawMessage) error {
		if page == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("fn error: %v", err)
	}
	shop.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Query().Get("page") == "7" {
			wpErr(w, 401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
			return true
		}
		return false
	})
	seen := 0
	err = c.ForEach(context.Background(), "customers", nil, 1, func(page int, _ []json.RawMessage) error {
		seen = page
		return nil
	})
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "page 7") || seen != 6 {
		t.Errorf("err %v after page %d", err, seen)
	}
}
