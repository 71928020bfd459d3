package segmenter

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cohortd/cohortd/segments"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

// applyBefore is apply as it was before it compared the stored records in key order with
// cborread (it decoded them all into a map with codec): the reference the new one must match.
func applyBefore(tx *store.Tx, members []segments.Membership, now time.Time, reason string, full bool, rep *Report) error {
	stamp := now.UTC().Format(timeLayout)
	baseline := true
	if err := tx.ForEachPrefix(store.Memberships, []byte(sizePrefix), func(_, _ []byte) error {
		baseline = false
		return errStop
	}); err != nil && !errors.Is(err, errStop) {
		return err
	}
	old := map[string]Record{}
	if err := tx.ForEachPrefix(store.Memberships, []byte(memberPrefix), func(k, v []byte) error {
		var r Record
		if err := codec.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("decode %s: %w", k, err)
		}
		old[string(k[len(memberPrefix):])] = r
		return nil
	}); err != nil {
		return err
	}
	snap := Snapshot{At: now.UTC(), Sizes: map[string]int{}, Baseline: baseline}
	event := func(id string, before, after []string, why string) error {
		entered, left := diff(before, after)
		snap.Entered += len(entered)
		snap.Left += len(left)
		rep.Changed++
		if baseline {
			return nil
		}
		return tx.PutValue(store.Memberships, []byte(eventPrefix+stamp+"/"+id),
			Event{At: now.UTC(), ProfileID: id, Entered: entered, Left: left, Reason: why})
	}
	seen := make(map[string]bool, len(members))
	for _, m := range members {
		seen[m.ProfileID] = true
		for _, s := range m.Segments {
			snap.Sizes[s]++
		}
		prev, had := old[m.ProfileID]
		same := had && slices.Equal(prev.Segments, m.Segments)
		if same && prev.Props.Equal(m.Props) {
			continue
		}
		rec := Record{Segments: m.Segments, Since: prev.Since, Props: m.Props}
		if !same {
			why := reason
			if !had {
				why = "new profile"
			}
			if err := event(m.ProfileID, prev.Segments, m.Segments, why); err != nil {
				return err
			}
			rec.Since = now.UTC()
		}
		if err := tx.PutValue(store.Memberships, []byte(memberPrefix+m.ProfileID), rec); err != nil {
			return err
		}
	}
	snap.Profiles = len(members)
	if full {
		for id, prev := range old {
			if seen[id] {
				continue
			}
			if err := event(id, prev.Segments, nil, "profile removed"); err != nil {
				return err
			}
			if err := tx.Delete(store.Memberships, []byte(memberPrefix+id)); err != nil {
				return err
			}
		}
	}
	rep.Snapshot = snap
	return tx.PutValue(store.Memberships, []byte(sizePrefix+stamp), snap)
}

// applyScenario is a store's stored memberships and a recompute's new ones.
type applyScenario struct {
	stored   map[string][]byte // key -> value in the memberships bucket
	members  []segments.Membership
	baseline bool
}

func randomScenario(rng *rand.Rand, profiles int, baseline bool) applyScenario {
	sc := applyScenario{stored: map[string][]byte{}, baseline: baseline}
	if !sc.baseline {
		sc.stored[sizePrefix+"2026-01-01T00:00:00.000000000Z"] = mustMarshal(Snapshot{Profiles: 1})
	}
	for i := range profiles {
		id := fmt.Sprintf("p%05d", i)
		inMembers, inStore := rng.IntN(5) > 0, rng.IntN(5) > 0
		m := randomRecord(rng)
		if inMembers {
			sc.members = append(sc.members, segments.Membership{ProfileID: id, Segments: m.Segments, Props: m.Props})
			if rng.IntN(40) == 0 { // the same id twice
				d := nearRecord(rng, m)
				sc.members = append(sc.members, segments.Membership{ProfileID: id, Segments: d.Segments, Props: d.Props})
			}
		}
		if inStore {
			rec := nearRecord(rng, m)
			b := mustMarshal(rec)
			if rng.IntN(10) == 0 { // a longer head than codec writes: left to codec
				b = append(b[:2:2], append([]byte{0x18, 0x01}, b[3:]...)...)
			}
			sc.stored[memberPrefix+id] = b
		}
	}
	if rng.IntN(2) == 0 { // a live state's order, not the store's
		rng.Shuffle(len(sc.members), func(i, j int) { sc.members[i], sc.members[j] = sc.members[j], sc.members[i] })
	}
	return sc
}

func mustMarshal(v any) []byte {
	b, err := codec.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// runApply stores the scenario in a new store, applies it with fn and returns the memberships
// bucket and the report.
func runApply(t *testing.T, sc applyScenario, fn func(*store.Tx, []segments.Membership, time.Time, string, bool, *Report) error) (map[string]string, Report) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "cohortd.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	var rep Report
	err = st.Update(ctx, func(tx *store.Tx) error {
		for k, v := range sc.stored {
			if err := tx.Put(store.Memberships, []byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = st.Update(ctx, func(tx *store.Tx) error { return fn(tx, sc.members, t0, "full recompute", true, &rep) })
	}
	if err != nil {
		t.Fatal(err)
	}
	bucket := map[string]string{}
	err = st.View(func(tx *store.Tx) error {
		return tx.ForEach(store.Memberships, func(k, v []byte) error {
			bucket[string(k)] = string(v)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return bucket, rep
}

// apply leaves the store and the report exactly as applyBefore does: records, events (their
// times and reasons), removals and the snapshot, whatever the order of the members, with
// records on both read paths, repeated ids, baseline or not, few changes or many.
func TestApplyWritesWhatItWroteBefore(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	kinds := map[string]int{}
	for round := range 62 {
		size := 300
		if round >= 60 { // more changes than apply encodes at a time
			size = 3 * writeChunk
		}
		sc := randomScenario(rng, size, round%4 == 0)
		gotBucket, gotRep := runApply(t, sc, apply)
		wantBucket, wantRep := runApply(t, sc, applyBefore)
		if !reflect.DeepEqual(gotRep, wantRep) {
			t.Fatalf("round %d: report\n got %+v\nwant %+v", round, gotRep, wantRep)
		}
		for k, v := range wantBucket {
			if gotBucket[k] != v {
				t.Fatalf("round %d: %s differs", round, k)
			}
		}
		if len(gotBucket) != len(wantBucket) {
			t.Fatalf("round %d: %d keys, want %d", round, len(gotBucket), len(wantBucket))
		}
		for k := range gotBucket {
			kinds[k[:2]]++
		}
		kinds["changed"] += gotRep.Changed
	}
	if kinds["ev"] < 1000 || kinds["m/"] < 10000 || kinds["changed"] < 2000 {
		t.Fatalf("the scenarios do not exercise apply: %v", kinds)
	}
}

func TestApplyNamesARecordItCannotDecode(t *testing.T) {
	sc := applyScenario{stored: map[string][]byte{memberPrefix + "p1": {codec.Version, 0xa1, 0x01, 0x01}},
		members: []segments.Membership{{ProfileID: "p2"}}}
	st, err := store.Open(filepath.Join(t.TempDir(), "cohortd.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.Put(ctx, store.Memberships, []byte(memberPrefix+"p1"), sc.stored[memberPrefix+"p1"]); err != nil {
		t.Fatal(err)
	}
	err = st.Update(ctx, func(tx *store.Tx) error { return apply(tx, sc.members, t0, "full recompute", true, &Report{}) })
	if err == nil || !strings.Contains(err.Error(), "decode m/p1") {
		t.Fatalf("error %v, want one naming m/p1", err)
	}
}
