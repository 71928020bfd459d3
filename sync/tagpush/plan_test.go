package tagpush

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/segmenter"
)

func setup(t *testing.T) (*store.Store, *config.Config) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "cohortd.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	ps := []profiles.Profile{
		// One person with two accounts in shop-a and one in woo-b (merged).
		{ID: "p1", Sources: []profiles.SourceRef{
			{Store: "shop-a", Kind: profiles.KindCustomer, ID: "11"},
			{Store: "shop-a", Kind: profiles.KindCustomer, ID: "12"},
			{Store: "woo-b", Kind: profiles.KindCustomer, ID: "7"},
		}},
		// A guest: nothing to tag in the store.
		{ID: "p2", Sources: []profiles.SourceRef{{Store: "shop-a", Kind: profiles.KindGuestOrder, ID: "900"}}},
		{ID: "p3", Sources: []profiles.SourceRef{{Store: "shop-a", Kind: profiles.KindCustomer, ID: "13"}}},
	}
	for _, p := range ps {
		if err := st.PutValue(ctx, store.Profiles, []byte(p.ID), p); err != nil {
			t.Fatal(err)
		}
	}
	members := map[string][]string{"p1": {"rfm-champions", "vip"}, "p2": {"lifecycle-new"}, "p3": {"lifecycle-lost"}}
	for id, segs := range members {
		if err := st.PutValue(ctx, store.Memberships, []byte("m/"+id), segmenter.Record{Segments: segs}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := config.Default()
	cfg.Segments.Custom = []config.CustomSegment{{Name: "vip", When: "true", Tag: "cohort:VIP"}}
	return st, cfg
}

func TestPlanEveryLinkedCustomerThenNothing(t *testing.T) {
	st, cfg := setup(t)
	plan, err := Compute(st, cfg, "shop-a")
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{Store: "shop-a", CustomerID: "11", Add: []string{"cohort:VIP", "cohort:rfm-champions"}, Want: []string{"cohort:VIP", "cohort:rfm-champions"}},
		{Store: "shop-a", CustomerID: "12", Add: []string{"cohort:VIP", "cohort:rfm-champions"}, Want: []string{"cohort:VIP", "cohort:rfm-champions"}},
		{Store: "shop-a", CustomerID: "13", Add: []string{"cohort:lifecycle-lost"}, Want: []string{"cohort:lifecycle-lost"}},
	}
	if !reflect.DeepEqual(plan.Changes, want) || plan.Customers != 3 || plan.Adds != 5 || plan.Removes != 0 {
		t.Fatalf("plan = %+v", plan)
	}
	// The store accepted everything: the next plan is empty (diff-only; the echo webhook of
	// our write finds nothing to do).
	if err := st.Update(context.Background(), func(tx *store.Tx) error {
		for _, c := range plan.Changes {
			if err := Apply(tx, c); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	again, err := Compute(st, cfg, "shop-a")
	if err != nil || len(again.Changes) != 0 {
		t.Fatalf("second plan = %+v, %v", again, err)
	}

	// p3 moves from lost to active, p1 leaves vip: only those tags move.
	ctx := context.Background()
	if err := st.PutValue(ctx, store.Memberships, []byte("m/p3"), segmenter.Record{Segments: []string{"lifecycle-active"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutValue(ctx, store.Memberships, []byte("m/p1"), segmenter.Record{Segments: []string{"rfm-champions"}}); err != nil {
		t.Fatal(err)
	}
	// Customer 12 is unlinked from p1 (deleted at the platform): our tags come off it.
	if err := st.PutValue(ctx, store.Profiles, []byte("p1"), profiles.Profile{ID: "p1", Sources: []profiles.SourceRef{
		{Store: "shop-a", Kind: profiles.KindCustomer, ID: "11"}}}); err != nil {
		t.Fatal(err)
	}
	third, err := Compute(st, cfg, "shop-a")
	if err != nil {
		t.Fatal(err)
	}
	want = []Change{
		{Store: "shop-a", CustomerID: "11", Remove: []string{"cohort:VIP"}, Want: []string{"cohort:rfm-champions"}},
		{Store: "shop-a", CustomerID: "12", Remove: []string{"cohort:VIP", "cohort:rfm-champions"}},
		{Store: "shop-a", CustomerID: "13", Add: []string{"cohort:lifecycle-active"}, Remove: []string{"cohort:lifecycle-lost"}, Want: []string{"cohort:lifecycle-active"}},
	}
	if !reflect.DeepEqual(third.Changes, want) {
		t.Fatalf("third plan = %+v\nwant %+v", third.Changes, want)
	}
	for _, c := range third.Changes {
		for _, tag := range append(append([]string{}, c.Add...), c.Remove...) {
			if !IsOurs(cfg.Tags.Prefix, tag) {
				t.Errorf("planned tag %q outside the prefix", tag)
			}
		}
	}
}

func TestForgetStore(t *testing.T) {
	st, cfg := setup(t)
	plan, _ := Compute(st, cfg, "shop-a")
	ctx := context.Background()
	err := st.Update(ctx, func(tx *store.Tx) error {
		for _, c := range plan.Changes {
			if err := Apply(tx, c); err != nil {
				return err
			}
		}
		return Forget(tx, "shop-a", "")
	})
	if err != nil {
		t.Fatal(err)
	}
	if a, err := Applied(st, "shop-a"); err != nil || len(a) != 0 {
		t.Fatalf("applied after forget = %v, %v", a, err)
	}
}
