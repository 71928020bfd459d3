package woosync

import (
	"context"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/woocommerce"
	"github.com/cohortd/cohortd/connectors/woocommerce/woofake"
	"github.com/cohortd/cohortd/internal/gen"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/ingest"
	"github.com/cohortd/cohortd/sync/outbox"
	"github.com/cohortd/cohortd/sync/segmenter"
	"github.com/cohortd/cohortd/sync/webhook"
)

type env struct {
	t      *testing.T
	fake   *woofake.Fake
	client *woocommerce.Client
	st     *store.Store
	cfg    *config.Config
	ob     *outbox.Outbox
	s      *Syncer
	change int
}

// newEnv starts the fake WooCommerce with generated messy data and a Syncer against it.
func newEnv(t *testing.T, people int) *env {
	t.Helper()
	dir := t.TempDir()
	g := gen.DefaultConfig()
	g.Seed, g.Customers, g.Orders, g.OutDir = 3, people, people*3, filepath.Join(dir, "gen")
	g.Formats = gen.Formats{WooCommerce: true}
	if _, err := gen.Generate(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	// A Berlin site, like the generator's: WordPress shifts zoned dates into the site zone.
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	fake := woofake.New(woofake.Options{Location: berlin})
	if err := fake.LoadGenerated(g.OutDir); err != nil {
		t.Fatal(err)
	}
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	client, err := woocommerce.New(woocommerce.Options{URL: fake.URL(), ConsumerKey: woofake.DefaultConsumerKey,
		ConsumerSecret: woofake.DefaultConsumerSecret, Logger: zerolog.Nop(), RetryBase: time.Millisecond, RetryMax: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "cohortd.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := config.Default()
	sc := config.Store{ID: "woo-b", Kind: config.KindWooCommerce, URL: fake.URL(), MetaKey: config.DefaultMetaKey,
		WriteTags: true, WebhookSecret: woofake.DefaultWebhookSecret, PollOverlap: config.Duration{Duration: time.Minute}}
	cfg.Stores = []config.Store{sc}
	e := &env{t: t, fake: fake, client: client, st: st, cfg: cfg, ob: outbox.New(st, outbox.Options{})}
	e.s, err = New(Options{Store: sc, Config: cfg, DB: st, Client: client, Outbox: e.ob, Logger: zerolog.Nop(),
		Changed: func() { e.change++ }})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) stored(kind string) int {
	n := 0
	_ = e.st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.SourceRecords, []byte(kind+"/woo-b/"), func(_, _ []byte) error { n++; return nil })
	})
	return n
}

func TestBackfillPollScanAgainstTheFake(t *testing.T) {
	e := newEnv(t, 1200)
	ctx := context.Background()
	counts := e.fake.Counts()
	before := e.fake.Stats()
	rep, err := e.s.Backfill(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Phases) != 2 || rep.Phases[0].Expected != int64(counts.Users) || rep.Phases[0].Received != int64(counts.Users) ||
		rep.Phases[1].Expected != int64(counts.Orders) || rep.Phases[1].Received != int64(counts.Orders) {
		t.Fatalf("backfill = %+v, fake counts %+v", rep.Phases, counts)
	}
	// role=all lists the administrator too: listed, counted, not stored as a customer.
	if got := e.stored("customer"); got != counts.Customers || counts.Users != counts.Customers+1 {
		t.Fatalf("%d customers stored, the store has %d (and %d users)", got, counts.Customers, counts.Users)
	}
	if !e.s.isStaff("1") {
		t.Fatal("the administrator (user 1) is not known as staff")
	}
	if got := e.stored("order"); got != counts.Orders {
		t.Fatalf("%d orders stored, the store has %d", got, counts.Orders)
	}
	// One request per page: ceil(N/100) per resource.
	after := e.fake.Stats()
	pages := func(n int) int64 { return int64((n + 99) / 100) }
	if c, o := after.ByEndpoint["GET /customers"]-before.ByEndpoint["GET /customers"], after.ByEndpoint["GET /orders"]-before.ByEndpoint["GET /orders"]; c != pages(counts.Users) || o != pages(counts.Orders) {
		t.Fatalf("requests: customers %d (want %d), orders %d (want %d)", c, pages(counts.Users), o, pages(counts.Orders))
	}
	if v := e.fake.Violations(); len(v) > 0 {
		t.Fatalf("violations: %+v", v[0])
	}
	if again, _ := e.s.Backfill(ctx); !again.Skipped {
		t.Fatal("a finished backfill ran again")
	}

	// Poll: a new order (a guest) and a refund on an existing one arrive.
	ids := e.fake.CustomerIDs()
	oid, err := e.fake.AddOrder(woofake.NewOrder{Billing: woofake.Address{Email: "guest.new@example.test", FirstName: "Gus"},
		Lines: []woofake.Line{{Name: "Tea", Quantity: 2, Price: "7.50"}}})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := e.s.Poll(ctx)
	if err != nil || pr.Orders < 1 {
		t.Fatalf("poll = %+v, %v", pr, err)
	}
	var o profiles.OrderRecord
	if err := e.st.GetValue(store.SourceRecords, []byte("order/woo-b/"+strconv.FormatUint(oid, 10)), &o); err != nil || !o.IsGuest() || o.Email != "guest.new@example.test" {
		t.Fatalf("polled order = %+v, %v", o, err)
	}

	// Scan: a changed customer and a deleted one.
	changed, gone := ids[len(ids)-1], ids[len(ids)-2]
	newMail := "changed.address@example.test"
	if err := e.fake.UpdateCustomer(changed, woofake.CustomerUpdate{Email: &newMail}); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.DeleteCustomer(gone); err != nil {
		t.Fatal(err)
	}
	sr, err := e.s.Scan(ctx)
	if err != nil || sr.Deleted != 1 || sr.Changed != 1 {
		t.Fatalf("scan = %+v, %v", sr, err)
	}
	var c profiles.CustomerRecord
	if err := e.st.GetValue(store.SourceRecords, []byte("customer/woo-b/"+strconv.FormatUint(changed, 10)), &c); err != nil || c.Email != newMail {
		t.Fatalf("changed customer = %+v, %v", c, err)
	}
	if err := e.st.GetValue(store.SourceRecords, []byte("customer/woo-b/"+strconv.FormatUint(gone, 10)), &c); err != nil || !c.Deleted {
		t.Fatalf("deleted customer = %+v, %v", c, err)
	}
	// A second scan finds nothing new.
	if sr, err := e.s.Scan(ctx); err != nil || sr.Changed != 0 || sr.Deleted != 0 {
		t.Fatalf("second scan = %+v, %v", sr, err)
	}
}

// A backfill cut after a few pages resumes at the first page not committed.
func TestBackfillResumesFromItsCheckpoint(t *testing.T) {
	e := newEnv(t, 1500)
	ctx, cancel := context.WithCancel(context.Background())
	cut := &cuttingClient{Client: e.client, after: 3, cancel: cancel}
	e.s.opts.Client = cut
	if _, err := e.s.Backfill(ctx); err == nil {
		t.Fatal("the cut backfill succeeded")
	}
	cp, _ := e.s.loadCheckpoint()
	if cp.Phase != phaseCustomers || cp.Page < 2 {
		t.Fatalf("checkpoint after the cut = %+v", cp)
	}
	e.s.opts.Client = e.client
	before := e.fake.Stats().ByEndpoint["GET /customers"]
	rep, err := e.s.Backfill(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	counts := e.fake.Counts()
	if !rep.Phases[0].Resumed || rep.Phases[0].Received != int64(counts.Users) || e.stored("customer") != counts.Customers || e.stored("order") != counts.Orders {
		t.Fatalf("resumed = %+v; stored %d/%d of %+v", rep.Phases, e.stored("customer"), e.stored("order"), counts)
	}
	// The resumed phase read only the pages after the checkpoint.
	if got, want := e.fake.Stats().ByEndpoint["GET /customers"]-before, int64((counts.Users+99)/100-cp.Page+1); got != want {
		t.Fatalf("resumed customer pages %d, want %d", got, want)
	}
}

// cuttingClient cancels the context after a number of pages.
type cuttingClient struct {
	*woocommerce.Client
	after  int
	cancel context.CancelFunc
}

func (c *cuttingClient) Walk(ctx context.Context, resource string, q url.Values, from int, fn func(p woocommerce.Page) error) error {
	n := 0
	return c.Client.Walk(ctx, resource, q, from, func(p woocommerce.Page) error {
		if err := fn(p); err != nil {
			return err
		}
		if n++; n == c.after {
			c.cancel()
			return context.Canceled
		}
		return nil
	})
}

// Segments go into each customer's meta; the customer.updated our write causes is
// recognised and changes nothing; the next plan is empty.
func TestMetaWriteBackAndItsEchoIsIgnored(t *testing.T) {
	e := newEnv(t, 600)
	ctx := context.Background()
	if _, err := e.s.Backfill(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Rebuild(ctx, e.st, profiles.BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	opts, err := segmenter.BuildOptions(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := segmenter.Recompute(ctx, e.st, opts, time.Now()); err != nil {
		t.Fatal(err)
	}
	plan, err := e.s.PlanMeta(ctx)
	if err != nil || len(plan.Changes) == 0 {
		t.Fatalf("plan = %+v, %v", plan, err)
	}
	batches := e.fake.Stats().ByEndpoint["POST /customers/batch"]
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.s.RunPush(runCtx) }()
	deadline := time.Now().Add(30 * time.Second)
	for e.s.Stats().PushedChanges.Load() < int64(len(plan.Changes)) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // the delivery's commit
	stop()
	<-done
	if got := e.s.Stats().PushedChanges.Load(); got != int64(len(plan.Changes)) {
		t.Fatalf("pushed %d of %d", got, len(plan.Changes))
	}
	calls := e.fake.Stats().ByEndpoint["POST /customers/batch"] - batches
	if want := int64((len(plan.Changes) + 99) / 100); calls != want {
		t.Fatalf("%d batch calls for %d customers, want %d", calls, len(plan.Changes), want)
	}
	// The customer's meta holds the segment tags, and the merchant's other meta is intact.
	first := plan.Changes[0]
	id, _ := strconv.ParseUint(first.CustomerID, 10, 64)
	cs, _ := e.fake.Customer(id)
	var got []string
	for _, m := range cs.Meta {
		if m.Key == config.DefaultMetaKey {
			for _, v := range m.Value.([]any) {
				got = append(got, v.(string))
			}
		}
	}
	if !slices.Equal(got, first.Want) || len(got) == 0 || !strings.HasPrefix(got[0], "cohort:") {
		t.Fatalf("meta of %s = %v, want %v", first.CustomerID, got, first.Want)
	}
	// The echo: the customer.updated our write caused, as WooCommerce sends it.
	e.change = 0
	env := webhook.Envelope{Seq: 1, Platform: Platform, Store: "woo-b", Topic: "customer.updated", ReceivedAt: time.Now(), Body: cs.Raw}
	rej, err := e.s.Apply(ctx, []webhook.Envelope{env})
	if err != nil || len(rej) != 0 {
		t.Fatalf("apply = %v, %v", rej, err)
	}
	if e.s.Stats().Echoes.Load() != 1 || e.change != 0 {
		t.Fatalf("echoes %d, refresh asked %d times", e.s.Stats().Echoes.Load(), e.change)
	}
	if again, err := e.s.PlanMeta(ctx); err != nil || len(again.Changes) != 0 {
		t.Fatalf("second plan = %d changes, %v", len(again.Changes), err)
	}
	// A real change in a delivery is applied and asks for a refresh.
	mail := "someone.else@example.test"
	if err := e.fake.UpdateCustomer(id, woofake.CustomerUpdate{Email: &mail}); err != nil {
		t.Fatal(err)
	}
	cs, _ = e.fake.Customer(id)
	env.Seq, env.Body = 2, cs.Raw
	if _, err := e.s.Apply(ctx, []webhook.Envelope{env}); err != nil || e.change != 1 {
		t.Fatalf("a real change: refresh asked %d times, %v", e.change, err)
	}
}
