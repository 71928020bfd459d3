package listmonkfake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"testing"
	"time"
)

func start(t *testing.T, o Options) *Server {
	t.Helper()
	s := New(o)
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// call sends a request with the default credentials and decodes the answer.
func call(t *testing.T, s *Server, method, path string, body any) (int, map[string]any, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.URL()+path, rd)
	req.Header.Set("Authorization", "token cohortd:secret")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, resp.Header
}

func TestBulkAddWithStatusOverwritesUnsubscribedRows(t *testing.T) {
	s := start(t, Options{})
	l := s.SeedList("news", "public", "single")
	id, _ := s.SeedSubscriber("a@example.com", "A", "", map[string]string{"news": "unsubscribed"})

	// Without a status: the row stays unsubscribed.
	code, _, _ := call(t, s, "PUT", "/api/subscribers/lists", map[string]any{"ids": []int{id}, "action": "add", "target_list_ids": []int{l}})
	if m, _ := s.Member("a@example.com"); code != 200 || m.Lists["news"] != "unsubscribed" {
		t.Fatalf("add without status: %d, %v", code, m.Lists)
	}
	if len(s.ConsentEvents()) != 0 {
		t.Fatalf("events %v", s.ConsentEvents())
	}
	// With one (as the docs' example does): listmonk re-subscribes the row.
	call(t, s, "PUT", "/api/subscribers/lists", map[string]any{"ids": []int{id}, "action": "add", "target_list_ids": []int{l}, "status": "unconfirmed"})
	if m, _ := s.Member("a@example.com"); m.Lists["news"] != "unconfirmed" {
		t.Fatalf("add with status: %v", m.Lists)
	}
	if ev := s.ConsentEvents(); len(ev) != 1 || ev[0].Kind != "resubscribed" || ev[0].List != "news" {
		t.Fatalf("events %+v", ev)
	}
}

func TestRemoveDeletesUnsubscribedRowsAndSaysSo(t *testing.T) {
	s := start(t, Options{})
	l := s.SeedList("news", "public", "single")
	id, _ := s.SeedSubscriber("a@example.com", "A", "", map[string]string{"news": "unsubscribed"})
	call(t, s, "PUT", "/api/subscribers/lists", map[string]any{"ids": []int{id}, "action": "remove", "target_list_ids": []int{l}})
	if m, _ := s.Member("a@example.com"); len(m.Lists) != 0 {
		t.Fatalf("lists %v", m.Lists)
	}
	if ev := s.ConsentEvents(); len(ev) != 1 || ev[0].Kind != "unsubscribed_row_removed" {
		t.Fatalf("events %+v", ev)
	}
}

func TestBulkAddRejectsWhatListmonkRejects(t *testing.T) {
	s := start(t, Options{})
	l := s.SeedList("news", "public", "single")
	id, _ := s.SeedSubscriber("a@example.com", "A", "", nil)
	for _, tc := range []struct {
		body map[string]any
		code int
		msg  string
	}{
		{map[string]any{"ids": []int{}, "action": "add", "target_list_ids": []int{l}}, 400, "No IDs given."},
		{map[string]any{"ids": []int{id}, "action": "add", "target_list_ids": []int{}}, 400, "No lists given."},
		{map[string]any{"ids": []int{id}, "action": "merge", "target_list_ids": []int{l}}, 400, "Invalid action."},
		{map[string]any{"ids": []int{id}, "action": "add", "target_list_ids": []int{l + 99}}, 500, ""},
		{map[string]any{"ids": []int{id + 99}, "action": "add", "target_list_ids": []int{l}}, 500, ""},
	} {
		code, out, _ := call(t, s, "PUT", "/api/subscribers/lists", tc.body)
		if code != tc.code || (tc.msg != "" && out["message"] != tc.msg) || out["message"] == nil {
			t.Errorf("%v: %d %v, want %d %q", tc.body, code, out, tc.code, tc.msg)
		}
	}
}

func TestCreateWithDoubleOptinListMailsAndPreconfirmConfirms(t *testing.T) {
	s := start(t, Options{})
	l := s.SeedList("news", "public", "double")
	code, out, _ := call(t, s, "POST", "/api/subscribers", map[string]any{"email": "a@example.com", "name": "A", "status": "enabled", "lists": []int{l}})
	if code != 200 || out["data"].(map[string]any)["email"] != "a@example.com" {
		t.Fatalf("%d %v", code, out)
	}
	call(t, s, "POST", "/api/subscribers", map[string]any{"email": "b@example.com", "name": "B", "lists": []int{l}, "preconfirm_subscriptions": true})
	ev := s.ConsentEvents()
	if len(ev) != 2 || ev[0].Kind != "optin_mail" || ev[1].Kind != "preconfirmed" {
		t.Fatalf("events %+v", ev)
	}
	if m, _ := s.Member("b@example.com"); m.Lists["news"] != "confirmed" {
		t.Fatalf("b: %v", m.Lists)
	}
	if code, out, _ := call(t, s, "POST", "/api/subscribers", map[string]any{"email": "A@EXAMPLE.COM", "name": "A"}); code != 409 || out["message"] != "E-mail already exists." {
		t.Fatalf("duplicate: %d %v", code, out)
	}
	if code, _, _ := call(t, s, "POST", "/api/subscribers", map[string]any{"email": "c@example.com", "name": " "}); code != 400 {
		t.Fatalf("empty name: %d", code)
	}
}

func TestPutReplacesListsPatchDoesNot(t *testing.T) {
	s := start(t, Options{})
	s.SeedList("news", "public", "single")
	id, _ := s.SeedSubscriber("a@example.com", "A", "", map[string]string{"news": "unsubscribed", "other": "confirmed"})
	_ = s.SetAttribs("a@example.com", map[string]any{"city": "Lyon"})

	code, _, _ := call(t, s, "PATCH", "/api/subscribers/"+itoa(id), map[string]any{"attribs": map[string]any{"cohortd": map[string]any{"x": 1}}})
	m, _ := s.Member("a@example.com")
	if code != 200 || len(m.Lists) != 2 || !reflect.DeepEqual(m.Attribs, map[string]any{"city": "Lyon", "cohortd": map[string]any{"x": 1.0}}) {
		t.Fatalf("PATCH: %d %+v", code, m)
	}
	call(t, s, "PUT", "/api/subscribers/"+itoa(id), map[string]any{"email": "a@example.com", "attribs": map[string]any{"k": "v"}})
	m, _ = s.Member("a@example.com")
	if len(m.Lists) != 0 || !reflect.DeepEqual(m.Attribs, map[string]any{"k": "v"}) {
		t.Fatalf("PUT: %+v", m)
	}
	if ev := s.ConsentEvents(); len(ev) != 1 || ev[0].Kind != "unsubscribed_row_removed" {
		t.Fatalf("events %+v", ev)
	}

	old := start(t, Options{NoPatch: true})
	if code, out, _ := call(t, old, "PATCH", "/api/subscribers/1", map[string]any{"attribs": map[string]any{}}); code != 405 || out["message"] != "Method Not Allowed" {
		t.Fatalf("NoPatch: %d %v", code, out)
	}
}

func TestQueryPagingAndClamp(t *testing.T) {
	s := start(t, Options{})
	for i := range 120 {
		_, _ = s.SeedSubscriber("u"+itoa(i)+"@example.com", "U", "blocklisted", nil)
	}
	q := url.Values{"query": {"subscribers.status = 'blocklisted'"}, "per_page": {"100"}, "page": {"3"}}
	code, out, _ := call(t, s, "GET", "/api/subscribers?"+q.Encode(), nil)
	data := out["data"].(map[string]any)
	if code != 200 || data["per_page"] != 50.0 || data["total"] != 120.0 || len(data["results"].([]any)) != 20 {
		t.Fatalf("%d per_page=%v total=%v results=%d", code, data["per_page"], data["total"], len(data["results"].([]any)))
	}
	q = url.Values{"query": {"subscribers.name LIKE 'U%'"}}
	if code, out, _ := call(t, s, "GET", "/api/subscribers?"+q.Encode(), nil); code != 400 || len(s.Violations()) != 1 {
		t.Fatalf("unsupported query: %d %v %v", code, out, s.Violations())
	}
}

func TestAuthRateLimitAndUnknownEndpoints(t *testing.T) {
	s := start(t, Options{RateLimit: 1, Burst: 2, RetryAfter: 2 * time.Second})
	req, _ := http.NewRequest("GET", s.URL()+"/api/lists", nil)
	req.SetBasicAuth("cohortd", "nope")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("bad credentials: %d", resp.StatusCode)
	}
	// A burst of 2 (the refused credentials spent none), then 429 with Retry-After.
	for i := range 2 {
		if code, _, _ := call(t, s, "GET", "/api/lists", nil); code != 200 {
			t.Fatalf("call %d: %d", i, code)
		}
	}
	code, out, h := call(t, s, "GET", "/api/lists", nil)
	if code != 429 || h.Get("Retry-After") != "2" || out["message"] == nil || s.Stats().TooMany != 1 {
		t.Fatalf("third: %d %v %v %+v", code, h, out, s.Stats())
	}

	s2 := start(t, Options{})
	if code, _, _ := call(t, s2, "GET", "/api/nothing", nil); code != 404 {
		t.Fatalf("unknown endpoint: %d", code)
	}
	if code, _, _ := call(t, s2, "PATCH", "/api/lists", nil); code != 405 {
		t.Fatalf("wrong method: %d", code)
	}
	if v := s2.Violations(); len(v) != 2 {
		t.Fatalf("violations %v", v)
	}
}

func TestQueryGrammar(t *testing.T) {
	sub := &subscriber{email: "O'Brien@Example.com", status: "enabled", subs: map[int]*subscription{1: {status: "unsubscribed"}}}
	for q, want := range map[string]bool{
		"": true,
		"LOWER(subscribers.email) IN ('o''brien@example.com', 'x@y.z')": true,
		"lower(subscribers.email) in ('x@y.z')":                         false,
		"subscribers.email IN ('O''Brien@Example.com')":                 true,
		"subscribers.status = 'blocklisted'":                            false,
		"(subscribers.status = 'blocklisted') OR subscribers.id IN (SELECT subscriber_id FROM subscriber_lists WHERE subscriber_lists.status = 'unsubscribed')": true,
		"subscribers.status = 'blocklisted' OR LOWER(subscribers.email) IN ('a or b@x.y')":                                                                      false,
	} {
		p, err := parseQuery(q)
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		if got := p(sub); got != want {
			t.Errorf("%q matched %v, want %v", q, got, want)
		}
	}
	for _, bad := range []string{"subscribers.name = 'x'", "LOWER(subscribers.email) IN ('a'", "LOWER(subscribers.email) IN ()", "subscribers.status = 'x' AND 1=1", "x'"} {
		if _, err := parseQuery(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
