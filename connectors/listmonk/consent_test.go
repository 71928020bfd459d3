package listmonk_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/connectors/listmonk"
	"github.com/cohortd/cohortd/connectors/listmonk/listmonkfake"
)

// fullChange adds, removes and sets properties with recorded consent: every path that
// could write.
func fullChange(addr string) email.Change {
	return email.Change{ProfileID: "p1", Email: addr, FirstName: "Jane", Consent: true,
		Add: []string{"cohort:champions", "newsletter"}, Remove: []string{"cohort:at-risk"},
		Props: map[string]string{email.PropRFMGroup: "champions", email.PropPredictedCLV: "412.5"}}
}

func TestSuppressedAddressGetsNothingWritten(t *testing.T) {
	cases := []struct {
		name    string
		seed    func(f *listmonkfake.Server, addr string)
		status  email.Status
		message string
	}{
		{"unsubscribed from another list", func(f *listmonkfake.Server, addr string) {
			mustSeed(t, f, addr, "enabled", map[string]string{"newsletter": "unsubscribed", "cohort:at-risk": "unconfirmed"})
		}, email.StatusUnsubscribed, `unsubscribed on list "newsletter"`},
		{"unsubscribed from a cohort list", func(f *listmonkfake.Server, addr string) {
			mustSeed(t, f, addr, "enabled", map[string]string{"cohort:at-risk": "unsubscribed"})
		}, email.StatusUnsubscribed, `unsubscribed on list "cohort:at-risk"`},
		{"unsubscribed by the campaign link after a sync", func(f *listmonkfake.Server, addr string) {
			mustSeed(t, f, addr, "enabled", map[string]string{"cohort:at-risk": "confirmed", "newsletter": "confirmed"})
			if err := f.Unsubscribe(addr, "newsletter"); err != nil {
				t.Fatal(err)
			}
		}, email.StatusUnsubscribed, "unsubscribed"},
		{"blocklisted", func(f *listmonkfake.Server, addr string) {
			mustSeed(t, f, addr, "enabled", map[string]string{"cohort:at-risk": "confirmed"})
			if err := f.SetStatus(addr, "blocklisted"); err != nil {
				t.Fatal(err)
			}
		}, email.StatusCompliance, "blocklisted"},
		{"blocklisted without lists", func(f *listmonkfake.Server, addr string) {
			mustSeed(t, f, addr, "blocklisted", nil)
		}, email.StatusCompliance, "blocklisted"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, listmonkfake.Options{}, listmonk.Options{CreateLists: true})
			e.fake.SeedList("cohort:champions", "private", "double")
			const addr = "Jane.Doe@Example.com"
			tc.seed(e.fake, addr)
			before := e.fake.Snapshot()
			e.fake.ResetStats()

			for round := 0; round < 2; round++ { // the replay must be as harmless
				out := e.c.Apply(ctx(t), []email.Change{fullChange("jane.doe@example.com")})
				if out[0].Err != nil || out[0].Status != tc.status {
					t.Fatalf("round %d: outcome %+v, want status %s and no error", round, out[0], tc.status)
				}
				if !strings.Contains(out[0].Message, tc.message) || strings.Contains(out[0].Message, "@") {
					t.Fatalf("message %q: want %q and no address", out[0].Message, tc.message)
				}
			}
			e.mustEqualSnapshot(before)
			st := e.fake.Stats()
			if st.Total != 2 || st.Requests[listmonkfake.EndpointQuerySubscribers] != 2 {
				t.Fatalf("requests %v: want only the two lookups", st.Requests)
			}
		})
	}
}

func mustSeed(t *testing.T, f *listmonkfake.Server, addr, status string, lists map[string]string) int {
	t.Helper()
	id, err := f.SeedSubscriber(addr, "Seeded", status, lists)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestNewContactGetsTheWeakestStatus(t *testing.T) {
	for _, consent := range []bool{false, true} {
		e := newEnv(t, listmonkfake.Options{}, listmonk.Options{CreateLists: true})
		addr := "new@example.com"
		if consent {
			addr = "consented@example.com"
		}
		out := e.mustApply(email.Change{ProfileID: "p", Email: addr, FirstName: "Ann", LastName: "Lee", Consent: consent,
			Add: []string{"cohort:new"}, Props: map[string]string{email.PropLifecycle: "new"}})
		if out[0].Status != email.StatusAbsent {
			t.Fatalf("consent=%v: learned status %q, want absent", consent, out[0].Status)
		}
		m := e.member(addr)
		if m.Status != "enabled" || m.Name != "Ann Lee" {
			t.Fatalf("consent=%v: subscriber %+v", consent, m)
		}
		// Never preconfirmed, not even with consent: unconfirmed is listmonk's weakest row,
		// and the created list is double opt-in so no regular campaign reaches it.
		if got := m.Lists["cohort:new"]; got != "unconfirmed" {
			t.Fatalf("consent=%v: subscription %q, want unconfirmed", consent, got)
		}
		lists := e.fake.Lists()
		if len(lists) != 1 || lists[0].Optin != "double" || lists[0].Type != "private" {
			t.Fatalf("created list %+v: want one private double opt-in list", lists)
		}
		// The POST carried no lists, so no opt-in mail went out (checked by newEnv).
	}
}

func TestSingleOptinListNeedsConsent(t *testing.T) {
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{})
	e.fake.SeedList("vip", "private", "single")
	before := e.fake.Snapshot()

	out := e.c.Apply(ctx(t), []email.Change{{ProfileID: "a", Email: "no-consent@example.com", Add: []string{"vip"}}})
	if !email.IsPermanent(out[0].Err) || !strings.Contains(out[0].Err.Error(), "single opt-in") {
		t.Fatalf("outcome %+v: want a permanent single opt-in refusal", out[0])
	}
	e.mustEqualSnapshot(before) // not even created

	e.mustApply(email.Change{ProfileID: "b", Email: "consent@example.com", Consent: true, Add: []string{"vip"}})
	if got := e.member("consent@example.com").Lists["vip"]; got != "unconfirmed" {
		t.Fatalf("subscription %q, want unconfirmed", got)
	}
}

func TestExistingRowsKeepTheirStatus(t *testing.T) {
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{})
	mustSeed(t, e.fake, "kept@example.com", "enabled", map[string]string{"cohort:a": "confirmed", "cohort:b": "unconfirmed"})
	before := e.fake.Snapshot()
	e.fake.ResetStats()

	out := e.mustApply(email.Change{ProfileID: "p", Email: "kept@example.com", Add: []string{"cohort:a", "cohort:b"}})
	if out[0].Status != email.StatusSubscribed {
		t.Fatalf("status %q, want subscribed (a confirmed row)", out[0].Status)
	}
	e.mustEqualSnapshot(before)
	if n := e.requests(listmonkfake.EndpointManageLists); n != 0 {
		t.Fatalf("%d list calls for rows already there", n)
	}
}

func TestRaceCreatedAsUnsubscribedIsSuppressed(t *testing.T) {
	// Someone creates the address, already unsubscribed, between the client's lookup and
	// its POST: listmonk answers 409, the client reads the address again and writes nothing.
	var (
		fake *listmonkfake.Server
		once sync.Once
	)
	hook := &hookTransport{next: http.DefaultTransport, before: func(r *http.Request) {
		if r.Method == "POST" && r.URL.Path == "/api/subscribers" {
			once.Do(func() { mustSeed(t, fake, "race@example.com", "enabled", map[string]string{"news": "unsubscribed"}) })
		}
	}}
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{CreateLists: true, HTTPClient: &http.Client{Transport: hook}})
	fake = e.fake
	e.fake.SeedList("cohort:a", "private", "double")

	out := e.c.Apply(ctx(t), []email.Change{{ProfileID: "p", Email: "race@example.com", Add: []string{"cohort:a"},
		Props: map[string]string{email.PropLifecycle: "new"}}})
	if out[0].Err != nil || out[0].Status != email.StatusUnsubscribed {
		t.Fatalf("outcome %+v: want unsubscribed, no error", out[0])
	}
	m := e.member("race@example.com")
	if len(m.Lists) != 1 || m.Lists["news"] != "unsubscribed" || len(m.Attribs) != 0 {
		t.Fatalf("subscriber %+v: want only the unsubscribed row, no attribs", m)
	}
	if n := e.requests(listmonkfake.EndpointCreateSubscriber); n != 1 {
		t.Fatalf("%d creates, want 1 (answered 409)", n)
	}
}

// hookTransport calls before ahead of every request it forwards.
type hookTransport struct {
	before func(*http.Request)
	next   http.RoundTripper
}

func (h *hookTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	h.before(r)
	return h.next.RoundTrip(r)
}

func TestAddNeverOverwritesARowThatAppearedMeanwhile(t *testing.T) {
	// Between the lookup and the bulk add, the row being added appears as unsubscribed (an
	// admin added the person, who then clicked unsubscribe). The add carries no status, so
	// listmonk leaves that row alone.
	var (
		fake *listmonkfake.Server
		once sync.Once
	)
	hook := &hookTransport{next: http.DefaultTransport, before: func(r *http.Request) {
		if r.Method == "PUT" && r.URL.Path == "/api/subscribers/lists" {
			once.Do(func() {
				if err := fake.SetSubscription("late@example.com", "cohort:a", "unsubscribed"); err != nil {
					t.Error(err)
				}
			})
		}
	}}
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{HTTPClient: &http.Client{Transport: hook}})
	fake = e.fake
	e.fake.SeedList("cohort:a", "private", "double")
	mustSeed(t, e.fake, "late@example.com", "enabled", nil)
	e.mustApply(email.Change{ProfileID: "p", Email: "late@example.com", Add: []string{"cohort:a"}})
	if got := e.member("late@example.com").Lists["cohort:a"]; got != "unsubscribed" {
		t.Fatalf("row %q: the add overwrote an unsubscribed row", got)
	}
}
