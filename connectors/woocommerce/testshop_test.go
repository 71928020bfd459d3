package woocommerce

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testKey    = "ck_0123456789abcdef0123456789abcdef01234567"
	testSecret = "cs_fedcba9876543210fedcba9876543210fedcba98"
)

// testShop is a small WooCommerce stand-in for the client's tests: it authenticates like
// WooCommerce (phpVerifier over http, Basic over https), serves id-only list items with
// X-WP-Total/X-WP-TotalPages and Link headers that repeat the query string (oauth_*
// included, as the real store does), enforces per_page <= 100 and batches <= 100, and counts
// requests. (The faithful fake is woofake; this one is independent of it.)
type testShop struct {
	t      *testing.T
	srv    *httptest.Server
	verify *phpVerifier
	tls    bool

	mu        sync.Mutex
	customers int // ids 1..customers
	orders    int
	meta      map[int64]map[string]json.RawMessage
	webhooks  []map[string]any
	// fault, if set, may answer a request instead of the shop (return true when it did).
	fault func(w http.ResponseWriter, r *http.Request) bool

	requests  atomic.Int64
	byRoute   sync.Map // route -> *atomic.Int64
	inflight  atomic.Int64
	maxFlight atomic.Int64
	delay     time.Duration       // per list request, to make parallelism observable
	noTotals  bool                // leave out X-WP-Total and X-WP-TotalPages
	raw       map[string][][]byte // resource -> JSON items served instead of id-only ones
	pages     sync.Map            // "resource page" -> count, to catch a page fetched twice
}

func newTestShop(t *testing.T, tls bool) *testShop {
	s := &testShop{t: t, tls: tls, meta: map[int64]map[string]json.RawMessage{}}
	h := http.HandlerFunc(s.serve)
	if tls {
		s.srv = httptest.NewTLSServer(h)
	} else {
		s.srv = httptest.NewServer(h)
	}
	s.verify = &phpVerifier{home: s.srv.URL, key: testKey, secret: testSecret, now: time.Now}
	t.Cleanup(s.srv.Close)
	return s
}

// client returns a Client for the shop with fast retries.
func (s *testShop) client(t *testing.T, mod func(*Options)) *Client {
	t.Helper()
	o := Options{URL: s.srv.URL, ConsumerKey: testKey, ConsumerSecret: testSecret,
		RetryBase: time.Millisecond, RetryMax: 5 * time.Millisecond, MaxRetryAfter: 10 * time.Millisecond}
	if s.tls {
		o.HTTPClient = s.srv.Client()
	}
	if mod != nil {
		mod(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// setFault installs (or with nil removes) the fault hook.
func (s *testShop) setFault(f func(w http.ResponseWriter, r *http.Request) bool) {
	s.mu.Lock()
	s.fault = f
	s.mu.Unlock()
}

func (s *testShop) count(route string) int64 {
	if v, ok := s.byRoute.Load(route); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func wpErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"code": code, "message": msg, "data": map[string]any{"status": status}})
}

func (s *testShop) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	n := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	for {
		m := s.maxFlight.Load()
		if n <= m || s.maxFlight.CompareAndSwap(m, n) {
			break
		}
	}
	s.mu.Lock()
	fault := s.fault
	s.mu.Unlock()
	if fault != nil && fault(w, r) {
		return
	}
	route, ok := strings.CutPrefix(r.URL.Path, APIPath+"/")
	if !ok {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(404)
		_, _ = io.WriteString(w, "<html><head><title>Page not found &#8211; Shop</title></head><body>Oops</body></html>")
		return
	}
	key := route
	if i := strings.IndexAny(route, "0123456789"); i > 0 {
		key = route[:i] + "N" + strings.TrimLeft(route[i:], "0123456789")
	}
	v, _ := s.byRoute.LoadOrStore(key, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)

	// Authentication as WooCommerce does it.
	if s.tls && r.TLS != nil {
		user, pass, ok := r.BasicAuth()
		if !ok || user != testKey || pass != testSecret {
			wpErr(w, 401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
			return
		}
	} else if e := s.verify.verify(r); e != nil {
		wpErr(w, e.status, e.code, e.message)
		return
	}
	q := r.URL.Query()
	if pp := q.Get("per_page"); pp != "" {
		if n, err := strconv.Atoi(pp); err != nil || n < 1 || n > 100 {
			writeJSON(w, 400, map[string]any{"code": "rest_invalid_param", "message": "Invalid parameter(s): per_page",
				"data": map[string]any{"status": 400, "params": map[string]string{"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"}}})
			return
		}
	}
	switch {
	case r.Method == "GET" && (route == "customers" || route == "orders"):
		s.list(w, r, route)
	case r.Method == "GET" && route == "webhooks":
		s.mu.Lock()
		hooks := append([]map[string]any(nil), s.webhooks...)
		s.mu.Unlock()
		w.Header().Set("X-WP-Total", strconv.Itoa(len(hooks)))
		w.Header().Set("X-WP-TotalPages", "1")
		if hooks == nil {
			hooks = []map[string]any{}
		}
		writeJSON(w, 200, hooks)
	case r.Method == "POST" && route == "webhooks":
		var in map[string]any
		_ = json.NewDecoder(r.Body).Decode(&in)
		s.mu.Lock()
		in["id"] = len(s.webhooks) + 1
		delete(in, "secret") // not listed back
		if strings.Contains(in["delivery_url"].(string), "unreachable") {
			in["status"] = "disabled"
		}
		s.webhooks = append(s.webhooks, in)
		s.mu.Unlock()
		writeJSON(w, 201, in)
	case r.Method == "PUT" && strings.HasPrefix(route, "webhooks/"):
		id, _ := strconv.Atoi(strings.TrimPrefix(route, "webhooks/"))
		var in map[string]any
		_ = json.NewDecoder(r.Body).Decode(&in)
		s.mu.Lock()
		defer s.mu.Unlock()
		if id < 1 || id > len(s.webhooks) {
			wpErr(w, 404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
			return
		}
		s.webhooks[id-1]["status"] = in["status"]
		writeJSON(w, 200, s.webhooks[id-1])
	case r.Method == "POST" && route == "customers/batch":
		s.batch(w, r)
	case r.Method == "GET" && strings.HasPrefix(route, "customers/"):
		id, _ := strconv.Atoi(strings.TrimPrefix(route, "customers/"))
		if id < 1 || id > s.customers {
			wpErr(w, 404, "woocommerce_rest_invalid_id", "Invalid resource ID.")
			return
		}
		writeJSON(w, 200, map[string]any{"id": id, "email": fmt.Sprintf("c%d@example.test", id)})
	default:
		wpErr(w, 404, "rest_no_route", "No route was found matching the URL and request method.")
	}
}

// list serves a page of id-only items, with the headers and Link WooCommerce sends.
func (s *testShop) list(w http.ResponseWriter, r *http.Request, resource string) {
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	q := r.URL.Query()
	perPage, _ := strconv.Atoi(q.Get("per_page"))
	if perPage == 0 {
		perPage = 10
	}
	page, _ := strconv.Atoi(q.Get("page"))
	if page == 0 {
		page = 1
	}
	v, _ := s.pages.LoadOrStore(resource+" "+q.Get("page"), new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	s.mu.Lock()
	total := s.customers
	if resource == "orders" {
		total = s.orders
	}
	raw := s.raw[resource]
	if raw != nil {
		total = len(raw)
	}
	s.mu.Unlock()
	pages := (total + perPage - 1) / perPage
	if !s.noTotals {
		w.Header().Set("X-WP-Total", strconv.Itoa(total))
		w.Header().Set("X-WP-TotalPages", strconv.Itoa(pages))
	}
	link := func(p int, rel string) string {
		q2 := url.Values{}
		for k, vs := range q {
			q2[k] = vs
		}
		q2.Set("page", strconv.Itoa(p))
		return fmt.Sprintf(`<%s%s?%s>; rel="%s"`, s.srv.URL, r.URL.Path, q2.Encode(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"))
	}
	if page < pages {
		links = append(links, link(page+1, "next"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	var b strings.Builder
	b.WriteByte('[')
	for id := (page-1)*perPage + 1; id <= min(page*perPage, total); id++ {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		if raw != nil {
			b.Write(raw[id-1])
			continue
		}
		fmt.Fprintf(&b, `{"id":%d}`, id)
	}
	b.WriteByte(']')
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_, _ = io.WriteString(w, b.String())
}

func (s *testShop) batch(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Update []struct {
			ID   int64 `json:"id"`
			Meta []struct {
				Key   string          `json:"key"`
				Value json.RawMessage `json:"value"`
			} `json:"meta_data"`
		} `json:"update"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		wpErr(w, 400, "rest_invalid_json", "Invalid JSON body passed.")
		return
	}
	if len(in.Update) > 100 {
		wpErr(w, 413, "woocommerce_rest_request_entity_too_large", "Unable to accept more than 100 items for this request.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, it := range in.Update {
		if it.ID < 1 || it.ID > int64(s.customers) {
			out = append(out, map[string]any{"id": it.ID, "error": map[string]any{"code": "woocommerce_rest_invalid_id", "message": "Invalid resource ID.", "data": map[string]any{"status": 400}}})
			continue
		}
		m := s.meta[it.ID]
		if m == nil {
			m = map[string]json.RawMessage{}
			s.meta[it.ID] = m
		}
		for _, e := range it.Meta {
			if strings.HasPrefix(e.Key, "_") {
				continue // dropped silently, as WooCommerce does
			}
			m[e.Key] = e.Value
		}
		out = append(out, map[string]any{"id": it.ID, "meta_data": m})
	}
	writeJSON(w, 200, map[string]any{"update": out})
}
