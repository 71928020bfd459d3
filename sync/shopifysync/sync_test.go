package shopifysync

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/shopify"
	"github.com/cohortd/cohortd/connectors/shopify/shopifyfake"
	"github.com/cohortd/cohortd/internal/gen"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/ingest"
	"github.com/cohortd/cohortd/sync/outbox"
	"github.com/cohortd/cohortd/sync/segmenter"
	"github.com/cohortd/cohortd/sync/tagpush"
	"github.com/cohortd/cohortd/sync/webhook"
)

const (
	storeID = "shop-a"
	token   = "shpat_test"
	secret  = "hook-secret"
)

var (
	genOnce sync.Once
	genDir  string
	genErr  error
)

func generated(t *testing.T) string {
	t.Helper()
	genOnce.Do(func() {
		genDir, genErr = os.MkdirTemp("", "shopifysync-gen-")
		if genErr != nil {
			return
		}
		g := gen.DefaultConfig()
		g.Customers, g.Orders, g.OutDir, g.Seed = 400, 1200, genDir, 3
		g.Formats = gen.Formats{Shopify: true}
		_, genErr = gen.Generate(context.Background(), g)
	})
	if genErr != nil {
		t.Fatal(genErr)
	}
	return genDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if genDir != "" {
		os.RemoveAll(genDir)
	}
	os.Exit(code)
}

// env is a fake shop, a data file with an inbox fed by the shop's webhooks, and a Syncer.
type env struct {
	fake    *shopifyfake.Fake
	st      *store.Store
	inbox   *webhook.Inbox
	ob      *outbox.Outbox
	syncer  *Syncer
	cfg     *config.Config
	changed atomic.Int64
	dir     string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{dir: t.TempDir()}
	var err error
	e.st, err = store.Open(filepath.Join(e.dir, "cohortd.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.st.Close() })
	e.inbox, err = webhook.OpenInbox(e.st, webhook.InboxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.inbox.Close() })
	rc, err := webhook.NewReceiver(e.inbox, webhook.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Register(Platform, storeID, shopify.WebhookSource{Secrets: [][]byte{[]byte("old-secret"), []byte(secret)}}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	rc.Mount(mux)
	hooks := httptest.NewServer(mux)
	t.Cleanup(hooks.Close)

	e.fake, err = shopifyfake.New(shopifyfake.Options{AccessToken: token, Plan: shopifyfake.PlanPlus, WebhookSecret: secret,
		WebhookURL: hooks.URL + "/webhooks/shopify/" + storeID, Dir: filepath.Join(e.dir, "fake")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.fake.Close() })
	if err := e.fake.LoadGenerated(generated(t)); err != nil {
		t.Fatal(err)
	}
	client, err := shopify.New(shopify.Options{Shop: e.fake.URL(), AccessToken: token, BulkPollMin: 20 * time.Millisecond, BulkPollMax: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e.cfg = config.Default()
	e.cfg.DataDir = e.dir
	sc := config.Store{ID: storeID, Kind: config.KindShopify, Shop: "shop-a.myshopify.com", APIVersion: "2025-04",
		Backfill: config.BackfillBulk, WriteTags: true}
	sc.PollOverlap.Duration = 10 * time.Minute
	e.cfg.Stores = []config.Store{sc}
	build, err := ingest.BuildOptions(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.ob = outbox.New(e.st, outbox.Options{})
	e.syncer, err = New(Options{Store: sc, Config: e.cfg, DB: e.st, Client: client, Outbox: e.ob, Build: build,
		DataDir: e.dir, Changed: func() { e.changed.Add(1) }, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// drain applies every webhook delivery until the inbox stays empty for a while.
func (e *env) drain(t *testing.T) {
	t.Helper()
	quiet := 0
	for quiet < 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		envs, err := e.inbox.Next(ctx, 500)
		cancel()
		if len(envs) == 0 || err != nil {
			quiet++
			continue
		}
		quiet = 0
		rejected, err := e.syncer.Apply(context.Background(), envs)
		if err != nil {
			t.Fatal(err)
		}
		if len(rejected) > 0 {
			t.Fatalf("rejected deliveries: %v", rejected)
		}
		if err := e.inbox.Done(context.Background(), envs...); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *env) count(t *testing.T, prefix string) int {
	t.Helper()
	n := 0
	if err := e.st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.SourceRecords, []byte(prefix), func(_, _ []byte) error { n++; return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) refresh(t *testing.T) *tagpush.Plan {
	t.Helper()
	ctx := context.Background()
	build, _ := ingest.BuildOptions(e.cfg)
	if _, err := ingest.Rebuild(ctx, e.st, build); err != nil {
		t.Fatal(err)
	}
	opts, err := segmenter.BuildOptions(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := segmenter.Recompute(ctx, e.st, opts, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	plan, err := e.syncer.PlanTags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

func pending(t *testing.T, st *store.Store) int {
	t.Helper()
	sts, err := outbox.Status(st, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range sts {
		n += s.Pending
	}
	return n
}

// The whole path: bulk backfill with rows expected = rows received, profiles, segments, a tag
// push that leaves the merchant's tags alone, and the echo webhooks of our write recognised
// without a second push.
func TestBackfillPushAndEchoAgainstFakeShopify(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// A merchant's own tags, set before cohortd ever ran (and a lookalike of ours).
	ids := e.fake.CustomerIDs(0)
	if len(ids) < 100 {
		t.Fatalf("fake holds %d customers", len(ids))
	}
	merchant := map[uint64][]string{}
	for _, id := range ids {
		merchant[id] = e.fake.CustomerTags(id)
	}

	rep, err := e.syncer.Backfill(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Phases) != 2 {
		t.Fatalf("phases %+v", rep.Phases)
	}
	for _, p := range rep.Phases {
		if p.Expected == 0 || p.Expected != p.Received || p.Bad != 0 {
			t.Errorf("phase %s: expected %d received %d bad %d", p.Phase, p.Expected, p.Received, p.Bad)
		}
	}
	nc, no := e.fake.Counts()
	if got := e.count(t, "customer/"+storeID+"/"); got != nc {
		t.Errorf("customers stored %d, shop has %d", got, nc)
	}
	if got := e.count(t, "order/"+storeID+"/"); got != no {
		t.Errorf("orders stored %d, shop has %d", got, no)
	}
	if again, err := e.syncer.Backfill(ctx); err != nil || !again.Skipped {
		t.Errorf("second backfill: %+v, %v", again, err)
	}

	plan := e.refresh(t)
	if len(plan.Changes) < nc/2 {
		t.Fatalf("plan changes %d for %d customers", len(plan.Changes), nc)
	}
	pushCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.syncer.RunPush(pushCtx) }()
	deadline := time.Now().Add(30 * time.Second)
	for pending(t, e.st) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if p := pending(t, e.st); p != 0 {
		t.Fatalf("%d changes still pending", p)
	}
	if got := e.syncer.Stats().PushedChanges.Load(); got != int64(len(plan.Changes)) {
		t.Errorf("pushed %d changes, planned %d", got, len(plan.Changes))
	}
	prefix := e.cfg.Tags.Prefix
	for _, c := range plan.Changes {
		id, _ := strconv.ParseUint(c.CustomerID, 10, 64)
		tags := e.fake.CustomerTags(id)
		var ours, theirs []string
		for _, tag := range tags {
			if tagpush.IsOurs(prefix, tag) {
				ours = append(ours, tag)
			} else {
				theirs = append(theirs, tag)
			}
		}
		slices.Sort(ours)
		if !slices.Equal(ours, c.Want) {
			t.Fatalf("customer %s carries %v, want %v", c.CustomerID, ours, c.Want)
		}
		if !slices.Equal(theirs, merchant[id]) {
			t.Fatalf("customer %s: merchant tags %v became %v", c.CustomerID, merchant[id], theirs)
		}
	}

	// The shop sends customers/update for every customer we tagged: recognised as echoes,
	// nothing marked dirty, and the next plan is empty.
	before := e.changed.Load()
	e.drain(t)
	if echoes := e.syncer.Stats().Echoes.Load(); echoes < int64(len(plan.Changes))*9/10 {
		t.Errorf("echoes recognised %d of %d tagged customers", echoes, len(plan.Changes))
	}
	if e.changed.Load() != before {
		t.Errorf("echo webhooks marked records changed (%d calls)", e.changed.Load()-before)
	}
	if again := e.refresh(t); len(again.Changes) != 0 {
		t.Errorf("second plan after the echo has %d changes: %+v", len(again.Changes), again.Changes[:min(3, len(again.Changes))])
	}
}

// An interrupted bulk download resumes from its checkpoint and ends with the same records
// as an uninterrupted run.
func TestBackfillResumesFromCheckpoint(t *testing.T) {
	ctx := context.Background()
	whole := newEnv(t)
	if _, err := whole.syncer.Backfill(ctx); err != nil {
		t.Fatal(err)
	}
	cut := newEnv(t)
	cut.fake.InjectFault(shopifyfake.Fault{Kind: shopifyfake.FaultTruncatedDownload, AfterRoots: 150, Count: 100})
	if _, err := cut.syncer.Backfill(ctx); err == nil {
		t.Fatal("backfill over a truncated download succeeded")
	}
	cp, err := cut.syncer.loadCheckpoint()
	if err != nil || cp.Phase != phaseCustomers || cp.OpID == "" || cp.Line < 100 {
		t.Fatalf("checkpoint after the failure: %+v, %v", cp, err)
	}
	cut.fake.ClearFaults()
	rep, err := cut.syncer.Backfill(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Phases[0].Resumed || rep.Phases[0].Expected != rep.Phases[0].Received {
		t.Fatalf("resumed phase: %+v", rep.Phases[0])
	}
	a := records(t, whole.st)
	b := records(t, cut.st)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("records: uninterrupted %d, resumed %d", len(a), len(b))
	}
	for k, v := range a {
		if b[k] != v {
			t.Fatalf("record %s differs after resume", k)
		}
	}
}

func records(t *testing.T, st *store.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.SourceRecords, nil, func(k, v []byte) error { out[string(k)] = string(v); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// Shopify's three mandatory privacy webhooks, delivered signed by the shop.
func TestPrivacyWebhooks(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.syncer.Backfill(ctx); err != nil {
		t.Fatal(err)
	}
	e.refresh(t)
	id := e.fake.CustomerIDs(1)[0]
	key := "customer/" + storeID + "/" + strconv.FormatUint(id, 10)
	if _, err := e.st.Get(store.SourceRecords, []byte(key)); err != nil {
		t.Fatalf("customer %d not stored: %v", id, err)
	}

	if err := e.fake.RequestCustomerData(id); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	exports, _ := filepath.Glob(filepath.Join(e.dir, "privacy", "*.json"))
	if len(exports) != 1 {
		t.Fatalf("exports %v", exports)
	}
	body, _ := os.ReadFile(exports[0])
	if !strings.Contains(string(body), strconv.FormatUint(id, 10)) {
		t.Errorf("export does not name customer %d", id)
	}
	if fi, _ := os.Stat(exports[0]); fi.Mode().Perm() != 0o600 {
		t.Errorf("export mode %v", fi.Mode().Perm())
	}

	if err := e.fake.RedactCustomer(id); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	if b, err := e.st.Get(store.SourceRecords, []byte(key)); err == nil && b != nil {
		t.Errorf("customer %d still stored after customers/redact", id)
	}
	if n := e.count(t, "customer/"+storeID+"/"); n == 0 {
		t.Error("customers/redact erased other customers")
	}

	e.fake.RedactShop()
	e.drain(t)
	if n := e.count(t, "customer/"+storeID+"/") + e.count(t, "order/"+storeID+"/"); n != 0 {
		t.Errorf("%d records of the shop left after shop/redact", n)
	}
	if rep, err := e.syncer.Backfill(ctx); err != nil || !rep.Skipped {
		t.Errorf("backfill after shop/redact: %+v, %v", rep, err)
	}
}

// Through the receiver with the Shopify webhook source: a delivery signed with a configured
// secret is committed; a tampered body, a wrong secret or no signature get 401 and nothing is
// stored; a retry of the same event is stored once.
func TestWebhookSignatures(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "cohortd.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	inbox, err := webhook.OpenInbox(st, webhook.InboxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer inbox.Close()
	rc, _ := webhook.NewReceiver(inbox, webhook.Options{})
	if err := rc.Register(Platform, storeID, shopify.WebhookSource{Secrets: [][]byte{[]byte("rotated-out"), []byte(secret)}}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	rc.Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	body := `{"id":820982911946154508,"email":"jon@example.com","updated_at":"2026-11-01T10:00:00-05:00"}`
	post := func(b, sig, event string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/shopify/"+storeID, strings.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Shopify-Topic", "customers/update")
		req.Header.Set("X-Shopify-Event-Id", event)
		req.Header.Set("X-Shopify-Triggered-At", "2026-11-01T15:00:00.000000Z")
		if sig != "" {
			req.Header.Set("X-Shopify-Hmac-Sha256", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	good := shopifyfake.Sign(secret, []byte(body))
	for name, c := range map[string]struct{ body, sig string }{
		"tampered body": {strings.Replace(body, "jon@", "eve@", 1), good},
		"wrong secret":  {body, shopifyfake.Sign("guess", []byte(body))},
		"no signature":  {body, ""},
	} {
		if code := post(c.body, c.sig, "evt-"+name); code != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", name, code)
		}
	}
	// Signed but malformed: 400 and stored nowhere (not even as a dead letter).
	for name, b := range map[string]string{
		"not JSON":        `{"id":820982911946154508,"email":`,
		"no id":           `{"email":"jon@example.com","updated_at":"2026-11-01T10:00:00-05:00"}`,
		"id not a number": `{"id":"x","updated_at":"2026-11-01T10:00:00-05:00"}`,
	} {
		if code := post(b, shopifyfake.Sign(secret, []byte(b)), "evt-"+name); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, code)
		}
	}
	if d := inbox.Depth(); d != 0 {
		t.Fatalf("inbox holds %d deliveries after rejected ones", d)
	}
	if dl, err := inbox.DeadLetters(10); err != nil || len(dl) != 0 {
		t.Fatalf("dead letters after rejected deliveries: %d, %v", len(dl), err)
	}
	for range 2 {
		if code := post(body, good, "evt-1"); code != http.StatusOK {
			t.Fatalf("signed delivery: %d", code)
		}
	}
	if d := inbox.Depth(); d != 1 {
		t.Fatalf("inbox holds %d deliveries, want 1 (a retry is deduplicated)", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	envs, err := inbox.Next(ctx, 10)
	if err != nil || len(envs) != 1 || string(envs[0].Body) != body || envs[0].Topic != "customers/update" {
		t.Fatalf("stored %+v, %v", envs, err)
	}
}

// Paginated backfill (small stores, no bulk access) reads the same records as bulk; a poll then
// reads what changed since (a new order, a renamed customer) and only that; a reconciliation
// finds records missing locally and reads the store again.
func TestPagesPollAndReconcile(t *testing.T) {
	ctx := context.Background()
	bulk := newEnv(t)
	if _, err := bulk.syncer.Backfill(ctx); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	e.syncer.opts.Store.Backfill = config.BackfillPages
	rep, err := e.syncer.Backfill(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Phases {
		if p.Mode != config.BackfillPages || p.Expected == 0 || p.Received != p.Expected {
			t.Errorf("pages phase %+v", p)
		}
	}
	a, b := records(t, bulk.st), records(t, e.st)
	if len(a) != len(b) {
		t.Fatalf("bulk stored %d records, pages %d", len(a), len(b))
	}
	for k, v := range a {
		if b[k] != v {
			t.Fatalf("record %s differs between bulk and pages", k)
		}
	}

	// Changes after the backfill (webhooks not drained: the poll must find them itself).
	ids := e.fake.CustomerIDs(2)
	name := "Renamed"
	if err := e.fake.UpdateCustomer(ids[0], shopifyfake.CustomerUpdate{FirstName: &name}); err != nil {
		t.Fatal(err)
	}
	oid, err := e.fake.CreateOrder(shopifyfake.NewOrder{CustomerID: ids[1], Lines: []shopifyfake.NewLine{{Quantity: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := e.syncer.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Customers == 0 || pr.Orders == 0 {
		t.Fatalf("poll read %d customers, %d orders", pr.Customers, pr.Orders)
	}
	if pr.Customers > 50 || pr.Orders > 50 {
		t.Errorf("poll read %d customers and %d orders: more than the changes and the overlap", pr.Customers, pr.Orders)
	}
	var c struct {
		FirstName string `cbor:"5,keyasint"`
	}
	if err := e.st.GetValue(store.SourceRecords, []byte("customer/"+storeID+"/"+strconv.FormatUint(ids[0], 10)), &c); err != nil || c.FirstName != name {
		t.Errorf("renamed customer: %q, %v", c.FirstName, err)
	}
	if _, err := e.st.Get(store.SourceRecords, []byte("order/"+storeID+"/"+strconv.FormatUint(oid, 10))); err != nil {
		t.Errorf("new order not stored: %v", err)
	}

	// Lose some records locally: reconcile notices and reads the store again.
	lost := 0
	if err := e.st.Update(ctx, func(tx *store.Tx) error {
		var keys [][]byte
		_ = tx.ForEachPrefix(store.SourceRecords, []byte("order/"+storeID+"/"), func(k, _ []byte) error {
			if len(keys) < 5 {
				keys = append(keys, slices.Clone(k))
			}
			return nil
		})
		for _, k := range keys {
			if err := tx.Delete(store.SourceRecords, k); err != nil {
				return err
			}
			lost++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rr, err := e.syncer.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, no := e.fake.Counts()
	if !rr.Reread || rr.LocalOrders != int64(no-lost) || rr.RemoteOrders != int64(no) {
		t.Fatalf("reconcile %+v (lost %d of %d)", rr, lost, no)
	}
	if got := e.count(t, "order/"+storeID+"/"); got != no {
		t.Errorf("after reconcile %d orders stored, shop has %d", got, no)
	}
}

// dry_run: the planned tag changes are recorded for `cohortd outbox status --planned` and the
// shop is not called; the applied state stays empty, so turning dry_run off pushes them all.
func TestDryRunRecordsPlanWithoutCallingShopify(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.syncer.Backfill(ctx); err != nil {
		t.Fatal(err)
	}
	e.syncer.opts.Store.DryRun = true
	plan := e.refresh(t)
	if len(plan.Changes) == 0 {
		t.Fatal("nothing planned")
	}
	before := e.fake.Stats()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.syncer.RunPush(runCtx) }()
	deadline := time.Now().Add(20 * time.Second)
	var planned []outbox.Planned
	for time.Now().Before(deadline) {
		var err error
		if planned, err = outbox.PlannedChanges(e.st, e.syncer.Destination()); err != nil {
			t.Fatal(err)
		}
		if len(planned) == len(plan.Changes) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(planned) != len(plan.Changes) {
		t.Fatalf("%d planned changes recorded, %d planned", len(planned), len(plan.Changes))
	}
	if !strings.HasPrefix(planned[0].Item.Summary, "add cohort:") {
		t.Errorf("planned summary %q", planned[0].Item.Summary)
	}
	after := e.fake.Stats()
	if after.TagWrites != before.TagWrites || after.BulkOperations != before.BulkOperations {
		t.Errorf("dry run wrote to the shop: %d tag writes, %d bulk operations", after.TagWrites-before.TagWrites, after.BulkOperations-before.BulkOperations)
	}
	if a, _ := tagpush.Applied(e.st, storeID); len(a) != 0 {
		t.Errorf("dry run recorded %d customers as applied", len(a))
	}
}

// A signed, well-formed delivery that cannot be applied (no id) is returned as rejected, with
// decode's reason and without any value of the payload, for the daemon to dead-letter; the
// others of its batch are applied.
func TestApplyRejectsUndecodableDelivery(t *testing.T) {
	e := newEnv(t)
	good := webhook.Envelope{Seq: 1, Platform: Platform, Store: storeID, Topic: "customers/update", EventID: "a",
		Body: []byte(`{"id":42,"email":"jon@example.com","updated_at":"2026-11-01T10:00:00-05:00"}`)}
	bad := webhook.Envelope{Seq: 2, Platform: Platform, Store: storeID, Topic: "customers/update", EventID: "b",
		Body: []byte(`{"email":"secret-person@example.com","updated_at":"2026-11-01T10:00:00-05:00"}`)}
	rejected, err := e.syncer.Apply(context.Background(), []webhook.Envelope{good, bad})
	if err != nil {
		t.Fatal(err)
	}
	rerr, ok := rejected[2]
	if len(rejected) != 1 || !ok || !errors.Is(rerr, ErrUndecodable) || strings.Contains(rerr.Error(), "secret-person") {
		t.Fatalf("rejected = %v", rejected)
	}
	if _, err := e.st.Get(store.SourceRecords, []byte("customer/"+storeID+"/42")); err != nil {
		t.Errorf("the good delivery of the batch was not applied: %v", err)
	}
}
