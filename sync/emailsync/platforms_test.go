package emailsync

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/connectors/klaviyo"
	"github.com/cohortd/cohortd/connectors/klaviyo/klaviyofake"
	"github.com/cohortd/cohortd/connectors/listmonk"
	"github.com/cohortd/cohortd/connectors/listmonk/listmonkfake"
	"github.com/cohortd/cohortd/connectors/mailchimp"
	"github.com/cohortd/cohortd/connectors/mailchimp/mailchimpfake"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/ingest"
	"github.com/cohortd/cohortd/sync/outbox"
	"github.com/cohortd/cohortd/sync/privacy"
)

// realFake is one of the platform fakes with its connector, seen the same way by the tests.
type realFake struct {
	kind     string
	platform Platform
	// unsubscribe makes the address unsubscribed at the platform (a remote opt-out).
	unsubscribe func(t *testing.T, addr string)
	// state is the address's status there ("" when absent) and the remote names it carries.
	state func(addr string) (status email.Status, names []string)
	// gone reports whether the platform erased the address.
	gone       func(addr string) bool
	violations func() []string
}

// realFakes starts the three platform fakes with their connectors.
func realFakes(t *testing.T) []*realFake {
	t.Helper()
	var out []*realFake

	mc := mailchimpfake.New(mailchimpfake.Options{})
	if err := mc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mc.Close)
	mcc, err := mailchimp.New(mailchimp.Options{APIKey: mailchimpfake.DefaultAPIKey, AudienceID: mailchimpfake.DefaultListID,
		BaseURL: mc.URL(), Logger: zerolog.Nop(), RequestsPerSecond: 1000, RetryBase: 5 * time.Millisecond,
		RetryMax: 50 * time.Millisecond, PollMin: 2 * time.Millisecond, PollMax: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, &realFake{kind: config.KindMailchimp, platform: mcc,
		unsubscribe: func(t *testing.T, a string) {
			if err := mc.SetStatus(a, mailchimpfake.StatusUnsubscribed); err != nil {
				t.Fatal(err)
			}
		},
		state: func(a string) (email.Status, []string) {
			m, ok := mc.Member(a)
			if !ok {
				return email.StatusAbsent, nil
			}
			return email.Status(m.Status), m.Tags
		},
		gone:       mc.Forgotten,
		violations: mc.Violations,
	})

	kl := klaviyofake.New(klaviyofake.Options{})
	if err := kl.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kl.Close)
	klc, err := klaviyo.New(klaviyo.Options{APIKey: klaviyofake.DefaultAPIKey, BaseURL: kl.URL(), CreateLists: true,
		Logger: zerolog.Nop(), JobPollInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, &realFake{kind: config.KindKlaviyo, platform: klc,
		unsubscribe: func(t *testing.T, a string) {
			if _, err := kl.SetStatus(a, klaviyofake.StatusUnsubscribed); err != nil {
				t.Fatal(err)
			}
		},
		state: func(a string) (email.Status, []string) {
			m, ok := kl.Member(a)
			if !ok {
				return email.StatusAbsent, nil
			}
			st := email.StatusNonMarketing
			switch {
			case m.Consent == "UNSUBSCRIBED" || len(m.Suppressions) > 0:
				st = email.StatusUnsubscribed
			case m.Consent == "SUBSCRIBED":
				st = email.StatusSubscribed
			}
			return st, m.Lists
		},
		gone: func(a string) bool {
			_, ok := kl.Member(a)
			return !ok && slices.ContainsFunc(kl.Deleted(), func(d string) bool { return strings.EqualFold(d, a) })
		},
		violations: func() []string {
			var vs []string
			for _, v := range kl.Violations() {
				vs = append(vs, fmt.Sprint(v))
			}
			return vs
		},
	})

	lm := listmonkfake.New(listmonkfake.Options{})
	lm.Start()
	t.Cleanup(lm.Close)
	lmc, err := listmonk.New(listmonk.Options{URL: lm.URL(), Username: "cohortd", Token: "secret", CreateLists: true,
		Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, &realFake{kind: config.KindListmonk, platform: lmc,
		unsubscribe: func(t *testing.T, a string) {
			if _, ok := lm.Member(a); !ok {
				if _, err := lm.SeedSubscriber(a, "", listmonkfake.StatusEnabled, map[string]string{"newsletter": listmonkfake.SubConfirmed}); err != nil {
					t.Fatal(err)
				}
			}
			if err := lm.Unsubscribe(a); err != nil {
				t.Fatal(err)
			}
		},
		state: func(a string) (email.Status, []string) {
			m, ok := lm.Member(a)
			if !ok {
				return email.StatusAbsent, nil
			}
			st := email.StatusNonMarketing
			var names []string
			for name, sub := range m.Lists {
				switch sub {
				case listmonkfake.SubUnsubscribed:
					st = email.StatusUnsubscribed
				case listmonkfake.SubConfirmed:
					if st != email.StatusUnsubscribed {
						st = email.StatusSubscribed
					}
				}
				if sub != listmonkfake.SubUnsubscribed && name != "newsletter" {
					names = append(names, name)
				}
			}
			if m.Status == listmonkfake.StatusBlocklisted {
				st = email.StatusCompliance
			}
			slices.Sort(names)
			return st, names
		},
		gone:       func(a string) bool { _, ok := lm.Member(a); return !ok },
		violations: lm.Violations,
	})
	return out
}

func (e *env) realSyncer(f *realFake) *Syncer {
	e.cfg.Destinations[0].Kind = f.kind
	return e.syncer(f.platform)
}

func noViolations(t *testing.T, f *realFake) {
	t.Helper()
	if v := f.violations(); len(v) > 0 {
		t.Fatalf("%s: the fake saw %d requests or answers off the platform's spec, first: %s", f.kind, len(v), v[0])
	}
}

// The consent acceptance test, per platform: an address unsubscribed at the platform is never
// re-subscribed or written to by any path.
func TestNoPathResubscribesAtAnyPlatform(t *testing.T) {
	for _, f := range realFakes(t) {
		t.Run(f.kind, func(t *testing.T) {
			const una, ann = "una@example.com", "ann@example.com"
			f.unsubscribe(t, una)
			e := newEnv(t, config.AudienceAll)
			e.person("p1", una, "subscribed", t0, "rfm-champions")
			e.person("p2", ann, "subscribed", t0, "rfm-champions")
			s := e.realSyncer(f)
			plan(t, s)
			drain(t, s)
			check := func(path string) {
				t.Helper()
				if st, names := f.state(una); !st.Suppressed() || len(names) != 0 {
					t.Fatalf("%s: unsubscribed address is now %q with %v", path, st, names)
				}
				if _, names := f.state(ann); !slices.Contains(names, "cohort:rfm-champions") {
					t.Fatalf("%s: ann carries %v", path, names)
				}
				noViolations(t, f)
			}
			check("first sync")
			if counts, _ := SuppressionCounts(e.st, "news"); counts[email.StatusUnsubscribed]+counts[email.StatusCompliance] != 1 {
				t.Fatalf("suppression not learned: %v", counts)
			}
			if _, err := s.Resync(context.Background()); err != nil {
				t.Fatal(err)
			}
			drain(t, s)
			check("full resync")
			e.members("p1")
			plan(t, s)
			drain(t, s)
			e.members("p1", "rfm-champions", "lifecycle-active")
			plan(t, s)
			drain(t, s)
			check("segment exit and re-entry")
			e.person("p1", una, "subscribed", t0.Add(48*time.Hour), "rfm-champions")
			plan(t, s)
			drain(t, s)
			check("store consent change")
			e.drop("p1")
			e.drop("p2")
			e.person("p9", una, "subscribed", t0.Add(72*time.Hour), "rfm-champions", "lifecycle-active")
			e.person("p8", ann, "subscribed", t0, "rfm-champions")
			plan(t, s)
			drain(t, s)
			check("profile merge")
			// Restart with an empty outbox and a new data file: no local suppression at all.
			e2 := newEnv(t, config.AudienceAll)
			e2.person("p9", una, "subscribed", t0, "rfm-champions", "lifecycle-active")
			e2.person("p8", ann, "subscribed", t0, "rfm-champions")
			s2 := e2.realSyncer(f)
			plan(t, s2)
			drain(t, s2)
			check("restart with an empty outbox and no local state")
			if dead, _ := outbox.DeadLetters(e2.st, "news"); len(dead) != 0 {
				t.Fatalf("dead letters: %+v", dead)
			}
		})
	}
}

// recorder passes changes to a platform and keeps them.
type recorder struct {
	Platform
	mu   sync.Mutex
	sent map[string]email.Change // by address hash
}

func (r *recorder) Apply(ctx context.Context, changes []email.Change) []email.Outcome {
	r.mu.Lock()
	for _, c := range changes {
		r.sent["c/"+AddressHash(c.Email)] = c
	}
	r.mu.Unlock()
	return r.Platform.Apply(ctx, changes)
}

// `cohortd segments diff DEST` prints Compute; a real push then sends exactly that.
func TestDiffIsWhatThePushSends(t *testing.T) {
	for _, f := range realFakes(t) {
		t.Run(f.kind, func(t *testing.T) {
			e := newEnv(t, config.AudienceSubscribers)
			for i := range 30 {
				consent := "subscribed"
				if i%4 == 0 {
					consent = "not_subscribed"
				}
				segs := []string{"rfm-champions"}
				if i%3 == 0 {
					segs = append(segs, "lifecycle-new")
				}
				e.person(fmt.Sprintf("p%02d", i), fmt.Sprintf("person%02d@example.com", i), consent, t0, segs...)
			}
			f.unsubscribe(t, "person05@example.com")
			e.cfg.Destinations[0].Kind = f.kind
			diff, err := Compute(e.st, e.cfg, e.cfg.Destinations[0])
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(diff) // what the command prints (before masking)
			var printed Plan
			if err := json.Unmarshal(b, &printed); err != nil {
				t.Fatal(err)
			}
			rec := &recorder{Platform: f.platform, sent: map[string]email.Change{}}
			s := e.syncer(rec)
			plan(t, s)
			drain(t, s)
			want := map[string]email.Change{}
			for _, en := range printed.Changes {
				want[en.Key] = en.Change
			}
			if len(want) != 22 || !reflect.DeepEqual(rec.sent, want) {
				t.Fatalf("diff printed %d changes, push sent %d; equal=%v", len(want), len(rec.sent), reflect.DeepEqual(rec.sent, want))
			}
			noViolations(t, f)
		})
	}
}

// customers/redact reaches every destination: the person is deleted at all three platforms
// and each deletion leaves a PII-free audit line.
func TestRedactCascadesToEveryDestination(t *testing.T) {
	fakes := realFakes(t)
	e := newEnv(t, config.AudienceAll)
	ctx := context.Background()
	w := ingest.NewWriter(e.st, 100)
	for i, addr := range []string{"gone@example.com", "stays@example.com"} {
		c := profiles.CustomerRecord{Store: "shop-a", ID: fmt.Sprint(100 + i), Email: addr, FirstName: "P", UpdatedAt: t0}
		if err := w.AddCustomer(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := ingest.Rebuild(ctx, e.st, profiles.BuildOptions{})
	if err != nil || res.Quality.Profiles != 2 {
		t.Fatalf("rebuild: %v", err)
	}
	var ids []string
	if err := e.st.View(func(tx *store.Tx) error {
		return tx.ForEach(store.Profiles, func(k, _ []byte) error { ids = append(ids, string(k)); return nil })
	}); err != nil || len(ids) != 2 {
		t.Fatalf("stored profiles %q, %v", ids, err)
	}
	for _, id := range ids {
		e.members(id, "rfm-champions")
	}
	var syncers []*Syncer
	for _, f := range fakes {
		d := config.Destination{ID: f.kind, Kind: f.kind, Segments: []string{config.AllSegments}, Audience: config.AudienceAll}
		e.cfg.Destinations = append(e.cfg.Destinations[:0:0], d)
		s := New(Options{DB: e.st, Config: e.cfg, Dest: d, Platform: f.platform, Outbox: e.ob, Logger: zerolog.Nop()})
		syncers = append(syncers, s)
		plan(t, s)
		drain(t, s)
		if _, names := f.state("gone@example.com"); !slices.Contains(names, "cohort:rfm-champions") {
			t.Fatalf("%s: not pushed: %v", f.kind, names)
		}
	}
	opts := privacy.Options{Build: profiles.BuildOptions{}, OnErased: func(tx *store.Tx, addrs []string) error {
		for _, s := range syncers {
			if err := s.QueueErase(tx, addrs); err != nil {
				return err
			}
		}
		return nil
	}}
	r, err := privacy.RedactCustomer(ctx, e.st, opts, privacy.Request{Store: "shop-a", CustomerID: "100", RequestID: "req-1"})
	if err != nil || !slices.Equal(r.Erased, []string{"gone@example.com"}) {
		t.Fatalf("redact = %+v, %v", r, err)
	}
	for i, s := range syncers {
		drain(t, s)
		f := fakes[i]
		if !f.gone("gone@example.com") {
			t.Fatalf("%s: the redacted person is still there", f.kind)
		}
		if st, _ := f.state("stays@example.com"); st == email.StatusAbsent {
			t.Fatalf("%s: the other person was deleted too", f.kind)
		}
		noViolations(t, f)
	}
	lines, err := privacy.AuditLines(e.st)
	if err != nil {
		t.Fatal(err)
	}
	var dests []string
	for _, l := range lines {
		b, _ := json.Marshal(l)
		if strings.Contains(string(b), "gone@") {
			t.Fatalf("audit line holds the address: %s", b)
		}
		if l.Action == privacy.ActionDestinationDelete {
			dests = append(dests, l.Destination)
		}
	}
	slices.Sort(dests)
	if want := []string{"klaviyo", "listmonk", "mailchimp"}; !slices.Equal(dests, want) {
		t.Fatalf("destination audit lines = %v, want %v", dests, want)
	}
}
