package ingest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

// storedProfiles returns the profiles bucket, key and value.
func storedProfiles(t *testing.T, st *store.Store) []string {
	t.Helper()
	var out []string
	if err := st.View(func(tx *store.Tx) error {
		return tx.ForEach(store.Profiles, func(k, v []byte) error {
			out = append(out, fmt.Sprintf("%s=%x", k, v))
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// runWriter stores cs and os through a Writer committing every batch records, keeping them in
// memory for RebuildAfter when keep is set.
func runWriter(t *testing.T, st *store.Store, batch int, keep bool, cs []profiles.CustomerRecord, os []profiles.OrderRecord) *Writer {
	t.Helper()
	ctx := context.Background()
	w := NewWriter(st, batch)
	w.Keep = keep
	for _, c := range cs {
		if err := w.AddCustomer(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range os {
		if err := w.AddOrder(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return w
}

// RebuildAfter takes the run's records from memory and the others from the store: the profiles
// are those Rebuild makes from the store alone, whatever the run stored, joined, replayed or
// found older than what was stored.
func TestRebuildAfterMatchesRebuild(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	opts := buildOpts(t)
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		london = time.UTC
	}
	order := func(store, id, cust string, day int, total string, lines ...string) profiles.OrderRecord {
		o := profiles.OrderRecord{Store: store, ID: id, CustomerID: cust, Currency: "GBP", Refunded: decimal.Zero,
			CreatedAt: time.Date(2011, 6, day, 10, 30, 0, 0, london), Total: decimal.RequireFromString(total)}
		for _, l := range lines {
			o.Lines = append(o.Lines, profiles.LineItem{Title: l, Quantity: 2, Price: decimal.RequireFromString("1.50")})
		}
		return o
	}
	// An earlier run, in another store too.
	runWriter(t, st, 3, false,
		[]profiles.CustomerRecord{{Store: "shop", ID: "1", Email: "ann@example.org", FirstName: "Ann", UpdatedAt: t1}},
		[]profiles.OrderRecord{order("shop", "100", "1", 1, "10.00", "a"), order("retail", "5", "c9", 2, "3.00", "b")})
	if _, err := Rebuild(ctx, st, opts); err != nil {
		t.Fatal(err)
	}
	// This run: an order in two parts, a replayed order, an older customer, new records.
	older := profiles.CustomerRecord{Store: "shop", ID: "1", Email: "ann@example.org", FirstName: "Annabel", UpdatedAt: t0}
	w := runWriter(t, st, 3, true,
		[]profiles.CustomerRecord{older, {Store: "shop", ID: "2", Email: "bob@example.org", UpdatedAt: t1}},
		[]profiles.OrderRecord{
			order("retail", "7", "c1", 3, "4.50", "x"), order("retail", "8", "c2", 4, "1.00", "y"),
			order("retail", "7", "c1", 3, "6.00", "z", "w"), // the rest of order 7
			order("retail", "5", "c9", 2, "3.00", "b"),      // as stored
			order("shop", "101", "2", 5, "8.25"),
		})
	if w.Joined != 1 || w.Stale != 1 {
		t.Fatalf("joined %d, stale %d", w.Joined, w.Stale)
	}
	after, err := RebuildAfter(ctx, st, opts, w)
	if err != nil {
		t.Fatal(err)
	}
	got := storedProfiles(t, st)
	full, err := Rebuild(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := storedProfiles(t, st)
	if len(got) == 0 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("RebuildAfter stored\n%v\nRebuild stores\n%v", got, want)
	}
	if after.Quality.Profiles != full.Quality.Profiles || after.Quality.Identities != full.Quality.Identities {
		t.Errorf("quality %+v, want %+v", after.Quality, full.Quality)
	}
}

// A record that the store cannot give back (text that is not UTF-8, in a field the rebuild
// reads) fails the rebuild after the import as it fails Rebuild, instead of being built from
// memory once and never again.
func TestRebuildAfterUndecodableRecordFailsLikeRebuild(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	w := runWriter(t, st, 3, true, nil, []profiles.OrderRecord{{Store: "s", ID: "1", CustomerID: "c", Currency: "GBP",
		CreatedAt: t0, Total: decimal.Zero, Lines: []profiles.LineItem{{ProductType: "caf\xe9", Quantity: 1, Price: decimal.Zero}}}})
	_, errAfter := RebuildAfter(ctx, st, buildOpts(t), w)
	_, errFull := Rebuild(ctx, st, buildOpts(t))
	if errAfter == nil || errFull == nil || errAfter.Error() != errFull.Error() {
		t.Errorf("RebuildAfter: %v; Rebuild: %v", errAfter, errFull)
	}
}

// codecMaxArray is the codec's limit: an order with more lines is stored but not read back.
func TestCodecMaxArray(t *testing.T) {
	for _, n := range []int{codecMaxArray, codecMaxArray + 1} {
		o := profiles.OrderRecord{Store: "s", ID: "1", Lines: make([]profiles.LineItem, n)}
		e := &encoder{}
		data, ok := e.appendOrder(nil, &o)
		if !ok {
			t.Fatal("not encoded")
		}
		want, err := codec.Marshal(o)
		if err != nil || !bytes.Equal(data, want) {
			t.Fatalf("%d lines: encoding differs (%v)", n, err)
		}
		var back profiles.OrderRecord
		if decodes := codec.Unmarshal(data, &back) == nil; decodes == e.undecodable {
			t.Errorf("%d lines: decodes %v, undecodable %v", n, decodes, e.undecodable)
		}
	}
}

// On an empty store RebuildAfter reads nothing back: the run's records are all there is, even
// those it stored twice or found older than its own earlier version.
func TestRebuildAfterFreshStore(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	opts := buildOpts(t)
	part := func(total string) profiles.OrderRecord {
		return profiles.OrderRecord{Store: "retail", ID: "9", CustomerID: "c1", CreatedAt: t0, Currency: "GBP",
			Total: decimal.RequireFromString(total), Refunded: decimal.Zero,
			Lines: []profiles.LineItem{{Title: total, Quantity: 1, Price: decimal.RequireFromString(total)}}}
	}
	w := runWriter(t, st, 3, true,
		[]profiles.CustomerRecord{
			{Store: "shop", ID: "1", Email: "ann@example.org", FirstName: "Ann", UpdatedAt: t1},
			{Store: "shop", ID: "1", Email: "ann@example.org", FirstName: "Annabel", UpdatedAt: t0}, // older: stale
		},
		[]profiles.OrderRecord{part("1.00"), {Store: "retail", ID: "10", CustomerID: "c2", CreatedAt: t1, Currency: "GBP",
			Total: decimal.RequireFromString("2.00"), Refunded: decimal.Zero}, part("2.50")})
	if !w.fresh || w.Joined != 1 || w.Stale != 1 {
		t.Fatalf("fresh %v, joined %d, stale %d", w.fresh, w.Joined, w.Stale)
	}
	if _, err := RebuildAfter(ctx, st, opts, w); err != nil {
		t.Fatal(err)
	}
	got := storedProfiles(t, st)
	if _, err := Rebuild(ctx, st, opts); err != nil {
		t.Fatal(err)
	}
	if want := storedProfiles(t, st); len(got) != 3 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("RebuildAfter stored\n%v\nRebuild stores\n%v", got, want)
	}
	// A second run on the same store is not fresh.
	if w := runWriter(t, st, 3, true, nil, []profiles.OrderRecord{part("1.00")}); w.fresh {
		t.Error("second run fresh")
	}
}
