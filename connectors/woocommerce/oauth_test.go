package woocommerce

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// RFC 5849 section 3.4.1.1's example (as amended by erratum 2550: the body's "a3=2+q" is
// "2 q"): the parameter normalisation and double encoding of the base string.
var rfcParams = []oauthParam{
	{"b5", "=%3D"}, {"a3", "a"}, {"c@", ""}, {"a2", "r b"}, // the query
	{"c2", ""}, {"a3", "2 q"}, // the form body
	{"oauth_consumer_key", "9djdj82h48djs9d2"}, {"oauth_token", "kkk9d7dh3k39sjv7"},
	{"oauth_signature_method", "HMAC-SHA1"}, {"oauth_timestamp", "137131201"}, {"oauth_nonce", "7d8f3e4a"},
}

const rfcBase = "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"

func TestBaseStringRFC5849(t *testing.T) {
	u, _ := url.Parse("http://EXAMPLE.com:80/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b")
	if got := baseURI(u); got != "http://example.com/request" {
		t.Errorf("base URI %q", got)
	}
	if got := signatureBase("POST", baseURI(u), rfcParams, true); got != rfcBase {
		t.Errorf("RFC order:\n got %s\nwant %s", got, rfcBase)
	}
}

// WooCommerce sorts the decoded keys (uksort strcmp) before encoding them; RFC 5849 sorts
// the encoded keys. On the RFC's vector that puts "c2" before "c@" ('2' < '@', but
// '%' < '2'): the only difference, and one no key the client sends can trigger.
func TestBaseStringWooCommerceOrder(t *testing.T) {
	want := strings.Replace(rfcBase, "c%2540%3D%26c2%3D", "c2%3D%26c%2540%3D", 1)
	if got := signatureBase("POST", "http://example.com/request", rfcParams, false); got != want {
		t.Errorf("WooCommerce order:\n got %s\nwant %s", got, want)
	}
}

// The example in WooCommerce's REST API documentation ("Generating a signature").
func TestBaseStringWooCommerceDocs(t *testing.T) {
	u, _ := url.Parse("http://www.example.com/wp-json/wc/v3/orders")
	got := signatureBase("GET", baseURI(u), []oauthParam{{"oauth_signature_method", "HMAC-SHA1"}, {"oauth_consumer_key", "abc123"}}, false)
	want := "GET&http%3A%2F%2Fwww.example.com%2Fwp-json%2Fwc%2Fv3%2Forders&oauth_consumer_key%3Dabc123%26oauth_signature_method%3DHMAC-SHA1"
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

// Known-answer signatures: RFC 5849 section 1.2 and the OAuth Core 1.0 appendix A.5 example
// (photos.example.net, HMAC-SHA1, key = consumer secret & token secret).
func TestSignatureKnownAnswers(t *testing.T) {
	u, _ := url.Parse("http://photos.example.net/photos")
	for _, c := range []struct {
		name, nonce, ts, version, want string
	}{
		// The RFC prints it percent-encoded in the header: MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D.
		{"RFC 5849 1.2", "chapoH", "137131202", "", "MdpQcU8iPSUjWoN/UDMsK2sui9I="},
		{"OAuth Core 1.0 A.5", "kllo9940pd9333jh", "1191242096", "1.0", "tR3+Ty81lMeYAr/Fid0kMTYa/WM="},
	} {
		params := []oauthParam{
			{"file", "vacation.jpg"}, {"size", "original"},
			{"oauth_consumer_key", "dpf43f3p2l4k3l03"}, {"oauth_token", "nnch734d00sl2jdk"},
			{"oauth_signature_method", "HMAC-SHA1"}, {"oauth_timestamp", c.ts}, {"oauth_nonce", c.nonce},
		}
		if c.version != "" {
			params = append(params, oauthParam{"oauth_version", c.version})
		}
		got := hmacSign("HMAC-SHA1", "kd94hf93k423kf44&pfkkdhi9sl3r4s00", signatureBase("GET", baseURI(u), params, false))
		if got != c.want {
			t.Errorf("%s: signature %s, want %s", c.name, got, c.want)
		}
	}
}

func TestRawurlencode(t *testing.T) {
	for in, want := range map[string]string{
		"AZaz09-._~": "AZaz09-._~",
		"a b+c":      "a%20b%2Bc",
		"=%&/?:@":    "%3D%25%26%2F%3F%3A%40",
		"é":          "%C3%A9",
		"*!'()":      "%2A%21%27%28%29",
	} {
		if got := rawurlencode(in); got != want {
			t.Errorf("rawurlencode(%q) = %q, want %q", in, got, want)
		}
		if got := phpRawurlencode(in); got != want {
			t.Errorf("test verifier's rawurlencode(%q) = %q, want %q", in, got, want)
		}
	}
}

// Requests the client signs are accepted by the transcription of WooCommerce's verifier, for
// every method and awkward query values; changing anything after signing is refused.
func TestSignedRequestsVerify(t *testing.T) {
	var got []*http.Request
	var verdicts []*wcError
	var v *phpVerifier
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r)
		verdicts = append(verdicts, v.verify(r))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":1,"status":"active"}`))
	}))
	defer srv.Close()
	v = &phpVerifier{home: srv.URL, key: testKey, secret: testSecret, now: time.Now}
	c, err := New(Options{URL: srv.URL + "/", ConsumerKey: testKey, ConsumerSecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	q := url.Values{
		"search":         {"Zoë O'Brien+co & sons = 100% ~*"},
		"modified_after": {"2026-11-23T09:06:21+00:00"},
		"include[]":      {"3"},
		"role":           {"all"},
	}
	if _, err := c.ListPage(ctx, "customers", q, 2); err == nil {
		t.Error("a JSON object answered a list: no error") // the handler answers an object
	}
	if _, err := c.Order(ctx, 12); err != nil {
		t.Fatal(err)
	}
	if err := c.EnableWebhook(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateWebhook(ctx, Webhook{Topic: "order.updated", DeliveryURL: "https://d.example/h", Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	if len(verdicts) != 4 {
		t.Fatalf("%d requests, want 4", len(verdicts))
	}
	for i, e := range verdicts {
		if e != nil {
			t.Errorf("%s %s refused: %s", got[i].Method, got[i].URL.Path, e.message)
		}
		if got[i].Header.Get("Authorization") != "" {
			t.Errorf("%s: credentials in a header over plain http", got[i].URL.Path)
		}
		if got[i].URL.Query().Get("oauth_signature_method") != "HMAC-SHA256" {
			t.Errorf("signature method %q", got[i].URL.Query().Get("oauth_signature_method"))
		}
	}
	if s := got[0].URL.Query().Get("search"); s != q.Get("search") {
		t.Errorf("the query value arrived as %q", s)
	}

	// Tampering: a changed value, a replayed nonce, a stale timestamp, another secret.
	first := got[0]
	tampered := first.Clone(ctx)
	tq := tampered.URL.Query()
	tq.Set("page", "3")
	tampered.URL.RawQuery = tq.Encode()
	tampered.RequestURI = tampered.URL.RequestURI()
	if e := v.verify(tampered); e == nil || !strings.Contains(e.message, "signature does not match") {
		t.Errorf("tampered query: %+v", e)
	}
	if e := v.verify(first); e == nil || !strings.Contains(e.message, "nonce has already been used") {
		t.Errorf("replayed request: %+v", e)
	}
	stale := &phpVerifier{home: srv.URL, key: testKey, secret: testSecret, now: func() time.Time { return time.Now().Add(16 * time.Minute) }}
	if e := stale.verify(got[1]); e == nil || e.message != "Invalid timestamp." {
		t.Errorf("stale timestamp: %+v", e)
	}
	other := &phpVerifier{home: srv.URL, key: testKey, secret: "cs_other", now: time.Now}
	if e := other.verify(got[2]); e == nil {
		t.Error("verifies under another secret")
	}
	moved := &phpVerifier{home: "http://shop.example.com", key: testKey, secret: testSecret, now: time.Now}
	if e := moved.verify(got[3]); e == nil {
		t.Error("verifies under another home URL")
	}
}

// Each attempt gets its own nonce and timestamp, and oauth_* already in a query (a Link
// header's) is replaced, not doubled.
func TestSignQueryFreshAndClean(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:8080/wp-json/wc/v3/customers")
	in := url.Values{"page": {"2"}, "oauth_signature": {"old"}, "oauth_nonce": {"old"}}
	a := signQuery("GET", u, in, "ck", "cs", "nonce1", 1000)
	b := signQuery("GET", u, in, "ck", "cs", "nonce2", 1000)
	if len(a["oauth_signature"]) != 1 || a.Get("oauth_signature") == "old" || a.Get("oauth_nonce") != "nonce1" {
		t.Errorf("signed query %v", a)
	}
	if a.Get("oauth_signature") == b.Get("oauth_signature") {
		t.Error("two nonces gave one signature")
	}
	if in.Get("oauth_signature") != "old" {
		t.Error("signQuery modified its input")
	}
	if n := newNonce(); len(n) != 32 || strings.Trim(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" || n == newNonce() {
		t.Errorf("nonce %q", n)
	}
}

// Over https the client sends Basic credentials and no oauth_* parameters.
func TestBasicOverHTTPS(t *testing.T) {
	shop := newTestShop(t, true)
	shop.customers = 3
	c := shop.client(t, nil)
	p, err := c.ListPage(context.Background(), "customers", CustomersQuery(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 3 {
		t.Errorf("%d items", len(p.Items))
	}
	var sawOAuth atomic.Bool
	shop.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		sawOAuth.Store(r.URL.Query().Get("oauth_signature") != "")
		return false
	})
	if _, err := c.Customer(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	if sawOAuth.Load() {
		t.Error("oauth_* sent over https")
	}
	bad := shop.client(t, func(o *Options) { o.ConsumerSecret = "cs_wrong" })
	if _, err := bad.Customer(context.Background(), 2); err == nil || !strings.Contains(err.Error(), "Consumer secret is invalid") {
		t.Errorf("wrong secret over https: %v", err)
	}
}
