package shopifyfake

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohortd/cohortd/connectors/shopify"
)

func TestAuthAndVersion(t *testing.T) {
	f := newLoadedFake(t, Options{})
	st, b := post(t, f, "wrong", shopify.QueryShop, nil)
	if st != 401 || string(b) != invalidTokenBody {
		t.Fatalf("bad token: %d %s", st, b)
	}
	req, _ := http.NewRequest(http.MethodPost, f.GraphQLURL("2019-01"), strings.NewReader(`{"query":"{shop{name}}"}`))
	req.Header.Set("X-Shopify-Access-Token", f.Options().AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("unknown version: %d", resp.StatusCode)
	}
}

func TestInvalidDocumentIsRejectedWithLocations(t *testing.T) {
	f := newLoadedFake(t, Options{})
	r := gql(t, f, "query {\n  orders(first: 1) { nodes { id clientDetails { userAgent } } }\n}", nil)
	if r.Data != nil || len(r.Errors) != 1 {
		t.Fatalf("want one error, got %+v", r)
	}
	e := r.Errors[0]
	if e["message"] != "Field 'clientDetails' doesn't exist on type 'Order'" || at(e, "locations", 0, "line") != 2.0 || at(e, "locations", 0, "column") != 33.0 || at(e, "extensions", "code") != "undefinedField" {
		t.Fatalf("error %v", e)
	}
	// bulk query strings are validated too
	r = gql(t, f, shopify.MutationBulkRunQuery, map[string]any{"query": "{ customers { edges { node { id ordersCount } } } }"})
	ue := at(r.Data, "bulkOperationRunQuery", "userErrors", 0)
	if at(ue, "code") != "INVALID" || at(ue, "field", 0) != "query" || at(r.Data, "bulkOperationRunQuery", "bulkOperation") != nil {
		t.Fatalf("invalid bulk query accepted: %v", r.Data)
	}
	// first > 250
	r = gql(t, f, `{ customers(first: 251) { nodes { id } } }`, nil)
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0]["message"].(string), "250") {
		t.Fatalf("first 251: %+v", r)
	}
}

// Every customer exactly once, in (updatedAt, id) order, across pages, including one
// updated while paging (it moves to the end and is seen again, like on Shopify).
func TestPaginationUpdatedAtOrder(t *testing.T) {
	f := newLoadedFake(t, Options{})
	total, _ := f.Counts()
	seen := map[string]int{}
	var last string
	var after any
	pages := 0
	for {
		r := gql(t, f, shopify.QueryCustomersPage, map[string]any{"first": 37, "after": after, "query": "updated_at:>='2000-01-01T00:00:00Z'"})
		noErrors(t, "page", r)
		for _, n := range at(r.Data, "customers", "nodes").([]any) {
			m := n.(map[string]any)
			key := m["updatedAt"].(string) + " " + leftPad(m["legacyResourceId"].(string))
			if key <= last {
				t.Fatalf("out of order: %s after %s", key, last)
			}
			last = key
			seen[m["id"].(string)]++
		}
		pages++
		if at(r.Data, "customers", "pageInfo", "hasNextPage") != true {
			break
		}
		after = at(r.Data, "customers", "pageInfo", "endCursor")
	}
	if len(seen) != total || pages != (total+36)/37 {
		t.Fatalf("saw %d of %d customers in %d pages", len(seen), total, pages)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s seen %d times", id, n)
		}
	}
	// filters: strictly after the newest update nothing is left
	r := gql(t, f, `query($q: String) { customers(first: 5, query: $q, sortKey: UPDATED_AT) { nodes { id } } }`, map[string]any{"q": "updated_at:>" + strings.Fields(last)[0]})
	if n := len(at(r.Data, "customers", "nodes").([]any)); n != 0 {
		t.Fatalf("updated_at:> newest returned %d", n)
	}
	r = gql(t, f, `query($q: String) { customersCount(query: $q) { count } }`, map[string]any{"q": "updated_at:<=" + strings.Fields(last)[0]})
	if at(r.Data, "customersCount", "count") != float64(total) {
		t.Fatalf("count %v want %d", r.Data, total)
	}
}

func leftPad(s string) string { return strings.Repeat("0", 20-len(s)) + s }

func TestThrottlingAndRestore(t *testing.T) {
	clock := newClock()
	f := newLoadedFake(t, Options{Plan: PlanStandard, Now: clock.Now})
	q := `{ customers(first: 250) { nodes { id amountSpent { amount } } } }` // 2 + 250*2 = 502
	var last gqlResp
	ok := 0
	for range 10 {
		last = gql(t, f, q, nil)
		if len(last.Errors) > 0 {
			break
		}
		ok++
		if c := at(last.Extensions, "cost", "actualQueryCost").(float64); c > 502 || c < 2 {
			t.Fatalf("actual cost %v", c)
		}
	}
	if ok < 4 || at(last.Errors[0], "extensions", "code") != "THROTTLED" || last.Errors[0]["message"] != "Throttled" {
		t.Fatalf("after %d ok: %+v", ok, last)
	}
	ts := at(last.Extensions, "cost", "throttleStatus").(map[string]any)
	if ts["maximumAvailable"] != 2000.0 || ts["restoreRate"] != 100.0 || ts["currentlyAvailable"].(float64) >= 502 || at(last.Extensions, "cost", "actualQueryCost") != nil || at(last.Extensions, "cost", "requestedQueryCost") != 502.0 {
		t.Fatalf("throttle status %v", last.Extensions)
	}
	if f.Stats().Throttled != 1 {
		t.Fatalf("stats %+v", f.Stats())
	}
	avail := ts["currentlyAvailable"].(float64)
	clock.Advance(time.Duration((502-avail)/100*float64(time.Second)) + 10*time.Millisecond)
	r := gql(t, f, q, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("still throttled after restore: %v", r.Errors)
	}
	clock.Advance(time.Hour)
	if a := f.Stats().PointsAvailable; a != 2000 {
		t.Fatalf("bucket not full after an hour: %v", a)
	}
	// single query cost limit
	r = gql(t, f, `{ customers(first: 250) { nodes { id amountSpent { amount } defaultAddress { id } addresses { id } emailMarketingConsent { marketingState } } } }`, nil)
	if len(r.Errors) != 1 || at(r.Errors[0], "extensions", "code") != "MAX_COST_EXCEEDED" {
		t.Fatalf("max cost: %+v", r)
	}
}

func TestBulkOrdersStitchingInProgressAndFailure(t *testing.T) {
	f := newLoadedFake(t, Options{})
	_, lines := runBulk(t, f, shopify.BulkQueries["BulkOrders"])
	_, orders := f.Counts()
	parent := ""
	roots, children := 0, 0
	for _, l := range lines {
		id := l["id"].(string)
		if p, ok := l["__parentId"].(string); ok {
			children++
			if p != parent || !strings.HasPrefix(id, "gid://shopify/LineItem/") {
				t.Fatalf("child %s has parent %s, previous root %s", id, p, parent)
			}
			continue
		}
		if _, has := l["lineItems"]; has {
			t.Fatalf("root line inlines lineItems: %v", l)
		}
		roots++
		parent = id
	}
	if roots != orders || children < roots {
		t.Fatalf("%d roots (want %d), %d children", roots, orders, children)
	}

	// second query while one runs: OPERATION_IN_PROGRESS
	f.InjectFault(Fault{Kind: FaultBulkSlow, Delay: 300 * time.Millisecond})
	first := gql(t, f, shopify.MutationBulkRunQuery, map[string]any{"query": shopify.BulkQueries["BulkCustomers"]})
	firstID := at(first.Data, "bulkOperationRunQuery", "bulkOperation", "id").(string)
	r := gql(t, f, shopify.MutationBulkRunQuery, map[string]any{"query": shopify.BulkQueries["BulkOrders"]})
	ue := at(r.Data, "bulkOperationRunQuery", "userErrors", 0)
	if at(ue, "code") != "OPERATION_IN_PROGRESS" || at(ue, "field") != nil ||
		at(ue, "message") != "A bulk query operation for this app and shop is already in progress: "+firstID+"." {
		t.Fatalf("second bulk query: %v (first %s)", r.Data, firstID)
	}
	if st := at(gql(t, f, shopify.QueryCurrentBulkOperation, map[string]any{"type": "QUERY"}).Data, "currentBulkOperation", "status"); st != "RUNNING" {
		t.Fatalf("slow op status %v", st)
	}
	_, n, _ := parseGID(firstID)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f.WaitBulk(ctx, n)

	// FAILED with partial data
	f.InjectFault(Fault{Kind: FaultBulkFailed, AfterRoots: 3})
	r = gql(t, f, shopify.MutationBulkRunQuery, map[string]any{"query": shopify.BulkQueries["BulkOrders"]})
	id := at(r.Data, "bulkOperationRunQuery", "bulkOperation", "id").(string)
	_, n, _ = parseGID(id)
	if st, _ := f.WaitBulk(ctx, n); st != "FAILED" {
		t.Fatalf("status %s", st)
	}
	r = gql(t, f, shopify.QueryBulkOperation, map[string]any{"id": id})
	op := r.Data["node"].(map[string]any)
	if op["errorCode"] != "INTERNAL_SERVER_ERROR" || op["url"] != nil || op["partialDataUrl"] == nil {
		t.Fatalf("failed op %v", op)
	}
	resp, err := http.Get(op["partialDataUrl"].(string))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	partialRoots := 0
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if !strings.Contains(l, "__parentId") {
			partialRoots++
		}
	}
	if resp.StatusCode != 200 || partialRoots != 3 {
		t.Fatalf("partial data %d: %d roots", resp.StatusCode, partialRoots)
	}
}

func TestExpiredAndTruncatedDownloads(t *testing.T) {
	clock := newClock()
	f := newLoadedFake(t, Options{Now: clock.Now, URLTTL: time.Hour})
	op, lines := runBulk(t, f, shopify.BulkQueries["BulkCustomers"])
	if len(lines) == 0 {
		t.Fatal("no lines")
	}
	clock.Advance(2 * time.Hour)
	resp, err := http.Get(op["url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(b), "<Code>AccessDenied</Code>") {
		t.Fatalf("expired URL: %d %s", resp.StatusCode, b)
	}
	// querying the operation again gives a fresh URL
	r := gql(t, f, shopify.QueryBulkOperation, map[string]any{"id": op["id"]})
	f.InjectFault(Fault{Kind: FaultTruncatedDownload})
	resp, err = http.Get(at(r.Data, "node", "url").(string))
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || err == nil {
		t.Fatalf("truncated download: status %d err %v", resp.StatusCode, err)
	}
	f.InjectFault(Fault{Kind: FaultServerError, Status: 502, Count: 2})
	for range 2 {
		if st, b := post(t, f, f.Options().AccessToken, shopify.QueryShop, nil); st != 502 || !strings.Contains(string(b), "Bad Gateway") {
			t.Fatalf("5xx fault: %d %s", st, b)
		}
	}
	if st, _ := post(t, f, f.Options().AccessToken, shopify.QueryShop, nil); st != 200 {
		t.Fatalf("fault did not clear: %d", st)
	}
}

// hookSink records webhook deliveries.
type hookSink struct {
	mu     sync.Mutex
	got    []*http.Request
	bodies [][]byte
	fail   int // answer 500 to this many first attempts
}

func (s *hookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		w.WriteHeader(500)
		return
	}
	s.got = append(s.got, r)
	s.bodies = append(s.bodies, b)
}

func (s *hookSink) wait(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		k := len(s.got)
		s.mu.Unlock()
		if k >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("got %d webhooks, want %d", len(s.got), n)
}

func TestTagsAddEmitsSignedCustomerUpdate(t *testing.T) {
	sink := &hookSink{fail: 2}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	f := newLoadedFake(t, Options{WebhookURL: srv.URL, Webhooks: WebhookKnobs{RetryBase: time.Millisecond}})
	id := f.CustomerIDs(5)[4]
	before := f.CustomerTags(id)
	r := gql(t, f, shopify.MutationTagsAdd, map[string]any{"id": gid("Customer", id), "tags": []string{"cohort-a"}})
	noErrors(t, "TagsAdd", r)
	sink.wait(t, 1)
	req, body := sink.got[0], sink.bodies[0]
	if req.Header.Get("X-Shopify-Topic") != "customers/update" || req.Header.Get("X-Shopify-Shop-Domain") != "shop-a.myshopify.com" ||
		req.Header.Get("X-Shopify-API-Version") != "2025-04" || req.Header.Get("X-Shopify-Webhook-Id") == "" || req.Header.Get("X-Shopify-Event-Id") == "" ||
		req.Header.Get("X-Shopify-Triggered-At") == "" || req.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("headers %v", req.Header)
	}
	if req.Header.Get("X-Shopify-Hmac-Sha256") != Sign(f.Options().WebhookSecret, body) || Sign("other", body) == Sign(f.Options().WebhookSecret, body) {
		t.Fatal("HMAC does not verify")
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	wantTags := strings.Join(append(before, "cohort-a"), ", ")
	if p["tags"] != wantTags || p["id"] != float64(id) || p["admin_graphql_api_id"] != gid("Customer", id) || p["addresses"] == nil {
		t.Fatalf("payload tags %q want %q: %s", p["tags"], wantTags, body)
	}
	st := f.Stats()
	for deadline := time.Now().Add(2 * time.Second); st.WebhooksDelivered == 0 && time.Now().Before(deadline); st = f.Stats() {
		time.Sleep(time.Millisecond) // the sink answers before the fake counts the delivery
	}
	if st.WebhookRetries != 2 || st.WebhookFailures != 2 || st.WebhooksDelivered != 1 || st.TagWrites != 1 {
		t.Fatalf("stats %+v", st)
	}
	// no change, no echo
	gql(t, f, shopify.MutationTagsAdd, map[string]any{"id": gid("Customer", id), "tags": []string{"COHORT-A"}})
	if f.Stats().TagWrites != 1 {
		t.Fatal("re-adding a tag counted as a write")
	}
}

func TestWebhookDuplicateAndOutOfOrderKnobs(t *testing.T) {
	// run updates 20 customers in sequence and returns the sequence numbers (first_name
	// "N<k>") and event ids in arrival order.
	run := func(knobs WebhookKnobs) ([]int, []string) {
		sink := &hookSink{}
		srv := httptest.NewServer(sink)
		defer srv.Close()
		f := newLoadedFake(t, Options{WebhookURL: srv.URL, Webhooks: knobs})
		for k, id := range f.CustomerIDs(20) {
			name := "N" + strconv.Itoa(k)
			if err := f.UpdateCustomer(id, CustomerUpdate{FirstName: &name}); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(2 * knobs.MaxDelay)
		sink.wait(t, int(f.Stats().WebhooksQueued))
		sink.mu.Lock()
		defer sink.mu.Unlock()
		var seq []int
		var events []string
		for k, b := range sink.bodies {
			var p struct {
				FirstName string `json:"first_name"`
			}
			json.Unmarshal(b, &p)
			n, _ := strconv.Atoi(strings.TrimPrefix(p.FirstName, "N"))
			seq = append(seq, n)
			events = append(events, sink.got[k].Header.Get("X-Shopify-Event-Id"))
		}
		return seq, events
	}
	sorted := func(s []int) bool {
		for i := 1; i < len(s); i++ {
			if s[i] < s[i-1] {
				return false
			}
		}
		return true
	}
	seq, _ := run(WebhookKnobs{MaxDelay: time.Millisecond})
	if len(seq) != 20 || !sorted(seq) {
		t.Fatalf("plain delivery: %v", seq)
	}
	seq, events := run(WebhookKnobs{DuplicateProb: 0.5, MaxDelay: time.Millisecond})
	count := map[string]int{}
	for _, e := range events {
		count[e]++
	}
	twice := 0
	for _, n := range count {
		if n == 2 {
			twice++
		}
	}
	if len(count) != 20 || twice == 0 || len(seq) != 20+twice {
		t.Fatalf("duplicates: %d deliveries of %d events, %d twice", len(seq), len(count), twice)
	}
	seq, _ = run(WebhookKnobs{DelayProb: 0.5, MaxDelay: 40 * time.Millisecond})
	if len(seq) != 20 || sorted(seq) {
		t.Fatalf("delayed delivery not out of order: %v", seq)
	}
}
