package outbox

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cohortd/cohortd/store"
)

// openStore opens a fresh data file in t's temp dir (NoSync: these tests do not pull the plug).
func openStore(t *testing.T) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cohortd.db")
	st, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st, path
}

func item(dest, key, payload string) Item {
	return Item{Destination: dest, Key: key, Payload: []byte(payload), Summary: "change " + key}
}

func keysOf(items []Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Key
	}
	return out
}

func pending(t *testing.T, st *store.Store, dest string) []Item {
	t.Helper()
	items, err := Pending(st, dest)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func TestEnqueueIsDurableAndOrderedAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cohortd.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ob := New(st, Options{})
	ctx := context.Background()
	var want []string
	for i := range 12 {
		key := fmt.Sprintf("customer/%d", 900-i) // FIFO, not key order
		want = append(want, key)
		if err := ob.Enqueue(ctx, item("shop", key, "p"+key)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ob.Enqueue(ctx, item("news", "member/1", "x")); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got := pending(t, st, "shop")
	if !slices.Equal(keysOf(got), want) {
		t.Fatalf("after reopen: keys %v, want %v", keysOf(got), want)
	}
	for _, it := range got {
		if string(it.Payload) != "p"+it.Key || it.Destination != "shop" || it.Enqueued.IsZero() || it.NextAttempt.IsZero() {
			t.Errorf("item %+v not restored", it)
		}
	}
	if n := len(pending(t, st, "news")); n != 1 {
		t.Errorf("news has %d items, want 1", n)
	}
}

func TestEnqueueCoalescesByKey(t *testing.T) {
	st, _ := openStore(t)
	clock := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	ob := New(st, Options{Now: func() time.Time { return clock }})
	ctx := context.Background()
	for _, it := range []Item{item("shop", "customer/1", "v1"), item("shop", "customer/2", "a"), item("news", "customer/1", "other")} {
		if err := ob.Enqueue(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	first := pending(t, st, "shop")[0]
	clock = clock.Add(time.Minute)
	// Two more changes of customer/1, one of them twice in the same call.
	if err := ob.Enqueue(ctx, item("shop", "customer/1", "v2"), item("shop", "customer/1", "v3")); err != nil {
		t.Fatal(err)
	}
	got := pending(t, st, "shop")
	if !slices.Equal(keysOf(got), []string{"customer/1", "customer/2"}) {
		t.Fatalf("keys %v: coalescing must keep one item per key in its first position", keysOf(got))
	}
	c1 := got[0]
	if string(c1.Payload) != "v3" || c1.Replaced != 2 {
		t.Errorf("customer/1: payload %q replaced %d, want v3 replaced 2", c1.Payload, c1.Replaced)
	}
	if !c1.Enqueued.Equal(first.Enqueued) || c1.Seq != first.Seq || c1.Rev == first.Rev {
		t.Errorf("customer/1: enqueued %v seq %d rev %d; want first enqueue %v, seq %d, a new rev",
			c1.Enqueued, c1.Seq, c1.Rev, first.Enqueued, first.Seq)
	}
	if other := pending(t, st, "news"); len(other) != 1 || string(other[0].Payload) != "other" {
		t.Errorf("the same key of another destination was touched: %+v", other)
	}
	// The schedule holds one entry per pending item, not one per enqueue.
	batch, _, err := dueItems(st, "shop", clock, 100)
	if err != nil || len(batch) != 2 {
		t.Errorf("due items: %d (%v), want 2", len(batch), err)
	}
}

func TestEnqueueKeepsBackoffOfReplacedItem(t *testing.T) {
	st, _ := openStore(t)
	ob := New(st, Options{})
	ctx := context.Background()
	if err := ob.Enqueue(ctx, item("shop", "customer/1", "v1")); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour).UTC()
	err := st.Update(ctx, func(tx *store.Tx) error {
		cur, _, err := pendingByKey(tx, "shop", "customer/1")
		if err != nil {
			return err
		}
		cur.Attempts, cur.LastError = 3, "boom"
		return reschedule(tx, &cur, later)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := ob.Enqueue(ctx, item("shop", "customer/1", "v2")); err != nil {
		t.Fatal(err)
	}
	it := pending(t, st, "shop")[0]
	if it.Attempts != 3 || it.LastError != "boom" || !it.NextAttempt.Equal(later) || string(it.Payload) != "v2" {
		t.Errorf("replaced item %+v: want v2 with attempts 3 and the same next attempt", it)
	}
	if batch, next, _ := dueItems(st, "shop", time.Now(), 10); len(batch) != 0 || !next.Equal(later) {
		t.Errorf("due now: %d items, next %v; want none until %v", len(batch), next, later)
	}
}

func TestEnqueueTxCommitsWithTheCallersWrites(t *testing.T) {
	st, _ := openStore(t)
	ob := New(st, Options{})
	ctx := context.Background()
	boom := errors.New("diff failed")
	err := st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.Put(store.Applied, []byte("marker"), []byte("1")); err != nil {
			return err
		}
		if err := ob.EnqueueTx(tx, item("shop", "customer/1", "v1")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("update: %v", err)
	}
	if n := len(pending(t, st, "shop")); n != 0 {
		t.Fatalf("rolled-back transaction left %d items", n)
	}
	err = st.Update(ctx, func(tx *store.Tx) error { return ob.EnqueueTx(tx, item("shop", "customer/1", "v1")) })
	if err != nil {
		t.Fatal(err)
	}
	if n := len(pending(t, st, "shop")); n != 1 {
		t.Fatalf("committed transaction left %d items, want 1", n)
	}
}

func TestEnqueueRejectsInvalidItems(t *testing.T) {
	st, _ := openStore(t)
	ob := New(st, Options{})
	for _, it := range []Item{
		item("", "k", "p"),
		item("a/b", "k", "p"),
		item("shop", "", "p"),
		item("shop", string(make([]byte, MaxKeyLen+1)), "p"),
	} {
		if err := ob.Enqueue(context.Background(), item("shop", "ok", "p"), it); !errors.Is(err, ErrInvalidItem) {
			t.Errorf("enqueue %q/%q: %v, want ErrInvalidItem", it.Destination, it.Key, err)
		}
	}
	if n := len(pending(t, st, "shop")); n != 0 {
		t.Errorf("a call with an invalid item enqueued %d items", n)
	}
}
