package shopify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohortd/cohortd/connectors/shopify/decode"
)

func bulkOpJSON(id, status string, objects int, url string) string {
	u := "null"
	if url != "" {
		u = `"` + url + `"`
	}
	return fmt.Sprintf(`{"id":%q,"status":%q,"type":"QUERY","errorCode":null,"objectCount":"%d","rootObjectCount":"%d","fileSize":null,"url":%s,"partialDataUrl":null,"createdAt":"2026-01-02T03:04:05Z","completedAt":null,"query":"{ customers { edges { node { id } } } }"}`, id, status, objects, objects, u)
}

func TestStartBulkQueryAdoptsOurRunningOperation(t *testing.T) {
	s := newTestShop(t)
	query := BulkQuery(BulkCustomers, "")
	s.handle("BulkRunQuery", func(map[string]any) answer {
		return ok(`{"bulkOperationRunQuery":{"bulkOperation":null,"userErrors":[{"field":null,"message":"A bulk query operation for this app and shop is already in progress: gid://shopify/BulkOperation/7.","code":"OPERATION_IN_PROGRESS"}]}}`)
	})
	s.handle("CurrentBulkOperation", func(v map[string]any) answer {
		if v["type"] != "QUERY" {
			t.Errorf("type = %v", v["type"])
		}
		// Shopify echoes the query; layout may differ.
		q, _ := json.Marshal(strings.Join(strings.Fields(query), " "))
		return ok(`{"currentBulkOperation":{"id":"gid://shopify/BulkOperation/7","status":"RUNNING","type":"QUERY","objectCount":"1200","rootObjectCount":"1200","url":null,"partialDataUrl":null,"query":` + string(q) + `}}`)
	})
	c := newTestClient(t, s)
	op, err := c.StartBulkQuery(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	if op.ID != "gid://shopify/BulkOperation/7" || op.Status != BulkRunning || op.ObjectCount != 1200 {
		t.Errorf("op = %+v, want the running operation adopted", op)
	}
	if s.count("BulkRunQuery") != 1 {
		t.Errorf("BulkRunQuery sent %d times, want 1", s.count("BulkRunQuery"))
	}
}

func TestStartBulkQueryWaitsForAnotherOperation(t *testing.T) {
	s := newTestShop(t)
	var runs, polls atomic.Int64
	s.handle("BulkRunQuery", func(map[string]any) answer {
		if runs.Add(1) == 1 {
			return ok(`{"bulkOperationRunQuery":{"bulkOperation":null,"userErrors":[{"field":null,"message":"A bulk query operation for this app and shop is already in progress: gid://shopify/BulkOperation/7.","code":"OPERATION_IN_PROGRESS"}]}}`)
		}
		return ok(`{"bulkOperationRunQuery":{"bulkOperation":{"id":"gid://shopify/BulkOperation/8","status":"CREATED"},"userErrors":[]}}`)
	})
	s.handle("CurrentBulkOperation", func(map[string]any) answer {
		return ok(`{"currentBulkOperation":` + strings.Replace(bulkOpJSON("gid://shopify/BulkOperation/7", "RUNNING", 5, ""), "customers", "products", 1) + `}`)
	})
	s.handle("BulkOperation", func(v map[string]any) answer {
		if v["id"] != "gid://shopify/BulkOperation/7" {
			t.Errorf("polled %v", v["id"])
		}
		status := "RUNNING"
		if polls.Add(1) >= 3 {
			status = "COMPLETED"
		}
		return ok(`{"node":` + bulkOpJSON("gid://shopify/BulkOperation/7", status, 5, "") + `}`)
	})
	c := newTestClient(t, s)
	op, err := c.StartBulkQuery(context.Background(), BulkQuery(BulkCustomers, ""))
	if err != nil {
		t.Fatal(err)
	}
	if op.ID != "gid://shopify/BulkOperation/8" || runs.Load() != 2 || polls.Load() != 3 {
		t.Errorf("op %s after %d runs and %d polls, want /8 after 2 runs and 3 polls", op.ID, runs.Load(), polls.Load())
	}
}

func TestStartBulkQueryOtherUserErrorIsPermanent(t *testing.T) {
	s := newTestShop(t)
	s.handle("BulkRunQuery", func(map[string]any) answer {
		return ok(`{"bulkOperationRunQuery":{"bulkOperation":null,"userErrors":[{"field":["query"],"message":"Invalid bulk query: Field 'bogus' doesn't exist","code":"INVALID"}]}}`)
	})
	c := newTestClient(t, s)
	_, err := c.StartBulkQuery(context.Background(), "{ bogus }")
	var ue *UserErrors
	if !errors.As(err, &ue) || !ue.HasCode("INVALID") {
		t.Fatalf("err = %v, want *UserErrors INVALID", err)
	}
}

func TestWaitBulkFailedCarriesErrorCodeAndPartialURL(t *testing.T) {
	s := newTestShop(t)
	s.handle("BulkOperation", func(map[string]any) answer {
		return ok(`{"node":{"id":"gid://shopify/BulkOperation/9","status":"FAILED","type":"QUERY","errorCode":"TIMEOUT","objectCount":"40","rootObjectCount":"40","url":null,"partialDataUrl":"https://storage.example/partial.jsonl","query":"{}"}}`)
	})
	c := newTestClient(t, s)
	op, err := c.WaitBulk(context.Background(), "gid://shopify/BulkOperation/9", nil)
	var be *BulkError
	if !errors.As(err, &be) || be.Op.ErrorCode != "TIMEOUT" || be.Op.PartialDataURL != "https://storage.example/partial.jsonl" || op.Status != BulkFailed {
		t.Fatalf("op %+v, err %v", op, err)
	}
	if !strings.Contains(err.Error(), "TIMEOUT") {
		t.Errorf("err = %q, want the errorCode", err)
	}
}

func TestWaitBulkWakesOnSignal(t *testing.T) {
	s := newTestShop(t)
	var done atomic.Bool
	s.handle("BulkOperation", func(map[string]any) answer {
		st := "RUNNING"
		if done.Load() {
			st = "COMPLETED"
		}
		return ok(`{"node":` + bulkOpJSON("gid://shopify/BulkOperation/1", st, 0, "") + `}`)
	})
	c := newTestClient(t, s, func(o *Options) { o.BulkPollMin, o.BulkPollMax = 10*time.Second, 10*time.Second })
	wake := make(chan struct{}, 1)
	time.AfterFunc(30*time.Millisecond, func() { done.Store(true); wake <- struct{}{} })
	start := time.Now()
	op, err := c.WaitBulk(context.Background(), "gid://shopify/BulkOperation/1", wake)
	if err != nil || op.Status != BulkCompleted {
		t.Fatalf("op %+v, err %v", op, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("woke after %v, want right after the signal", d)
	}
	if s.count("BulkOperation") != 2 {
		t.Errorf("%d polls, want 2", s.count("BulkOperation"))
	}
}

func TestWaitBulkStopsOnCancel(t *testing.T) {
	s := newTestShop(t)
	s.handle("BulkOperation", func(map[string]any) answer {
		return ok(`{"node":` + bulkOpJSON("gid://shopify/BulkOperation/1", "RUNNING", 0, "") + `}`)
	})
	c := newTestClient(t, s, func(o *Options) { o.BulkPollMin, o.BulkPollMax = 10*time.Second, 10*time.Second })
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.WaitBulk(ctx, "gid://shopify/BulkOperation/1", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("returned after %v", d)
	}
}

// The bulk file and its serving behaviours.

// ordersFile is a bulk orders result: 3 orders, the first with 2 line items, the third with 1.
var ordersFile = strings.Join([]string{
	`{"id":"gid://shopify/Order/1","name":"#1001"}`,
	`{"id":"gid://shopify/LineItem/11","title":"Mug","__parentId":"gid://shopify/Order/1"}`,
	`{"id":"gid://shopify/LineItem/12","title":"Tea","__parentId":"gid://shopify/Order/1"}`,
	`{"id":"gid://shopify/Order/2","name":"#1002"}`,
	`{"id":"gid://shopify/Order/3","name":"#1003"}`,
	`{"id":"gid://shopify/LineItem/31","title":"Pot","__parentId":"gid://shopify/Order/3"}`,
}, "\n") + "\n"

func completedOp(url string, objects int) BulkOperation {
	return BulkOperation{ID: "gid://shopify/BulkOperation/5", Status: BulkCompleted, Type: "QUERY", ObjectCount: uint64s(objects), URL: url}
}

type rootSeen struct {
	line     int64
	id       string
	children []string
}

func collect(seen *[]rootSeen) func(Root) error {
	return func(r Root) error {
		var o struct{ ID string }
		_ = json.Unmarshal(r.Object, &o)
		rs := rootSeen{line: r.Line, id: o.ID}
		for _, ch := range r.Children {
			var c struct{ ID string }
			_ = json.Unmarshal(ch, &c)
			rs.children = append(rs.children, c.ID)
		}
		*seen = append(*seen, rs)
		return nil
	}
}

func fmtSeen(seen []rootSeen) string {
	var b strings.Builder
	for _, r := range seen {
		fmt.Fprintf(&b, "%d:%s%v ", r.line, strings.TrimPrefix(r.id, "gid://shopify/"), r.children)
	}
	return strings.TrimSpace(b.String())
}

func serveFile(s *testShop, files map[string]func(w http.ResponseWriter, r *http.Request)) {
	s.other = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := files[r.URL.Path]; ok {
			h(w, r)
			return
		}
		http.NotFound(w, r)
	})
}

func TestDownloadBulkStitchesChildren(t *testing.T) {
	s := newTestShop(t)
	serveFile(s, map[string]func(http.ResponseWriter, *http.Request){
		"/orders.jsonl": func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Shopify-Access-Token") != "" {
				t.Error("access token sent to the storage URL")
			}
			_, _ = w.Write([]byte(ordersFile))
		},
	})
	c := newTestClient(t, s, func(o *Options) { o.MaxLineBytes = 100 }) // lines are < 100 bytes; buffer growth is exercised
	var seen []rootSeen
	sum, err := c.DownloadBulk(context.Background(), completedOp(s.srv.URL+"/orders.jsonl", 6), 0, collect(&seen))
	if err != nil {
		t.Fatal(err)
	}
	want := "3:Order/1[gid://shopify/LineItem/11 gid://shopify/LineItem/12] 4:Order/2[] 6:Order/3[gid://shopify/LineItem/31]"
	if got := fmtSeen(seen); got != want {
		t.Errorf("roots\n got %s\nwant %s", got, want)
	}
	if sum.Lines != 6 || sum.Roots != 3 || sum.Delivered != 3 || sum.Skipped != 0 {
		t.Errorf("summary = %+v", sum)
	}
}

func TestDownloadBulkSkipLinesResumes(t *testing.T) {
	s := newTestShop(t)
	serveFile(s, map[string]func(http.ResponseWriter, *http.Request){
		"/orders.jsonl": func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(ordersFile)) },
	})
	c := newTestClient(t, s)
	var seen []rootSeen
	sum, err := c.DownloadBulk(context.Background(), completedOp(s.srv.URL+"/orders.jsonl", 6), 3, collect(&seen))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmtSeen(seen); got != "4:Order/2[] 6:Order/3[gid://shopify/LineItem/31]" {
		t.Errorf("roots after checkpoint 3: %s", got)
	}
	if sum.Skipped != 1 || sum.Delivered != 2 || sum.Lines != 6 {
		t.Errorf("summary = %+v", sum)
	}
}

func TestDownloadBulkShortfallIsAnError(t *testing.T) {
	s := newTestShop(t)
	serveFile(s, map[string]func(http.ResponseWriter, *http.Request){
		"/orders.jsonl": func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(ordersFile)) },
	})
	c := newTestClient(t, s)
	var seen []rootSeen
	sum, err := c.DownloadBulk(context.Background(), completedOp(s.srv.URL+"/orders.jsonl", 7), 0, collect(&seen))
	if !errors.Is(err, ErrShortfall) || !strings.Contains(err.Error(), "6 lines received, objectCount 7") {
		t.Fatalf("err = %v, want ErrShortfall", err)
	}
	if sum.Lines != 6 {
		t.Errorf("lines = %d", sum.Lines)
	}
}

func TestDownloadBulkOrphanChildIsAnError(t *testing.T) {
	s := newTestShop(t)
	bad := `{"id":"gid://shopify/Order/1"}` + "\n" + `{"id":"gid://shopify/LineItem/9","__parentId":"gid://shopify/Order/2"}` + "\n"
	serveFile(s, map[string]func(http.ResponseWriter, *http.Request){
		"/bad.jsonl": func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(bad)) },
	})
	c := newTestClient(t, s)
	_, err := c.DownloadBulk(context.Background(), completedOp(s.srv.URL+"/bad.jsonl", 2), 0, func(Root) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "does not follow its parent") {
		t.Fatalf("err = %v", err)
	}
}

// truncate serves the first n bytes of body while announcing all of it, then hangs up.
func truncate(body string, n int) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		_, _ = w.Write([]byte(body[:n]))
		if hj, ok := w.(http.Hijacker); ok {
			w.(http.Flusher).Flush()
			conn, _, err := hj.Hijack()
			if err == nil {
				conn.Close()
			}
		}
	}
}

func TestDownloadBulkTruncatedIsAnError(t *testing.T) {
	s := newTestShop(t)
	cut := strings.Index(ordersFile, "#1003") // mid-line: Order/2 may still get children, Order/1 is complete
	serveFile(s, map[string]func(http.ResponseWriter, *http.Request){"/orders.jsonl": truncate(ordersFile, cut)})
	c := newTestClient(t, s, func(o *Options) { o.MaxAttempts = 2 })
	var seen []rootSeen
	sum, err := c.DownloadBulk(context.Background(), completedOp(s.srv.URL+"/orders.jsonl", 6), 0, collect(&seen))
	if err == nil || errors.Is(err, ErrShortfall) && sum.Lines == 6 {
		t.Fatalf("err = %v, summary %+v: a truncated download must fail", err, sum)
	}
	// The first order was complete before the cut and is delivered exactly once.
	if got := fmtSeen(seen); got != "3:Order/1[gid://shopify/LineItem/11 gid://shopify/LineItem/12]" {
		t.Errorf("delivered %s", got)
	}
	if sum.Attempts != 2 {
		t.Errorf("attempts = %d, want 2", sum.Attempts)
	}
}

// A download breaks mid-file; the retry finds the URL expired (403), the operation is read
// again for a fresh URL, and the download resumes after the last root delivered.
func TestDownloadBulkExpiredURLRefreshesAndResumes(t *testing.T) {
	s := newTestShop(t)
	var oldHits atomic.Int64
	cut := strings.Index(ordersFile, "#1003")
	serveFile(s, map[string]func(http.ResponseWriter, *http.Request){
		"/old.jsonl": func(w http.ResponseWriter, r *http.Request) {
			if oldHits.Add(1) == 1 {
				truncate(ordersFile, cut)(w, r)
				return
			}
			w.WriteHeader(403)
			_, _ = w.Write([]byte(`<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>`))
		},
		"/fresh.jsonl": func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(ordersFile)) },
	})
	s.handle("BulkOperation", func(map[string]any) answer {
		return ok(`{"node":` + bulkOpJSON("gid://shopify/BulkOperation/5", "COMPLETED", 6, s.srv.URL+"/fresh.jsonl") + `}`)
	})
	c := newTestClient(t, s)
	var seen []rootSeen
	sum, err := c.DownloadBulk(context.Background(), completedOp(s.srv.URL+"/old.jsonl", 6), 0, collect(&seen))
	if err != nil {
		t.Fatal(err)
	}
	want := "3:Order/1[gid://shopify/LineItem/11 gid://shopify/LineItem/12] 4:Order/2[] 6:Order/3[gid://shopify/LineItem/31]"
	if got := fmtSeen(seen); got != want {
		t.Errorf("roots\n got %s\nwant %s (each exactly once)", got, want)
	}
	if !sum.Refreshed || sum.Attempts != 3 || s.count("BulkOperation") != 1 || sum.Delivered != 3 {
		t.Errorf("summary %+v, %d refreshes", sum, s.count("BulkOperation"))
	}
}

func TestDownloadBulkCallbackErrorStops(t *testing.T) {
	s := newTestShop(t)
	serveFile(s, map[string]func(http.ResponseWriter, *http.Request){
		"/orders.jsonl": func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(ordersFile)) },
	})
	c := newTestClient(t, s)
	boom := errors.New("disk full")
	n := 0
	_, err := c.DownloadBulk(context.Background(), completedOp(s.srv.URL+"/orders.jsonl", 6), 0, func(Root) error {
		n++
		if n == 2 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || n != 2 {
		t.Fatalf("err = %v after %d roots", err, n)
	}
}

// A middle line with Shopify's layout is stitched by its two ends and handed out as it is:
// its syntax is the record decoder's to check, which reports it (a bad record, the others
// stored). A line of another layout that is not one object still stops the download.
func TestDownloadBulkBadLineIsLeftToTheDecoder(t *testing.T) {
	s := newTestShop(t)
	bad := strings.Replace(ordersFile, `"name":"#1002"`, `"name":#1002`, 1)
	worse := strings.Replace(ordersFile, `{"id":"gid://shopify/Order/2","name":"#1002"}`, `{"name":"#1002","id":"gid://shopify/Order/2"`, 1)
	serveFile(s, map[string]func(http.ResponseWriter, *http.Request){
		"/bad.jsonl":   func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(bad)) },
		"/worse.jsonl": func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(worse)) },
	})
	c := newTestClient(t, s)
	var roots []Root
	_, err := c.DownloadBulk(context.Background(), completedOp(s.srv.URL+"/bad.jsonl", 6), 0, func(r Root) error {
		roots = append(roots, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(roots) != 3 || string(roots[1].Object) != `{"id":"gid://shopify/Order/2","name":#1002}` || len(roots[2].Children) != 1 {
		t.Fatalf("roots %d, second %s", len(roots), roots[1].Object)
	}
	if _, err := decode.Order("shop", roots[1].Object, nil); err == nil || !strings.Contains(err.Error(), "field name: malformed JSON") {
		t.Errorf("the decoder on the malformed line: %v", err)
	}
	_, err = c.DownloadBulk(context.Background(), completedOp(s.srv.URL+"/worse.jsonl", 6), 0, func(Root) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "line 4 is not a JSON object") {
		t.Fatalf("err = %v", err)
	}
}
