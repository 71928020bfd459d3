package woofake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLoadGeneratedCounts(t *testing.T) {
	dir, man := generated(t)
	s := startFake(t, Options{})
	if err := s.LoadGenerated(dir); err != nil {
		t.Fatal(err)
	}
	c := s.Counts()
	if c.Customers != man.Counts.WooCustomers || c.Users != man.Counts.WooCustomers+1 || c.Orders != man.Counts.WooOrders {
		t.Fatalf("counts %+v, manifest customers %d orders %d", c, man.Counts.WooCustomers, man.Counts.WooOrders)
	}
	if c.Refunds == 0 {
		t.Fatal("no refunds loaded")
	}
}

// linkRels parses the Link headers into rel -> URL.
func linkRels(h http.Header) map[string]string {
	out := map[string]string{}
	for _, l := range h.Values("Link") {
		u, rest, _ := strings.Cut(strings.TrimPrefix(l, "<"), ">")
		_, rel, _ := strings.Cut(rest, `rel="`)
		out[strings.TrimSuffix(rel, `"`)] = u
	}
	return out
}

func TestCustomerPagingHeadersAndLinks(t *testing.T) {
	dir, man := generated(t)
	s := startFake(t, Options{})
	if err := s.LoadGenerated(dir); err != nil {
		t.Fatal(err)
	}
	users := man.Counts.WooCustomers + 1
	pages := (users + 99) / 100
	seen := map[uint64]bool{}
	var last uint64
	for page := 1; page <= pages; page++ {
		r := s.do("GET", fmt.Sprintf("/customers?per_page=100&page=%d&role=all&orderby=id&order=asc", page), nil)
		if r.status != 200 {
			t.Fatalf("page %d: %d %s", page, r.status, r.body)
		}
		if r.header.Get("X-WP-Total") != strconv.Itoa(users) || r.header.Get("X-WP-TotalPages") != strconv.Itoa(pages) {
			t.Fatalf("page %d headers total=%s pages=%s, want %d %d", page, r.header.Get("X-WP-Total"), r.header.Get("X-WP-TotalPages"), users, pages)
		}
		var items []struct {
			ID uint64 `json:"id"`
		}
		if err := json.Unmarshal(r.body, &items); err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if seen[it.ID] || it.ID <= last {
				t.Fatalf("id %d out of order or repeated", it.ID)
			}
			seen[it.ID], last = true, it.ID
		}
		rels := linkRels(r.header)
		if rels["https://api.w.org/"] != s.URL()+"/wp-json/" {
			t.Fatalf("api.w.org link %q", rels["https://api.w.org/"])
		}
		if _, ok := rels["prev"]; ok != (page > 1) {
			t.Fatalf("page %d: prev link present=%v", page, ok)
		}
		next, ok := rels["next"]
		if ok != (page < pages) {
			t.Fatalf("page %d: next link present=%v", page, ok)
		}
		if ok {
			nu, err := url.Parse(next)
			if err != nil {
				t.Fatal(err)
			}
			q := nu.Query()
			if q.Get("page") != strconv.Itoa(page+1) || q.Get("role") != "all" || q.Get("oauth_consumer_key") != s.sg.key || q.Get("oauth_signature") == "" {
				t.Fatalf("next link %s does not repeat the query", next)
			}
			if !strings.HasPrefix(next, s.APIURL()+"/customers?") {
				t.Fatalf("next link %s", next)
			}
		}
	}
	if len(seen) != users {
		t.Fatalf("walked %d users, want %d", len(seen), users)
	}
	// Following a Link without re-signing is refused: its nonce is spent.
	r := s.do("GET", "/customers?per_page=100&page=1&role=all&orderby=id&order=asc", nil)
	if rr := s.doURL("GET", linkRels(r.header)["next"], nil); rr.status != 401 {
		t.Fatalf("following an unsigned Link: %d", rr.status)
	}
}

func TestAddQueryArgReencodes(t *testing.T) {
	// add_query_arg decodes the raw query a second time and urlencode()s it: "+" in a value
	// becomes a space, "/" and "=" are encoded.
	base := "http://x/wp-json/wc/v3/orders?modified_after=2026-11-23T09:06:21+02:00&oauth_signature=ab+c/d=&page=1"
	got := addQueryArg(base, "page", "2")
	want := "http://x/wp-json/wc/v3/orders?modified_after=2026-11-23T09%3A06%3A21+02%3A00&oauth_signature=ab+c%2Fd%3D&page=2"
	if got != want {
		t.Fatalf("\n got %s\nwant %s", got, want)
	}
}

func TestPerPageOver100(t *testing.T) {
	s := startFake(t, Options{})
	r := s.do("GET", "/customers?per_page=101&role=all", nil)
	want := `{"code":"rest_invalid_param","message":"Invalid parameter(s): per_page","data":{"status":400,"params":{"per_page":"per_page must be between 1 (inclusive) and 100 (inclusive)"},"details":{"per_page":{"code":"rest_out_of_bounds","message":"per_page must be between 1 (inclusive) and 100 (inclusive)","data":null}}}}`
	if r.status != 400 || string(r.body) != want {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if !s.hasViolation("per-page-over-100") {
		t.Fatal("no violation recorded")
	}
	r = s.do("GET", "/orders?status=shipped", nil)
	if e := r.wpErr(); r.status != 400 || e.Code != "rest_invalid_param" || !strings.Contains(string(r.body), `status[0] is not one of any, trash, pending`) {
		t.Fatalf("bad status: %d %s", r.status, r.body)
	}
	r = s.do("GET", "/orders?modified_after=yesterday", nil)
	if r.status != 400 || !strings.Contains(string(r.body), `"message":"Invalid date."`) {
		t.Fatalf("bad date: %d %s", r.status, r.body)
	}
}

func TestCustomersDefaultRoleHidesOthers(t *testing.T) {
	s := startFake(t, Options{})
	if _, err := s.AddCustomer(NewCustomer{Email: "c1@example.test"}); err != nil {
		t.Fatal(err)
	}
	r := s.do("GET", "/customers", nil)
	if r.header.Get("X-WP-Total") != "1" || strings.Contains(string(r.body), `"admin"`) || !s.hasViolation("customers-default-role") {
		t.Fatalf("default role: total %s body %s", r.header.Get("X-WP-Total"), r.body)
	}
	r = s.do("GET", "/customers?role=all", nil)
	if r.header.Get("X-WP-Total") != "2" {
		t.Fatalf("role=all total %s", r.header.Get("X-WP-Total"))
	}
}

func TestOrdersModifiedAfterPoll(t *testing.T) {
	dir, _ := generated(t)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	clock := &fixedClock{t: t0}
	s := startFake(t, Options{Now: clock.Now, Location: berlin})
	if err := s.LoadGenerated(dir); err != nil {
		t.Fatal(err)
	}
	ids := []uint64{100, 102, 104}
	for i, id := range ids {
		clock.Set(t0.Add(time.Duration(i) * time.Minute)) // 09:00, 09:01, 09:02 GMT
		done := "completed"
		if err := s.UpdateOrder(id, OrderUpdate{Status: &done}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Set(t0.Add(5 * time.Minute))
	poll := func(after string) []uint64 {
		r := s.do("GET", "/orders?per_page=100&page=1&status=any&modified_after="+url.QueryEscape(after)+"&dates_are_gmt=true&orderby=modified&order=asc", nil)
		if r.status != 200 {
			t.Fatalf("poll %s: %d %s", after, r.status, r.body)
		}
		var items []struct {
			ID              uint64 `json:"id"`
			DateModifiedGMT string `json:"date_modified_gmt"`
		}
		if err := json.Unmarshal(r.body, &items); err != nil {
			t.Fatal(err)
		}
		var out []uint64
		for _, it := range items {
			out = append(out, it.ID)
		}
		return out
	}
	// Strictly after, GMT without a zone: the order modified at exactly 09:00:00 is excluded.
	if got := poll("2026-11-23T09:00:00"); fmt.Sprint(got) != "[102 104]" {
		t.Fatalf("modified_after 09:00:00 -> %v", got)
	}
	if got := poll("2026-11-23T08:59:59"); fmt.Sprint(got) != "[100 102 104]" {
		t.Fatalf("modified_after 08:59:59 -> %v", got)
	}
	// With an offset, WordPress shifts the value into the site zone (Berlin, +1h) and then
	// compares it with the GMT column: "08:59:59Z" behaves like 09:59:59 GMT.
	if got := poll("2026-11-23T08:59:59Z"); len(got) != 0 {
		t.Fatalf("modified_after with Z -> %v, want none (site offset applied)", got)
	}
	if !s.hasViolation("gmt-date-with-offset") {
		t.Fatal("offset date not reported")
	}
	// The modified order's dates changed, local and GMT.
	raw, _ := s.Order(104)
	var o struct {
		Status, DateModified, DateModifiedGMT string `json:"-"`
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	o.Status, o.DateModified, o.DateModifiedGMT = m["status"].(string), m["date_modified"].(string), m["date_modified_gmt"].(string)
	if o.Status != "completed" || o.DateModifiedGMT != "2026-11-23T09:02:00" || o.DateModified != "2026-11-23T10:02:00" {
		t.Fatalf("order 104 after update: %+v", o)
	}
}

func TestRefundsEndpoint(t *testing.T) {
	s := startFake(t, Options{})
	cid, _ := s.AddCustomer(NewCustomer{Email: "buyer@example.test"})
	oid, err := s.AddOrder(NewOrder{CustomerID: cid, Currency: "USD", Lines: []Line{{Name: "Widget", ProductID: 10, Quantity: 5, Price: "9.99"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateOrder(oid, OrderUpdate{Refund: &Refund{Amount: "10.00", Reason: "test"}}); err != nil {
		t.Fatal(err)
	}
	r := s.do("GET", fmt.Sprintf("/orders/%d/refunds", oid), nil)
	var refunds []struct {
		ID     uint64 `json:"id"`
		Amount string `json:"amount"`
		Reason string `json:"reason"`
	}
	if err := json.Unmarshal(r.body, &refunds); err != nil || len(refunds) != 1 || refunds[0].Amount != "10.00" || refunds[0].ID != oid+1 {
		t.Fatalf("refunds %d %s", r.status, r.body)
	}
	raw, _ := s.Order(oid)
	if !strings.Contains(string(raw), `"total":"49.95"`) || !strings.Contains(string(raw), fmt.Sprintf(`"refunds":[{"id":%d,"reason":"test","total":"-10.00"}]`, oid+1)) {
		t.Fatalf("order after refund: %s", raw)
	}
	if r := s.do("GET", "/orders/999999/refunds", nil); r.status != 404 || r.wpErr().Code != "woocommerce_rest_invalid_order_id" {
		t.Fatalf("missing order: %d %s", r.status, r.body)
	}
}

func TestRenderedRecordsHaveRealKeyOrder(t *testing.T) {
	s := startFake(t, Options{})
	cid, _ := s.AddCustomer(NewCustomer{Email: "c001@example.test", FirstName: "C1"})
	oid, _ := s.AddOrder(NewOrder{Billing: Address{FirstName: "Guest", Country: "DE", Email: "guest@example.test"}, Currency: "EUR",
		Lines: []Line{{Name: "Widget", ProductID: 10, SKU: "W-1", Quantity: 2, Price: "9.99"}}})
	st, _ := s.Customer(cid)
	raw, _ := s.Order(oid)
	for _, c := range []struct {
		sample string
		got    []byte
	}{{"customer-3.json", st.Raw}, {"order-11-guest.json", raw}} {
		want := keysOf(t, readTestdata(t, c.sample))
		got := keysOf(t, c.got)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s keys\n got %v\nwant %v", c.sample, got, want)
		}
	}
	if !strings.Contains(string(raw), `"customer_id":0`) || !strings.Contains(string(raw), `"total":"19.98"`) || !strings.Contains(string(raw), `"currency_symbol":"€"`) {
		t.Fatalf("guest order %s", raw)
	}
}
