package ingest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/internal/storedump"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
)

// derived returns what a rebuild writes: the profiles, indexes and merge audit buckets.
func derived(t *testing.T, st *store.Store) []string {
	t.Helper()
	out, err := storedump.Lines(st, store.Profiles, store.Indexes, store.MergeAudit)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// digestRun stores customers then orders through two Writers keeping digests in d, as a
// backfill does (CustomersDone between them).
func digestRun(t *testing.T, st *store.Store, d *Digests, cs []profiles.CustomerRecord, os []profiles.OrderRecord) {
	t.Helper()
	digestAll(t, st, d, cs)
	if err := d.CustomersDone(); err != nil {
		t.Fatal(err)
	}
	digestAll(t, st, d, os)
}

// digestAll stores recs through a Writer keeping digests in d (d.Encode, AddEncoded).
func digestAll[R any](t *testing.T, st *store.Store, d *Digests, recs []R) {
	t.Helper()
	ctx := context.Background()
	w := NewWriter(st, 2)
	w.ReplaceOrders, w.Digests = true, d
	for i := range recs {
		e, err := d.Encode(&recs[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := w.AddEncoded(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// digestRecords are a backfill's records: customers and orders read twice (a newer version
// replacing, an older one refused), guests, accounts with empty fields their orders fill,
// dates in UTC as connectors give them and in a zone (digested from their encoding).
func digestRecords() ([]profiles.CustomerRecord, []profiles.OrderRecord) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		london = time.FixedZone("", 3600)
	}
	cs := []profiles.CustomerRecord{
		{Store: "shop", ID: "1", Email: "ann@example.org", FirstName: "Ann", UpdatedAt: t0},
		{Store: "shop", ID: "2", Email: "bob@example.org", FirstName: "Bob", LastName: "Ray", Phone: "+44 20 7946 0018",
			Addresses: []profiles.Address{{Address1: "1 High St", City: "Leeds", Country: "GB"}}, UpdatedAt: t0},
		{Store: "shop", ID: "3", Email: "cy@example.org", UpdatedAt: t0.In(london), CreatedAt: t0.In(london)},
		{Store: "shop", ID: "1", Email: "ann@example.org", FirstName: "Annabel", LastName: "Lee", UpdatedAt: t1},  // newer
		{Store: "shop", ID: "2", Email: "robert@example.org", FirstName: "Robert", UpdatedAt: t0.Add(-time.Hour)}, // older
		{Store: "shop", ID: "4", Email: "ANN@example.org ", FirstName: "Ann", LastName: "Lee", UpdatedAt: t0},
	}
	order := func(id, cust, email string, day int, total string, loc *time.Location) profiles.OrderRecord {
		at := time.Date(2024, 6, day, 10, 30, 0, 0, loc) // London is at +01:00
		return profiles.OrderRecord{Store: "shop", ID: id, CustomerID: cust, Email: email, Currency: "GBP",
			CreatedAt: at, UpdatedAt: at, Total: decimal.RequireFromString(total), Refunded: decimal.Zero,
			Shipping:  profiles.Address{FirstName: "Ann", LastName: "Lee", Address1: "9 Low Rd", Postcode: "LS1 1AA", Country: "GB", Phone: "020 7946 0018"},
			BrowserIP: "203.0.113.7", UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)",
			Lines: []profiles.LineItem{{Title: "Tea", ProductType: "Tea", Quantity: 2, Price: decimal.RequireFromString("3.50")}}}
	}
	older := order("101", "1", "", 3, "12.00", time.UTC)
	older.UpdatedAt = older.UpdatedAt.Add(-time.Hour)
	os := []profiles.OrderRecord{
		order("100", "1", "", 1, "7.00", time.UTC),
		order("101", "1", "", 2, "9.50", time.UTC),
		order("102", "", "ann@example.org", 3, "4.25", london),   // a guest, its date in a zone
		order("103", "", "ANN@EXAMPLE.ORG", 4, "4.25", time.UTC), // another guest, the same person
		order("104", "3", "", 5, "15.00", london),                // fills customer 3's empty fields
		order("105", "9", "", 6, "1.00", time.UTC),               // an account with no customer record
		order("100", "1", "", 1, "8.00", time.UTC),               // newer: replaces 100
		older, // older than 101 stored: refused
	}
	os[6].UpdatedAt = os[6].UpdatedAt.Add(time.Hour)
	return cs, os
}

// Rebuilt from the digests a backfill kept, the profiles, indexes and merge audit are those
// Rebuild makes from the store: byte for byte, whatever the backfill stored twice or refused.
func TestRebuildDigestsMatchesRebuild(t *testing.T) {
	defer func(n int) { factChunk = n }(factChunk)
	factChunk = 3 // the orders' facts in several chunks
	ctx := context.Background()
	st := openStore(t)
	opts := buildOpts(t)
	d := NewDigests(opts)
	cs, os := digestRecords()
	digestRun(t, st, d, cs, os)
	if ok, why := d.Usable(); !ok {
		t.Fatalf("digests not usable: %s", why)
	}
	res, fromDigests, err := RebuildDigests(ctx, st, opts, d)
	if err != nil || !fromDigests {
		t.Fatalf("RebuildDigests: from digests %v, %v", fromDigests, err)
	}
	got := derived(t, st)
	full, err := Rebuild(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := derived(t, st)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("from digests:\n%s\nfrom the store:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if res.Quality.Profiles != full.Quality.Profiles || res.Quality.Identities != full.Quality.Identities ||
		full.Quality.Identities-full.Quality.Profiles == 0 {
		t.Errorf("quality from digests %+v, from the store %+v (want merges)", res.Quality, full.Quality)
	}
	// Used once: a second rebuild reads the store.
	if _, fromDigests, err := RebuildDigests(ctx, st, opts, d); err != nil || fromDigests {
		t.Errorf("second RebuildDigests: from digests %v, %v", fromDigests, err)
	}
}

// The digests stand for the store only when their Writers stored every record of it, through
// Encode, customers before orders: otherwise they give up and the rebuild reads the store.
func TestDigestsGiveUpWhenTheyCannotStandForTheStore(t *testing.T) {
	ctx := context.Background()
	opts := buildOpts(t)
	cs, os := digestRecords()
	cases := map[string]func(t *testing.T, st *store.Store, d *Digests){
		"records stored before": func(t *testing.T, st *store.Store, d *Digests) {
			runWriter(t, st, 2, false, cs[:1], nil)
			digestRun(t, st, d, cs, os)
		},
		"a record added without its digest": func(t *testing.T, st *store.Store, d *Digests) {
			w := NewWriter(st, 2)
			w.Digests = d
			if err := w.AddCustomer(ctx, cs[0]); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			digestRun(t, st, d, cs[1:], os)
		},
		"an order before the customers were done": func(t *testing.T, st *store.Store, d *Digests) {
			if _, err := d.Encode(&os[0]); err != nil {
				t.Fatal(err)
			}
			digestRun(t, st, d, cs, os)
		},
		"a customer after the customers were done": func(t *testing.T, st *store.Store, d *Digests) {
			digestRun(t, st, d, cs, os)
			if _, err := d.Encode(&cs[0]); err != nil {
				t.Fatal(err)
			}
		},
		"the customers never done": func(t *testing.T, st *store.Store, d *Digests) {
			runWriter(t, st, 2, false, nil, nil)
		},
		"voided": func(t *testing.T, st *store.Store, d *Digests) {
			digestRun(t, st, d, cs, os)
			d.Void("a store backfilled before")
		},
	}
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			st := openStore(t)
			d := NewDigests(opts)
			run(t, st, d)
			if ok, why := d.Usable(); ok || why == "" {
				t.Fatalf("usable %v (%q)", ok, why)
			}
			if _, fromDigests, err := RebuildDigests(ctx, st, opts, d); err != nil || fromDigests {
				t.Fatalf("RebuildDigests: from digests %v, %v", fromDigests, err)
			}
		})
	}
	// An order the store cannot give back fails the rebuild as Rebuild fails.
	st := openStore(t)
	d := NewDigests(opts)
	bad := os[0]
	bad.Lines = []profiles.LineItem{{ProductType: "caf\xe9", Quantity: 1, Price: decimal.Zero}}
	digestRun(t, st, d, cs, []profiles.OrderRecord{bad})
	_, fromDigests, errDigests := RebuildDigests(ctx, st, opts, d)
	_, errFull := Rebuild(ctx, st, opts)
	if fromDigests || errDigests == nil || errFull == nil || errDigests.Error() != errFull.Error() {
		t.Errorf("undecodable order: from digests %v, %v; Rebuild: %v", fromDigests, errDigests, errFull)
	}
}
