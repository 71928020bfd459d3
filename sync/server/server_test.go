package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// testServer is a Server serving on 127.0.0.1:0.
type testServer struct {
	*Server
	url      string
	serveErr chan error
}

func newServer(t *testing.T, opts Options, setup func(*Server)) *testServer {
	t.Helper()
	opts.Listen = "127.0.0.1:0"
	s := New(opts)
	if setup != nil {
		setup(s)
	}
	if err := s.Listen(); err != nil {
		t.Fatalf("Listen: %v", err)
	}
	ts := &testServer{Server: s, url: "http://" + s.Addr().String(), serveErr: make(chan error, 1)}
	go func() { ts.serveErr <- s.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		select {
		case err := <-ts.serveErr:
			if err != nil {
				t.Errorf("Serve returned %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after Shutdown")
		}
	})
	return ts
}

func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, string(body)
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestHealthz(t *testing.T) {
	ts := newServer(t, Options{}, nil)
	resp, body := get(t, ts.url+"/healthz")
	if resp.StatusCode != 200 || body != "ok\n" {
		t.Fatalf("GET /healthz = %d %q", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("Content-Type = %q", ct)
	}
	if resp, _ := get(t, ts.url+"/nope"); resp.StatusCode != 404 {
		t.Fatalf("GET /nope = %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, ts.url+"/healthz", nil)
	if resp, _ := do(t, req); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST /healthz = %d, want 405", resp.StatusCode)
	}
}

func TestDefaults(t *testing.T) {
	s := New(Options{})
	o := s.opts
	if o.MaxBodyBytes != 5<<20 || o.ReadTimeout != 10*time.Second || o.WriteTimeout != 30*time.Second ||
		o.IdleTimeout != 60*time.Second || o.ReadHeaderTimeout != 5*time.Second || o.CheckTimeout != 2*time.Second {
		t.Fatalf("defaults: %+v", o)
	}
	if s.srv.ReadHeaderTimeout != 5*time.Second || s.srv.ReadTimeout != 10*time.Second ||
		s.srv.WriteTimeout != 30*time.Second || s.srv.IdleTimeout != 60*time.Second {
		t.Fatalf("http.Server timeouts not applied: %+v", s.srv)
	}
	if s.Addr() != nil {
		t.Fatalf("Addr before Listen = %v", s.Addr())
	}
	if err := s.Listen(); err == nil || !strings.Contains(err.Error(), "Listen is empty") {
		t.Fatalf("Listen with empty address = %v", err)
	}
}

func decodeReadiness(t *testing.T, body string) readiness {
	t.Helper()
	var r readiness
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("readyz body is not JSON: %v: %q", err, body)
	}
	return r
}

func TestReadyz(t *testing.T) {
	ok := func(context.Context) error { return nil }
	t.Run("ready", func(t *testing.T) {
		ts := newServer(t, Options{Checks: []Check{{Name: "store", Fn: ok}, {Name: "scheduler", Fn: ok}}}, nil)
		resp, body := get(t, ts.url+"/readyz")
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		if body != `{"status":"ready","checks":{"scheduler":"ok","store":"ok"}}`+"\n" {
			t.Fatalf("body = %q", body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type = %q", ct)
		}
	})
	t.Run("not ready", func(t *testing.T) {
		ts := newServer(t, Options{
			CheckTimeout: 100 * time.Millisecond,
			Checks: []Check{
				{Name: "store", Fn: ok},
				{Name: "shopify", Fn: func(context.Context) error { return errors.New("shopify: 401 unauthorized") }},
				{Name: "stuck", Fn: func(context.Context) error { select {} }}, // ignores ctx
				{Name: "panicky", Fn: func(context.Context) error { panic("oops") }},
			},
		}, nil)
		start := time.Now()
		resp, body := get(t, ts.url+"/readyz")
		if el := time.Since(start); el > 2*time.Second {
			t.Fatalf("readyz took %v with a 100ms check timeout", el)
		}
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		r := decodeReadiness(t, body)
		if r.Status != "not ready" || r.Checks["store"] != "ok" || r.Checks["shopify"] != "shopify: 401 unauthorized" ||
			r.Checks["stuck"] != "timed out after 100ms: context deadline exceeded" || r.Checks["panicky"] != "panic: oops" {
			t.Fatalf("readiness = %+v", r)
		}
	})
	// A failing destination shows, but does not stop webhook intake: still 200.
	t.Run("degraded", func(t *testing.T) {
		ts := newServer(t, Options{Checks: []Check{
			{Name: "store", Fn: ok},
			{Name: "destinations", Degraded: true, Fn: func(context.Context) error { return errors.New("news: 5 sends failed") }},
		}}, nil)
		resp, body := get(t, ts.url+"/readyz")
		r := decodeReadiness(t, body)
		if resp.StatusCode != 200 || r.Status != "degraded" || r.Checks["destinations"] != "news: 5 sends failed" || r.Checks["store"] != "ok" {
			t.Fatalf("status %d, readiness = %+v", resp.StatusCode, r)
		}
	})
}

func TestMetricsEndpoint(t *testing.T) {
	reg := prometheus.NewRegistry()
	widgets := prometheus.NewCounter(prometheus.CounterOpts{Name: "cohortd_test_widgets_total", Help: "test"})
	reg.MustRegister(widgets)
	widgets.Add(7)
	ts := newServer(t, Options{Gatherer: reg, Registerer: reg}, func(s *Server) {
		s.Handle("GET /items/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, r.PathValue("id"))
		}))
	})
	get(t, ts.url+"/healthz")
	get(t, ts.url+"/items/1")
	get(t, ts.url+"/items/2")
	get(t, ts.url+"/does/not/exist")

	resp, body := get(t, ts.url+"/metrics")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics = %d", resp.StatusCode)
	}
	for _, want := range []string{
		"cohortd_test_widgets_total 7\n",
		`cohortd_http_requests_total{code="200",route="GET /healthz"} 1` + "\n",
		`cohortd_http_requests_total{code="200",route="GET /items/{id}"} 2` + "\n",
		`cohortd_http_requests_total{code="404",route="unmatched"} 1` + "\n",
		`cohortd_http_request_duration_seconds_count{route="GET /items/{id}"} 2` + "\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, `route="/items/1"`) {
		t.Error("raw path used as route label")
	}
}

func TestMetricsDefaultRegistry(t *testing.T) {
	ts := newServer(t, Options{}, nil)
	get(t, ts.url+"/healthz")
	_, body := get(t, ts.url+"/metrics")
	for _, want := range []string{"go_goroutines ", "process_cpu_seconds_total ", `cohortd_http_requests_total{code="200",route="GET /healthz"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestBodyLimit(t *testing.T) {
	ts := newServer(t, Options{MaxBodyBytes: 1024}, func(s *Server) {
		s.Handle("POST /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, ok := ReadBody(w, r)
			if !ok {
				return
			}
			fmt.Fprintf(w, "read %d", len(b))
		}))
		s.Handle("POST /raw", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, err := io.ReadAll(r.Body)
			var mbe *http.MaxBytesError
			fmt.Fprintf(w, "isMaxBytes=%v err=%v", errors.As(err, &mbe), err)
		}))
	})
	post := func(path string, body io.Reader) (*http.Response, string) {
		req, err := http.NewRequest(http.MethodPost, ts.url+path, body)
		if err != nil {
			t.Fatal(err)
		}
		return do(t, req)
	}
	if resp, body := post("/echo", strings.NewReader(strings.Repeat("a", 1024))); resp.StatusCode != 200 || body != "read 1024" {
		t.Fatalf("at limit: %d %q", resp.StatusCode, body)
	}
	resp, body := post("/echo", strings.NewReader(strings.Repeat("a", 4096)))
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "limit 1024 bytes") {
		t.Fatalf("over limit: %d %q", resp.StatusCode, body)
	}
	// Chunked body (no Content-Length): the limit applies while reading.
	chunked := io.MultiReader(strings.NewReader(strings.Repeat("b", 1000)), strings.NewReader(strings.Repeat("b", 1000)))
	if resp, body := post("/echo", struct{ io.Reader }{chunked}); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked over limit: %d %q", resp.StatusCode, body)
	}
	if _, body := post("/raw", strings.NewReader(strings.Repeat("c", 2048))); body != "isMaxBytes=true err=http: request body too large" {
		t.Fatalf("raw handler saw %q", body)
	}
}

func TestRequestID(t *testing.T) {
	ts := newServer(t, Options{}, func(s *Server) {
		s.Handle("GET /id", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, RequestID(r.Context()))
		}))
	})
	call := func(in string) (header, seen string) {
		req, _ := http.NewRequest(http.MethodGet, ts.url+"/id", nil)
		if in != "" {
			req.Header.Set("X-Request-Id", in)
		}
		resp, body := do(t, req)
		return resp.Header.Get("X-Request-Id"), body
	}
	max := strings.Repeat("a", 64)
	for _, in := range []string{"abc-DEF_123", max} {
		if h, seen := call(in); h != in || seen != in {
			t.Errorf("valid id %q: header %q, context %q", in, h, seen)
		}
	}
	var generated []string
	for _, in := range []string{"", "bad id!", strings.Repeat("a", 65), `{"level":"x"}`, "ünï"} {
		h, seen := call(in)
		if !hex32.MatchString(h) || seen != h {
			t.Errorf("id %q: header %q, context %q; want a fresh 32-hex id in both", in, h, seen)
		}
		generated = append(generated, h)
	}
	if generated[0] == generated[1] {
		t.Errorf("generated ids repeat: %v", generated)
	}
	if got := RequestID(context.Background()); got != "" {
		t.Errorf("RequestID(empty ctx) = %q", got)
	}
}

func TestPanicRecovery(t *testing.T) {
	logs := &syncBuffer{}
	reg := prometheus.NewRegistry()
	ts := newServer(t, Options{Logger: zerolog.New(logs), Registerer: reg, Gatherer: reg}, func(s *Server) {
		s.Handle("GET /panic", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("handler exploded") }))
	})
	req, _ := http.NewRequest(http.MethodGet, ts.url+"/panic", nil)
	req.Header.Set("X-Request-Id", "req-panic-1")
	resp, body := do(t, req)
	if resp.StatusCode != 500 || body != "internal server error\n" {
		t.Fatalf("GET /panic = %d %q", resp.StatusCode, body)
	}
	if resp, body := get(t, ts.url+"/healthz"); resp.StatusCode != 200 || body != "ok\n" {
		t.Fatalf("after panic: GET /healthz = %d %q", resp.StatusCode, body)
	}
	out := logs.String()
	if !strings.Contains(out, `"request_id":"req-panic-1"`) || !strings.Contains(out, `"panic":"handler exploded"`) ||
		!strings.Contains(out, `"message":"http handler panic"`) {
		t.Fatalf("panic log:\n%s", out)
	}
	if got := testutil.ToFloat64(ts.metrics.requests.WithLabelValues("GET /panic", "500")); got != 1 {
		t.Fatalf("500 counter = %v", got)
	}
}

func TestAccessLog(t *testing.T) {
	logs := &syncBuffer{}
	ts := newServer(t, Options{Logger: zerolog.New(logs).Level(zerolog.DebugLevel)}, nil)
	req, _ := http.NewRequest(http.MethodGet, ts.url+"/healthz?email=jane.doe@example.com", nil)
	req.Header.Set("X-Request-Id", "req-log-1")
	do(t, req)
	var line map[string]any
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `"message":"http request"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if line == nil {
		t.Fatalf("no access log line:\n%s", logs.String())
	}
	if line["level"] != "debug" || line["method"] != "GET" || line["path"] != "/healthz" || line["route"] != "GET /healthz" ||
		line["status"] != float64(200) || line["bytes"] != float64(3) || line["request_id"] != "req-log-1" || line["duration"] == nil {
		t.Fatalf("access log = %v", line)
	}
	if strings.Contains(logs.String(), "jane") {
		t.Fatalf("query string leaked into logs:\n%s", logs.String())
	}
}

func TestAdminToken(t *testing.T) {
	ts := newServer(t, Options{AdminToken: "s3cret-token"}, func(s *Server) {
		s.HandleAdmin("GET /admin/jobs", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprint(w, "jobs")
		}))
	})
	tests := []struct {
		auth       string
		wantStatus int
		wantChall  string
	}{
		{"", 401, `Bearer realm="cohortd admin"`},
		{"Bearer wrong", 401, `Bearer realm="cohortd admin", error="invalid_token"`},
		{"Bearer s3cret-token-and-more", 401, `Bearer realm="cohortd admin", error="invalid_token"`},
		{"Basic czNjcmV0LXRva2Vu", 401, `Bearer realm="cohortd admin"`},
		{"Bearer s3cret-token", 200, ""},
		{"bearer s3cret-token", 200, ""},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodGet, ts.url+"/admin/jobs", nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		resp, body := do(t, req)
		if resp.StatusCode != tt.wantStatus || resp.Header.Get("WWW-Authenticate") != tt.wantChall {
			t.Errorf("auth %q: %d %q (WWW-Authenticate %q)", tt.auth, resp.StatusCode, body, resp.Header.Get("WWW-Authenticate"))
		}
		if tt.wantStatus == 200 && body != "jobs" {
			t.Errorf("auth %q: body %q", tt.auth, body)
		}
	}
	// With a token, non-loopback clients are fine.
	req := httptest.NewRequest(http.MethodGet, "/admin/jobs", nil)
	req.RemoteAddr = "203.0.113.7:40000"
	req.Header.Set("Authorization", "Bearer s3cret-token")
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Body.String() != "jobs" {
		t.Fatalf("remote client with token: %d %q", rec.Code, rec.Body.String())
	}
}

func TestAdminLoopbackOnlyWithoutToken(t *testing.T) {
	ts := newServer(t, Options{}, func(s *Server) {
		s.HandleAdmin("POST /admin/run/{job}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "ran "+r.PathValue("job"))
		}))
	})
	req, _ := http.NewRequest(http.MethodPost, ts.url+"/admin/run/sync", nil)
	if resp, body := do(t, req); resp.StatusCode != 200 || body != "ran sync" {
		t.Fatalf("from 127.0.0.1: %d %q", resp.StatusCode, body)
	}
	for addr, want := range map[string]int{
		"203.0.113.7:40000":        403,
		"172.17.0.1:5000":          403, // Docker bridge gateway
		"[2001:db8::1]:443":        403,
		"garbage":                  403,
		"127.0.0.1:1234":           200,
		"127.1.2.3:1234":           200,
		"[::1]:1234":               200,
		"[::ffff:127.0.0.1]:1234":  200,
		"[::ffff:203.0.113.7]:123": 403,
	} {
		req := httptest.NewRequest(http.MethodPost, "/admin/run/sync", nil)
		req.RemoteAddr = addr
		rec := httptest.NewRecorder()
		ts.Handler().ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("RemoteAddr %s: %d %q, want %d", addr, rec.Code, rec.Body.String(), want)
		}
	}
}

func TestShutdownDrainsInFlight(t *testing.T) {
	started := make(chan struct{})
	ts := newServer(t, Options{}, func(s *Server) {
		s.Handle("GET /slow", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			close(started)
			time.Sleep(300 * time.Millisecond)
			fmt.Fprint(w, "done")
		}))
	})
	type result struct {
		status int
		body   string
		err    error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get(ts.url + "/slow")
		if err != nil {
			res <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		res <- result{resp.StatusCode, string(b), err}
	}()
	<-started

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	shutdownErr := make(chan error, 1)
	go func() { shutdownErr <- ts.Shutdown(ctx) }()

	select {
	case err := <-ts.serveErr:
		t.Fatalf("Serve returned (%v) before the in-flight request finished", err)
	case <-time.After(100 * time.Millisecond):
	}
	r := <-res
	if r.err != nil || r.status != 200 || r.body != "done" {
		t.Fatalf("in-flight request: %+v", r)
	}
	if err := <-shutdownErr; err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	select {
	case err := <-ts.serveErr:
		if err != nil {
			t.Fatalf("Serve = %v, want nil", err)
		}
		ts.serveErr <- nil // for the cleanup
	case <-time.After(2 * time.Second):
		t.Fatal("Serve did not return after Shutdown")
	}
	if c, err := net.DialTimeout("tcp", ts.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Fatal("still accepting connections after Shutdown")
	}
}

func TestShutdownBeforeServeClosesListener(t *testing.T) {
	s := New(Options{Listen: "127.0.0.1:0"})
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	addr := s.Addr().String()
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("listener still open")
	}
	if err := s.Serve(); err != nil {
		t.Fatalf("Serve after Shutdown = %v, want nil", err)
	}
}

func TestListenReportsBindError(t *testing.T) {
	ts := newServer(t, Options{}, nil)
	s2 := New(Options{Listen: ts.Addr().String()})
	err := s2.Listen()
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Listen on a used port = %v", err)
	}
}

func TestReadHeaderTimeoutCutsSlowloris(t *testing.T) {
	ts := newServer(t, Options{ReadHeaderTimeout: 200 * time.Millisecond}, nil)
	conn, err := net.Dial("tcp", ts.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	start := time.Now()
	closed := make(chan error, 1)
	go func() {
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := io.ReadAll(conn) // returns at EOF (server closed) or deadline
		closed <- err
	}()
	// Dribble the request line and headers one byte every 20ms.
	req := "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + strings.Repeat("a", 200) + "\r\n\r\n"
	for i := 0; i < len(req); i++ {
		if _, err := conn.Write([]byte{req[i]}); err != nil {
			break // server hung up
		}
		select {
		case err := <-closed:
			closed <- err
			i = len(req)
		case <-time.After(20 * time.Millisecond):
		}
	}
	err = <-closed
	el := time.Since(start)
	// EOF (nil from ReadAll) or a reset (the server closed while our bytes
	// were unread) both mean the server cut us off; a timeout means it did not.
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("connection not closed by server: %v after %v", err, el)
	}
	if el < 150*time.Millisecond || el > 2*time.Second {
		t.Fatalf("server closed the slow connection after %v, want ~200ms", el)
	}

	// A normal client is unaffected.
	c2, err := net.Dial("tcp", ts.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	fmt.Fprint(c2, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c2), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("normal request after slowloris: %d", resp.StatusCode)
	}
}
