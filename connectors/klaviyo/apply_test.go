package klaviyo

import (
	"errors"
	"strings"
	"testing"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/connectors/klaviyo/klaviyofake"
)

func TestApplyCreatesPlainProfilesWithListsAndProperties(t *testing.T) {
	c, f := pair(t, nil)
	changes := []email.Change{
		{ProfileID: "p1", Email: "Ann@Example.com", FirstName: "Ann", LastName: "Lee", Consent: true,
			Add: lists("cohort:vip", "cohort:rfm-champions"), Props: map[string]string{email.PropRFMGroup: "Champions", email.PropPredictedCLV: "412.5", "unknown": "x"}},
		{ProfileID: "p2", Email: "bob@example.com", Add: lists("cohort:vip")},
	}
	outs := c.Apply(ctxT(t), changes)
	mustOK(t, outs)
	for i, o := range outs {
		if o.Status != email.StatusAbsent {
			t.Errorf("outcome %d status %q, want absent (new contact)", i, o.Status)
		}
	}
	ann := member(t, f, "ann@example.com")
	if ann.Consent != "NEVER_SUBSCRIBED" {
		t.Errorf("Consent=true new contact got consent %s; the connector must never subscribe", ann.Consent)
	}
	if ann.FirstName != "Ann" || ann.LastName != "Lee" {
		t.Errorf("names %q %q", ann.FirstName, ann.LastName)
	}
	if got := join(ann.Lists); got != "cohort:rfm-champions,cohort:vip" {
		t.Errorf("lists %s", got)
	}
	if ann.Properties["cohort_rfm_group"] != "Champions" || ann.Properties["cohort_predicted_clv"] != 412.5 {
		t.Errorf("properties %v", ann.Properties)
	}
	if _, ok := ann.Properties["cohort_unknown"]; ok || len(ann.Properties) != 2 {
		t.Errorf("unknown property written: %v", ann.Properties)
	}
	if got := join(f.ListMembers("cohort:vip")); got != "Ann@Example.com,bob@example.com" {
		t.Errorf("vip members %s", got)
	}
	st := f.Stats()
	if st.ProfilesCreated != 2 || st.Calls(opProfileImport) != 2 || st.Calls(opBulkImport) != 0 {
		t.Errorf("created %d via %d profile imports, %d bulk jobs", st.ProfilesCreated, st.Calls(opProfileImport), st.Calls(opBulkImport))
	}
	if st.Calls(opCreateList) != 2 {
		t.Errorf("create_list calls %d, want 2", st.Calls(opCreateList))
	}
}

func TestApplyRemovesAndUpdatesExisting(t *testing.T) {
	c, f := pair(t, nil)
	if err := f.AddToList("cohort:at-risk", addr(1), addr(2)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.AddProfile(addr(1), map[string]any{"cohort_lifecycle": "active", "merchant_prop": "keep"}); err != nil {
		t.Fatal(err)
	}
	outs := c.Apply(ctxT(t), []email.Change{
		change(1, lists("cohort:lost"), lists("cohort:at-risk"), map[string]string{email.PropLifecycle: "lost"}),
		change(2, nil, lists("cohort:at-risk", "cohort:never-existed"), nil),
		change(3, nil, lists("cohort:at-risk"), nil), // absent at Klaviyo: nothing to remove
		change(4, nil, nil, map[string]string{email.PropLifecycle: ""}),
	})
	mustOK(t, outs)
	if outs[0].Status != email.StatusNonMarketing {
		t.Errorf("existing contact status %q", outs[0].Status)
	}
	m1 := member(t, f, addr(1))
	if join(m1.Lists) != "cohort:lost" || m1.Properties["cohort_lifecycle"] != "lost" || m1.Properties["merchant_prop"] != "keep" {
		t.Errorf("contact 1: lists %v props %v", m1.Lists, m1.Properties)
	}
	if m2 := member(t, f, addr(2)); len(m2.Lists) != 0 {
		t.Errorf("contact 2 still in %v", m2.Lists)
	}
	if _, ok := f.Member(addr(3)); ok {
		t.Error("a remove-only change created a profile")
	}
	if _, ok := f.Member(addr(4)); ok {
		t.Error("clearing a property of an absent contact created a profile")
	}
	for _, n := range f.ListNames() {
		if n == "cohort:never-existed" {
			t.Error("a list was created for a removal")
		}
	}
	// Unsetting an existing property uses patch_properties.unset.
	mustOK(t, c.Apply(ctxT(t), []email.Change{change(1, nil, nil, map[string]string{email.PropLifecycle: ""})}))
	if m := member(t, f, addr(1)); m.Properties["cohort_lifecycle"] != nil || m.Properties["merchant_prop"] != "keep" {
		t.Errorf("after unset: %v", m.Properties)
	}
}

func TestApplyReplayChangesNothing(t *testing.T) {
	c, f := pair(t, nil)
	if err := f.AddToList("cohort:old", addr(0), addr(1)); err != nil {
		t.Fatal(err)
	}
	var batch []email.Change
	for i := 0; i < 40; i++ {
		ch := change(i, lists("cohort:a"), nil, map[string]string{email.PropChurnRisk: "0.25"})
		if i%2 == 0 {
			ch.Add = append(ch.Add, "cohort:b")
		}
		if i < 2 {
			ch.Remove = lists("cohort:old")
		}
		batch = append(batch, ch)
	}
	mustOK(t, c.Apply(ctxT(t), batch))
	digest := f.Digest()
	before := f.Stats()
	for _, client := range []*Client{c, mustNew(t, c.opts)} { // warm cache, then a fresh client
		mustOK(t, client.Apply(ctxT(t), batch))
		if f.Digest() != digest {
			t.Fatal("replay changed the account")
		}
	}
	after := f.Stats()
	if after.ProfilesCreated != before.ProfilesCreated || after.ProfilesUpdated != before.ProfilesUpdated ||
		after.MembershipsAdded != before.MembershipsAdded || after.MembershipsRemoved != before.MembershipsRemoved {
		t.Errorf("replay wrote: before %+v after %+v", before, after)
	}
	if n := after.Calls(opProfileImport, opBulkImport) - before.Calls(opProfileImport, opBulkImport); n != 0 {
		t.Errorf("replay made %d profile writes", n)
	}
	// Each replay costs one read (40 addresses) and three list calls (add a, add b, remove
	// old); only the fresh client looks the lists up again (one page).
	if got := after.Calls() - before.Calls(); got != 2*4+1 {
		t.Errorf("two replays cost %d calls, want 9", got)
	}
}

func mustNew(t *testing.T, o Options) *Client {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestApplyMissingListWithoutCreateLists(t *testing.T) {
	c, f := pair(t, func(o *Options) { o.CreateLists = false })
	f.CreateList("cohort:exists")
	outs := c.Apply(ctxT(t), []email.Change{
		change(1, lists("cohort:exists", "cohort:missing"), nil, nil),
		change(2, lists("cohort:exists"), nil, nil),
	})
	if !email.IsPermanent(outs[0].Err) || !strings.Contains(outs[0].Err.Error(), "create_lists") || !strings.Contains(outs[0].Err.Error(), "cohort:missing") {
		t.Fatalf("want a permanent create_lists error, got %v", outs[0].Err)
	}
	if outs[1].Err != nil {
		t.Fatalf("other change failed: %v", outs[1].Err)
	}
	if _, ok := f.Member(addr(1)); ok {
		t.Error("a change with a missing list still wrote its profile")
	}
	if join(f.ListNames()) != "cohort:exists" {
		t.Errorf("lists %v", f.ListNames())
	}
	if got := join(f.ListMembers("cohort:exists")); got != addr(2) {
		t.Errorf("members %s", got)
	}
}

func TestApplyCreatesEachListOnceUnderConcurrency(t *testing.T) {
	c, f := pair(t, nil)
	done := make(chan []email.Outcome, 4)
	for g := 0; g < 4; g++ {
		go func(g int) { done <- c.Apply(ctxT(t), []email.Change{change(g, lists("cohort:new"), nil, nil)}) }(g)
	}
	for g := 0; g < 4; g++ {
		mustOK(t, <-done)
	}
	if n := f.Stats().Calls(opCreateList); n != 1 {
		t.Errorf("create_list called %d times", n)
	}
	if got := len(f.ListMembers("cohort:new")); got != 4 {
		t.Errorf("members %d", got)
	}
}

func TestApplyBatchesToTheLimits(t *testing.T) {
	c, f := pair(t, nil)
	const n = 2500
	batch := make([]email.Change, n)
	for i := range batch {
		batch[i] = change(i, lists("cohort:a", "cohort:b"), nil, nil)
	}
	mustOK(t, c.Apply(ctxT(t), batch))
	st := f.Stats()
	// 2500 addresses: 25 reads before, one bulk job, 25 reads of the new ids; per list
	// ceil(2500/1000) = 3 additions.
	want := map[string]int64{opGetProfiles: 50, opBulkImport: 1, opGetImportJob: 1, opAddToList: 6, opProfileImport: 0, opGetLists: 1, opCreateList: 2}
	for op, w := range want {
		if got := st.Calls(op); got != w {
			t.Errorf("%s: %d calls, want %d", op, got, w)
		}
	}
	if len(f.ListMembers("cohort:a")) != n || len(f.ListMembers("cohort:b")) != n {
		t.Errorf("members a=%d b=%d", len(f.ListMembers("cohort:a")), len(f.ListMembers("cohort:b")))
	}
	if st.Throttled != 0 {
		t.Errorf("%d requests throttled", st.Throttled)
	}
}

func TestApplyEmptyBatchCallsNothing(t *testing.T) {
	c, f := pair(t, nil)
	if outs := c.Apply(ctxT(t), nil); len(outs) != 0 {
		t.Errorf("%d outcomes", len(outs))
	}
	if n := f.Stats().Requests; n != 0 {
		t.Errorf("%d requests for an empty batch", n)
	}
}

func TestApplyDuplicateAddressesShareOutcome(t *testing.T) {
	c, f := pair(t, nil)
	outs := c.Apply(ctxT(t), []email.Change{
		{ProfileID: "a", Email: "same@example.com", Add: lists("cohort:x")},
		{ProfileID: "b", Email: "SAME@example.com", Add: lists("cohort:y"), Remove: lists("cohort:x")},
		{ProfileID: "c", Email: "not-an-address"},
	})
	if outs[0].Err != nil || outs[1].Err != nil {
		t.Fatalf("outcomes %v %v", outs[0].Err, outs[1].Err)
	}
	if !email.IsPermanent(outs[2].Err) || strings.Contains(outs[2].Err.Error(), "not-an-address") {
		t.Errorf("bad address: %v", outs[2].Err)
	}
	if m := member(t, f, "same@example.com"); join(m.Lists) != "cohort:y" {
		t.Errorf("lists %v (later change must win)", m.Lists)
	}
	if f.ProfileCount() != 1 {
		t.Errorf("%d profiles", f.ProfileCount())
	}
}

func TestApplyPermanentRefusalCarriesMaskedMessage(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int // changes: few -> profile import, many -> bulk import job
	}{{"profile import", 1}, {"bulk import", 8}} {
		t.Run(tc.name, func(t *testing.T) {
			c, f := pair(t, nil)
			batch := []email.Change{{ProfileID: "bad", Email: "secret.person@localhost", Add: lists("cohort:x")}}
			for i := 1; i < tc.n; i++ {
				batch = append(batch, change(i, lists("cohort:x"), nil, nil))
			}
			outs := c.Apply(ctxT(t), batch)
			err := outs[0].Err
			if !email.IsPermanent(err) || !strings.Contains(err.Error(), "Invalid email address") {
				t.Fatalf("want permanent 'Invalid email address', got %v", err)
			}
			if strings.Contains(err.Error(), "secret.person") {
				t.Errorf("error carries the address: %v", err)
			}
			for i := 1; i < tc.n; i++ {
				if outs[i].Err != nil {
					t.Errorf("change %d: %v", i, outs[i].Err)
				}
			}
			if got := len(f.ListMembers("cohort:x")); got != tc.n-1 {
				t.Errorf("%d members, want %d", got, tc.n-1)
			}
		})
	}
}

func TestApplyPlatformDetailIsMasked(t *testing.T) {
	c, f := pair(t, nil)
	f.InjectFault(klaviyofake.Fault{Operation: opAddToList, Status: 400, Detail: "Profile jane.doe@example.com cannot join this list."})
	outs := c.Apply(ctxT(t), []email.Change{{ProfileID: "j", Email: "jane.doe@example.com", Add: lists("cohort:x")}})
	err := outs[0].Err
	if !email.IsPermanent(err) || !strings.Contains(err.Error(), "j***@example.com cannot join this list") {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), "jane.doe") {
		t.Errorf("unmasked address in %v", err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Code() != "invalid" {
		t.Errorf("APIError %+v", ae)
	}
}

func TestApplyDuplicateProfileConflictIsUpserted(t *testing.T) {
	c, f := pair(t, nil)
	id, err := f.AddProfile(addr(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	f.InjectFault(klaviyofake.Fault{Operation: opProfileImport, Status: 409})
	mustOK(t, c.Apply(ctxT(t), []email.Change{change(1, lists("cohort:x"), nil, map[string]string{email.PropRFMGroup: "Loyal"})}))
	m := member(t, f, addr(1))
	if m.ID != id || m.Properties["cohort_rfm_group"] != "Loyal" || join(m.Lists) != "cohort:x" {
		t.Errorf("after 409: %+v", m)
	}
	if n := f.Stats().Calls(opProfileImport); n != 2 {
		t.Errorf("profile import calls %d, want 2 (409, then upsert by id)", n)
	}
}

func TestLookupChunksBoundTheFilter(t *testing.T) {
	var cts []*contact
	for i := 0; i < 150; i++ {
		cts = append(cts, &contact{email: strings.Repeat("x", 200) + addr(i)})
	}
	chunks := lookupChunks(cts)
	total := 0
	for _, ch := range chunks {
		size := 0
		for _, ct := range ch {
			size += len(ct.email)
		}
		if len(ch) > 100 || size > maxFilterBytes {
			t.Errorf("chunk of %d addresses, %d bytes", len(ch), size)
		}
		total += len(ch)
	}
	if total != 150 || len(chunks) < 6 {
		t.Errorf("%d addresses in %d chunks", total, len(chunks))
	}
	short := make([]*contact, 250)
	for i := range short {
		short[i] = &contact{email: addr(i)}
	}
	if n := len(lookupChunks(short)); n != 3 {
		t.Errorf("250 short addresses in %d chunks, want 3", n)
	}
}
