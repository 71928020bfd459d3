package klaviyofake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// frozenClock is a settable clock for rate-limit tests.
type frozenClock struct{ t time.Time }

func (c *frozenClock) now() time.Time          { return c.t }
func (c *frozenClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func start(t *testing.T, opts Options) *Server {
	t.Helper()
	s := New(opts)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// do sends one request with Klaviyo's headers and decodes a JSON answer.
func do(t *testing.T, s *Server, method, path string, body any) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Klaviyo-API-Key "+DefaultAPIKey)
	req.Header.Set("revision", Revision)
	req.Header.Set("Accept", "application/vnd.api+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/vnd.api+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, resp.Header, out
}

func noViolations(t *testing.T, s *Server) {
	t.Helper()
	for _, v := range s.Violations() {
		t.Errorf("violation: %+v", v)
	}
}

func firstError(t *testing.T, doc map[string]any) map[string]any {
	t.Helper()
	errs, _ := doc["errors"].([]any)
	if len(errs) == 0 {
		t.Fatalf("no errors array in %v", doc)
	}
	return errs[0].(map[string]any)
}

func importBody(email string, props map[string]any) map[string]any {
	attrs := map[string]any{"email": email}
	if props != nil {
		attrs["properties"] = props
	}
	return map[string]any{"data": map[string]any{"type": "profile", "attributes": attrs}}
}

func relBody(ids ...string) map[string]any {
	data := make([]any, len(ids))
	for i, id := range ids {
		data[i] = map[string]any{"type": "profile", "id": id}
	}
	return map[string]any{"data": data}
}

func q(s string) string {
	return strings.NewReplacer(`"`, "%22", " ", "%20", "[", "%5B", "]", "%5D", ",", "%2C", "@", "%40").Replace(s)
}
