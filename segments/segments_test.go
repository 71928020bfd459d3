package segments

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
)

func TestRFMGroupTableCoversEveryCellOnce(t *testing.T) {
	seen := map[string]int{}
	for r := 1; r <= 5; r++ {
		for fm := 1; fm <= 5; fm++ {
			g := RFMGroup(r, fm, fm) // F = M = FM
			if g == "" {
				t.Fatalf("R%d FM%d: no group", r, fm)
			}
			seen[g]++
		}
	}
	if got := slices.Sorted(maps.Keys(seen)); !slices.Equal(got, slices.Sorted(slices.Values(RFMGroups))) {
		t.Fatalf("groups used %v, documented %v", got, RFMGroups)
	}
	for _, c := range []struct {
		r, f, m int
		want    string
	}{
		{5, 5, 5, "champions"}, {5, 4, 3, "champions"}, {5, 1, 1, "new"}, {4, 1, 1, "promising"},
		{1, 5, 5, "cant-lose-them"}, {1, 1, 1, "lost"}, {2, 1, 2, "hibernating"}, {3, 3, 3, "need-attention"},
		{3, 1, 2, "about-to-sleep"}, {2, 5, 5, "at-risk"}, {4, 2, 3, "potential-loyalist"}, {4, 5, 4, "loyal"},
		{0, 3, 3, ""},
	} {
		if got := RFMGroup(c.r, c.f, c.m); got != c.want {
			t.Errorf("RFMGroup(%d,%d,%d) = %q, want %q", c.r, c.f, c.m, got, c.want)
		}
	}
}

func TestQuintileTiesAndBounds(t *testing.T) {
	// 10 values: four 1s, then 2..7. Equal values share the rank of the first of them.
	sorted := []float64{1, 1, 1, 1, 2, 3, 4, 5, 6, 7}
	for _, c := range []struct {
		v    float64
		want int
	}{{1, 1}, {2, 3}, {3, 3}, {4, 4}, {5, 4}, {6, 5}, {7, 5}, {100, 5}, {0, 1}} {
		if got := quintile(sorted, c.v); got != c.want {
			t.Errorf("quintile(%v) = %d, want %d", c.v, got, c.want)
		}
	}
	if quintile(nil, 3) != 0 {
		t.Error("empty population must score 0")
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Café Crème": "cafe-creme", "  Shoes & Bags ": "shoes-bags", "GB": "gb", "US-CA": "us-ca",
		"日本語": "", "": "", "a--b": "a-b", "Ünïcödé": "unicode",
	} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

var now0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func order(id string, at time.Time, amount string, typ string) profiles.CompactOrder {
	a := decimal.RequireFromString(amount)
	o := profiles.CompactOrder{ID: id, At: at, Currency: "EUR", Net: a, NetBase: a, Converted: true, Device: "mobile", Items: 1}
	if typ != "" {
		o.Types = []profiles.TypeSpend{{Type: typ, Spend: a}}
	}
	return o
}

func profileWith(id string, orders ...profiles.CompactOrder) *profiles.Profile {
	p := &profiles.Profile{
		ID:        id,
		Emails:    []profiles.EmailValue{{Address: id + "@example.fr"}},
		Addresses: []profiles.CleanAddress{{CountryCode: "FR", Continent: "EU"}},
		Locale:    "fr-FR",
		Orders:    orders,
	}
	p.Summary = summaryOf(orders)
	return p
}

func TestScoreOneProfileExactSegments(t *testing.T) {
	day := 24 * time.Hour
	// A population of four customers and one prospect.
	ps := []*profiles.Profile{
		profileWith("a", order("s/1", now0.Add(-400*day), "50", "Shoes"), order("s/2", now0.Add(-200*day), "30", "Bags"),
			order("s/3", now0.Add(-10*day), "40", "Shoes"), order("s/4", now0.Add(-5*day), "60", "Shoes"), order("s/5", now0.Add(-2*day), "70", "Shoes")),
		profileWith("b", order("s/6", now0.Add(-120*day), "20", "")),
		profileWith("c", order("s/7", now0.Add(-300*day), "500", "Bags"), order("s/8", now0.Add(-250*day), "10", "Bags")),
		profileWith("d", order("s/9", now0.Add(-20*day), "15", "")),
		{ID: "e", FirstSeen: now0.Add(-60 * day)},
	}
	res, err := Compute(context.Background(), ExtractAll(ps, Options{}), now0, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, m := range res.Members {
		got[m.ProfileID] = m.Segments
	}
	want := map[string][]string{
		// Four customers: score = 1 + floor(5 × below / 4), so 1..4. a: the most recent (3
		// below: R4), most orders (F4), 2nd-highest spend (2 below: M3); FM = 4 → loyal.
		"a": {"affinity-shoes", "aov-medium", "churn-low", "continent-eu", "country-fr", "currency-eur", "device-mobile", "frequency-high", "language-fr", "lifecycle-active", "rfm-loyal"},
		// b: AOV 20 has one of four below (25% < 1/3) → low; R2 F1 M2 → hibernating.
		"b": {"aov-low", "churn-medium", "continent-eu", "country-fr", "currency-eur", "device-mobile", "frequency-low", "language-fr", "lifecycle-dormant", "rfm-hibernating"},
		"c": {"affinity-bags", "aov-high", "churn-high", "continent-eu", "country-fr", "currency-eur", "device-mobile", "frequency-medium", "language-fr", "lifecycle-lost", "rfm-at-risk"},
		// d: first order 20 days ago → new (not active); R3 F1 M1 → about to sleep.
		"d": {"aov-low", "churn-low", "continent-eu", "country-fr", "currency-eur", "device-mobile", "frequency-low", "language-fr", "lifecycle-new", "rfm-about-to-sleep"},
		"e": {"lifecycle-prospect"},
	}
	for id, w := range want {
		if !slices.Equal(got[id], w) {
			t.Errorf("%s:\n got %v\nwant %v", id, got[id], w)
		}
	}
	a := res.Features[0]
	if a.RecencyScore != 4 || a.FrequencyScore != 4 || a.MonetaryScore != 3 || a.DaysSinceLastOrder != 2 || a.TotalSpent != 250 || a.AverageOrderValue != 50 {
		t.Errorf("a: R%d F%d M%d days %d spent %v aov %v", a.RecencyScore, a.FrequencyScore, a.MonetaryScore, a.DaysSinceLastOrder, a.TotalSpent, a.AverageOrderValue)
	}
	if !res.Model.Prediction.OK && res.Model.Prediction.Reason == "" {
		t.Error("no fit and no reason")
	}
}

func TestLifecycleBoundaries(t *testing.T) {
	day := 24 * time.Hour
	m := Fit(nil, now0, Options{})
	for _, c := range []struct {
		lastAgo, firstAgo int
		want              string
	}{{0, 0, "new"}, {30, 30, "new"}, {31, 31, "active"}, {90, 400, "active"}, {91, 400, "dormant"}, {180, 400, "dormant"}, {181, 400, "lost"}} {
		p := profileWith("x", order("s/1", now0.Add(-time.Duration(c.firstAgo)*day), "10", ""), order("s/2", now0.Add(-time.Duration(c.lastAgo)*day), "10", ""))
		f := Extract(p, Options{})
		if _, err := m.Score(&f, now0); err != nil {
			t.Fatal(err)
		}
		if f.Lifecycle != c.want {
			t.Errorf("last order %d days ago, first %d: %s, want %s", c.lastAgo, c.firstAgo, f.Lifecycle, c.want)
		}
	}
}

func TestAffinityDecaysAndDoesNotDependOnNow(t *testing.T) {
	day := 24 * time.Hour
	// 100 on Bags a year before 100 on Shoes: with a 180-day half-life Bags weighs 2^-(365/180).
	p := profileWith("x", order("s/1", now0.Add(-465*day), "100", "Bags"), order("s/2", now0.Add(-100*day), "100", "Shoes"))
	f := Extract(p, Options{})
	w := 0.24517 // 2^(-365/180) = 0.2453; share = w/(1+w)
	if got := f.Affinity["Bags"]; got < w/(1+w)-1e-3 || got > w/(1+w)+1e-3 {
		t.Errorf("Bags share %.5f, want %.5f", got, w/(1+w))
	}
	if !slices.Equal(f.TopAffinity, []string{"Shoes"}) { // Bags is under the 0.25 minimum share
		t.Errorf("top %v", f.TopAffinity)
	}
	later := Extract(p, Options{})
	m := Fit(nil, now0, Options{})
	s1, _ := m.Score(&f, now0)
	s2, _ := m.Score(&later, now0.Add(300*day))
	if !slices.Contains(s1, "affinity-shoes") || !slices.Contains(s2, "affinity-shoes") || f.Affinity["Bags"] != later.Affinity["Bags"] {
		t.Errorf("affinity moved with time: %v %v", s1, s2)
	}
}

func TestRiskNeedsEnoughOrders(t *testing.T) {
	day := 24 * time.Hour
	one := order("s/1", now0.Add(-5*day), "10", "")
	one.Refunded = true
	p := profileWith("x", one)
	f := Extract(p, Options{})
	m := Fit(nil, now0, Options{})
	segs, _ := m.Score(&f, now0)
	if slices.Contains(segs, "risk-high") {
		t.Error("one refunded order is not a risk")
	}
	two := order("s/2", now0.Add(-3*day), "10", "")
	two.Refunded = true
	p = profileWith("x", one, two, order("s/3", now0.Add(-day), "10", ""))
	f = Extract(p, Options{})
	segs, _ = m.Score(&f, now0)
	if !slices.Contains(segs, "risk-high") || f.RefundRate < 0.66 || f.RefundRate > 0.67 {
		t.Errorf("2 of 3 refunded: %v, rate %v", segs, f.RefundRate)
	}
}

type matchFunc func(f *Features) (bool, error)

func (m matchFunc) Match(f *Features) (bool, error) { return m(f) }

// TestIncrementalEqualsFullAsTimeAdvances: a state from a full recompute, then profiles
// change and time moves on 40 days, through incremental updates only; the result equals
// scoring the current profiles at the current time with the same model.
func TestIncrementalEqualsFullAsTimeAdvances(t *testing.T) {
	ctx := context.Background()
	opts := Options{Custom: []Custom{{Name: "big", Match: matchFunc(func(f *Features) (bool, error) { return f.TotalSpent > 300, nil })}}}
	ps := synthProfiles(5000, 1)
	t0 := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	res, err := Compute(ctx, ExtractAll(ps, opts), t0, opts)
	if err != nil {
		t.Fatal(err)
	}
	st := NewState(res, t0, opts)
	day := 24 * time.Hour
	moved := 0
	for step := 1; step <= 4; step++ {
		now := t0.Add(time.Duration(step*10) * day)
		var changed []*profiles.Profile
		for i := step; i < len(ps); i += 97 { // some customers order again
			p := ps[i]
			p.Orders = append(p.Orders, order(fmt.Sprintf("s/new-%d-%d", step, i), now.Add(-time.Hour), "80", "Hats"))
			p.Summary = summaryOf(p.Orders)
			changed = append(changed, p)
		}
		ps = append(ps, profileWith(fmt.Sprintf("new-%d", step), order(fmt.Sprintf("s/n%d", step), now.Add(-time.Hour), "35", "")))
		changed = append(changed, ps[len(ps)-1])
		removed := []string{ps[step*13].ID}
		changes, err := st.Update(ctx, changed, removed, now)
		if err != nil {
			t.Fatal(err)
		}
		moved += len(changes)

		// The same model, everything rescored from scratch at now.
		var current []*profiles.Profile
		gone := map[string]bool{}
		for s := 1; s <= step; s++ {
			gone[ps[s*13].ID] = true
		}
		for _, p := range ps {
			if !gone[p.ID] {
				current = append(current, p)
			}
		}
		feats := ExtractAll(current, opts)
		full, err := st.Model.ScoreAll(ctx, feats, now)
		if err != nil {
			t.Fatal(err)
		}
		if st.Len() != len(full) {
			t.Fatalf("step %d: %d profiles in the state, %d current", step, st.Len(), len(full))
		}
		for i, m := range full {
			got, ok := st.Segments(m.ProfileID)
			if !ok || !slices.Equal(got, m.Segments) {
				t.Fatalf("step %d, %s: incremental %v, full %v", step, m.ProfileID, got, m.Segments)
			}
			if f, _ := st.Features(m.ProfileID); fmt.Sprint(*f) != fmt.Sprint(feats[i]) {
				t.Fatalf("step %d, %s: features differ", step, m.ProfileID)
			}
		}
	}
	if moved < 500 { // time alone moves many people between lifecycle stages
		t.Errorf("only %d changes over 40 days", moved)
	}
}

func BenchmarkExtract(b *testing.B) {
	ps := synthProfiles(10000, 3)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = Extract(ps[i%len(ps)], Options{})
	}
}

func BenchmarkScore(b *testing.B) {
	ps := synthProfiles(10000, 3)
	feats := ExtractAll(ps, Options{})
	m := Fit(feats, now0, Options{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Score(&feats[i%len(feats)], now0); err != nil {
			b.Fatal(err)
		}
	}
}

// k-means (off by default): deterministic, k clusters described by their centroids, numbered
// by spend (cluster-1 spends most), and every customer with orders is in one cluster.
func TestClusters(t *testing.T) {
	ps := synthProfiles(3000, 5)
	opts := Options{Clusters: 4}
	run := func() *Result {
		res, err := Compute(context.Background(), ExtractAll(ps, opts), now0, opts)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b := run(), run()
	cs := a.Model.Clusters
	if len(cs) != 4 || fmt.Sprint(cs) != fmt.Sprint(b.Model.Clusters) {
		t.Fatalf("clusters %+v, again %+v", cs, b.Model.Clusters)
	}
	total := 0
	for i, c := range cs {
		total += c.Size
		if i > 0 && c.Spend > cs[i-1].Spend {
			t.Errorf("cluster-%d spends %.0f, more than cluster-%d (%.0f)", i+1, c.Spend, i, cs[i-1].Spend)
		}
		if c.Size == 0 || c.Orders < 1 || c.RecencyDays < 0 {
			t.Errorf("cluster-%d: %+v", i+1, c)
		}
	}
	if total != a.Model.Customers {
		t.Errorf("clusters hold %d customers of %d", total, a.Model.Customers)
	}
	in := 0
	for i, m := range a.Members {
		n := 0
		for _, s := range m.Segments {
			if strings.HasPrefix(s, "cluster-") {
				n++
			}
		}
		if a.Features[i].HasOrders != (n == 1) || n > 1 {
			t.Fatalf("%s: %v", m.ProfileID, m.Segments)
		}
		in += n
	}
	if in != a.Model.Customers {
		t.Errorf("%d profiles in a cluster segment, %d customers", in, a.Model.Customers)
	}
	if res, _ := Compute(context.Background(), ExtractAll(ps[:50], Options{}), now0, Options{}); len(res.Model.Clusters) != 0 {
		t.Error("clusters without being asked")
	}
}
