package mailchimp

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/connectors/mailchimp/mailchimpfake"
)

func TestApplyTagsPropsNamesAndReplay(t *testing.T) {
	e := newEnv(t, mailchimpfake.Options{}, nil)
	// An existing member with the merchant's own tag and name: both must survive.
	if err := e.fake.SetStatus("old@shop.test", mailchimpfake.StatusSubscribed); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.SetTags("old@shop.test", "vip", "cohort:lost"); err != nil {
		t.Fatal(err)
	}
	e.mustApply(t, []email.Change{{ProfileID: "p0", Email: "old@shop.test", FirstName: "Merchant", Props: map[string]string{email.PropLifecycle: "x"}}})

	changes := []email.Change{
		{ProfileID: "p0", Email: "old@shop.test", FirstName: "Other", Add: []string{"cohort:champions"}, Remove: []string{"cohort:lost", "cohort:never-had"},
			Props: map[string]string{email.PropRFMGroup: "champions", email.PropPredictedCLV: "1234.50", email.PropChurnRisk: "low", "unknown_prop": "zzz"}},
		{ProfileID: "p1", Email: "ann@shop.test", FirstName: "Ann", LastName: "Lee", Add: []string{"cohort:new", "cohort:mobile"},
			Props: map[string]string{email.PropPAlive: "0.87", email.PropExpectedOrders: "not-a-number"}},
		{ProfileID: "p2", Email: "bob@shop.test", Add: []string{"cohort:new"}},
	}
	e.mustApply(t, changes)

	old := e.member(t, "old@shop.test")
	if !reflect.DeepEqual(old.Tags, []string{"cohort:champions", "vip"}) || old.Status != "subscribed" {
		t.Errorf("old member %+v", old)
	}
	if old.MergeFields["FNAME"] != "Merchant" || old.MergeFields["CRFM"] != "champions" || old.MergeFields["CCLV"] != "1234.5" || old.MergeFields["CCHURN"] != "low" {
		t.Errorf("old member merge fields %v", old.MergeFields)
	}
	ann := e.member(t, "ann@shop.test")
	if !reflect.DeepEqual(ann.Tags, []string{"cohort:mobile", "cohort:new"}) || ann.MergeFields["FNAME"] != "Ann" || ann.MergeFields["LNAME"] != "Lee" || ann.MergeFields["CPALIVE"] != "0.87" {
		t.Errorf("ann %+v", ann)
	}
	if _, ok := ann.MergeFields["CEXPORD"]; ok {
		t.Errorf("a prop that is not a number was written: %v", ann.MergeFields)
	}
	tags := e.fake.MergeFieldTags()
	for _, want := range []string{"CRFM", "CLIFE", "CCHURN", "CCLV", "CPALIVE", "CEXPORD"} {
		if !contains(tags, want) {
			t.Errorf("merge field %s not created: %v", want, tags)
		}
	}

	// Replay: the read batch only, no write operation, state identical.
	before := e.fake.Members()
	e.fake.ResetStats()
	e.mustApply(t, changes)
	st := e.fake.Stats()
	if !reflect.DeepEqual(before, e.fake.Members()) {
		t.Fatal("replay changed state")
	}
	if st.Requests["postBatches"] != 1 || st.Operations["postListMemberTags"] != 0 || st.Operations["patchListsIdMembersId"] != 0 {
		t.Fatalf("replay cost %v requests, %v operations", st.Requests, st.Operations)
	}
	if st.Requests["getListsIdMergeFields"] != 0 {
		t.Fatalf("merge fields re-read on replay: %v", st.Requests)
	}

	// A fresh client (no cache) replays just as cheaply and as correctly.
	fresh, err := New(e.client.opts)
	if err != nil {
		t.Fatal(err)
	}
	e.fake.ResetStats()
	for i, o := range fresh.Apply(ctxT(t), changes) {
		if o.Err != nil {
			t.Fatalf("fresh client change %d: %v", i, o.Err)
		}
	}
	if st := e.fake.Stats(); st.Requests["postBatches"] != 1 || st.Requests["getListsIdMergeFields"] != 1 || st.Requests["postListsIdMergeFields"] != 0 {
		t.Fatalf("fresh client replay: %v", st.Requests)
	}
	if !reflect.DeepEqual(before, e.fake.Members()) {
		t.Fatal("fresh client replay changed state")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestBatchingCallsPerApply: 1,200 changes in BatchSize chunks cost, per Apply, exactly two
// batches (read and write): 2 POST /batches, their polls and 2 downloads, with no 429.
func TestBatchingCallsPerApply(t *testing.T) {
	e := newEnv(t, mailchimpfake.Options{}, nil)
	var changes []email.Change
	for i := range 1200 {
		changes = append(changes, email.Change{
			ProfileID: fmt.Sprintf("p%d", i), Email: fmt.Sprintf("c%04d@shop.test", i),
			Add: []string{fmt.Sprintf("cohort:t%d", i%3)},
		})
	}
	size := e.client.BatchSize()
	if size != DefaultBatchSize {
		t.Fatalf("BatchSize %d", size)
	}
	applies := 0
	for start := 0; start < len(changes); start += size {
		e.mustApply(t, changes[start:min(start+size, len(changes))])
		applies++
	}
	st := e.fake.Stats()
	if st.Requests["postBatches"] != 2*applies || st.Downloads != 2*applies {
		t.Fatalf("%d applies: %d batches, %d downloads", applies, st.Requests["postBatches"], st.Downloads)
	}
	if polls := st.Requests["getBatchesId"]; polls < 2*applies {
		t.Fatalf("%d polls for %d batches", polls, 2*applies)
	}
	if st.Operations["putListsIdMembersId"] != 1200 || st.Operations["postListMemberTags"] != 1200 {
		t.Fatalf("operations %v", st.Operations)
	}
	if st.TooManyRequests != 0 {
		t.Fatalf("%d 429s", st.TooManyRequests)
	}
	counts := e.fake.TagCounts()
	if counts["cohort:t0"] != 400 || counts["cohort:t1"] != 400 || counts["cohort:t2"] != 400 {
		t.Fatalf("tag counts %v", counts)
	}
}

// TestDuplicateAddressesInOneApply: two changes for one address (two profiles sharing an
// email) are applied one after the other, both outcomes reported.
func TestDuplicateAddressesInOneApply(t *testing.T) {
	e := newEnv(t, mailchimpfake.Options{}, nil)
	outs := e.mustApply(t, []email.Change{
		{ProfileID: "a", Email: "dup@shop.test", Add: []string{"cohort:a"}},
		{ProfileID: "b", Email: "other@shop.test", Add: []string{"cohort:a"}},
		{ProfileID: "c", Email: "DUP@shop.test", Add: []string{"cohort:b"}, Remove: []string{"cohort:a"}},
	})
	if got := e.member(t, "dup@shop.test").Tags; !reflect.DeepEqual(got, []string{"cohort:b"}) {
		t.Fatalf("tags %v, want the later change applied last", got)
	}
	if outs[2].Status != email.StatusNonMarketing {
		t.Fatalf("outcome %+v", outs[2])
	}
}

func TestEmptyAddressIsPermanent(t *testing.T) {
	e := newEnv(t, mailchimpfake.Options{}, nil)
	outs := e.client.Apply(ctxT(t), []email.Change{{ProfileID: "p1", Email: "  "}, {ProfileID: "p2", Email: "ok@shop.test", Add: []string{"cohort:x"}}})
	if !email.IsPermanent(outs[0].Err) || outs[1].Err != nil {
		t.Fatalf("outcomes %+v", outs)
	}
}

// TestConcurrentCallsStayWithinTheConnectionLimit: 40 goroutines sharing one Client, against
// a fake whose requests take 20 ms, never hold more than 10 connections: no 429.
func TestConcurrentCallsStayWithinTheConnectionLimit(t *testing.T) {
	e := newEnv(t, mailchimpfake.Options{Latency: 20 * time.Millisecond}, nil)
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%4 == 0 {
				outs := e.client.Apply(ctxT(t), []email.Change{{ProfileID: "p", Email: fmt.Sprintf("g%d@shop.test", i), Add: []string{"cohort:g"}}})
				errs[i] = outs[0].Err
				return
			}
			_, errs[i] = e.client.Sizes(ctxT(t), []string{"cohort:g"})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("goroutine %d: %v", i, err)
		}
	}
	st := e.fake.Stats()
	if st.TooManyRequests != 0 || st.MaxInFlight > MaxConnections || st.MaxInFlight < 2 {
		t.Fatalf("429s %d, max in flight %d", st.TooManyRequests, st.MaxInFlight)
	}
}
