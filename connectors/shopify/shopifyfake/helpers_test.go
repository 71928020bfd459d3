package shopifyfake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/cohortd/cohortd/internal/gen"
)

var (
	genOnce sync.Once
	genPath string
	genErr  error
)

// genData generates a small messy data set once per test binary.
func genData(t testing.TB) string {
	t.Helper()
	genOnce.Do(func() {
		dir, err := os.MkdirTemp("", "shopifyfake-gen-")
		if err != nil {
			genErr = err
			return
		}
		cfg := gen.DefaultConfig()
		cfg.Customers, cfg.Orders, cfg.OutDir, cfg.Seed = 300, 900, dir, 7
		cfg.Formats = gen.Formats{Shopify: true}
		_, genErr = gen.Generate(context.Background(), cfg)
		genPath = dir
	})
	if genErr != nil {
		t.Fatalf("generate: %v", genErr)
	}
	return genPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if genPath != "" {
		os.RemoveAll(genPath)
	}
	os.Exit(code)
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)}
}

// newLoadedFake starts a fake on the generated data with a Plus bucket (tests that are not
// about throttling must not be throttled) unless opts says otherwise.
func newLoadedFake(t testing.TB, opts Options) *Fake {
	t.Helper()
	if opts.Plan.BucketSize == 0 {
		opts.Plan = PlanPlus
	}
	if opts.Now == nil {
		opts.Now = newClock().Now
	}
	opts.Dir = t.TempDir()
	f, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := f.LoadGenerated(genData(t)); err != nil {
		t.Fatal(err)
	}
	return f
}

type gqlResp struct {
	Data       map[string]any   `json:"data"`
	Errors     []map[string]any `json:"errors"`
	Extensions map[string]any   `json:"extensions"`
}

func post(t testing.TB, f *Fake, token, query string, vars map[string]any) (int, []byte) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, f.GraphQLURL("2025-04"), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Access-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// gql sends a document with the right token and decodes the answer.
func gql(t testing.TB, f *Fake, query string, vars map[string]any) gqlResp {
	t.Helper()
	st, b := post(t, f, f.Options().AccessToken, query, vars)
	if st != 200 {
		t.Fatalf("status %d: %s", st, b)
	}
	var r gqlResp
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return r
}

// at walks decoded JSON: at(v, "customers", "nodes", 0, "id").
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str2(v any) string { return fmt.Sprint(v) }

// readLines reads a generated JSONL file into maps.
func readJSONL(t testing.TB, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}
