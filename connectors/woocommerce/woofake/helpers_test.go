package woofake

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohortd/cohortd/internal/gen"
)

// rfcEncode is RFC 3986 percent-encoding as RFC 5849 section 3.6 defines it, written
// independently of the fake's PHP helpers.
func rfcEncode(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// rfcBaseString is RFC 5849 section 3.4.1: pairs encoded, sorted by name then value.
func rfcBaseString(method, baseURI string, params url.Values) string {
	var pairs []string
	for k, vs := range params {
		for _, v := range vs {
			pairs = append(pairs, rfcEncode(k)+"="+rfcEncode(v))
		}
	}
	sort.Strings(pairs)
	return method + "&" + rfcEncode(baseURI) + "&" + rfcEncode(strings.Join(pairs, "&"))
}

func hmacB64(h func() hash.Hash, key, msg string) string {
	m := hmac.New(h, []byte(key))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// signer signs requests the way a WooCommerce client does: oauth_* in the query string.
type signer struct {
	key, secret string
	method      string // HMAC-SHA256 (default) or HMAC-SHA1
	now         func() time.Time
	nonces      atomic.Int64
}

func (s *signer) sign(method, rawURL string, nonce string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		panic(err)
	}
	q := u.Query()
	if nonce == "" {
		nonce = fmt.Sprintf("nonce%08d", s.nonces.Add(1))
	}
	sm := s.method
	if sm == "" {
		sm = "HMAC-SHA256"
	}
	now := time.Now
	if s.now != nil {
		now = s.now
	}
	q.Set("oauth_consumer_key", s.key)
	q.Set("oauth_nonce", nonce)
	q.Set("oauth_signature_method", sm)
	q.Set("oauth_timestamp", fmt.Sprint(now().Unix()))
	base := rfcBaseString(method, u.Scheme+"://"+u.Host+u.Path, q)
	h := sha256.New
	if sm == "HMAC-SHA1" {
		h = sha1.New
	}
	q.Set("oauth_signature", hmacB64(h, s.secret+"&", base))
	u.RawQuery = q.Encode()
	return u.String()
}

type testStore struct {
	*Fake
	t  *testing.T
	sg *signer
}

func startFake(t *testing.T, opts Options) *testStore {
	t.Helper()
	f := New(opts)
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	o := f.Options()
	return &testStore{Fake: f, t: t, sg: &signer{key: o.ConsumerKey, secret: o.ConsumerSecret, now: o.Now}}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) wpErr() wpErrorBody {
	var e wpErrorBody
	_ = json.Unmarshal(r.body, &e)
	return e
}

// do sends a signed request to path (relative to the API base).
func (s *testStore) do(method, path string, body any) resp {
	s.t.Helper()
	return s.doURL(method, s.sg.sign(method, s.APIURL()+path, ""), body)
}

func (s *testStore) doURL(method, u string, body any) resp {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := s.HTTPClient().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

func (s *testStore) hasViolation(rule string) bool {
	for _, v := range s.Violations() {
		if v.Rule == rule {
			return true
		}
	}
	return false
}

// receiver records webhook deliveries; answer decides the status per request.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []recorded
	answer func(r recorded) int
	notify chan struct{}
}

type recorded struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, answer func(r recorded) int) *receiver {
	rv := &receiver{answer: answer, notify: make(chan struct{}, 1000)}
	rv.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec := recorded{header: r.Header.Clone(), body: b}
		rv.mu.Lock()
		rv.got = append(rv.got, rec)
		rv.mu.Unlock()
		st := http.StatusOK
		if rv.answer != nil {
			st = rv.answer(rec)
		}
		w.WriteHeader(st)
		rv.notify <- struct{}{}
	}))
	t.Cleanup(rv.srv.Close)
	return rv
}

func (rv *receiver) all() []recorded {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return append([]recorded(nil), rv.got...)
}

// waitFor waits until n requests arrived.
func (rv *receiver) waitFor(t *testing.T, n int) []recorded {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		if got := rv.all(); len(got) >= n {
			return got
		}
		select {
		case <-rv.notify:
		case <-deadline:
			t.Fatalf("waited for %d webhook requests, got %d", n, len(rv.all()))
		}
	}
}

func isPing(r recorded) bool { return r.header.Get("X-WC-Webhook-Topic") == "" }

// fixedClock is a settable clock.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fixedClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

var (
	genOnce sync.Once
	genDir  string
	genMan  *gen.Manifest
	genErr  error
)

// generated returns a small internal/gen data set shared by the tests of this package.
func generated(t *testing.T) (string, *gen.Manifest) {
	t.Helper()
	genOnce.Do(func() {
		genDir, genErr = tempDirShared()
		if genErr != nil {
			return
		}
		genMan, genErr = gen.Generate(context.Background(), gen.Config{
			Seed: 7, Customers: 1500, Orders: 4500, OutDir: genDir,
			Formats: gen.Formats{WooCommerce: true},
			Start:   time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		})
	})
	if genErr != nil {
		t.Fatal(genErr)
	}
	return genDir, genMan
}

func io_copy(w io.Writer, res *http.Response) (int64, error) { return io.Copy(w, res.Body) }

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func keysOf(t *testing.T, obj []byte) []string {
	t.Helper()
	ms, err := splitObject(obj)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.key)
	}
	return out
}
