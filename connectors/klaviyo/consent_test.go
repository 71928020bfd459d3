package klaviyo

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/connectors/klaviyo/klaviyofake"
)

// An address suppressed at Klaviyo gets nothing written by any path: not a property, not a
// list, not a name, and never consent; the outcome reports the status with Klaviyo's words;
// replays keep it so.
func TestSuppressedAddressesAreNeverWritten(t *testing.T) {
	cases := []struct {
		status  klaviyofake.Status
		want    email.Status
		message string
	}{
		{klaviyofake.StatusUnsubscribed, email.StatusUnsubscribed, "UNSUBSCRIBE"},
		{klaviyofake.StatusBounced, email.StatusCleaned, "HARD_BOUNCE"},
		{klaviyofake.StatusInvalidEmail, email.StatusCleaned, "INVALID_EMAIL"},
		{klaviyofake.StatusSpamComplaint, email.StatusCompliance, "SPAM_COMPLAINT"},
		{klaviyofake.StatusUserSuppressed, email.StatusCompliance, "USER_SUPPRESSED"},
	}
	for _, n := range []int{1, 20} { // the profile import path and the bulk import path
		c, f := pair(t, nil)
		f.CreateList("cohort:vip")
		var batch []email.Change
		for i, tc := range cases {
			if _, err := f.SetStatus(addr(i), tc.status); err != nil {
				t.Fatal(err)
			}
			if _, err := f.AddProfile(addr(i), map[string]any{"cohort_rfm_group": "Old"}); err != nil {
				t.Fatal(err)
			}
			batch = append(batch, email.Change{ProfileID: "s", Email: addr(i), FirstName: "X", Consent: true,
				Add: lists("cohort:vip", "cohort:fresh"), Props: map[string]string{email.PropRFMGroup: "Champions"}})
		}
		for i := len(cases); i < len(cases)+n; i++ { // healthy contacts in the same batch
			batch = append(batch, change(i, lists("cohort:vip"), nil, map[string]string{email.PropRFMGroup: "New"}))
		}
		digestOf := func() []klaviyofake.Member {
			var ms []klaviyofake.Member
			for i := range cases {
				ms = append(ms, member(t, f, addr(i)))
			}
			return ms
		}
		before := digestOf()
		for round := 0; round < 2; round++ {
			outs := c.Apply(ctxT(t), batch)
			for i, tc := range cases {
				o := outs[i]
				if o.Err != nil || o.Status != tc.want || !strings.Contains(o.Message, tc.message) {
					t.Errorf("n=%d round %d %s: outcome %+v, want status %s with %q", n, round, tc.status, o, tc.want, tc.message)
				}
			}
			for i := len(cases); i < len(batch); i++ {
				if outs[i].Err != nil || outs[i].Status.Suppressed() {
					t.Errorf("healthy contact %d: %+v", i, outs[i])
				}
			}
			after := digestOf()
			for i := range cases {
				b, a := before[i], after[i]
				if a.Consent != b.Consent || join(a.Suppressions) != join(b.Suppressions) || len(a.Lists) != 0 ||
					a.Properties["cohort_rfm_group"] != "Old" || a.FirstName != "" {
					t.Errorf("n=%d %s changed: before %+v after %+v", n, cases[i].status, b, a)
				}
			}
		}
		st := f.Stats()
		if st.WritesToSuppressed != 0 || st.ConsentWrites != 0 {
			t.Errorf("n=%d: writes to suppressed %d, consent writes %d", n, st.WritesToSuppressed, st.ConsentWrites)
		}
		if got := len(f.ListMembers("cohort:vip")); got != n {
			t.Errorf("n=%d: vip has %d members", n, got)
		}
	}
}

// A list-level suppression on a list the change would join counts as unsubscribed for that
// change; it does not block changes that do not touch that list.
func TestListSuppressionBlocksThatList(t *testing.T) {
	c, f := pair(t, nil)
	if err := f.SuppressFromList(addr(1), "cohort:vip"); err != nil {
		t.Fatal(err)
	}
	if err := f.SuppressFromList(addr(2), "cohort:vip"); err != nil {
		t.Fatal(err)
	}
	outs := c.Apply(ctxT(t), []email.Change{
		change(1, lists("cohort:vip"), nil, map[string]string{email.PropRFMGroup: "Loyal"}),
		change(2, lists("cohort:other"), nil, nil),
	})
	if outs[0].Err != nil || outs[0].Status != email.StatusUnsubscribed || !strings.Contains(outs[0].Message, "list suppression") {
		t.Errorf("list-suppressed join: %+v", outs[0])
	}
	if m := member(t, f, addr(1)); len(m.Lists) != 0 || len(m.Properties) != 0 {
		t.Errorf("written anyway: %+v", m)
	}
	if outs[1].Err != nil || outs[1].Status.Suppressed() {
		t.Errorf("other list: %+v", outs[1])
	}
	if m := member(t, f, addr(2)); join(m.Lists) != "cohort:other" {
		t.Errorf("other list membership: %v", m.Lists)
	}
}

// A subscribed contact stays subscribed and a never-subscribed one stays never subscribed,
// whatever Consent says: the connector never writes consent, only reports it.
func TestExistingConsentIsReportedNotWritten(t *testing.T) {
	c, f := pair(t, nil)
	if _, err := f.SetStatus(addr(1), klaviyofake.StatusSubscribed); err != nil {
		t.Fatal(err)
	}
	if _, err := f.SetStatus(addr(2), klaviyofake.StatusNeverSubscribed); err != nil {
		t.Fatal(err)
	}
	outs := c.Apply(ctxT(t), []email.Change{
		{ProfileID: "1", Email: addr(1), Consent: false, Add: lists("cohort:x")},
		{ProfileID: "2", Email: addr(2), Consent: true, Add: lists("cohort:x")},
	})
	mustOK(t, outs)
	if outs[0].Status != email.StatusSubscribed || outs[1].Status != email.StatusNonMarketing {
		t.Errorf("statuses %q %q", outs[0].Status, outs[1].Status)
	}
	if member(t, f, addr(1)).Consent != "SUBSCRIBED" || member(t, f, addr(2)).Consent != "NEVER_SUBSCRIBED" {
		t.Error("consent changed")
	}
}

// The status pass reports every suppressed profile, paging through all of them.
func TestSuppressionsPagesThroughEverything(t *testing.T) {
	c, f := pair(t, nil)
	statuses := []klaviyofake.Status{klaviyofake.StatusUnsubscribed, klaviyofake.StatusBounced, klaviyofake.StatusSpamComplaint, klaviyofake.StatusUserSuppressed, klaviyofake.StatusInvalidEmail}
	want := map[string]email.Status{}
	for i := 0; i < 250; i++ {
		st := statuses[i%len(statuses)]
		if _, err := f.SetStatus(addr(i), st); err != nil {
			t.Fatal(err)
		}
		want[addr(i)] = map[klaviyofake.Status]email.Status{
			klaviyofake.StatusUnsubscribed: email.StatusUnsubscribed, klaviyofake.StatusBounced: email.StatusCleaned,
			klaviyofake.StatusSpamComplaint: email.StatusCompliance, klaviyofake.StatusUserSuppressed: email.StatusCompliance,
			klaviyofake.StatusInvalidEmail: email.StatusCleaned,
		}[st]
	}
	for i := 250; i < 400; i++ { // healthy ones interleaved by id order
		if _, err := f.SetStatus(addr(i), klaviyofake.StatusSubscribed); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SuppressFromList(addr(500), "cohort:vip"); err != nil { // list-only: not global
		t.Fatal(err)
	}
	sups, err := c.Suppressions(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(sups) != 250 {
		t.Fatalf("%d suppressions, want 250", len(sups))
	}
	for _, s := range sups {
		if want[s.Email] != s.Status || s.Message == "" || s.At.IsZero() {
			t.Errorf("%+v, want status %s", s, want[s.Email])
		}
		delete(want, s.Email)
	}
	if len(want) != 0 {
		t.Errorf("missing %d", len(want))
	}
	if n := f.Stats().Calls(opGetProfiles); n != 3 {
		t.Errorf("%d pages, want 3", n)
	}
}

// roundTrip lets a test act between the client and the fake.
type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// An address that unsubscribes between the read and the write is caught by the write's own
// answer (profile import) or by the read of the new ids (bulk import): no list is written.
func TestUnsubscribeBetweenReadAndWriteStopsListWrites(t *testing.T) {
	for _, n := range []int{1, 10} {
		var fake *klaviyofake.Server
		victim := addr(0)
		c, f := pair(t, func(o *Options) {
			o.HTTPClient = &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
				if r.Method == http.MethodPost && (r.URL.Path == "/api/profile-import" || r.URL.Path == "/api/profile-bulk-import-jobs") {
					if _, err := fake.SetStatus(victim, klaviyofake.StatusUnsubscribed); err != nil {
						return nil, err
					}
				}
				return http.DefaultTransport.RoundTrip(r)
			})}
		})
		fake = f
		var batch []email.Change
		for i := 0; i < n; i++ {
			batch = append(batch, change(i, lists("cohort:x"), nil, nil))
		}
		outs := c.Apply(ctxT(t), batch)
		if outs[0].Err != nil || outs[0].Status != email.StatusUnsubscribed {
			t.Errorf("n=%d: victim outcome %+v", n, outs[0])
		}
		if m := member(t, f, victim); len(m.Lists) != 0 || m.Consent != "UNSUBSCRIBED" {
			t.Errorf("n=%d: victim %+v", n, m)
		}
		if got := len(f.ListMembers("cohort:x")); got != n-1 {
			t.Errorf("n=%d: %d members", n, got)
		}
	}
}
