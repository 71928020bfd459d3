package ingest

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "cohortd.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func buildOpts(t testing.TB) profiles.BuildOptions {
	t.Helper()
	opts, err := BuildOptions(config.Default())
	if err != nil {
		t.Fatal(err)
	}
	return opts
}

var (
	t0 = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	t1 = t0.Add(24 * time.Hour)
)

func records() ([]profiles.CustomerRecord, []profiles.OrderRecord) {
	return []profiles.CustomerRecord{
			{Store: "shop-a", ID: "1", Email: "ann@example.org", FirstName: "Ann", LastName: "Lee", UpdatedAt: t1},
			{Store: "woo-b", ID: "9", Email: "ANN@example.org ", FirstName: "Ann", LastName: "Lee", UpdatedAt: t0},
		}, []profiles.OrderRecord{
			{Store: "shop-a", ID: "500", CustomerID: "1", CreatedAt: t0, UpdatedAt: t0, Currency: "USD", Total: decimal.RequireFromString("40")},
		}
}

func write(t *testing.T, st *store.Store, cs []profiles.CustomerRecord, os []profiles.OrderRecord) *Writer {
	t.Helper()
	return runWriter(t, st, 1, false, cs, os)
}

func TestReimportIsIdempotentAndOlderNeverOverwrites(t *testing.T) {
	st := openStore(t)
	cs, os := records()
	if w := write(t, st, cs, os); w.Written != 3 || w.Stale != 0 {
		t.Fatalf("first import wrote %d, stale %d", w.Written, w.Stale)
	}
	if w := write(t, st, cs, os); w.Written != 0 || w.Stale != 0 {
		t.Fatalf("re-import wrote %d, stale %d; want nothing", w.Written, w.Stale)
	}
	// An older version of customer 1 (a replayed payload) must not overwrite the newer one.
	old := cs[0]
	old.FirstName, old.UpdatedAt = "Annabel", t0
	if w := write(t, st, []profiles.CustomerRecord{old}, nil); w.Written != 0 || w.Stale != 1 {
		t.Fatalf("older record: wrote %d, stale %d", w.Written, w.Stale)
	}
	customers, _, err := LoadRecords(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range customers {
		if c.ID == "1" && c.FirstName != "Ann" {
			t.Errorf("older payload overwrote newer: %q", c.FirstName)
		}
	}
	// A newer version replaces it.
	newer := cs[0]
	newer.LastName, newer.UpdatedAt = "Lee-Smith", t1.Add(time.Hour)
	if w := write(t, st, []profiles.CustomerRecord{newer}, nil); w.Written != 1 {
		t.Fatalf("newer record not written")
	}
}

func TestRebuildLookupQualityAndUnmergeHolds(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	cs, os := records()
	write(t, st, cs, os)
	res, err := Rebuild(ctx, st, buildOpts(t))
	if err != nil {
		t.Fatal(err)
	}
	if res.Quality.Profiles != 1 {
		t.Fatalf("%d profiles, want Ann's two accounts merged", res.Quality.Profiles)
	}
	p, err := Lookup(st, "Ann@Example.org")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Sources) != 2 || p.Summary.Orders != 1 || !p.Summary.TotalBase.Equal(decimal.RequireFromString("40")) {
		t.Fatalf("profile = %+v", p)
	}
	if byID, err := Lookup(st, p.ID); err != nil || byID.ID != p.ID {
		t.Fatalf("lookup by id: %v", err)
	}
	if bySrc, err := Lookup(st, "woo-b/customer/9"); err != nil || bySrc.ID != p.ID {
		t.Fatalf("lookup by source: %v", err)
	}
	audit, err := Audit(st, p.ID)
	if err != nil || len(audit) == 0 || audit[0].Reason == "" {
		t.Fatalf("audit = %+v, %v", audit, err)
	}
	q, err := LatestQuality(st)
	if err != nil || q.Profiles != 1 || q.Identities != 2 {
		t.Fatalf("quality = %+v, %v", q, err)
	}

	if _, err := Unmerge(ctx, st, p.ID); err != nil {
		t.Fatal(err)
	}
	if res, err = Rebuild(ctx, st, buildOpts(t)); err != nil || res.Quality.Profiles != 2 {
		t.Fatalf("after unmerge: %d profiles, %v; want 2", res.Quality.Profiles, err)
	}
	// Re-applying the same records (and a newer version of one) keeps the split.
	cs[1].UpdatedAt = t1.Add(2 * time.Hour)
	write(t, st, cs, os)
	if res, err = Rebuild(ctx, st, buildOpts(t)); err != nil || res.Quality.Profiles != 2 {
		t.Fatalf("after re-import: %d profiles, %v; the split must hold", res.Quality.Profiles, err)
	}
	if _, err := Lookup(st, "nobody@example.org"); !errors.Is(err, ErrNoProfile) {
		t.Errorf("unknown email: %v", err)
	}
}

func TestSplitOrderJoinedWithinOneRunAndReimportIdempotent(t *testing.T) {
	st := openStore(t)
	part := func(total string, line string) profiles.OrderRecord {
		return profiles.OrderRecord{Store: "retail", ID: "542806", CustomerID: "17850", CreatedAt: t0, Currency: "GBP",
			Total: decimal.RequireFromString(total), Lines: []profiles.LineItem{{Title: line, Quantity: 1, Price: decimal.RequireFromString(total)}}}
	}
	parts := []profiles.OrderRecord{part("47.70", "first rows"), part("788.91", "later rows")}
	check := func(w *Writer) {
		t.Helper()
		_, orders, err := LoadRecords(st)
		if err != nil {
			t.Fatal(err)
		}
		if len(orders) != 1 || !orders[0].Total.Equal(decimal.RequireFromString("836.61")) || len(orders[0].Lines) != 2 {
			t.Fatalf("orders = %+v (joined %d); want one order of 836.61 with 2 lines", orders, w.Joined)
		}
	}
	w := write(t, st, nil, parts)
	if w.Joined != 1 {
		t.Errorf("joined %d, want 1", w.Joined)
	}
	check(w)
	check(write(t, st, nil, parts)) // a second import of the same file
}

// Reports are ordered by time even when their timestamps have different sub-second digits
// (RFC 3339 with trimmed zeros would sort .1 after .12), and the history is capped.
func TestQualityHistoryOrderAndPruning(t *testing.T) {
	st := openStore(t)
	base := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	put := func(at time.Time, n int) {
		t.Helper()
		err := st.Update(context.Background(), func(tx *store.Tx) error {
			return putQuality(tx, profiles.Quality{At: at, Profiles: n})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	put(base.Add(120*time.Millisecond), 1)
	put(base.Add(100*time.Millisecond), 0)
	put(base.Add(time.Second), 2)
	q, err := LatestQuality(st)
	if err != nil || q.Profiles != 2 {
		t.Fatalf("latest = %+v, %v", q, err)
	}
	h, err := QualityHistory(st, 2)
	if err != nil || len(h) != 2 || h[0].Profiles != 1 || h[1].Profiles != 2 {
		t.Fatalf("last two = %+v, %v", h, err)
	}
	for i := 3; i < QualityHistoryLimit+5; i++ {
		put(base.Add(time.Duration(i)*time.Second), i)
	}
	h, err = QualityHistory(st, 0)
	if err != nil || len(h) != QualityHistoryLimit || h[0].Profiles != 5 || h[len(h)-1].Profiles != QualityHistoryLimit+4 {
		t.Fatalf("kept %d reports, first %d, last %d (%v)", len(h), h[0].Profiles, h[len(h)-1].Profiles, err)
	}
}
