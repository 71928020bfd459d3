package woofake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestBatchOver100Is413(t *testing.T) {
	s := startFake(t, Options{})
	items := make([]map[string]any, 101)
	for i := range items {
		items[i] = map[string]any{"id": i + 2, "meta_data": []map[string]any{{"key": "cohort_segments", "value": "x"}}}
	}
	r := s.do(http.MethodPost, "/customers/batch", map[string]any{"update": items})
	want := `{"code":"woocommerce_rest_request_entity_too_large","message":"Unable to accept more than 100 items for this request.","data":{"status":413}}`
	if r.status != http.StatusRequestEntityTooLarge || string(r.body) != want || !s.hasViolation("batch-over-100") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := s.do(http.MethodPost, "/customers/batch", map[string]any{"update": items[:100]}); r.status != 200 {
		t.Fatalf("100 items: %d", r.status)
	}
}

func TestBatchMetaWriteEchoesAndPerItemErrors(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	clock := &fixedClock{t: t0}
	rv := newReceiver(t, nil)
	s := startFake(t, Options{Now: clock.Now})
	a, _ := s.AddCustomer(NewCustomer{Email: "a@example.test", Meta: []Meta{{Key: "wc_last_active", Value: "1795392000"}}})
	b, _ := s.AddCustomer(NewCustomer{Email: "b@example.test"})
	createHook(t, s, "customer.updated", rv.srv.URL)
	rv.waitFor(t, 1)
	clock.Set(t0.Add(time.Hour))
	body := map[string]any{"update": []map[string]any{
		{"id": a, "meta_data": []map[string]any{{"key": "cohort_segments", "value": []string{"vip", "rfm:champions"}}, {"key": "_private", "value": "x"}}},
		{"id": b, "meta_data": []map[string]any{{"key": "cohort_segments", "value": []string{"new"}}}},
		{"id": 999999, "meta_data": []map[string]any{{"key": "cohort_segments", "value": []string{}}}},
	}}
	r := s.do(http.MethodPost, "/customers/batch", body)
	var out struct {
		Update []struct {
			ID              json.RawMessage `json:"id"`
			DateModifiedGMT string          `json:"date_modified_gmt"`
			Error           *struct {
				Code    string `json:"code"`
				Message string `json:"message"`
				Data    struct {
					Status int `json:"status"`
				} `json:"data"`
			} `json:"error"`
		} `json:"update"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil || r.status != 200 || len(out.Update) != 3 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if out.Update[0].Error != nil || out.Update[0].DateModifiedGMT != "2026-11-23T10:00:00" {
		t.Fatalf("item 0: %s", r.body)
	}
	if e := out.Update[2].Error; e == nil || e.Code != "woocommerce_rest_invalid_id" || e.Message != "Invalid resource ID." || e.Data.Status != 400 || string(out.Update[2].ID) != "999999" {
		t.Fatalf("item 2: %s", r.body)
	}
	st, _ := s.Customer(a)
	keys := map[string]any{}
	for _, m := range st.Meta {
		keys[m.Key] = m.Value
	}
	if fmt.Sprint(keys["cohort_segments"]) != "[vip rfm:champions]" || keys["wc_last_active"] != "1795392000" || keys["_private"] != nil {
		t.Fatalf("meta after write: %+v", st.Meta)
	}
	if !st.DateModifiedGMT.Equal(t0.Add(time.Hour)) || !s.hasViolation("meta-underscore-dropped") {
		t.Fatalf("date_modified %v", st.DateModifiedGMT)
	}
	// The write echoes as customer.updated, once per customer.
	got := rv.waitFor(t, 3)[1:]
	ids := map[string]bool{}
	for _, d := range got {
		var c struct {
			ID uint64 `json:"id"`
		}
		_ = json.Unmarshal(d.body, &c)
		ids[fmt.Sprint(c.ID)] = true
	}
	if !ids[fmt.Sprint(a)] || !ids[fmt.Sprint(b)] {
		t.Fatalf("echo deliveries for %v", ids)
	}

	// A second write by key replaces the value in place (same meta id); null deletes.
	var before uint64
	for _, m := range st.Meta {
		if m.Key == "cohort_segments" {
			before = m.ID
		}
	}
	s.do(http.MethodPost, "/customers/batch", map[string]any{"update": []map[string]any{{"id": a, "meta_data": []map[string]any{{"key": "cohort_segments", "value": []string{"lost"}}}}}})
	st, _ = s.Customer(a)
	for _, m := range st.Meta {
		if m.Key == "cohort_segments" && (m.ID != before || fmt.Sprint(m.Value) != "[lost]") {
			t.Fatalf("replace: %+v (id before %d)", m, before)
		}
	}
	s.do(http.MethodPost, "/customers/batch", map[string]any{"update": []map[string]any{{"id": a, "meta_data": []map[string]any{{"key": "cohort_segments", "value": nil}}}}})
	st, _ = s.Customer(a)
	for _, m := range st.Meta {
		if m.Key == "cohort_segments" {
			t.Fatalf("null did not delete: %+v", st.Meta)
		}
	}
}

func TestCustomerGetAndUpdateErrors(t *testing.T) {
	s := startFake(t, Options{})
	if r := s.do("GET", "/customers/424242", nil); r.status != 404 || r.wpErr().Code != "woocommerce_rest_invalid_id" {
		t.Fatalf("missing customer: %d %s", r.status, r.body)
	}
	// Existence is checked before permissions, as WooCommerce's permissions_check does.
	if r := s.doURL("GET", s.APIURL()+"/customers/424242", nil); r.status != 404 {
		t.Fatalf("anonymous missing customer: %d", r.status)
	}
	if r := s.doURL("GET", s.APIURL()+"/customers/1", nil); r.status != 401 || r.wpErr().Code != "woocommerce_rest_cannot_view" {
		t.Fatalf("anonymous customer: %d %s", r.status, r.body)
	}
	if r := s.do("GET", "/orders/424242", nil); r.status != 404 || r.wpErr().Code != "woocommerce_rest_shop_order_invalid_id" {
		t.Fatalf("missing order: %d %s", r.status, r.body)
	}
	if r := s.do("GET", "/products", nil); r.status != 404 || r.wpErr().Code != "rest_no_route" {
		t.Fatalf("unmodelled route: %d %s", r.status, r.body)
	}
	if r := s.do(http.MethodPost, "/customers/batch", nil); r.status != 200 || string(r.body) != "[]" {
		t.Fatalf("empty batch: %d %s", r.status, r.body)
	}
	id, _ := s.AddCustomer(NewCustomer{Email: "u@example.test"})
	r := s.do(http.MethodPut, fmt.Sprintf("/customers/%d", id), map[string]any{"username": "other"})
	if r.status != 400 || r.wpErr().Message != "Username isn't editable." {
		t.Fatalf("username change: %d %s", r.status, r.body)
	}
	r = s.do(http.MethodPut, fmt.Sprintf("/customers/%d", id), map[string]any{"billing": map[string]any{"city": "Berlin"}})
	if r.status != 200 || !strings.Contains(string(r.body), `"city":"Berlin","postcode":""`) {
		t.Fatalf("billing merge: %d %s", r.status, r.body)
	}
}

func TestFaults(t *testing.T) {
	s := startFake(t, Options{})
	path := "/customers?role=all"
	cases := []struct {
		fault  Fault
		status int
		ctype  string
		check  func(r resp) bool
	}{
		{Fault{Kind: FaultServerError}, 500, "application/json", func(r resp) bool { return r.wpErr().Code == "internal_server_error" }},
		{Fault{Kind: FaultServerError, Status: 502}, 502, "text/html", func(r resp) bool { return strings.Contains(string(r.body), "502 Bad Gateway") }},
		{Fault{Kind: FaultHTML}, 200, "text/html", func(r resp) bool { return strings.Contains(string(r.body), "loginform") }},
		{Fault{Kind: FaultHTML, Page: PageMaintenance}, 503, "text/html", func(r resp) bool { return r.header.Get("Retry-After") == "600" }},
		{Fault{Kind: FaultRateLimit, Delay: 3 * time.Second}, 429, "text/html", func(r resp) bool { return r.header.Get("Retry-After") == "3" }},
		{Fault{Kind: FaultTimeout, Delay: 20 * time.Millisecond}, 504, "text/html", func(resp) bool { return true }},
		{Fault{Kind: FaultNoRoute}, 404, "application/json", func(r resp) bool { return r.wpErr().Code == "rest_no_route" }},
	}
	for i, c := range cases {
		s.InjectFault(c.fault)
		r := s.do("GET", path, nil)
		if r.status != c.status || !strings.HasPrefix(r.header.Get("Content-Type"), c.ctype) || !c.check(r) {
			t.Errorf("case %d: %d %s %.80s", i, r.status, r.header.Get("Content-Type"), r.body)
		}
		if r := s.do("GET", path, nil); r.status != 200 {
			t.Errorf("case %d: fault fired twice: %d", i, r.status)
		}
	}
	if got := s.Stats().FaultsInjected; got != int64(len(cases)) {
		t.Fatalf("faults fired %d", got)
	}
	// Outside the REST API a site answers its theme's HTML 404.
	r := s.doURL("GET", s.URL()+"/wc-api/v3/customers", nil)
	if r.status != 404 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !s.hasViolation("not-rest") {
		t.Fatalf("non-REST path: %d %s", r.status, r.header.Get("Content-Type"))
	}
}

func TestPlainPermalinks(t *testing.T) {
	s := startFake(t, Options{PlainPermalinks: true})
	if r := s.doURL("GET", s.URL()+"/wp-json/wc/v3/customers", nil); r.status != 404 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("pretty URL on plain permalinks: %d %s", r.status, r.header.Get("Content-Type"))
	}
	r := s.doURL("GET", s.sg.sign("GET", s.URL()+"/?rest_route=/wc/v3/customers&role=all", ""), nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"admin"`) {
		t.Fatalf("rest_route: %d %s", r.status, r.body)
	}
}

func TestStatsPerEndpoint(t *testing.T) {
	s := startFake(t, Options{})
	s.do("GET", "/customers?role=all", nil)
	s.do("GET", "/customers/1", nil)
	s.do("GET", "/customers/2", nil)
	s.do("GET", "/customers?per_page=500", nil)
	st := s.Stats()
	if st.ByEndpoint["GET /customers"] != 2 || st.ByEndpoint["GET /customers/{id}"] != 2 || st.Answered4xx != 2 || st.Requests != 4 {
		t.Fatalf("stats %+v", st)
	}
}
