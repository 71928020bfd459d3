package outbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

// enqueueOneByOne is how EnqueueTx wrote items before writeItems: each item on its own, in
// input order, reading the pending one through the index and writing its keys at once. It is
// the model writeItems must match byte for byte.
func enqueueOneByOne(tx *store.Tx, items []Item, now time.Time) error {
	for _, it := range items {
		rev, err := tx.NextSequence(store.Outbox)
		if err != nil {
			return err
		}
		cur, found, err := pendingByKey(tx, it.Destination, it.Key)
		if err != nil {
			return err
		}
		next := Item{Destination: it.Destination, Key: it.Key, Payload: it.Payload, Summary: it.Summary, Rev: rev}
		if found {
			next.Seq, next.Enqueued, next.NextAttempt = cur.Seq, cur.Enqueued, cur.NextAttempt
			next.Attempts, next.LastError, next.LastAttempt = cur.Attempts, cur.LastError, cur.LastAttempt
			next.Replaced = cur.Replaced + 1
			if err := tx.PutValue(store.Outbox, queueKey(next.Destination, next.Seq), &next); err != nil {
				return err
			}
			continue
		}
		next.Seq, next.Enqueued, next.NextAttempt = rev, now, now
		if err := putPending(tx, &next); err != nil {
			return err
		}
	}
	return nil
}

// outboxDump is every key and value of the outbox bucket, in order, and its sequence.
func outboxDump(t *testing.T, st *store.Store) (dump []string, seq uint64) {
	t.Helper()
	errPeek := errors.New("peek")
	err := st.Update(context.Background(), func(tx *store.Tx) error {
		if err := tx.ForEach(store.Outbox, func(k, v []byte) error {
			dump = append(dump, fmt.Sprintf("%q=%x", k, v))
			return nil
		}); err != nil {
			return err
		}
		var err error
		if seq, err = tx.NextSequence(store.Outbox); err != nil {
			return err
		}
		return errPeek // roll back the sequence
	})
	if !errors.Is(err, errPeek) {
		t.Fatal(err)
	}
	return dump, seq - 1
}

// twinStores are two data files that are given the same history, except that batches go
// through writeItems in one and enqueueOneByOne in the other.
type twinStores struct {
	t            *testing.T
	batched, one *store.Store
}

func newTwins(t *testing.T) *twinStores {
	a, _ := openStore(t)
	b, _ := openStore(t)
	return &twinStores{t: t, batched: a, one: b}
}

// both runs fn on each store.
func (s *twinStores) both(fn func(tx *store.Tx) error) {
	s.t.Helper()
	for _, st := range []*store.Store{s.batched, s.one} {
		if err := st.Update(context.Background(), fn); err != nil {
			s.t.Fatal(err)
		}
	}
}

// enqueue writes items at now, batched in one store and one by one in the other.
func (s *twinStores) enqueue(items []Item, now time.Time) {
	s.t.Helper()
	if err := s.batched.Update(context.Background(), func(tx *store.Tx) error { return writeItems(tx, items, now) }); err != nil {
		s.t.Fatal(err)
	}
	if err := s.one.Update(context.Background(), func(tx *store.Tx) error { return enqueueOneByOne(tx, items, now) }); err != nil {
		s.t.Fatal(err)
	}
}

func (s *twinStores) check(what string) {
	s.t.Helper()
	got, gotSeq := outboxDump(s.t, s.batched)
	want, wantSeq := outboxDump(s.t, s.one)
	if gotSeq != wantSeq {
		s.t.Fatalf("%s: sequence %d, one by one %d", what, gotSeq, wantSeq)
	}
	if !slices.Equal(got, want) {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				s.t.Fatalf("%s: %d keys, one by one %d; first difference at %d:\n got %s\nwant %s", what, len(got), len(want), i, got[i], want[i])
			}
		}
		s.t.Fatalf("%s: %d keys, one by one %d", what, len(got), len(want))
	}
	if len(got) == 0 {
		s.t.Fatalf("%s: empty outbox; the test wrote nothing", what)
	}
}

func TestBatchedEnqueueWritesWhatOneByOneWrites(t *testing.T) {
	s := newTwins(t)
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	// Destinations whose names sort differently alone and with the separator ("a-b/" < "a/").
	s.enqueue([]Item{item("a", "customer/1", "v1"), item("a-b", "customer/1", "w1"), item("ab", "customer/2", "x1"),
		item("a", "customer/3", "v1"), item("a", "customer/4", "v1"), item("a", "customer/5", "v1")}, t0)
	s.check("first enqueue")

	// customer/3 failed twice and waits; customer/4's queue entry is gone but its index is
	// not (stale: enqueued again as new); customer/5 was delivered.
	s.both(func(tx *store.Tx) error {
		cur, _, err := pendingByKey(tx, "a", "customer/3")
		if err != nil {
			return err
		}
		cur.Attempts, cur.LastError, cur.LastAttempt = 2, "timeout", t0.Add(time.Second)
		if err := reschedule(tx, &cur, t0.Add(time.Hour)); err != nil {
			return err
		}
		four, _, err := pendingByKey(tx, "a", "customer/4")
		if err != nil {
			return err
		}
		if err := tx.Delete(store.Outbox, queueKey("a", four.Seq)); err != nil {
			return err
		}
		five, _, err := pendingByKey(tx, "a", "customer/5")
		if err != nil {
			return err
		}
		if err := deletePending(tx, &five); err != nil {
			return err
		}
		// customer/1 was written by a newer binary with a field this one does not know
		// (key 13): the fast decoder leaves it to the codec, which ignores the field.
		one, _, err := pendingByKey(tx, "a", "customer/1")
		if err != nil {
			return err
		}
		v, err := codec.Marshal(&one)
		if err != nil {
			return err
		}
		v[1]++                         // one more map entry
		v = append(v, 0x0d, 0x61, 'x') // 13: "x"
		return tx.Put(store.Outbox, queueKey("a", one.Seq), v)
	})
	s.check("history")

	// Out of order, with repeats of a pending key and of a new one, across destinations.
	t1 := t0.Add(time.Minute)
	s.enqueue([]Item{
		item("a", "customer/9", "v1"), item("a", "customer/3", "v2"), item("a-b", "customer/1", "w2"), item("a", "customer/1", "v2"),
		item("a", "customer/9", "v2"), item("a", "customer/4", "v2"), item("a", "customer/3", "v3"),
		item("ab", "customer/0", "x1"), item("a", "customer/5", "v2"), item("a", "customer/9", "v3"),
		{Destination: "a", Key: "customer/8"}, // no payload, no summary
	}, t1)
	s.check("second enqueue")
}

func TestBatchedEnqueueMatchesOneByOneOnRandomHistories(t *testing.T) {
	s := newTwins(t)
	r := rand.New(rand.NewPCG(5, 6))
	dests := []string{"tags-shop", "tags-shop-b", "news"}
	now := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	for round := range 6 {
		items := make([]Item, 400+r.IntN(800))
		for i := range items {
			key := fmt.Sprintf("customer/%d", r.IntN(700))
			items[i] = item(dests[r.IntN(len(dests))], key, fmt.Sprintf("r%d-%d", round, i))
		}
		if round%2 == 1 { // a sorted plan, as PlanTags gives
			slices.SortFunc(items, func(a, b Item) int {
				return bytes.Compare(indexKey(a.Destination, a.Key), indexKey(b.Destination, b.Key))
			})
		}
		now = now.Add(time.Duration(r.IntN(1000)) * time.Millisecond)
		s.enqueue(items, now)
		s.check(fmt.Sprintf("round %d", round))
		// Deliver some items, as Run would, so later rounds mix new and pending keys.
		s.both(func(tx *store.Tx) error {
			for _, it := range items[:len(items)/3] {
				cur, found, err := pendingByKey(tx, it.Destination, it.Key)
				if err != nil || !found {
					continue
				}
				if err := deletePending(tx, &cur); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

func TestHex16IsFixedWidthHex(t *testing.T) {
	for _, n := range []uint64{0, 1, 0xabcdef, 1 << 63, ^uint64(0)} {
		if got, want := string(appendHex16([]byte("x"), n)), "x"+fmt.Sprintf("%016x", n); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
}

func TestByteArenaSlicesStayPut(t *testing.T) {
	var a byteArena
	var got [][]byte
	for i := range 3 * arenaChunk / 100 {
		got = append(got, a.copy(bytes.Repeat([]byte{byte(i)}, 100)))
	}
	big := a.copy(make([]byte, 2*arenaChunk)) // larger than a chunk
	for i, b := range got {
		if len(b) != 100 || cap(b) != 100 || b[0] != byte(i) || b[99] != byte(i) {
			t.Fatalf("slice %d changed: len %d cap %d first %d", i, len(b), cap(b), b[0])
		}
	}
	if len(big) != 2*arenaChunk {
		t.Fatalf("big slice of %d bytes", len(big))
	}
}

func TestEnqueueOverSeveralTransactions(t *testing.T) {
	st, _ := openStore(t)
	ob := New(st, Options{})
	n := 2*EnqueueChunk + 3
	items := make([]Item, n)
	for i := range n - 1 {
		items[i] = item("shop", fmt.Sprintf("customer/%06d", i), "v1")
	}
	items[n-1] = item("shop", "customer/000000", "v2") // replaces the first, two transactions later
	if err := ob.Enqueue(context.Background(), items...); err != nil {
		t.Fatal(err)
	}
	got := pending(t, st, "shop")
	if len(got) != n-1 {
		t.Fatalf("%d pending, want %d", len(got), n-1)
	}
	first, last := got[0], got[len(got)-1]
	if first.Key != "customer/000000" || string(first.Payload) != "v2" || first.Seq != 1 || first.Rev != uint64(n) || first.Replaced != 1 {
		t.Errorf("first item %+v: want customer/000000 at seq 1 with v2, rev %d, replaced once", first, n)
	}
	if want := fmt.Sprintf("customer/%06d", n-2); last.Key != want || last.Seq != uint64(n-1) || last.Rev != last.Seq {
		t.Errorf("last item %s seq %d rev %d, want %s at seq and rev %d", last.Key, last.Seq, last.Rev, want, n-1)
	}
}
