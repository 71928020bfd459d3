package mailchimpfake

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func startFake(t *testing.T, opts Options) *Server {
	t.Helper()
	s := New(opts)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// do sends one API request with the fake's key and decodes the JSON answer into out (if set).
func do(t *testing.T, s *Server, method, path string, body any, out any) int {
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
	req.SetBasicAuth("test", DefaultAPIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("decode %s: %v", data, err)
		}
	}
	return resp.StatusCode
}

func memberPath(email string) string {
	return "/lists/" + DefaultListID + "/members/" + SubscriberHash(email)
}

type problemDoc struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

func noViolations(t *testing.T, s *Server) {
	t.Helper()
	if v := s.Violations(); len(v) > 0 {
		t.Fatalf("spec violations: %v", v)
	}
}

func TestUpsertCreatesWithStatusIfNewAndKeepsExistingStatus(t *testing.T) {
	s := startFake(t, Options{})
	var m map[string]any
	if code := do(t, s, "PUT", memberPath("Ann@Shop.test"), map[string]any{
		"email_address": "Ann@Shop.test", "status_if_new": "transactional",
		"merge_fields": map[string]any{"FNAME": "Ann"},
	}, &m); code != 200 {
		t.Fatalf("PUT new: %d %v", code, m)
	}
	if m["status"] != "transactional" {
		t.Fatalf("new member status %v", m["status"])
	}
	if err := s.SetStatus("ann@shop.test", StatusSubscribed); err != nil {
		t.Fatal(err)
	}
	// status_if_new on an existing member leaves its status alone.
	if code := do(t, s, "PUT", memberPath("ann@shop.test"), map[string]any{
		"email_address": "ann@shop.test", "status_if_new": "transactional",
	}, &m); code != 200 || m["status"] != "subscribed" {
		t.Fatalf("PUT existing: %d %v", code, m["status"])
	}
	got, ok := s.Member("ANN@shop.test")
	if !ok || got.Status != "subscribed" || got.MergeFields["FNAME"] != "Ann" {
		t.Fatalf("member %+v", got)
	}
	noViolations(t, s)
}

func TestComplianceAndForgotten(t *testing.T) {
	s := startFake(t, Options{})
	for _, st := range []string{StatusUnsubscribed, StatusCleaned} {
		email := st + "@shop.test"
		if err := s.SetStatus(email, st); err != nil {
			t.Fatal(err)
		}
		for _, body := range []map[string]any{
			{"email_address": email, "status_if_new": "subscribed"},
			{"email_address": email, "status_if_new": "transactional", "status": "subscribed"},
		} {
			var p problemDoc
			if code := do(t, s, "PUT", memberPath(email), body, &p); code != 400 || p.Title != TitleCompliance {
				t.Fatalf("%s PUT %v: %d %+v", st, body, code, p)
			}
		}
		if m, _ := s.Member(email); m.Status != st {
			t.Fatalf("status changed to %s", m.Status)
		}
	}
	// Archived after unsubscribing: re-adding is refused.
	if err := s.SetStatus("arch@shop.test", StatusUnsubscribed); err != nil {
		t.Fatal(err)
	}
	if code := do(t, s, "DELETE", memberPath("arch@shop.test"), nil, nil); code != 204 {
		t.Fatalf("archive: %d", code)
	}
	var p problemDoc
	if code := do(t, s, "PUT", memberPath("arch@shop.test"), map[string]any{"email_address": "arch@shop.test", "status_if_new": "transactional"}, &p); code != 400 || p.Title != TitleCompliance {
		t.Fatalf("re-add archived unsubscribed: %d %+v", code, p)
	}
	// Forgotten after delete-permanent.
	if err := s.SetStatus("gone@shop.test", StatusSubscribed); err != nil {
		t.Fatal(err)
	}
	if code := do(t, s, "POST", memberPath("gone@shop.test")+"/actions/delete-permanent", nil, nil); code != 204 {
		t.Fatalf("delete-permanent: %d", code)
	}
	if code := do(t, s, "PUT", memberPath("gone@shop.test"), map[string]any{"email_address": "gone@shop.test", "status_if_new": "transactional"}, &p); code != 400 || p.Title != TitleForgotten {
		t.Fatalf("re-add forgotten: %d %+v", code, p)
	}
	if !strings.Contains(p.Detail, "gone@shop.test") {
		t.Fatalf("detail %q should name the address, as Mailchimp does", p.Detail)
	}
	if _, ok := s.Member("gone@shop.test"); ok || !s.Forgotten("gone@shop.test") {
		t.Fatal("forgotten member still present")
	}
	noViolations(t, s)
}

func TestInvalidRequestGetsProblemAndViolation(t *testing.T) {
	s := startFake(t, Options{})
	var p problemDoc
	code := do(t, s, "PUT", memberPath("x@shop.test"), map[string]any{"email_address": "x@shop.test", "status_if_new": "opted-in"}, &p)
	if code != 400 || p.Title != TitleInvalid {
		t.Fatalf("got %d %+v", code, p)
	}
	if v := s.Violations(); len(v) != 1 || !strings.Contains(v[0], "status_if_new") {
		t.Fatalf("violations %v", v)
	}
	if _, ok := s.Member("x@shop.test"); ok {
		t.Fatal("invalid request changed state")
	}
}

func TestBatchRunsOperationsAndServesArchive(t *testing.T) {
	s := startFake(t, Options{})
	var ops []map[string]any
	for i, e := range []string{"a@shop.test", "b@shop.test"} {
		body, _ := json.Marshal(map[string]any{"email_address": e, "status_if_new": "transactional"})
		ops = append(ops, map[string]any{"method": "PUT", "path": "/lists/" + DefaultListID + "/members/" + SubscriberHash(e), "body": string(body), "operation_id": string(rune('0' + i))})
	}
	ops = append(ops, map[string]any{"method": "GET", "path": "/lists/" + DefaultListID + "/members/" + SubscriberHash("nobody@shop.test"), "operation_id": "2"})
	var b map[string]any
	if code := do(t, s, "POST", "/batches", map[string]any{"operations": ops}, &b); code != 200 {
		t.Fatalf("POST /batches: %d %v", code, b)
	}
	id := b["id"].(string)
	deadline := time.Now().Add(5 * time.Second)
	for b["status"] != "finished" {
		if time.Now().After(deadline) {
			t.Fatal("batch never finished")
		}
		time.Sleep(5 * time.Millisecond)
		do(t, s, "GET", "/batches/"+id, nil, &b)
	}
	if b["errored_operations"].(float64) != 1 || b["finished_operations"].(float64) != 3 {
		t.Fatalf("batch %v", b)
	}
	resp, err := http.Get(b["response_body_url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	gz, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var results []opResult
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var part []opResult
		if err := json.NewDecoder(tr).Decode(&part); err != nil {
			t.Fatalf("%s: %v", h.Name, err)
		}
		results = append(results, part...)
	}
	if len(results) != 3 || results[0].StatusCode != 200 || results[2].StatusCode != 404 || results[2].OperationID != "2" {
		t.Fatalf("results %+v", results)
	}
	if _, ok := s.Member("b@shop.test"); !ok {
		t.Fatal("batch PUT did not create the member")
	}
	st := s.Stats()
	if st.Operations["putListsIdMembersId"] != 2 || st.Requests["postBatches"] != 1 || st.Downloads != 1 {
		t.Fatalf("stats %+v", st)
	}
	noViolations(t, s)
}

func TestConnectionLimitAnswers429(t *testing.T) {
	s := startFake(t, Options{Latency: 100 * time.Millisecond})
	var wg sync.WaitGroup
	codes := make([]int, 25)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = do(t, s, "GET", "/ping", nil, nil)
		}()
	}
	wg.Wait()
	var ok, limited int
	for _, c := range codes {
		switch c {
		case 200:
			ok++
		case 429:
			limited++
		}
	}
	if ok < 10 || limited == 0 || ok+limited != len(codes) {
		t.Fatalf("ok=%d 429=%d codes=%v", ok, limited, codes)
	}
	if st := s.Stats(); st.TooManyRequests != limited {
		t.Fatalf("stats count %d 429s, answered %d", st.TooManyRequests, limited)
	}
}

func TestMergeFieldsTagsAndSegments(t *testing.T) {
	s := startFake(t, Options{})
	var p problemDoc
	if code := do(t, s, "PUT", memberPath("a@shop.test"), map[string]any{"email_address": "a@shop.test", "status_if_new": "transactional", "merge_fields": map[string]any{"CRFM": "x"}}, &p); code != 400 || p.Title != TitleInvalid {
		t.Fatalf("unknown merge field: %d %+v", code, p)
	}
	if code := do(t, s, "POST", "/lists/"+DefaultListID+"/merge-fields", map[string]any{"tag": "CCLV", "name": "CLV", "type": "number"}, nil); code != 200 {
		t.Fatalf("create merge field: %d", code)
	}
	if code := do(t, s, "POST", "/lists/"+DefaultListID+"/merge-fields", map[string]any{"tag": "TOOLONGTAG11", "name": "x", "type": "text"}, &p); code != 400 {
		t.Fatalf("11-char tag accepted: %d", code)
	}
	if code := do(t, s, "PUT", memberPath("a@shop.test"), map[string]any{"email_address": "a@shop.test", "status_if_new": "transactional", "merge_fields": map[string]any{"CCLV": "abc"}}, &p); code != 400 {
		t.Fatalf("non-number accepted: %d", code)
	}
	if code := do(t, s, "PUT", memberPath("a@shop.test"), map[string]any{"email_address": "a@shop.test", "status_if_new": "transactional", "merge_fields": map[string]any{"CCLV": 12.5}}, nil); code != 200 {
		t.Fatalf("PUT: %d", code)
	}
	if code := do(t, s, "POST", memberPath("a@shop.test")+"/tags", map[string]any{"tags": []map[string]string{{"name": "t1", "status": "active"}, {"name": "t2", "status": "active"}}, "is_syncing": true}, nil); code != 204 {
		t.Fatalf("tags: %d", code)
	}
	if code := do(t, s, "POST", memberPath("a@shop.test")+"/tags", map[string]any{"tags": []map[string]string{{"name": "t2", "status": "inactive"}}}, nil); code != 204 {
		t.Fatalf("untag: %d", code)
	}
	if code := do(t, s, "POST", memberPath("nobody@shop.test")+"/tags", map[string]any{"tags": []map[string]string{{"name": "t1", "status": "active"}}}, nil); code != 404 {
		t.Fatalf("tag unknown member: %d", code)
	}
	var segs struct {
		Segments []struct {
			Name        string `json:"name"`
			MemberCount int    `json:"member_count"`
		} `json:"segments"`
	}
	do(t, s, "GET", "/lists/"+DefaultListID+"/segments?include_transactional=true", nil, &segs)
	if len(segs.Segments) != 2 || segs.Segments[0].Name != "t1" || segs.Segments[0].MemberCount != 1 || segs.Segments[1].MemberCount != 0 {
		t.Fatalf("segments %+v", segs)
	}
	do(t, s, "GET", "/lists/"+DefaultListID+"/segments", nil, &segs)
	if segs.Segments[0].MemberCount != 0 {
		t.Fatalf("transactional members counted without include_transactional: %+v", segs)
	}
	m, _ := s.Member("a@shop.test")
	if m.MergeFields["CCLV"] != "12.5" || len(m.Tags) != 1 || m.Tags[0] != "t1" {
		t.Fatalf("member %+v", m)
	}
	noViolations(t, s)
}

func TestListMembersPagesAndRejectsOversizedPages(t *testing.T) {
	s := startFake(t, Options{})
	for i := range 25 {
		if err := s.SetStatus(strings.Repeat("x", i+1)+"@shop.test", StatusUnsubscribed); err != nil {
			t.Fatal(err)
		}
	}
	var page struct {
		Members    []map[string]any `json:"members"`
		TotalItems int              `json:"total_items"`
	}
	do(t, s, "GET", "/lists/"+DefaultListID+"/members?status=unsubscribed&count=10&offset=20", nil, &page)
	if len(page.Members) != 5 || page.TotalItems != 25 {
		t.Fatalf("page of %d, total %d", len(page.Members), page.TotalItems)
	}
	var p problemDoc
	if code := do(t, s, "GET", "/lists/"+DefaultListID+"/members?count=1001", nil, &p); code != 400 || p.Title != TitleInvalid {
		t.Fatalf("count=1001: %d %+v", code, p)
	}
	if len(s.Violations()) != 1 {
		t.Fatalf("violations %v", s.Violations())
	}
}
