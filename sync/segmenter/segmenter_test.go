package segmenter

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/segments"
	"github.com/cohortd/cohortd/store"
)

var t0 = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)

func prof(id, email string, lastAgoDays int, amounts ...string) profiles.Profile {
	p := profiles.Profile{ID: id, Emails: []profiles.EmailValue{{Address: email}},
		Addresses: []profiles.CleanAddress{{CountryCode: "GB", Continent: "EU"}}}
	if email == "" {
		p.Emails = nil
	}
	for i, a := range amounts {
		at := t0.Add(-time.Duration(lastAgoDays+10*(len(amounts)-1-i)) * 24 * time.Hour)
		d := decimal.RequireFromString(a)
		p.Orders = append(p.Orders, profiles.CompactOrder{ID: id + "/" + a, At: at, Currency: "GBP", Net: d, NetBase: d, Converted: true})
		s := &p.Summary
		s.Orders++
		if s.FirstOrder.IsZero() {
			s.FirstOrder = at
		}
		s.LastOrder = at
		s.TotalBase = s.TotalBase.Add(d)
		if s.Totals == nil {
			s.Totals = map[string]decimal.Decimal{}
		}
		s.Totals["GBP"] = s.Totals["GBP"].Add(d)
	}
	return p
}

func openStore(t *testing.T, ps ...profiles.Profile) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "cohortd.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	put(t, st, ps...)
	return st
}

func put(t *testing.T, st *store.Store, ps ...profiles.Profile) {
	t.Helper()
	for _, p := range ps {
		if err := st.PutValue(context.Background(), store.Profiles, []byte(p.ID), p); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRecomputeHistoryAndDiff(t *testing.T) {
	ctx := context.Background()
	st := openStore(t,
		prof("p1", "ann@example.com", 5, "100", "120", "90", "300", "80"), // frequent, recent
		prof("p2", "bob@example.com", 60, "20"),
		prof("p3", "", 100, "40", "45"), // no email: never sent to an email platform
		prof("p4", "dee@example.com", 200, "500"),
	)
	cfg, err := config.Parse("cohortd.yaml", []byte(`destinations:
  - id: news
    kind: listmonk
    url: http://127.0.0.1:9000
    username: u
    token: t
    segments: [lifecycle-active, lifecycle-dormant, vip]
segments:
  custom:
    - name: vip
      when: total_spent >= 400
`))
	if err != nil {
		t.Fatal(err)
	}
	opts, err := BuildOptions(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Recompute(ctx, st, opts, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Snapshot.Baseline || rep.Snapshot.Profiles != 4 || rep.Changed != 4 || rep.Snapshot.Sizes["lifecycle-active"] != 2 ||
		rep.Snapshot.Sizes["vip"] != 2 || rep.Snapshot.Sizes["lifecycle-lost"] != 1 || rep.Snapshot.Sizes["lifecycle-dormant"] != 1 {
		t.Fatalf("first recompute: %+v", rep.Snapshot)
	}
	if rep.Model.Prediction.OK || rep.Model.Customers != 4 {
		t.Errorf("4 customers cannot fit a model: %+v", rep.Model)
	}

	// Diff against a destination never told anything: adds for members with an email.
	d, err := Diff(st, cfg, "news")
	if err != nil {
		t.Fatal(err)
	}
	if d.Skipped != 1 || len(d.Profiles) != 3 || d.Adds["lifecycle-active"] != 2 || d.Adds["vip"] != 2 || d.Adds["lifecycle-dormant"] != 0 {
		t.Fatalf("diff: %+v", d)
	}
	if p := d.Profiles[0]; p.ProfileID != "p1" || p.Email != "ann@example.com" || !slices.Equal(p.Add, []string{"lifecycle-active", "vip"}) ||
		p.Props == nil || p.Props.Lifecycle != "active" || p.Props.PAlive != -1 || d.PropUpdates != 3 {
		t.Errorf("p1 diff: %+v %+v (%d property updates)", p, p.Props, d.PropUpdates)
	}
	// Once the destination was told, only changes remain.
	err = st.Update(ctx, func(tx *store.Tx) error {
		for _, p := range d.Profiles {
			if err := tx.PutValue(store.Applied, []byte(appliedPrefix+"news/"+p.ProfileID), Record{Segments: p.Add, Props: *p.Props}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := Diff(st, cfg, "news"); err != nil || len(d.Profiles) != 0 {
		t.Fatalf("diff after apply: %+v %v", d, err)
	}
	if _, err := Diff(st, cfg, "nope"); err == nil || err.Error() != `no destination "nope" in the config (destinations: news)` {
		t.Errorf("unknown destination: %v", err)
	}

	// 40 days later: p2 (60 → 100 days) goes dormant; p5 is new; p4 is gone.
	put(t, st, prof("p5", "eve@example.com", -39, "30")) // ordered yesterday
	if err := st.Delete(ctx, store.Profiles, []byte("p4")); err != nil {
		t.Fatal(err)
	}
	rep, err = Recompute(ctx, st, opts, t0.Add(40*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Snapshot.Baseline || rep.Snapshot.Profiles != 4 || rep.Snapshot.Sizes["vip"] != 1 {
		t.Fatalf("second recompute: %+v", rep.Snapshot)
	}
	snaps, mv, err := History(st, "lifecycle-dormant")
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 2 || snaps[0].Sizes["lifecycle-dormant"] != 1 || snaps[1].Sizes["lifecycle-dormant"] != 2 {
		t.Errorf("sizes: %+v", snaps)
	}
	// p2 came in from active; p3 (100 → 140 days) stayed dormant.
	if mv.In["lifecycle-active"] != 1 || len(mv.Out) != 0 {
		t.Errorf("movement: %+v", mv)
	}
	_, mv, _ = History(st, "vip")
	if mv.Out["(profile removed)"] != 1 {
		t.Errorf("vip movement: %+v", mv)
	}
	_, mv, _ = History(st, "lifecycle-new")
	if mv.In["(new profile)"] != 1 {
		t.Errorf("new movement: %+v", mv)
	}
	// The diff now removes what the destination has of p2's and p4's old segments.
	d, err = Diff(st, cfg, "news")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ProfileDiff{}
	for _, p := range d.Profiles {
		got[p.ProfileID] = p
	}
	if p := got["p2"]; !slices.Equal(p.Add, []string{"lifecycle-dormant"}) || !slices.Equal(p.Remove, []string{"lifecycle-active"}) {
		t.Errorf("p2: %+v", p)
	}
	if p := got["p4"]; !slices.Equal(p.Remove, []string{"vip"}) {
		t.Errorf("p4 (removed): %+v", p)
	}
	if m, ok, err := LastModel(st); !ok || err != nil || m.Profiles != 4 {
		t.Errorf("model: %+v %v %v", m, ok, err)
	}
}

// The config's defaults and package segments' defaults are the same numbers.
func TestDefaultsAgree(t *testing.T) {
	o, err := BuildOptions(config.Default())
	if err != nil {
		t.Fatal(err)
	}
	d := segments.DefaultOptions()
	o.Custom, d.Custom, d.Location = nil, nil, time.UTC
	if !reflect.DeepEqual(o, d) {
		t.Errorf("config defaults %+v\nsegments defaults %+v", o, d)
	}
}

// A Segmenter's incremental updates are stored as events and memberships, and its next full
// recompute (from the features in memory) gives what a recompute from the store gives.
func TestSegmenterUpdateThenRecompute(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, prof("p1", "ann@example.com", 5, "100", "120"), prof("p2", "bob@example.com", 60, "20"))
	sg := New(st, segments.Options{})
	if _, err := sg.Recompute(ctx, t0); err != nil {
		t.Fatal(err)
	}
	// p2 orders again; p3 is new.
	p2 := prof("p2", "bob@example.com", 0, "20", "70")
	p3 := prof("p3", "cy@example.com", 0, "15")
	put(t, st, p2, p3)
	changes, err := sg.Update(ctx, []*profiles.Profile{&p2, &p3}, nil, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 2 || changes[0].ProfileID != "p2" || changes[1].ProfileID != "p3" || changes[1].Before != nil {
		t.Fatalf("changes: %+v", changes)
	}
	rec, ok, err := ProfileSegments(st, "p2")
	// p2's orders are now 10 days and 0 days old: new (first order within 30 days).
	if !ok || err != nil || !slices.Contains(rec.Segments, "lifecycle-new") || slices.Contains(rec.Segments, "lifecycle-dormant") {
		t.Fatalf("p2 stored: %+v %v %v", rec, ok, err)
	}
	_, mv, _ := History(st, "lifecycle-new")
	if mv.In["lifecycle-active"] != 1 || mv.In["(new profile)"] != 1 { // p2 was active (60 days)
		t.Errorf("movement into new: %+v", mv)
	}
	later := t0.Add(3 * 24 * time.Hour)
	fromMemory, err := sg.Recompute(ctx, later)
	if err != nil {
		t.Fatal(err)
	}
	fromStore, err := Recompute(ctx, st, segments.Options{}, later)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromMemory.Snapshot.Sizes, fromStore.Snapshot.Sizes) || fromStore.Changed != 0 {
		t.Errorf("from memory %v, from the store %v (changed %d)", fromMemory.Snapshot.Sizes, fromStore.Snapshot.Sizes, fromStore.Changed)
	}
}
