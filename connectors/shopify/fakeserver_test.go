package shopify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// The test server answers the Admin GraphQL endpoint with handlers chosen by operation name,
// in the shapes Shopify uses (data/errors/extensions.cost, userErrors, UnsignedInt64 as strings).

const testToken = "shpat_0123456789abcdef0123456789abcdef"

// answer is one HTTP answer of the test server.
type answer struct {
	status int
	body   string
}

func ok(data string) answer { return answer{200, `{"data":` + data + `}`} }

func okCost(data string, requested, actual, available float64) answer {
	return answer{200, fmt.Sprintf(`{"data":%s,"extensions":{"cost":{"requestedQueryCost":%g,"actualQueryCost":%g,"throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":%g,"restoreRate":100.0}}}}`, data, requested, actual, available)}
}

type gqlRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables"`
}

type testShop struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	handlers map[string]func(vars map[string]any) answer
	calls    []string // operation names, in order
	inFlight int
	maxInFl  int
	paths    map[string]int
	other    http.Handler // everything that is not the GraphQL endpoint (files, uploads)
}

func newTestShop(t *testing.T) *testShop {
	t.Helper()
	s := &testShop{t: t, handlers: map[string]func(map[string]any) answer{}, paths: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *testShop) handle(op string, h func(vars map[string]any) answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[op] = h
}

func (s *testShop) count(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c == op {
			n++
		}
	}
	return n
}

func (s *testShop) serve(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/graphql.json") {
		if s.other != nil {
			s.other.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	s.paths[r.URL.Path]++
	s.inFlight++
	s.maxInFl = max(s.maxInFl, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	if r.Header.Get("X-Shopify-Access-Token") != testToken {
		w.WriteHeader(401)
		_, _ = io.WriteString(w, `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`)
		return
	}
	var req gqlRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		w.WriteHeader(400)
		return
	}
	op := operationName(req.Query)
	s.mu.Lock()
	s.calls = append(s.calls, op)
	h := s.handlers[op]
	s.mu.Unlock()
	if h == nil {
		s.t.Errorf("test shop: no handler for %s", op)
		w.WriteHeader(500)
		return
	}
	a := h(req.Variables)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

// newTestClient is a client of the test shop with fast retries and polling.
func newTestClient(t *testing.T, s *testShop, mod ...func(*Options)) *Client {
	t.Helper()
	o := Options{
		Shop: s.srv.URL, AccessToken: testToken,
		RetryBase: 5 * time.Millisecond, RetryMax: 40 * time.Millisecond,
		BulkPollMin: 5 * time.Millisecond, BulkPollMax: 20 * time.Millisecond,
		RequestTimeout: 5 * time.Second,
		Logger:         zerolog.Nop(),
	}
	for _, m := range mod {
		m(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// logTo sends the client's debug log to buf.
func logTo(buf *bytes.Buffer) func(*Options) {
	return func(o *Options) { o.Logger = zerolog.New(buf).Level(zerolog.DebugLevel) }
}
