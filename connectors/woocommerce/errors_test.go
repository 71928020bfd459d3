package woocommerce

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// noSecrets fails when an error text carries the consumer secret, a signature or a query.
func noSecrets(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, bad := range []string{testSecret, "oauth_signature", "oauth_nonce", "consumer_secret", "?"} {
		if strings.Contains(msg, bad) {
			t.Errorf("error %q contains %q", msg, bad)
		}
	}
}

func TestUnauthorized(t *testing.T) {
	shop := newTestShop(t, false)
	shop.customers = 3
	c := shop.client(t, func(o *Options) { o.ConsumerSecret = "cs_wrong" })
	_, err := c.Customer(context.Background(), 2)
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "Invalid signature - provided signature does not match.") ||
		!strings.Contains(err.Error(), "check key/secret and its Read/Write permission") {
		t.Errorf("wrong secret: %v", err)
	}
	if shop.requests.Load() != 1 {
		t.Errorf("a 401 was retried: %d requests", shop.requests.Load())
	}
	noSecrets(t, err)
	c = shop.client(t, func(o *Options) { o.ConsumerKey = "ck_unknown" })
	if _, err := c.Customer(context.Background(), 2); !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "Consumer key is invalid.") {
		t.Errorf("unknown key: %v", err)
	}
}

func TestNotFoundTellsWhy(t *testing.T) {
	shop := newTestShop(t, false)
	shop.customers = 3
	ctx := context.Background()

	// The wc/v3 route is missing: WooCommerce inactive or its API disabled.
	_, err := shop.client(t, nil).ListPage(ctx, "nosuchthing", nil, 1)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "WooCommerce is not active") {
		t.Errorf("rest_no_route: %v", err)
	}
	// No WordPress REST API there at all: wrong URL or plain permalinks.
	wrong := shop.client(t, func(o *Options) { o.URL = shop.srv.URL + "/shop" })
	_, err = wrong.ListPage(ctx, "customers", nil, 1)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "plain permalinks") ||
		!strings.Contains(err.Error(), `titled "Page not found – Shop"`) {
		t.Errorf("HTML 404: %v", err)
	}
	// A missing record is not a configuration problem.
	_, err = shop.client(t, nil).Customer(ctx, 999)
	if !errors.Is(err, ErrRecordNotFound) || errors.Is(err, ErrNotFound) {
		t.Errorf("missing customer: %v", err)
	}
	noSecrets(t, err)
}

func TestHTMLAnswers(t *testing.T) {
	shop := newTestShop(t, false)
	c := shop.client(t, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
		kind       error
		attempts   int64
	}{
		{"login", `<!DOCTYPE html><html><head><title>Log In &lsaquo; Shop</title></head><body><form name="loginform" action="https://shop/wp-login.php"><input name="log"></form>`, 200, "login page", ErrNotJSON, 1},
		{"maintenance", `<!DOCTYPE html><html><head><title>Maintenance</title></head><body>Briefly unavailable for scheduled maintenance. Check back in a minute.</body></html>`, 503, "maintenance page", ErrServer, 3},
		{"cloudflare", `<html><head><title>Just a moment...</title></head><body><script src="/cdn-cgi/challenge-platform/x"></script></body></html>`, 403, "Cloudflare challenge", ErrNotJSON, 1},
		{"other", `<html><head><title>Welcome to nginx!</title></head></html>`, 200, `titled "Welcome to nginx!"`, ErrNotJSON, 1},
	} {
		var n atomic.Int64
		shop.setFault(func(w http.ResponseWriter, r *http.Request) bool {
			n.Add(1)
			w.Header().Set("Content-Type", "text/html; charset=UTF-8")
			w.WriteHeader(tc.status)
			_, _ = io.WriteString(w, tc.body)
			return true
		})
		c.opts.MaxAttempts = 3
		_, err := c.ListPage(ctx, "customers", nil, 1)
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.want) || n.Load() != tc.attempts {
			t.Errorf("%s: %v after %d attempts; want %v saying %q after %d", tc.name, err, n.Load(), tc.kind, tc.want, tc.attempts)
		}
		noSecrets(t, err)
	}
}

// PHP warnings printed before the JSON (display_errors on) are cut off; the answer is used.
func TestPHPWarningsBeforeJSON(t *testing.T) {
	shop := newTestShop(t, false)
	shop.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		_, _ = io.WriteString(w, "<br />\n<b>Deprecated</b>:  Creation of dynamic property in <b>/var/www/wp-content/plugins/x.php</b> on line <b>12</b><br />\n"+
			"<br />\n<b>Warning</b>:  Undefined array key in <b>/var/www/y.php</b> on line <b>3</b><br />\n{\"id\":7}")
		return true
	})
	raw, err := shop.client(t, nil).Order(context.Background(), 7)
	if err != nil || string(raw) != `{"id":7}` {
		t.Errorf("%s, %v", raw, err)
	}
}

// 429 and 5xx are retried with backoff, honouring Retry-After; every attempt is signed anew
// (WooCommerce would refuse a reused nonce).
func TestRetries(t *testing.T) {
	shop := newTestShop(t, false)
	shop.customers = 3
	var n atomic.Int64
	shop.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		switch n.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "7")
			wpErr(w, 429, "too_many_requests", "Slow down.")
			return true
		case 2:
			wpErr(w, 502, "bad_gateway", "upstream")
			return true
		}
		return false
	})
	c := shop.client(t, func(o *Options) { o.MaxRetryAfter = time.Minute })
	var mu sync.Mutex
	var waits []time.Duration
	c.sleep = func(_ context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return nil
	}
	raw, err := c.Customer(context.Background(), 2)
	if err != nil || !strings.Contains(string(raw), `"id":2`) {
		t.Fatalf("%s %v", raw, err)
	}
	if n.Load() != 3 || len(waits) != 2 || waits[0] != 7*time.Second || waits[1] > 5*time.Millisecond {
		t.Errorf("%d attempts, waits %v: want 3 attempts, 7s (Retry-After) then a backoff <= RetryMax", n.Load(), waits)
	}

	// Still failing after MaxAttempts: ErrServer, attempts counted.
	n.Store(10)
	shop.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		n.Add(1)
		wpErr(w, 500, "internal_server_error", "There has been a critical error on this website.")
		return true
	})
	c.opts.MaxAttempts = 4
	_, err = c.Customer(context.Background(), 2)
	var ae *APIError
	if !errors.Is(err, ErrServer) || !errors.As(err, &ae) || ae.Attempts != 4 || n.Load() != 14 {
		t.Errorf("persistent 500: %v (%d requests)", err, n.Load()-10)
	}
}

func TestBackoff(t *testing.T) {
	for attempt := 1; attempt < 12; attempt++ {
		d := backoff(time.Second, 30*time.Second, attempt)
		ceil := min(time.Second<<(attempt-1), 30*time.Second)
		if d < ceil/2 || d > ceil {
			t.Errorf("attempt %d: %v outside [%v, %v]", attempt, d, ceil/2, ceil)
		}
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{"": 0, "3": 3 * time.Second, "-1": 0, "x": 0,
		"Mon, 23 Nov 2026 09:00:30 GMT": 30 * time.Second, "Mon, 23 Nov 2026 08:00:00 GMT": 0} {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("Retry-After %q: %v, want %v", v, got, want)
		}
	}
}

// A timed-out attempt is retried; the error of the last one says timeout, without the URL.
func TestTimeouts(t *testing.T) {
	shop := newTestShop(t, false)
	shop.customers = 3
	var n atomic.Int64
	shop.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if n.Add(1) == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
			return true
		}
		return false
	})
	c := shop.client(t, func(o *Options) { o.RequestTimeout = 100 * time.Millisecond })
	if _, err := c.Customer(context.Background(), 2); err != nil || n.Load() != 2 {
		t.Errorf("after a timeout: %v, %d attempts", err, n.Load())
	}
	shop.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		<-r.Context().Done()
		return true
	})
	c.opts.MaxAttempts = 2
	_, err := c.Customer(context.Background(), 2)
	if !errors.Is(err, ErrServer) || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("persistent timeout: %v", err)
	}
	noSecrets(t, err)
}

// Creating a webhook is not idempotent: a 500 is not retried (the webhook may exist), a 429
// is.
func TestNonIdempotentRetries(t *testing.T) {
	shop := newTestShop(t, false)
	var n atomic.Int64
	shop.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		n.Add(1)
		wpErr(w, 500, "internal_server_error", "oops")
		return true
	})
	c := shop.client(t, nil)
	if _, err := c.CreateWebhook(context.Background(), Webhook{Topic: "order.created", DeliveryURL: "https://d/h", Secret: "s"}); err == nil || n.Load() != 1 {
		t.Errorf("create after 500: %v, %d attempts", err, n.Load())
	}
	n.Store(0)
	shop.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if n.Add(1) == 1 {
			wpErr(w, 429, "too_many_requests", "Slow down.")
			return true
		}
		return false
	})
	if _, err := c.CreateWebhook(context.Background(), Webhook{Topic: "order.created", DeliveryURL: "https://d/h", Secret: "s"}); err != nil || n.Load() != 2 {
		t.Errorf("create after 429: %v, %d attempts", err, n.Load())
	}
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := New(Options{URL: "http://" + addr, ConsumerKey: testKey, ConsumerSecret: testSecret, MaxAttempts: 3, RetryBase: time.Millisecond, RetryMax: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateWebhook(context.Background(), Webhook{Topic: "order.created", DeliveryURL: "https://d/h", Secret: "s"})
	if !errors.Is(err, ErrServer) || c.Requests() != 3 || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("%v after %d requests", err, c.Requests())
	}
	noSecrets(t, err)
}

// A redirect is reported with the URL to configure, not followed.
func TestRedirectNotFollowed(t *testing.T) {
	shop := newTestShop(t, false)
	shop.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		http.Redirect(w, r, "https://shop.example.com"+r.URL.RequestURI(), http.StatusMovedPermanently)
		return true
	})
	c := shop.client(t, nil)
	_, err := c.ListPage(context.Background(), "customers", nil, 1)
	if !errors.Is(err, ErrRedirected) || !strings.Contains(err.Error(), "set the url option to https://shop.example.com") || shop.requests.Load() != 1 {
		t.Errorf("%v (%d requests)", err, shop.requests.Load())
	}
	noSecrets(t, err)
}

func TestCancelledContext(t *testing.T) {
	shop := newTestShop(t, false)
	shop.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		wpErr(w, 503, "busy", "busy")
		return true
	})
	c := shop.client(t, func(o *Options) { o.RetryBase, o.RetryMax = time.Hour, time.Hour })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Customer(ctx, 1)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("%v after %v", err, time.Since(start))
	}
}

func TestRateLimit(t *testing.T) {
	shop := newTestShop(t, false)
	shop.customers = 3
	slow := shop.client(t, func(o *Options) { o.RequestsPerSecond = 10 })
	start := time.Now()
	for range 13 { // burst of 10, then 3 more at 100 ms each
		if _, err := slow.Customer(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("13 requests at 10/s took %v, want >= 250ms", d)
	}
}

func TestOptions(t *testing.T) {
	for _, bad := range []Options{
		{URL: "shop.example.com", ConsumerKey: "ck", ConsumerSecret: "cs"},
		{URL: "ftp://shop", ConsumerKey: "ck", ConsumerSecret: "cs"},
		{URL: "https://ck:cs@shop", ConsumerKey: "ck", ConsumerSecret: "cs"},
		{URL: "https://shop", ConsumerKey: "", ConsumerSecret: "cs"},
		{URL: "https://shop", ConsumerKey: "ck", ConsumerSecret: "cs", RequestsPerSecond: -1},
	} {
		if _, err := New(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		} else if strings.Contains(err.Error(), "cs") && bad.ConsumerSecret == "cs" && !strings.Contains(err.Error(), "consumer_secret") && !strings.Contains(err.Error(), "requests_per_second") {
			t.Errorf("error %q may quote the secret", err)
		}
	}
	for in, want := range map[string]string{
		"https://shop.example.com/":                 "https://shop.example.com/wp-json/wc/v3",
		"https://shop.example.com/wp-json/wc/v3/":   "https://shop.example.com/wp-json/wc/v3",
		"http://127.0.0.1:8080/store/wp-json?x=1#y": "http://127.0.0.1:8080/store/wp-json/wc/v3",
	} {
		c, err := New(Options{URL: in, ConsumerKey: "ck", ConsumerSecret: "cs"})
		if err != nil || c.APIURL() != want {
			t.Errorf("%s: %v %v, want %s", in, c.APIURL(), err, want)
		}
	}
}
