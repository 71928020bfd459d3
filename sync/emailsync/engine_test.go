package emailsync

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/segments"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/outbox"
	"github.com/cohortd/cohortd/sync/privacy"
	"github.com/cohortd/cohortd/sync/segmenter"
)

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

type env struct {
	t   *testing.T
	st  *store.Store
	cfg *config.Config
	ob  *outbox.Outbox
}

func newEnv(t *testing.T, audience string) *env {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "cohortd.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := config.Default()
	cfg.Destinations = []config.Destination{{ID: "news", Kind: config.KindMailchimp, Segments: []string{config.AllSegments},
		Audience: audience, Properties: config.DefaultProperties}}
	return &env{t: t, st: st, cfg: cfg, ob: outbox.New(st, outbox.Options{})}
}

func (e *env) syncer(p Platform) *Syncer {
	return New(Options{DB: e.st, Config: e.cfg, Dest: e.cfg.Destinations[0], Platform: p, Outbox: e.ob, Logger: zerolog.Nop(),
		Backoff: outbox.Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond}})
}

// person stores a profile with one address and the consent its store reported.
func (e *env) person(id, addr, consent string, at time.Time, segs ...string) {
	e.t.Helper()
	ref := profiles.SourceRef{Store: "shop-a", Kind: profiles.KindCustomer, ID: id}
	p := profiles.Profile{ID: id, Sources: []profiles.SourceRef{ref}, FirstName: "F" + id}
	if addr != "" {
		p.Emails = []profiles.EmailValue{{Address: addr, Key: addr}}
	}
	if consent != "" {
		p.Consent = map[string]profiles.Consent{ref.Key(): {State: consent, UpdatedAt: at}}
	}
	ctx := context.Background()
	if err := e.st.PutValue(ctx, store.Profiles, []byte(id), p); err != nil {
		e.t.Fatal(err)
	}
	e.members(id, segs...)
}

func (e *env) members(id string, segs ...string) {
	e.t.Helper()
	r := segmenter.Record{Segments: segs, Props: segments.Properties{RFMGroup: "champions", Lifecycle: "active", PredictedCLV: 120.4, PAlive: -1}}
	if err := e.st.PutValue(context.Background(), store.Memberships, []byte("m/"+id), r); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) drop(id string) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.st.Delete(ctx, store.Profiles, []byte(id)); err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.Delete(ctx, store.Memberships, []byte("m/"+id)); err != nil {
		e.t.Fatal(err)
	}
}

func drain(t *testing.T, s *Syncer) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	left, err := s.Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return left
}

func plan(t *testing.T, s *Syncer) *Plan {
	t.Helper()
	p, err := s.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlanHonoursAudienceConsentAndProperties(t *testing.T) {
	e := newEnv(t, config.AudienceSubscribers)
	e.person("p1", "ann@example.com", "subscribed", t0, "rfm-champions", "lifecycle-active")
	e.person("p2", "bob@example.com", "not_subscribed", t0, "rfm-champions")
	e.person("p3", "", "subscribed", t0, "rfm-champions") // no address
	e.person("p4", "cat@example.com", "subscribed", t0)   // in no segment
	mem := newMemPlatform()
	s := e.syncer(mem)
	p := plan(t, s)
	if len(p.Changes) != 1 || p.SkippedNoConsent != 1 || p.SkippedNoEmail != 1 {
		t.Fatalf("plan = %+v", p)
	}
	c := p.Changes[0].Change
	wantProps := map[string]string{"rfm_group": "champions", "lifecycle": "active", "predicted_clv": "120"}
	if c.Email != "ann@example.com" || !c.Consent || !reflect.DeepEqual(c.Add, []string{"cohort:lifecycle-active", "cohort:rfm-champions"}) ||
		!reflect.DeepEqual(c.Props, wantProps) || p.Changes[0].Key != ItemKey("ANN@example.com ") {
		t.Fatalf("change = %+v key %s", c, p.Changes[0].Key)
	}
	if left := drain(t, s); left != 0 {
		t.Fatalf("%d left", left)
	}
	if st, names, _ := mem.contact("ann@example.com"); st != email.StatusSubscribed || len(names) != 2 {
		t.Fatalf("ann = %s %v", st, names)
	}
	if _, _, ok := mem.contact("bob@example.com"); ok {
		t.Fatal("bob has no consent and audience is subscribers: must not be sent")
	}
	// Diff-only: nothing changed, nothing planned.
	if p := plan(t, s); len(p.Changes) != 0 {
		t.Fatalf("second plan = %+v", p.Changes)
	}

	// audience: all sends bob as a non-marketing contact.
	e.cfg.Destinations[0].Audience = config.AudienceAll
	s = e.syncer(mem)
	p = plan(t, s)
	if len(p.Changes) != 1 || p.Changes[0].Change.Email != "bob@example.com" || p.Changes[0].Change.Consent {
		t.Fatalf("audience all plan = %+v", p.Changes)
	}
	drain(t, s)
	if st, _, _ := mem.contact("bob@example.com"); st != email.StatusNonMarketing {
		t.Fatalf("bob = %s, want non-marketing", st)
	}
}

// The unforgivable bug: an address unsubscribed at the platform is never re-subscribed and
// never written again, by any path.
func TestNeverWritesAnAddressSuppressedAtThePlatform(t *testing.T) {
	e := newEnv(t, config.AudienceAll)
	mem := newMemPlatform()
	mem.set("una@example.com", email.StatusUnsubscribed)
	e.person("p1", "una@example.com", "subscribed", t0, "rfm-champions")
	e.person("p2", "ann@example.com", "subscribed", t0, "rfm-champions")
	s := e.syncer(mem)
	plan(t, s)
	drain(t, s)
	// The write learned the status: a suppression is recorded, and nothing was written.
	if st, names, _ := mem.contact("una@example.com"); st != email.StatusUnsubscribed || len(names) != 0 {
		t.Fatalf("una = %s %v", st, names)
	}
	counts, err := SuppressionCounts(e.st, "news")
	if err != nil || counts[email.StatusUnsubscribed] != 1 {
		t.Fatalf("suppressions = %v, %v", counts, err)
	}
	sentBefore := len(mem.sent("una@example.com"))
	check := func(path string) {
		t.Helper()
		drain(t, s)
		if got := len(mem.sent("una@example.com")); got != sentBefore {
			t.Fatalf("%s: %d changes sent for the unsubscribed address, want none", path, got-sentBefore)
		}
		if st, names, _ := mem.contact("una@example.com"); st != email.StatusUnsubscribed || len(names) != 0 {
			t.Fatalf("%s: una = %s %v", path, st, names)
		}
	}
	// Full resync.
	if _, err := s.Resync(context.Background()); err != nil {
		t.Fatal(err)
	}
	check("full resync")
	// Segment exit and re-entry.
	e.members("p1")
	plan(t, s)
	check("segment exit")
	e.members("p1", "rfm-champions", "lifecycle-active")
	plan(t, s)
	check("segment re-entry")
	// The store records consent again, later.
	e.person("p1", "una@example.com", "subscribed", t0.Add(48*time.Hour), "rfm-champions")
	plan(t, s)
	check("store consent change")
	// A merge: p1 and p2 become one profile p9 whose primary address is una's.
	e.drop("p1")
	e.drop("p2")
	e.person("p9", "una@example.com", "subscribed", t0.Add(72*time.Hour), "rfm-champions", "vip")
	plan(t, s)
	check("profile merge")
	// A restart with an empty outbox: a new outbox and syncer on the same data file.
	e.ob = outbox.New(e.st, outbox.Options{})
	s = e.syncer(mem)
	plan(t, s)
	check("restart with an empty outbox")
	// Even with the local suppression lost (a new data file), the platform's own answer
	// stops the write: the change goes out, the status comes back, nothing is written.
	e2 := newEnv(t, config.AudienceAll)
	e2.person("p1", "una@example.com", "subscribed", t0, "rfm-champions")
	s2 := e2.syncer(mem)
	plan(t, s2)
	drain(t, s2)
	if st, names, _ := mem.contact("una@example.com"); st != email.StatusUnsubscribed || len(names) != 0 {
		t.Fatalf("fresh data file: una = %s %v", st, names)
	}
	if counts, _ := SuppressionCounts(e2.st, "news"); counts[email.StatusUnsubscribed] != 1 {
		t.Fatalf("fresh data file: suppression not learned: %v", counts)
	}
}

func TestKeyedByAddressAcrossMergeAndEmailChange(t *testing.T) {
	e := newEnv(t, config.AudienceAll)
	mem := newMemPlatform()
	e.person("pa", "ann@example.com", "", t0, "rfm-champions")
	e.person("pb", "ann.b@example.com", "", t0, "lifecycle-new")
	s := e.syncer(mem)
	plan(t, s)
	drain(t, s)
	// pa and pb merge into pc with ann's address: ann gains lifecycle-new; ann.b loses it.
	e.drop("pa")
	e.drop("pb")
	e.person("pc", "ann@example.com", "", t0, "rfm-champions", "lifecycle-new")
	p := plan(t, s)
	if len(p.Changes) != 2 {
		t.Fatalf("changes = %+v", p.Changes)
	}
	drain(t, s)
	if _, names, _ := mem.contact("ann@example.com"); !reflect.DeepEqual(names, []string{"cohort:lifecycle-new", "cohort:rfm-champions"}) {
		t.Fatalf("ann = %v", names)
	}
	if _, names, _ := mem.contact("ann.b@example.com"); len(names) != 0 {
		t.Fatalf("ann.b = %v", names)
	}
	if p := plan(t, s); len(p.Changes) != 0 {
		t.Fatalf("after merge: %+v", p.Changes)
	}
}

func TestFailuresRetriedThenHealthAndDeadLetters(t *testing.T) {
	e := newEnv(t, config.AudienceAll)
	mem := newMemPlatform()
	mem.failNext, mem.failErr = 1<<30, errUnavailable
	e.person("p1", "ann@example.com", "", t0, "rfm-champions")
	s := e.syncer(mem)
	plan(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(2 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s: health %+v", what, s.Health())
			}
		}
	}
	waitFor("failing", func() bool { return s.Health().Failing })
	if h := s.Health(); h.FailedSends < FailingAfter || !strings.Contains(h.LastError, "503") {
		t.Fatalf("health = %+v", h)
	}
	mem.mu.Lock()
	mem.failNext = 0
	mem.mu.Unlock()
	waitFor("delivery", func() bool { _, names, ok := mem.contact("ann@example.com"); return ok && len(names) == 1 })
	waitFor("recovery", func() bool { h := s.Health(); return !h.Failing && h.Delivered == 1 })
	cancel()
	<-done
	if h := s.Health(); h.FailedSends != 0 || h.Delivered != 1 {
		t.Fatalf("health after recovery = %+v", h)
	}
	// A permanent refusal goes to the dead letters with the platform's words, address masked.
	mem.mu.Lock()
	mem.failNext, mem.failErr = 1, email.Permanent(&platformErr{"Invalid Resource: bob@example.com looks fake"})
	mem.mu.Unlock()
	e.person("p2", "bob@example.com", "", t0, "rfm-champions")
	plan(t, s)
	drain(t, s)
	dead, err := outbox.DeadLetters(e.st, "news")
	if err != nil || len(dead) != 1 || !strings.Contains(dead[0].Reason, "Invalid Resource") || strings.Contains(dead[0].Reason, "bob@") {
		t.Fatalf("dead letters = %+v, %v", dead, err)
	}
}

type platformErr struct{ msg string }

func (p *platformErr) Error() string { return p.msg }

func TestStatusPassRecordsSuppressionsThatPlansHonour(t *testing.T) {
	e := newEnv(t, config.AudienceAll)
	mem := newMemPlatform()
	mem.set("cleaned@example.com", email.StatusCleaned)
	mem.set("ok@example.com", email.StatusSubscribed)
	s := e.syncer(mem)
	n, err := s.StatusPass(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("status pass = %d, %v", n, err)
	}
	if n, _ := s.StatusPass(context.Background()); n != 0 {
		t.Fatalf("second status pass added %d", n)
	}
	e.person("p1", "Cleaned@Example.com", "subscribed", t0, "rfm-champions")
	e.person("p2", "ok@example.com", "subscribed", t0, "rfm-champions")
	p := plan(t, s)
	if len(p.Changes) != 1 || p.Changes[0].Change.Email != "ok@example.com" || p.Suppressed != 1 {
		t.Fatalf("plan = %+v", p)
	}
}

func TestEraseCascadeDeletesAtTheDestinationWithAPIIFreeAudit(t *testing.T) {
	e := newEnv(t, config.AudienceAll)
	mem := newMemPlatform()
	e.person("p1", "ann@example.com", "", t0, "rfm-champions")
	s := e.syncer(mem)
	plan(t, s)
	drain(t, s)
	// What privacy.Options.OnErased does, in the erasure's transaction.
	if err := e.st.Update(context.Background(), func(tx *store.Tx) error {
		return s.QueueErase(tx, []string{"ann@example.com"})
	}); err != nil {
		t.Fatal(err)
	}
	drain(t, s)
	if !slices.Equal(mem.deleted, []string{"ann@example.com"}) {
		t.Fatalf("deleted = %v", mem.deleted)
	}
	if st, _, _ := mem.contact("ann@example.com"); st != email.StatusForgotten {
		t.Fatalf("ann = %s", st)
	}
	lines, err := privacy.AuditLines(e.st)
	if err != nil || len(lines) != 1 || lines[0].Action != privacy.ActionDestinationDelete || lines[0].Destination != "news" ||
		lines[0].Subject != privacy.SubjectHash("ann@example.com") {
		t.Fatalf("audit = %+v, %v", lines, err)
	}
	var applied int
	_ = e.st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.Applied, []byte("em/news/"), func(_, _ []byte) error { applied++; return nil })
	})
	if applied != 0 {
		t.Fatalf("%d applied rows left", applied)
	}
}
