package rules

import (
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/cohortd/cohortd/segments"
)

// alice has orders, bob is a prospect.
func alice() *segments.Features {
	return &segments.Features{
		ProfileID: "alice", HasOrders: true, OrdersCount: 7, TotalSpent: 1234.5, AverageOrderValue: 176.36,
		DaysSinceLastOrder: 200, DaysSinceFirstOrd: 700, DaysSinceFirstSeen: 720,
		RefundedOrders: 3, RefundRate: 3.0 / 7, HasEmail: true, EmailDomain: "example.fr", AcceptsMarketing: true,
		Country: "FR", Continent: "EU", Locale: "fr-FR", Language: "fr", Currency: "EUR", Device: "mobile",
		Tags: []string{"newsletter", "vip"}, Stores: []string{"main"},
		RecencyScore: 2, FrequencyScore: 5, MonetaryScore: 5, RFMGroup: "at-risk", Lifecycle: "lost",
		FrequencyTier: "high", AOVTier: "high", Risk: true,
		Affinity: map[string]float64{"Shoes": 0.6, "Hats": 0.3, "Bags": 0.1}, TopAffinity: []string{"Shoes", "Hats"},
		PAlive: 0.25, ExpectedOrders: 0.4, PredictedCLV: 310, ChurnRisk: "high",
	}
}

func bob() *segments.Features {
	return &segments.Features{
		ProfileID: "bob", DaysSinceLastOrder: -1, DaysSinceFirstOrd: -1, DaysSinceFirstSeen: 3,
		Country: "BE", Language: "nl", Device: "desktop", Lifecycle: "new",
		PAlive: -1, ExpectedOrders: -1, PredictedCLV: -1,
	}
}

func mustCompile(t testing.TB, when string) *Rule {
	t.Helper()
	r, err := Compile("test", when)
	if err != nil {
		t.Fatalf("Compile(%q): %v", when, err)
	}
	return r
}

func TestMatch(t *testing.T) {
	tests := []struct {
		when       string
		alice, bob bool
	}{
		{"total_spent >= 1000", true, false},
		{"total_spent >= 1234.5", true, false},
		{"total_spent > 1234.5", false, false},
		{"orders_count >= 5 && total_spent >= 1000", true, false},
		{"days_since_last_order > 180", true, false}, // bob's -1 (no order) is not lapsed
		{"days_since_last_order == -1", false, true},
		{"has_orders", true, false},
		{"not has_orders", false, true},
		{"orders_count >= 3 and refund_rate > 0.3", true, false},
		{`language == "fr" && device == "mobile"`, true, false},
		{`country in ["FR", "BE", "CH"]`, true, true},
		{`country not in ["FR"]`, false, true},
		{`"vip" in tags`, true, false},
		{`"vip" not in tags`, false, true},
		{`len(tags) == 0`, false, true},
		{`affinity["Shoes"] > 0.5`, true, false},
		{`affinity.Shoes > 0.5`, true, false},
		{`"Shoes" in affinity`, true, false},
		{`affinity["Toys"] == 0`, true, true},
		{`first(keys(affinity)) == "Bags"`, true, false}, // keys are sorted
		{`sum(values(affinity)) > 0.99`, true, false},
		// first, last and find give nil for bob's empty lists: unequal, not an error.
		{`first(top_affinity) == "Shoes"`, true, false},
		{`last(tags) == "vip"`, true, false},
		{`find(tags, # startsWith "v") != "vip"`, false, true},
		{`rfm_group == "at-risk" && p_alive >= 0 && p_alive < 0.5`, true, false},
		{`p_alive < 0`, false, true},
		{`lifecycle == "new" or lifecycle == "prospect"`, false, true},
		{`email_domain endsWith ".fr"`, true, false},
		{`locale startsWith "fr"`, true, false},
		{`any(tags, # startsWith "news")`, true, false},
		{`all(top_affinity, affinity[#] >= 0.3)`, true, true},
		{`lower(country) == "fr"`, true, false},
		{`total_spent / max(orders_count, 1) > 100`, true, false},
		{`orders_count % 2 == 1`, true, false},
		{"true", true, true},
		{"let big = total_spent > 1000; big && risk", true, false},
		{"orders_count >= 5 &&\n  country == \"FR\"\n", true, false},
	}
	a, b := alice(), bob()
	for _, tt := range tests {
		r := mustCompile(t, tt.when)
		for _, c := range []struct {
			f    *segments.Features
			want bool
		}{{a, tt.alice}, {b, tt.bob}} {
			got, err := r.Match(c.f)
			if err != nil || got != c.want {
				t.Errorf("%q on %s = %v, %v; want %v", tt.when, c.f.ProfileID, got, err, c.want)
			}
		}
	}
}

func TestMatchDoesNotChangeFeatures(t *testing.T) {
	f, want := alice(), alice()
	for _, when := range []string{"total_spent > 1", `"vip" in tags`, `affinity["Shoes"] > 0`, `sort(tags)[0] == "newsletter"`} {
		if _, err := mustCompile(t, when).Match(f); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("Match changed the features:\n%+v\nwant\n%+v", f, want)
	}
}

func TestMatchErrors(t *testing.T) {
	r := mustCompile(t, `tags[2] == "x"`)
	_, err := r.Match(alice())
	var re *Error
	if err == nil || !errors.As(err, &re) {
		t.Fatalf("Match = %v, want an *Error", err)
	}
	if got, want := err.Error(), `rule "test": 1:5: index out of range: 2 (array length is 2)`; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	r = mustCompile(t, `orders_count % (orders_count - 7) == 0`)
	if _, err := r.Match(alice()); err == nil || !strings.Contains(err.Error(), "integer divide by zero") {
		t.Errorf("modulo by zero: %v", err)
	}
	if _, err := r.Match(nil); err == nil || err.Error() != `rule "test": no features` {
		t.Errorf("Match(nil) = %v", err)
	}
	// The VM is reused: a failed run must not break the next one.
	if ok, err := r.Match(bob()); err != nil || !ok {
		t.Errorf("Match after an error = %v, %v; want true", ok, err)
	}
}

// TestCompileErrors pins the message, hint and position of each kind of mistake.
func TestCompileErrors(t *testing.T) {
	tests := []struct {
		when string
		want Error
	}{
		// Syntax errors.
		{"orders_count >= ", Error{1, 16, "the rule ends too early",
			"something is missing after the last operator, e.g. orders_count >= 5"}},
		{"total_spent >> 3", Error{1, 14, `unexpected ">"`,
			"operators are ==, !=, <, <=, >, >=, and, or, not, in, +, -, *, /, %"}},
		{"orders_count = 3", Error{1, 14, `unexpected "="`, `compare with ==, e.g. country == "FR"`}},
		{`country == "FR" orders_count > 3`, Error{1, 17, `unexpected "orders_count"`,
			`join conditions with and or or, e.g. country == "FR" and orders_count > 3`}},
		{`country == "FR`, Error{1, 15, "text is not closed", `end it with the quote it starts with, e.g. country == "FR"`}},
		{"orders_count >= 5 and\n  (country == \"FR\" or", Error{2, 22, "the rule ends too early",
			"something is missing after the last operator, e.g. orders_count >= 5"}},
		// Type errors.
		{"country > 5", Error{1, 9, "mismatched types string and int for >",
			`compare text with quoted text, e.g. country == "FR", and numbers with numbers, e.g. orders_count > 5`}},
		{"tags == 3", Error{1, 6, "mismatched types []string and int for ==",
			`tags, stores and top_affinity are lists: test membership with "vip" in tags, count with len(tags)`}},
		{`total_spent + "x" > 3`, Error{1, 13, "mismatched types float64 and string for +",
			"+ adds two numbers or joins two texts; use string(x) or float(x) to convert"}},
		{"orders_count >= 5 &&\n  country > 5", Error{2, 11, "mismatched types string and int for >",
			`compare text with quoted text, e.g. country == "FR", and numbers with numbers, e.g. orders_count > 5`}},
		{"affinity > 0.5", Error{1, 10, "mismatched types map[string]float64 and float64 for >",
			`affinity is a map: look up one product type with affinity["Shoes"]`}},
		{"has_email == 1", Error{1, 11, "mismatched types bool and int for ==",
			"true/false fields stand on their own, e.g. has_email or not has_email"}},
		// Unknown names.
		{"order_count > 3", Error{1, 1, "unknown name order_count", "did you mean orders_count?"}},
		{"has_orders && TotalSpent > 3", Error{1, 15, "unknown name TotalSpent", "did you mean total_spent?"}},
		{"country == FR", Error{1, 12, "unknown name FR",
			`fields include profile_id, has_orders, orders_count, total_spent, average_order_value, days_since_last_order, ...; docs/segments-rules.md lists all 39; quote text values, e.g. country == "FR"`}},
		{"lenn(tags) > 2", Error{1, 1, "unknown function lenn", "did you mean len?"}},
		// Not true or false.
		{"total_spent", Error{1, 1, "the rule must be true or false, but it is a number (float64)",
			"compare it with something, e.g. total_spent >= 1000"}},
		{"country", Error{1, 1, "the rule must be true or false, but it is text (string)",
			"compare it with something, e.g. total_spent >= 1000"}},
		{"   ", Error{1, 1, "the rule is empty", "write an expression that is true or false, e.g. orders_count >= 5"}},
		// What rules must not use.
		{"days_since_last_order > 3 || now() > date(\"2024-01-01\")", Error{1, 30, "now() is not available in rules",
			"a rule must not depend on the clock; use days_since_last_order, days_since_first_order or days_since_first_seen"}},
		{`date("2024-01-01") != nil`, Error{1, 1, "date() is not available in rules",
			"a rule must not depend on the clock; use days_since_last_order, days_since_first_order or days_since_first_seen"}},
		{`toPairs(affinity)[0][0] == "Shoes"`, Error{1, 1, "toPairs() is not available in rules",
			"docs/segments-rules.md lists the functions rules can use"}},
		{`$env.country == "FR"`, Error{1, 1, "$env is not available in rules", `name the fields directly, e.g. country == "FR"`}},
		{`has_orders && $env["country"] == "FR"`, Error{1, 15, "$env is not available in rules", `name the fields directly, e.g. country == "FR"`}},
	}
	for _, tt := range tests {
		r, err := Compile("test", tt.when)
		var got *Error
		if !errors.As(err, &got) {
			t.Errorf("Compile(%q) = %v, %v; want an *Error", tt.when, r, err)
			continue
		}
		if *got != tt.want {
			t.Errorf("Compile(%q):\n got %#v\nwant %#v", tt.when, *got, tt.want)
		}
		if r != nil {
			t.Errorf("Compile(%q) returned a rule along with an error", tt.when)
		}
	}
	_, err := Compile("vip", "order_count > 3")
	if got, want := err.Error(), "1:1: unknown name order_count (did you mean orders_count?)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestSuggest(t *testing.T) {
	names := fieldNames()
	for s, want := range map[string]string{
		"order_count": "orders_count", "ordersCount": "orders_count", "OrdersCount": "orders_count",
		"contry": "country", "totl_spnt": "total_spent", "palive": "p_alive", "tag": "tags",
		"x": "", "foo": "", "spending": "", "xyzzy": "",
	} {
		if got := suggest(s, names); got != want {
			t.Errorf("suggest(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestConcurrentMatch(t *testing.T) {
	r := mustCompile(t, `total_spent >= 1000 && "vip" in tags`)
	a, b := alice(), bob()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			for j := range 500 {
				f, want := a, true
				if (i+j)%2 == 1 {
					f, want = b, false
				}
				if got, err := r.Match(f); err != nil || got != want {
					errs <- errors.New("wrong result under concurrency")
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestMatchAllocations bounds what Match costs: at most one small allocation per field the
// rule reads (expr copies each field it reads through the pointer), none for the VM
// (BenchmarkMatch has the timings).
func TestMatchAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop the VMs Match reuses")
	}
	f := alice()
	for when, fields := range map[string]float64{
		"total_spent >= 1000":                              1,
		"orders_count >= 5 && days_since_last_order > 180": 2,
		`country == "FR" and device == "mobile"`:           2,
		`country in ["FR", "BE", "CH", "CA"]`:              1,
	} {
		r := mustCompile(t, when)
		if _, err := r.Match(f); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(200, func() { _, _ = r.Match(f) }); n > fields {
			t.Errorf("%q: %v allocations per Match, want at most %v", when, n, fields)
		}
	}
}
