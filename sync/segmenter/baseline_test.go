package segmenter

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohortd/cohortd/segments"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

// countdownCtx is a context whose Err turns Canceled after its first n calls: store.Update
// asks it once per transaction, so a storeFull under it stops after n transactions, as a
// process killed between two of them would.
type countdownCtx struct {
	context.Context
	left atomic.Int32
}

func (c *countdownCtx) Err() error {
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func openScenario(t *testing.T, sc applyScenario) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "cohortd.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	err = st.Update(context.Background(), func(tx *store.Tx) error {
		for k, v := range sc.stored {
			if err := tx.Put(store.Memberships, []byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func bucketOf(t *testing.T, st *store.Store) map[string]string {
	t.Helper()
	bucket := map[string]string{}
	err := st.View(func(tx *store.Tx) error {
		return tx.ForEach(store.Memberships, func(k, v []byte) error {
			bucket[string(k)] = string(v)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return bucket
}

// A baseline written a part at a time leaves the store and the report as one transaction
// does (applyBefore), and so does a later recompute (one transaction).
func TestBaselineInPartsWritesWhatOneTransactionDoes(t *testing.T) {
	defer func(n int) { baselineTxChanges = n }(baselineTxChanges)
	baselineTxChanges = 700
	rng := rand.New(rand.NewPCG(5, 6))
	for round, baseline := range []bool{true, true, false} {
		sc := randomScenario(rng, 5000, baseline)
		st := openScenario(t, sc)
		var got Report
		if err := storeFull(context.Background(), st, sc.members, t0, &got); err != nil {
			t.Fatal(err)
		}
		want, wantRep := runApply(t, sc, applyBefore)
		if !reflect.DeepEqual(got, wantRep) {
			t.Fatalf("round %d: report\n got %+v\nwant %+v", round, got, wantRep)
		}
		if gotBucket := bucketOf(t, st); !reflect.DeepEqual(gotBucket, want) {
			t.Fatalf("round %d: %d keys, want %d (or other values)", round, len(gotBucket), len(want))
		}
		if got.Changed < 3*baselineTxChanges {
			t.Fatalf("round %d: %d changed: not enough for several parts", round, got.Changed)
		}
	}
}

// A baseline stopped after two of its transactions has written two parts of records and no
// size snapshot (the store still has no baseline); the next recompute finishes it: every
// member's segments, the baseline's sizes and still no events.
func TestBaselineStoppedHalfWayIsFinishedByTheNext(t *testing.T) {
	defer func(n int) { baselineTxChanges = n }(baselineTxChanges)
	baselineTxChanges = 1000
	sc := randomScenario(rand.New(rand.NewPCG(9, 10)), 6000, true)
	sc.stored = map[string][]byte{} // a store's first recompute
	seen := map[string]bool{}       // one record per member
	sc.members = slices.DeleteFunc(sc.members, func(m segments.Membership) bool {
		dup := seen[m.ProfileID]
		seen[m.ProfileID] = true
		return dup
	})
	st := openScenario(t, sc)
	ctx := &countdownCtx{Context: context.Background()}
	ctx.left.Store(2)
	if err := storeFull(ctx, st, sc.members, t0, &Report{}); err == nil {
		t.Fatal("storeFull went on after its context ended")
	}
	half := bucketOf(t, st)
	if len(half) != 2*baselineTxChanges {
		t.Fatalf("%d keys after two transactions, want %d records", len(half), 2*baselineTxChanges)
	}
	for k := range half {
		if !strings.HasPrefix(k, memberPrefix) {
			t.Fatalf("%s written before the last part", k)
		}
	}
	var rep Report
	if err := storeFull(context.Background(), st, sc.members, t0.Add(time.Hour), &rep); err != nil {
		t.Fatal(err)
	}
	want, wantRep := runApply(t, sc, applyBefore)
	if rep.Changed != wantRep.Changed-2*baselineTxChanges || !rep.Snapshot.Baseline ||
		!reflect.DeepEqual(rep.Snapshot.Sizes, wantRep.Snapshot.Sizes) {
		t.Fatalf("report %+v, want the sizes of %+v and %d changed", rep, wantRep, wantRep.Changed-2*baselineTxChanges)
	}
	got := bucketOf(t, st)
	if len(got) != len(want) {
		t.Fatalf("%d keys, want %d", len(got), len(want))
	}
	if _, ok := got[sizePrefix+t0.Add(time.Hour).UTC().Format(timeLayout)]; !ok {
		t.Fatal("no size snapshot at the second recompute")
	}
	for k, v := range want {
		if !strings.HasPrefix(k, memberPrefix) {
			continue // the snapshot (the only other key: got has as many), at another time
		}
		var a, b Record
		if err := codec.Unmarshal([]byte(got[k]), &a); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if err := codec.Unmarshal([]byte(v), &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a.Segments, b.Segments) || !a.Props.Equal(b.Props) {
			t.Fatalf("%s: %+v, want %+v", k, a, b)
		}
		if _, early := half[k]; early != a.Since.Equal(t0) {
			t.Fatalf("%s: since %v (written in the first run: %v)", k, a.Since, early)
		}
	}
}
