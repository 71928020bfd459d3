package listmonk_test

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/connectors/listmonk"
	"github.com/cohortd/cohortd/connectors/listmonk/listmonkfake"
)

func TestBatchCostsAndReplay(t *testing.T) {
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{CreateLists: true, LookupSize: 100, MembershipChunk: 100})
	lists := []string{"cohort:a", "cohort:b", "cohort:c"}
	var changes []email.Change
	for i := range 250 {
		changes = append(changes, email.Change{ProfileID: fmt.Sprint(i), Email: fmt.Sprintf("u%03d@example.com", i),
			Add: lists[:1+i%3], Props: map[string]string{email.PropRFMGroup: "g" + fmt.Sprint(i%4)}})
	}
	e.mustApply(changes...)

	// Lookups: ceil(250/100) = 3. Creates: 250 (attribs ride on the POST). Lists: one read,
	// three creates. Memberships: list a has 250 members (3 chunks of 100), b 166 (2), c 83 (1).
	want := map[string]int{
		listmonkfake.EndpointQuerySubscribers: 3, listmonkfake.EndpointCreateSubscriber: 250,
		listmonkfake.EndpointGetLists: 1, listmonkfake.EndpointCreateList: 3, listmonkfake.EndpointManageLists: 6,
	}
	if got := e.fake.Stats().Requests; !reflect.DeepEqual(got, want) {
		t.Fatalf("requests %v, want %v", got, want)
	}
	for _, l := range e.fake.Lists() {
		wantN := map[string]int{"cohort:a": 250, "cohort:b": 166, "cohort:c": 83}[l.Name]
		if l.Statuses["unconfirmed"] != wantN || len(l.Statuses) != 1 {
			t.Fatalf("list %s: %v, want %d unconfirmed", l.Name, l.Statuses, wantN)
		}
	}
	m := e.member("u007@example.com")
	if got := m.Attribs["cohortd"]; !reflect.DeepEqual(got, map[string]any{"rfm_group": "g3"}) {
		t.Fatalf("attribs %v", m.Attribs)
	}

	before := e.fake.Snapshot()
	e.fake.ResetStats()
	e.mustApply(changes...)
	e.mustEqualSnapshot(before)
	if got := e.fake.Stats().Requests; !reflect.DeepEqual(got, map[string]int{listmonkfake.EndpointQuerySubscribers: 3}) {
		t.Fatalf("replay requests %v: want the 3 lookups only", got)
	}
}

func TestRemoveAndAttribsOnExistingSubscriber(t *testing.T) {
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{})
	mustSeed(t, e.fake, "old@example.com", "enabled", map[string]string{"cohort:a": "unconfirmed", "cohort:b": "confirmed", "news": "confirmed"})
	e.fake.SeedList("cohort:c", "private", "double")
	e.mustApply(email.Change{ProfileID: "p", Email: "OLD@example.com", Add: []string{"cohort:c"}, Remove: []string{"cohort:a", "cohort:b", "cohort:zzz"},
		Props: map[string]string{email.PropChurnRisk: "high", email.PropPAlive: "0.25", "unknown_prop": "x"}})
	m := e.member("old@example.com")
	if !reflect.DeepEqual(m.Lists, map[string]string{"cohort:c": "unconfirmed", "news": "confirmed"}) {
		t.Fatalf("lists %v", m.Lists)
	}
	if !reflect.DeepEqual(m.Attribs, map[string]any{"cohortd": map[string]any{"churn_risk": "high", "p_alive": 0.25}}) {
		t.Fatalf("attribs %v", m.Attribs)
	}
	if n := e.requests(listmonkfake.EndpointPatchSubscriber); n != 1 {
		t.Fatalf("%d PATCHes, want 1", n)
	}

	// An empty value removes the key; equal values send nothing.
	e.fake.ResetStats()
	e.mustApply(email.Change{ProfileID: "p", Email: "old@example.com", Props: map[string]string{email.PropChurnRisk: "high", email.PropPAlive: "0.25"}})
	if n := e.requests(listmonkfake.EndpointPatchSubscriber); n != 0 {
		t.Fatalf("%d PATCHes for equal attribs", n)
	}
	e.mustApply(email.Change{ProfileID: "p", Email: "old@example.com", Props: map[string]string{email.PropChurnRisk: ""}})
	if got := e.member("old@example.com").Attribs; !reflect.DeepEqual(got, map[string]any{"cohortd": map[string]any{"p_alive": 0.25}}) {
		t.Fatalf("attribs %v", got)
	}
}

func TestMerchantAttribsSurvive(t *testing.T) {
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{})
	mustSeed(t, e.fake, "a@example.com", "enabled", nil)
	if err := e.fake.SetAttribs("a@example.com", map[string]any{"city": "Lyon", "cohortd": "not an object"}); err != nil {
		t.Fatal(err)
	}
	e.mustApply(email.Change{ProfileID: "p", Email: "a@example.com", Props: map[string]string{email.PropLifecycle: "active"}})
	e.mustApply(email.Change{ProfileID: "p", Email: "a@example.com", Props: map[string]string{email.PropLifecycle: "lapsed", email.PropExpectedOrders: "1.5"}})
	want := map[string]any{"city": "Lyon", "cohortd": map[string]any{"lifecycle": "lapsed", "expected_orders": 1.5}}
	if got := e.member("a@example.com").Attribs; !reflect.DeepEqual(got, want) {
		t.Fatalf("attribs %v, want %v", got, want)
	}
}

func TestOldListmonkWithoutPatchSkipsProperties(t *testing.T) {
	e := newEnv(t, listmonkfake.Options{NoPatch: true}, listmonk.Options{CreateLists: true})
	mustSeed(t, e.fake, "a@example.com", "enabled", nil)
	mustSeed(t, e.fake, "b@example.com", "enabled", nil)
	e.mustApply(
		email.Change{ProfileID: "a", Email: "a@example.com", Add: []string{"cohort:x"}, Props: map[string]string{email.PropRFMGroup: "g"}},
		email.Change{ProfileID: "b", Email: "b@example.com", Add: []string{"cohort:x"}, Props: map[string]string{email.PropRFMGroup: "g"}},
	)
	for _, a := range []string{"a@example.com", "b@example.com"} {
		m := e.member(a)
		if m.Lists["cohort:x"] != "unconfirmed" || len(m.Attribs) != 0 {
			t.Fatalf("%s: %+v: want the membership and no attribs", a, m)
		}
	}
	// The first 405 is remembered: at most the in-flight PATCHes were tried.
	e.fake.ResetStats()
	e.mustApply(email.Change{ProfileID: "a", Email: "a@example.com", Props: map[string]string{email.PropRFMGroup: "h"}})
	if n := e.requests(listmonkfake.EndpointPatchSubscriber); n != 0 {
		t.Fatalf("%d PATCHes after the server said it has none", n)
	}
}

func TestMissingListWithoutCreateLists(t *testing.T) {
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{CreateLists: false})
	e.fake.SeedList("cohort:exists", "private", "double")
	out := e.c.Apply(ctx(t), []email.Change{
		{ProfileID: "a", Email: "a@example.com", Add: []string{"cohort:missing"}},
		{ProfileID: "b", Email: "b@example.com", Add: []string{"cohort:exists"}, Remove: []string{"cohort:missing"}},
	})
	if !email.IsPermanent(out[0].Err) || !strings.Contains(out[0].Err.Error(), `list "cohort:missing" does not exist`) {
		t.Fatalf("outcome 0 %+v: want permanent missing-list error", out[0])
	}
	if out[1].Err != nil {
		t.Fatalf("outcome 1: %v (removing from a missing list is nothing to do)", out[1].Err)
	}
	if _, ok := e.fake.Member("a@example.com"); ok {
		t.Fatal("a change that cannot be applied created its subscriber")
	}
	if len(e.fake.Lists()) != 1 {
		t.Fatalf("lists %+v: none may be created", e.fake.Lists())
	}
}

func TestConcurrentAppliesCreateAListOnce(t *testing.T) {
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{CreateLists: true})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := e.c.Apply(ctx(t), []email.Change{{ProfileID: "p", Email: fmt.Sprintf("c%d@example.com", i), Add: []string{"cohort:same"}}})
			if out[0].Err != nil {
				t.Errorf("apply %d: %v", i, out[0].Err)
			}
		}()
	}
	wg.Wait()
	if l := e.fake.Lists(); len(l) != 1 || l[0].Statuses["unconfirmed"] != 8 {
		t.Fatalf("lists %+v: want one list with 8 members", l)
	}
}

func TestSameAddressTwiceInABatchAppliesInOrder(t *testing.T) {
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{CreateLists: true})
	out := e.mustApply(
		email.Change{ProfileID: "p1", Email: "twice@example.com", Add: []string{"cohort:a"}},
		email.Change{ProfileID: "x", Email: "other@example.com", Add: []string{"cohort:a"}},
		email.Change{ProfileID: "p2", Email: "Twice@Example.com", Add: []string{"cohort:b"}, Remove: []string{"cohort:a"}},
	)
	if out[2].Status != email.StatusNonMarketing {
		t.Fatalf("second change learned %q, want non_marketing (the first created it)", out[2].Status)
	}
	if got := e.member("twice@example.com").Lists; !reflect.DeepEqual(got, map[string]string{"cohort:b": "unconfirmed"}) {
		t.Fatalf("lists %v", got)
	}
}

func TestInvalidAddressIsPermanentAndAlone(t *testing.T) {
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{CreateLists: true})
	out := e.c.Apply(ctx(t), []email.Change{
		{ProfileID: "a", Email: "not-an-address", Add: []string{"cohort:a"}},
		{ProfileID: "b", Email: "bad space@example.com", Add: []string{"cohort:a"}},
		{ProfileID: "c", Email: "o'brien@example.com", Add: []string{"cohort:a"}},
	})
	for i := range 2 {
		if !email.IsPermanent(out[i].Err) {
			t.Fatalf("outcome %d %+v: want permanent", i, out[i])
		}
	}
	if out[2].Err != nil {
		t.Fatalf("quoted address: %v", out[2].Err)
	}
	// The quote travelled as a SQL literal and matched on the replay.
	e.fake.ResetStats()
	e.mustApply(email.Change{ProfileID: "c", Email: "o'brien@example.com", Add: []string{"cohort:a"}})
	if st := e.fake.Stats(); st.Total != 1 {
		t.Fatalf("replay of the quoted address: %v", st.Requests)
	}
}

func TestNameFallsBackToLocalPart(t *testing.T) {
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{CreateLists: true})
	e.mustApply(email.Change{ProfileID: "p", Email: "jo.smith@example.com", Add: []string{"cohort:a"}})
	if m := e.member("jo.smith@example.com"); m.Name != "jo.smith" {
		t.Fatalf("name %q", m.Name)
	}
}

func TestSubscriberDeletedBeforePatchIsRetryable(t *testing.T) {
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{})
	mustSeed(t, e.fake, "a@example.com", "enabled", nil)
	e.fake.FailNextWith(listmonkfake.EndpointPatchSubscriber, 1, 404, "Subscriber not found.")
	out := e.c.Apply(ctx(t), []email.Change{{ProfileID: "p", Email: "a@example.com", Props: map[string]string{email.PropLifecycle: "x"}}})
	if out[0].Err == nil || email.IsPermanent(out[0].Err) {
		t.Fatalf("outcome %+v: want a retryable error", out[0])
	}
	e.mustApply(email.Change{ProfileID: "p", Email: "a@example.com", Props: map[string]string{email.PropLifecycle: "x"}})
	if got := e.member("a@example.com").Attribs["cohortd"]; !reflect.DeepEqual(got, map[string]any{"lifecycle": "x"}) {
		t.Fatalf("attribs %v", got)
	}
}
