package mailchimp

import (
	"reflect"
	"strings"
	"testing"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/connectors/mailchimp/mailchimpfake"
)

// TestSuppressedAddressIsNeverWritten is the first acceptance test: an address
// unsubscribed (or cleaned, archived after unsubscribing, forgotten) at Mailchimp gets no
// status, tag or merge field write from any path (adds with consent, adds without, property
// updates, removals), its status is learned, and replays change nothing either.
func TestSuppressedAddressIsNeverWritten(t *testing.T) {
	e := newEnv(t, mailchimpfake.Options{}, nil)
	seed := map[string]string{
		"unsub@shop.test":   mailchimpfake.StatusUnsubscribed,
		"cleaned@shop.test": mailchimpfake.StatusCleaned,
		"arch@shop.test":    mailchimpfake.StatusUnsubscribed, // then archived below
	}
	for addr, st := range seed {
		if err := e.fake.SetStatus(addr, st); err != nil {
			t.Fatal(err)
		}
		if err := e.fake.SetTags(addr, "cohort:old"); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.fake.SetStatus("arch@shop.test", mailchimpfake.StatusArchived); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.SetStatus("gone@shop.test", mailchimpfake.StatusSubscribed); err != nil {
		t.Fatal(err)
	}
	if err := e.client.Delete(ctxT(t), "gone@shop.test"); err != nil {
		t.Fatal(err)
	}
	before := e.fake.Members()

	props := map[string]string{email.PropRFMGroup: "champions", email.PropPredictedCLV: "321.5"}
	var changes []email.Change
	for _, addr := range []string{"unsub@shop.test", "cleaned@shop.test", "arch@shop.test", "gone@shop.test"} {
		changes = append(changes,
			email.Change{ProfileID: "p-consent-" + addr, Email: addr, FirstName: "Ann", Consent: true, Add: []string{"cohort:champions"}, Props: props},
			email.Change{ProfileID: "p-noconsent-" + addr, Email: addr, Add: []string{"cohort:loyal"}},
			email.Change{ProfileID: "p-props-" + addr, Email: addr, Props: props},
			email.Change{ProfileID: "p-remove-" + addr, Email: addr, Remove: []string{"cohort:old"}},
		)
	}
	for round := range 2 { // the second round is the replay
		outs := e.client.Apply(ctxT(t), changes)
		for i, o := range outs {
			ch := changes[i]
			if o.Err != nil {
				t.Fatalf("round %d %s: unexpected error %v", round, ch.ProfileID, o.Err)
			}
			addr := ch.Email
			switch {
			case addr == "arch@shop.test" && strings.HasPrefix(ch.ProfileID, "p-remove-"):
				// An archived member is not in the audience: nothing to remove, nothing written.
				if o.Status != email.StatusAbsent {
					t.Errorf("round %d %s: status %q, want absent", round, ch.ProfileID, o.Status)
				}
			case addr == "gone@shop.test" && strings.HasPrefix(ch.ProfileID, "p-remove-"):
				if o.Status != email.StatusAbsent {
					t.Errorf("round %d %s: status %q, want absent (a forgotten address reads as 404)", round, ch.ProfileID, o.Status)
				}
			default:
				if !o.Status.Suppressed() {
					t.Errorf("round %d %s: status %q not suppressed", round, ch.ProfileID, o.Status)
				}
				if o.Message == "" || strings.Contains(o.Message, addr) {
					t.Errorf("round %d %s: message %q must carry the platform's words without the address", round, ch.ProfileID, o.Message)
				}
			}
			if addr == "gone@shop.test" && !strings.HasPrefix(ch.ProfileID, "p-remove-") && o.Status != email.StatusForgotten {
				t.Errorf("round %d %s: status %q, want forgotten", round, ch.ProfileID, o.Status)
			}
			if addr == "unsub@shop.test" && ch.Consent && (o.Status != email.StatusCompliance || !strings.HasPrefix(o.Message, "Member In Compliance State")) {
				t.Errorf("round %d %s: %q %q, want Member In Compliance State", round, ch.ProfileID, o.Status, o.Message)
			}
			if addr == "cleaned@shop.test" && !ch.Consent && len(ch.Add) > 0 && o.Status != email.StatusCleaned {
				t.Errorf("round %d %s: status %q, want cleaned", round, ch.ProfileID, o.Status)
			}
		}
		if after := e.fake.Members(); !reflect.DeepEqual(before, after) {
			t.Fatalf("round %d: state changed:\nbefore %+v\nafter  %+v", round, before, after)
		}
		if !e.fake.Forgotten("gone@shop.test") {
			t.Fatalf("round %d: forgotten address came back", round)
		}
	}
	st := e.fake.Stats()
	if st.Operations["postListMemberTags"] != 0 || st.Operations["patchListsIdMembersId"] != 0 {
		t.Fatalf("write operations were sent for suppressed members: %v", st.Operations)
	}
	if st.Requests["postBatches"] != 8 { // 4 changes per address: 4 rounds of one read batch, twice
		t.Fatalf("want one read batch per round and no write batch, got %d batches", st.Requests["postBatches"])
	}
}

// TestNewContactsGetTheWeakestStatusUnlessConsented: a new contact is transactional, or
// subscribed only with recorded consent; an existing contact's status is never raised.
func TestNewContactsGetTheWeakestStatusUnlessConsented(t *testing.T) {
	e := newEnv(t, mailchimpfake.Options{}, nil)
	for addr, st := range map[string]string{"trans@shop.test": "transactional", "pend@shop.test": "pending"} {
		if err := e.fake.SetStatus(addr, st); err != nil {
			t.Fatal(err)
		}
	}
	changes := []email.Change{
		{ProfileID: "p1", Email: "New.NoConsent@Shop.test", Add: []string{"cohort:new"}},
		{ProfileID: "p2", Email: "new.consent@shop.test", Consent: true, Add: []string{"cohort:new"}},
		{ProfileID: "p3", Email: "trans@shop.test", Consent: true, Add: []string{"cohort:new"}},
		{ProfileID: "p4", Email: "pend@shop.test", Consent: true, Add: []string{"cohort:new"}},
		{ProfileID: "p5", Email: "propsonly@shop.test", Props: map[string]string{email.PropLifecycle: "active"}},
	}
	outs := e.mustApply(t, changes)
	want := map[string]struct {
		fake    string
		outcome email.Status
	}{
		"new.noconsent@shop.test": {"transactional", email.StatusNonMarketing},
		"new.consent@shop.test":   {"subscribed", email.StatusSubscribed},
		"trans@shop.test":         {"transactional", email.StatusNonMarketing},
		"pend@shop.test":          {"pending", email.StatusPending},
		"propsonly@shop.test":     {"transactional", email.StatusNonMarketing},
	}
	for i, ch := range changes {
		w := want[strings.ToLower(ch.Email)]
		m := e.member(t, ch.Email)
		if m.Status != w.fake || outs[i].Status != w.outcome {
			t.Errorf("%s: fake status %q outcome %q, want %q %q", ch.ProfileID, m.Status, outs[i].Status, w.fake, w.outcome)
		}
		if len(ch.Add) > 0 && !reflect.DeepEqual(m.Tags, []string{"cohort:new"}) {
			t.Errorf("%s: tags %v", ch.ProfileID, m.Tags)
		}
	}
	if got := e.member(t, "propsonly@shop.test").MergeFields["CLIFE"]; got != "active" {
		t.Errorf("props-only change: CLIFE %q", got)
	}
}

// TestRemoteUnsubscribeBetweenSyncs: a member tagged by an earlier sync who then unsubscribes
// keeps its tags (nothing is written any more), and the status pass reports it.
func TestRemoteUnsubscribeBetweenSyncs(t *testing.T) {
	e := newEnv(t, mailchimpfake.Options{}, nil)
	e.mustApply(t, []email.Change{{ProfileID: "p1", Email: "ann@shop.test", Consent: true, Add: []string{"cohort:a"}}})
	if err := e.fake.SetStatus("ann@shop.test", mailchimpfake.StatusUnsubscribed); err != nil {
		t.Fatal(err)
	}
	outs := e.mustApply(t, []email.Change{{ProfileID: "p1", Email: "ann@shop.test", Consent: true, Add: []string{"cohort:b"}, Remove: []string{"cohort:a"}}})
	if !outs[0].Status.Suppressed() {
		t.Fatalf("outcome %+v", outs[0])
	}
	m := e.member(t, "ann@shop.test")
	if m.Status != "unsubscribed" || !reflect.DeepEqual(m.Tags, []string{"cohort:a"}) {
		t.Fatalf("member changed: %+v", m)
	}
	sup, err := e.client.Suppressions(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(sup) != 1 || sup[0].Email != "ann@shop.test" || sup[0].Status != email.StatusUnsubscribed || sup[0].At.IsZero() {
		t.Fatalf("suppressions %+v", sup)
	}
}
