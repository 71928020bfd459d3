package klaviyofake

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
)

func TestUnauthenticatedGets401InKlaviyoShape(t *testing.T) {
	s := start(t, Options{})
	req, _ := http.NewRequest("GET", s.URL()+"/api/lists", nil)
	req.Header.Set("revision", Revision)
	req.Header.Set("Authorization", "Klaviyo-API-Key wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("status %d", resp.StatusCode)
	}
}

func TestInvalidRequestGets400AndIsRecorded(t *testing.T) {
	s := start(t, Options{})
	// page[size] above the documented maximum of 100.
	st, _, doc := do(t, s, "GET", "/api/profiles?page[size]=500", nil)
	e := firstError(t, doc)
	if st != 400 || e["code"] != "invalid" || e["status"].(float64) != 400 || e["id"] == "" {
		t.Errorf("%d %v", st, e)
	}
	if src, _ := e["source"].(map[string]any); src["parameter"] != "page[size]" {
		t.Errorf("source %v", e["source"])
	}
	// A body that misses a required member.
	st, _, doc = do(t, s, "POST", "/api/lists", map[string]any{"data": map[string]any{"type": "list", "attributes": map[string]any{}}})
	if st != 400 || firstError(t, doc)["code"] != "invalid" {
		t.Errorf("%d %v", st, doc)
	}
	vs := s.Violations()
	if len(vs) != 2 || vs[0].Kind != "request" || vs[0].Operation != "get_profiles" || vs[1].Operation != "create_list" {
		t.Errorf("violations %+v", vs)
	}
	if len(s.ListNames()) != 0 {
		t.Error("invalid request was applied")
	}
	s.ClearViolations()
}

// The response validator is live: a response that breaks the spec is caught.
func TestResponseValidationCatchesBadResponses(t *testing.T) {
	s := start(t, Options{})
	req, _ := http.NewRequest("GET", "http://x/api/lists", nil)
	route, params, err := s.spec.route(req)
	if err != nil {
		t.Fatal(err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
	h := http.Header{"Content-Type": []string{"application/vnd.api+json"}}
	if err := s.spec.validateResponse(context.Background(), in, 200, h, []byte(`{"data":[{"type":"list","id":"abc"}]}`)); err == nil {
		t.Error("a list without attributes and links passed")
	}
	if err := s.spec.validateResponse(context.Background(), in, 200, h, []byte(`{"data":[],"links":{"self":"http://x/api/lists"}}`)); err != nil {
		t.Errorf("a valid empty page failed: %v", err)
	}
}

func TestRateLimitWindowsAnswer429WithRetryAfter(t *testing.T) {
	clk := &frozenClock{t: time.Date(2026, 7, 15, 10, 0, 0, 300e6, time.UTC)}
	s := start(t, Options{Now: clk.now})
	id := s.CreateList("cohort:x")
	path := "/api/lists/" + id + "/relationships/profiles"
	for i := 0; i < 10; i++ { // burst: 10/s
		if st, _, _ := do(t, s, "POST", path, relBody()); st != 204 {
			t.Fatalf("call %d: %d", i, st)
		}
	}
	st, h, doc := do(t, s, "POST", path, relBody())
	e := firstError(t, doc)
	if st != 429 || h.Get("Retry-After") != "1" || e["code"] != "throttled" || !strings.Contains(e["detail"].(string), "Expected available in 1 second") {
		t.Errorf("%d %q %v", st, h.Get("Retry-After"), e)
	}
	// Steady: 150/min. Walk through seconds until the minute window is full.
	for i := 10; i < 150; i++ {
		if i%10 == 0 {
			clk.advance(time.Second)
		}
		if st, _, _ := do(t, s, "POST", path, relBody()); st != 204 {
			t.Fatalf("call %d: %d", i, st)
		}
	}
	clk.advance(time.Second) // 10:00:15.3: burst free, minute full until 10:01:00
	st, h, _ = do(t, s, "POST", path, relBody())
	if st != 429 || h.Get("Retry-After") != "45" {
		t.Errorf("steady: %d Retry-After %q", st, h.Get("Retry-After"))
	}
	// The heavier variant budget: get_list with profile_count is 1/s.
	if st, _, _ := do(t, s, "GET", "/api/lists/"+id+"?additional-fields[list]=profile_count", nil); st != 200 {
		t.Errorf("count: %d", st)
	}
	if st, _, _ := do(t, s, "GET", "/api/lists/"+id+"?additional-fields[list]=profile_count", nil); st != 429 {
		t.Errorf("second count in one second: %d", st)
	}
	if st, _, _ := do(t, s, "GET", "/api/lists/"+id, nil); st != 200 {
		t.Errorf("plain get_list has its own budget: %d", st)
	}
	stats := s.Stats()
	if stats.Throttled != 3 || stats.ByOperation["add_profiles_to_list"].Throttled != 2 {
		t.Errorf("throttled %d / %+v", stats.Throttled, stats.ByOperation["add_profiles_to_list"])
	}
	noViolations(t, s)
}

func TestRelationshipLimitAndSemantics(t *testing.T) {
	s := start(t, Options{DisableRateLimits: true})
	id := s.CreateList("cohort:x")
	pid, _ := s.AddProfile("a@example.com", nil)
	ids := make([]string, 1001)
	for i := range ids {
		ids[i] = pid
	}
	st, _, doc := do(t, s, "POST", "/api/lists/"+id+"/relationships/profiles", relBody(ids...))
	if st != 400 || !strings.Contains(firstError(t, doc)["detail"].(string), "1000") {
		t.Errorf("1001 ids: %d %v", st, doc)
	}
	if st, _, _ := do(t, s, "POST", "/api/lists/"+id+"/relationships/profiles", relBody(pid, pid, "01K9UNKNOWN")); st != 204 {
		t.Errorf("add: %d", st)
	}
	if st, _, _ := do(t, s, "POST", "/api/lists/nolist/relationships/profiles", relBody(pid)); st != 404 {
		t.Errorf("unknown list: %d", st)
	}
	st2 := s.Stats()
	if st2.MembershipsAdded != 1 || st2.MembershipNoops != 1 || st2.UnknownProfileIDs != 1 {
		t.Errorf("%+v", st2)
	}
	if st, _, _ := do(t, s, "DELETE", "/api/lists/"+id+"/relationships/profiles", relBody(pid)); st != 204 || len(s.ListMembers("cohort:x")) != 0 {
		t.Errorf("remove: %d", st)
	}
	noViolations(t, s)
}

func TestProfilesCreateConflictAndImportUpsert(t *testing.T) {
	s := start(t, Options{})
	st, _, doc := do(t, s, "POST", "/api/profile-import", importBody("a@example.com", map[string]any{"k": "v"}))
	if st != 201 {
		t.Fatalf("import: %d %v", st, doc)
	}
	id := doc["data"].(map[string]any)["id"].(string)
	if st, _, _ := do(t, s, "POST", "/api/profile-import", importBody("A@example.com", map[string]any{"k": "w"})); st != 200 {
		t.Errorf("re-import: %d", st)
	}
	st, _, doc = do(t, s, "POST", "/api/profiles", importBody("a@example.com", nil))
	e := firstError(t, doc)
	if st != 409 || e["code"] != "duplicate_profile" || e["meta"].(map[string]any)["duplicate_profile_id"] != id {
		t.Errorf("create duplicate: %d %v", st, e)
	}
	m, _ := s.Member("a@example.com")
	if m.Properties["k"] != "w" || m.Consent != "NEVER_SUBSCRIBED" {
		t.Errorf("%+v", m)
	}
	noViolations(t, s)
}

func TestProfilesPagingAndFilters(t *testing.T) {
	s := start(t, Options{DisableRateLimits: true})
	for i := 0; i < 45; i++ {
		if _, err := s.AddProfile(fmt.Sprintf("p%02d@example.com", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.SetStatus("p07@example.com", StatusBounced); err != nil {
		t.Fatal(err)
	}
	seen, pages := 0, 0
	path := "/api/profiles?page[size]=20"
	for path != "" {
		st, _, doc := do(t, s, "GET", path, nil)
		if st != 200 {
			t.Fatalf("%d %v", st, doc)
		}
		pages++
		seen += len(doc["data"].([]any))
		next, _ := doc["links"].(map[string]any)["next"].(string)
		path = strings.TrimPrefix(next, s.URL())
	}
	if seen != 45 || pages != 3 {
		t.Errorf("seen %d in %d pages", seen, pages)
	}
	_, _, doc := do(t, s, "GET", "/api/profiles?filter="+q(`any(email,["P03@example.com","p04@example.com","nobody@x.com"])`), nil)
	if n := len(doc["data"].([]any)); n != 2 {
		t.Errorf("any(email): %d", n)
	}
	_, _, doc = do(t, s, "GET", "/api/profiles?additional-fields[profile]=subscriptions&filter="+q("greater-than(subscriptions.email.marketing.suppression.timestamp,2000-01-01T00:00:00Z)"), nil)
	data := doc["data"].([]any)
	if len(data) != 1 {
		t.Fatalf("suppressed: %d", len(data))
	}
	supp := data[0].(map[string]any)["attributes"].(map[string]any)["subscriptions"].(map[string]any)["email"].(map[string]any)["marketing"].(map[string]any)["suppression"].([]any)
	if supp[0].(map[string]any)["reason"] != "HARD_BOUNCE" {
		t.Errorf("suppression %v", supp)
	}
	st, _, doc := do(t, s, "GET", "/api/profiles?filter="+q(`equals(first_name,"x")`), nil)
	if st != 400 || !strings.Contains(firstError(t, doc)["detail"].(string), "first_name") {
		t.Errorf("unsupported filter: %d %v", st, doc)
	}
	noViolations(t, s)
}

func TestBulkImportJobLifecycle(t *testing.T) {
	clk := &frozenClock{t: time.Date(2026, 7, 15, 10, 0, 0, 0, time.UTC)}
	s := start(t, Options{Now: clk.now, JobDelay: 5 * time.Second})
	profiles := []any{
		map[string]any{"type": "profile", "attributes": map[string]any{"email": "a@example.com", "properties": map[string]any{"x": 1}}},
		map[string]any{"type": "profile", "attributes": map[string]any{"email": "broken@localhost"}},
	}
	body := map[string]any{"data": map[string]any{"type": "profile-bulk-import-job", "attributes": map[string]any{"profiles": map[string]any{"data": profiles}}}}
	st, _, doc := do(t, s, "POST", "/api/profile-bulk-import-jobs", body)
	if st != 202 {
		t.Fatalf("%d %v", st, doc)
	}
	id := doc["data"].(map[string]any)["id"].(string)
	_, _, doc = do(t, s, "GET", "/api/profile-bulk-import-jobs/"+id, nil)
	if status := doc["data"].(map[string]any)["attributes"].(map[string]any)["status"]; status != "processing" {
		t.Errorf("before JobDelay: %v", status)
	}
	if _, ok := s.Member("a@example.com"); ok {
		t.Error("profile visible before the job ran")
	}
	clk.advance(5 * time.Second)
	_, _, doc = do(t, s, "GET", "/api/profile-bulk-import-jobs/"+id, nil)
	attrs := doc["data"].(map[string]any)["attributes"].(map[string]any)
	if attrs["status"] != "complete" || attrs["completed_count"].(float64) != 1 || attrs["failed_count"].(float64) != 1 {
		t.Errorf("after: %v", attrs)
	}
	_, _, doc = do(t, s, "GET", "/api/profile-bulk-import-jobs/"+id+"/import-errors", nil)
	errs := doc["data"].([]any)
	if len(errs) != 1 || !strings.Contains(fmt.Sprint(errs[0]), "broken@localhost") {
		t.Errorf("import errors %v", errs)
	}
	if m, ok := s.Member("a@example.com"); !ok || m.Properties["x"] != float64(1) || m.Consent != "NEVER_SUBSCRIBED" {
		t.Errorf("imported %+v", m)
	}
	noViolations(t, s)
}

// The hazard the connector must never trigger is real in the fake: a subscription job
// re-subscribes an unsubscribed address, and every such call is counted.
func TestSubscriptionJobsAreCountedAndResubscribe(t *testing.T) {
	s := start(t, Options{})
	if _, err := s.SetStatus("gone@example.com", StatusUnsubscribed); err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"data": map[string]any{"type": "profile-subscription-bulk-create-job", "attributes": map[string]any{
		"profiles": map[string]any{"data": []any{map[string]any{"type": "profile", "attributes": map[string]any{
			"email": "gone@example.com", "subscriptions": map[string]any{"email": map[string]any{"marketing": map[string]any{"consent": "SUBSCRIBED"}}},
		}}}},
	}}}
	st, _, doc := do(t, s, "POST", "/api/profile-subscription-bulk-create-jobs", body)
	if st != 202 {
		t.Fatalf("%d %v", st, doc)
	}
	if m, _ := s.Member("gone@example.com"); m.Consent != "SUBSCRIBED" {
		t.Errorf("consent %s", m.Consent)
	}
	if s.Stats().ConsentWrites != 1 {
		t.Errorf("consent writes %d", s.Stats().ConsentWrites)
	}
	noViolations(t, s)
}

func TestDeletionJob(t *testing.T) {
	s := start(t, Options{})
	if err := s.AddToList("cohort:x", "a@example.com"); err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"data": map[string]any{"type": "data-privacy-deletion-job", "attributes": map[string]any{
		"profile": map[string]any{"data": map[string]any{"type": "profile", "attributes": map[string]any{"email": "A@example.com"}}}}}}
	if st, _, doc := do(t, s, "POST", "/api/data-privacy-deletion-jobs", body); st != 202 {
		t.Fatalf("%d %v", st, doc)
	}
	if _, ok := s.Member("a@example.com"); ok || len(s.ListMembers("cohort:x")) != 0 || s.Stats().Deletions != 1 {
		t.Error("not deleted")
	}
	noViolations(t, s)
}

func TestSpecLimitsParsed(t *testing.T) {
	l, err := Limits()
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]Limit{
		"add_profiles_to_list": {Burst: 10, Steady: 150},
		"create_list":          {Burst: 10, Steady: 150, Daily: 150},
		"get_list|additional-fields[list]=profile_count":               {Burst: 1, Steady: 15},
		"get_profiles|additional-fields[profile]=predictive_analytics": {Burst: 10, Steady: 150},
		"request_profile_deletion":                                     {Burst: 3, Steady: 60},
	} {
		if l[key] != want {
			t.Errorf("%s: %+v, want %+v", key, l[key], want)
		}
	}
}

func TestStartOnGivenListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, Options{Listener: ln})
	if s.URL() != "http://"+ln.Addr().String() {
		t.Errorf("URL %s, listener %s", s.URL(), ln.Addr())
	}
	if st, _, _ := do(t, s, "GET", "/api/lists", nil); st != 200 {
		t.Errorf("status %d", st)
	}
	noViolations(t, s)
}
