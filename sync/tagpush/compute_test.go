package tagpush

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/segments"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
	"github.com/cohortd/cohortd/sync/segmenter"
)

// computeByMaps is how Compute worked before it read records narrowly: whole records decoded
// by segmenter.Memberships and segmenter.SourceKeys and Applied, joined in maps. It is the
// model Compute must match (for stores where no customer is linked to two profiles, where
// the old result depended on map order).
func computeByMaps(t *testing.T, st *store.Store, cfg *config.Config, storeID string) *Plan {
	t.Helper()
	members, err := segmenter.Memberships(st)
	if err != nil {
		t.Fatal(err)
	}
	sources, err := segmenter.SourceKeys(st)
	if err != nil {
		t.Fatal(err)
	}
	applied, err := Applied(st, storeID)
	if err != nil {
		t.Fatal(err)
	}
	tagOf := TagNames(cfg)
	prefix := storeID + "/" + profiles.KindCustomer + "/"
	want := map[string][]string{}
	for pid, keys := range sources {
		var tags []string
		for _, s := range members[pid] {
			tags = append(tags, tagOf(s))
		}
		slices.Sort(tags)
		tags = slices.Compact(tags)
		for _, k := range keys {
			if id, ok := strings.CutPrefix(k, prefix); ok {
				want[id] = tags
			}
		}
	}
	plan := &Plan{Store: storeID, Customers: len(want)}
	for id, tags := range want {
		add, remove := diff(applied[id], tags)
		if len(add)+len(remove) == 0 {
			continue
		}
		plan.Changes = append(plan.Changes, Change{Store: storeID, CustomerID: id, Add: add, Remove: remove, Want: tags})
		plan.Adds += len(add)
		plan.Removes += len(remove)
	}
	for id, had := range applied {
		if _, ok := want[id]; ok || len(had) == 0 {
			continue
		}
		plan.Changes = append(plan.Changes, Change{Store: storeID, CustomerID: id, Remove: had})
		plan.Removes += len(had)
	}
	slices.SortFunc(plan.Changes, func(a, b Change) int { return strings.Compare(a.CustomerID, b.CustomerID) })
	return plan
}

// randomStore fills a data file with profiles (full records: the narrow reader must skip
// what follows their sources), memberships and applied state for two stores.
func randomStore(t *testing.T, r *rand.Rand, n int) (*store.Store, *config.Config) {
	t.Helper()
	st, cfg := setup(t)
	cfg.Segments.Custom = append(cfg.Segments.Custom,
		config.CustomSegment{Name: "big", When: "true", Tag: "cohort:VIP"}, // the same tag as vip
		config.CustomSegment{Name: "quiet", When: "true"})                  // no tag: the prefix's
	names := []string{"vip", "big", "quiet", "rfm-champions", "lifecycle-lost", "lifecycle-new", "churn-high"}
	ctx := context.Background()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	customer := 0
	err := st.Update(ctx, func(tx *store.Tx) error {
		for i := range n {
			pid := fmt.Sprintf("p_%05d", r.IntN(10*n)) // ids out of customer order
			p := profiles.Profile{ID: pid, FirstName: "Ada", Emails: []profiles.EmailValue{{Address: "ada@example.com"}},
				Summary: profiles.OrderSummary{Orders: i}, Orders: []profiles.CompactOrder{{ID: "shop-a/1", At: at}}}
			for range r.IntN(4) {
				customer++
				store, kind := []string{"shop-a", "shop-b", "shop-a"}[r.IntN(3)], profiles.KindCustomer
				if r.IntN(5) == 0 {
					kind = profiles.KindGuestOrder
				}
				p.Sources = append(p.Sources, profiles.SourceRef{Store: store, Kind: kind, ID: fmt.Sprint(r.IntN(1 << 40))})
			}
			if err := tx.PutValue(store.Profiles, []byte(pid), p); err != nil {
				return err
			}
			if r.IntN(6) == 0 {
				continue // no membership record
			}
			var segs []string
			for range r.IntN(4) {
				segs = append(segs, names[r.IntN(len(names))])
			}
			rec := segmenter.Record{Segments: segs, Since: at, Props: segments.Properties{RFMGroup: "champions", PAlive: 0.5}}
			if err := tx.PutValue(store.Memberships, []byte("m/"+pid), rec); err != nil {
				return err
			}
		}
		// Applied state: for linked customers (equal or not to what they should carry) and
		// for customers no longer linked.
		for i := range n / 2 {
			tags := []string{"cohort:VIP", "cohort:lifecycle-lost", "cohort:quiet"}[:r.IntN(4)]
			id := fmt.Sprint(r.IntN(1 << 40))
			if i%3 == 0 {
				id = fmt.Sprint(i) // short ids sort among the long ones
			}
			if err := tx.PutValue(store.Applied, []byte(appliedPrefix+"shop-a/"+id), tags); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if customer == 0 {
		t.Fatal("no customers")
	}
	return st, cfg
}

func TestComputeMatchesTheWholeRecordPlan(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for round := range 4 {
		st, cfg := randomStore(t, r, 300+round*400)
		// Apply part of a first plan so that later plans diff against real applied state.
		first, err := Compute(st, cfg, "shop-a")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Update(context.Background(), func(tx *store.Tx) error {
			for i, c := range first.Changes {
				if i%2 == 0 {
					if err := Apply(tx, c); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, storeID := range []string{"shop-a", "shop-b", "woo-c"} {
			got, err := Compute(st, cfg, storeID)
			if err != nil {
				t.Fatal(err)
			}
			want := computeByMaps(t, st, cfg, storeID)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d, %s: plan of %d changes (%d customers)\nwant %d changes (%d customers)\nfirst difference: %s",
					round, storeID, len(got.Changes), got.Customers, len(want.Changes), want.Customers, firstDifference(got.Changes, want.Changes))
			}
			if storeID == "shop-a" && (len(got.Changes) == 0 || got.Removes == 0 || got.Adds == 0) {
				t.Fatalf("round %d: plan %d changes, +%d -%d: the store should need both", round, len(got.Changes), got.Adds, got.Removes)
			}
		}
	}
}

func firstDifference(got, want []Change) string {
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			return fmt.Sprintf("%d: %+v, want %+v", i, got[i], want[i])
		}
	}
	return "one is a prefix of the other"
}

// TestComputeReadsRecordsItDoesNotKnowWithTheCodec stores records in encodings the narrow
// readers leave to the codec (keys out of order, a source with a '/' in its store) and a
// damaged one.
func TestComputeReadsRecordsItDoesNotKnowWithTheCodec(t *testing.T) {
	st, cfg := setup(t)
	ctx := context.Background()
	// p9: {2: sources, 1: id}, keys in the other order; its membership the same way.
	p9 := []byte{codec.Version, 0xa2, 0x02, 0x81, 0xa3, 0x01, 0x66, 's', 'h', 'o', 'p', '-', 'a', 0x02, 0x68,
		'c', 'u', 's', 't', 'o', 'm', 'e', 'r', 0x03, 0x62, '9', '9', 0x01, 0x62, 'p', '9'}
	m9 := []byte{codec.Version, 0xa2, 0x02, 0xf6, 0x01, 0x81, 0x63, 'v', 'i', 'p'}
	for _, kv := range []struct {
		b    store.Bucket
		k, v []byte
	}{{store.Profiles, []byte("p9"), p9}, {store.Memberships, []byte("m/p9"), m9}} {
		if err := st.Put(ctx, kv.b, kv.k, kv.v); err != nil {
			t.Fatal(err)
		}
	}
	// A source whose store holds the separator: its key "shop-a/customer/x/5" has the prefix.
	odd := profiles.Profile{ID: "p8", Sources: []profiles.SourceRef{{Store: "shop-a/customer", Kind: "x", ID: "5"}}}
	if err := st.PutValue(ctx, store.Profiles, []byte("p8"), odd); err != nil {
		t.Fatal(err)
	}
	if err := st.PutValue(ctx, store.Memberships, []byte("m/p8"), segmenter.Record{Segments: []string{"lifecycle-new"}}); err != nil {
		t.Fatal(err)
	}
	plan, err := Compute(st, cfg, "shop-a")
	if err != nil {
		t.Fatal(err)
	}
	if want := computeByMaps(t, st, cfg, "shop-a"); !reflect.DeepEqual(plan, want) {
		t.Fatalf("plan %+v\nwant %+v", plan, want)
	}
	ids := []string{}
	for _, c := range plan.Changes {
		ids = append(ids, c.CustomerID)
	}
	if !slices.Equal(ids, []string{"11", "12", "13", "99", "x/5"}) || !slices.Equal(plan.Changes[3].Want, []string{"cohort:VIP"}) {
		t.Fatalf("changes of %v (p9: %+v)", ids, plan.Changes[3])
	}

	// A membership record that is not CBOR fails the plan, as the codec fails on it.
	if err := st.Put(ctx, store.Memberships, []byte("m/p3"), []byte{codec.Version, 0xa1, 0x01, 0x81, 0x7f}); err != nil {
		t.Fatal(err)
	}
	if _, err := Compute(st, cfg, "shop-a"); err == nil || !strings.Contains(err.Error(), "m/p3") {
		t.Fatalf("damaged membership: %v", err)
	}
}

func TestComputeGivesACustomerOfTwoProfilesTheUnionOfTheirTags(t *testing.T) {
	st, cfg := setup(t)
	ctx := context.Background()
	// p3's customer 13 also appears in p4 (which cannot happen; Compute stays defined).
	p4 := profiles.Profile{ID: "p4", Sources: []profiles.SourceRef{{Store: "shop-a", Kind: profiles.KindCustomer, ID: "13"}}}
	if err := st.PutValue(ctx, store.Profiles, []byte("p4"), p4); err != nil {
		t.Fatal(err)
	}
	if err := st.PutValue(ctx, store.Memberships, []byte("m/p4"), segmenter.Record{Segments: []string{"vip"}}); err != nil {
		t.Fatal(err)
	}
	plan, err := Compute(st, cfg, "shop-a")
	if err != nil {
		t.Fatal(err)
	}
	if plan.Customers != 3 || len(plan.Changes) != 3 || !slices.Equal(plan.Changes[2].Want, []string{"cohort:VIP", "cohort:lifecycle-lost"}) {
		t.Fatalf("plan %+v", plan)
	}
}

func TestMemberIndexFindsProfilesInAnyOrder(t *testing.T) {
	members := []memberTags{{[]byte("a"), []string{"1"}}, {[]byte("c"), []string{"3"}}, {[]byte("e"), []string{"5"}}}
	index := memberIndex{members: members}
	for _, q := range []struct{ id, want string }{{"a", "1"}, {"b", ""}, {"c", "3"}, {"e", "5"}, {"a", "1"}, {"d", ""}, {"e", "5"}, {"f", ""}, {"c", "3"}} {
		got := strings.Join(index.tags([]byte(q.id)), "")
		if got != q.want {
			t.Errorf("tags of %s: %q, want %q", q.id, got, q.want)
		}
	}
}

// FuzzNarrowReaders: the profile and membership readers never panic, and whatever they read
// from a record the codec also reads, they read as the codec does.
func FuzzNarrowReaders(f *testing.F) {
	p, _ := codec.Marshal(profiles.Profile{ID: "p1", FirstName: "Ada", Sources: []profiles.SourceRef{
		{Store: "shop-a", Kind: profiles.KindCustomer, ID: "11"}, {Store: "woo", Kind: profiles.KindGuestOrder, ID: "7"}}})
	m, _ := codec.Marshal(segmenter.Record{Segments: []string{"vip", "lifecycle-new"}, Since: time.Unix(1, 0).UTC()})
	f.Add(p)
	f.Add(m)
	f.Add([]byte{codec.Version, 0xa2, 0x01, 0x60, 0x02, 0xf6})
	f.Fuzz(func(t *testing.T, data []byte) {
		if id, refs, ok := readProfileSources(data, nil); ok {
			var want struct {
				ID      string               `cbor:"1,keyasint"`
				Sources []profiles.SourceRef `cbor:"2,keyasint"`
			}
			if codec.Unmarshal(data, &want) == nil {
				var got []profiles.SourceRef
				for _, r := range refs {
					got = append(got, profiles.SourceRef{Store: string(r.store), Kind: string(r.kind), ID: string(r.id)})
				}
				if string(id) != want.ID || len(got) != len(want.Sources) || (len(got) > 0 && !reflect.DeepEqual(got, want.Sources)) {
					t.Fatalf("read %q %+v, the codec %q %+v", id, got, want.ID, want.Sources)
				}
			}
		}
		lists := newTagLists(func(s string) string { return "t:" + s })
		got, err := lists.ofRecord(data)
		var want struct {
			Segments []string `cbor:"1,keyasint"`
		}
		if err == nil && codec.Unmarshal(data, &want) == nil && !slices.Equal(got, lists.tagsOf(want.Segments)) {
			t.Fatalf("tags %v, the codec's segments %v", got, want.Segments)
		}
	})
}
