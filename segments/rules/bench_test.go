package rules

import (
	"testing"

	"github.com/cohortd/cohortd/segments"
)

func benchFeatures() *segments.Features {
	return &segments.Features{
		ProfileID: "p1", HasOrders: true, OrdersCount: 7, TotalSpent: 1234.5, DaysSinceLastOrder: 200,
		RefundRate: 0.3, Country: "FR", Language: "fr", Device: "mobile", Tags: []string{"newsletter", "vip"},
		Lifecycle: "active", Affinity: map[string]float64{"Shoes": 0.6, "Hats": 0.4}, PAlive: 0.8,
	}
}

// BenchmarkMatch measures Match for typical rules; the full recompute runs every rule over
// every profile, so a rule should cost well under a microsecond.
func BenchmarkMatch(b *testing.B) {
	f := benchFeatures()
	for _, tc := range []struct{ name, when string }{
		{"number", "total_spent >= 1000"},
		{"and", "orders_count >= 5 && days_since_last_order > 180"},
		{"string", `country == "FR" and device == "mobile"`},
		{"in-list", `"vip" in tags`},
		{"in-set", `country in ["FR", "BE", "CH", "CA"]`},
		{"map", `affinity["Shoes"] > 0.5`},
		{"vip", `total_spent >= 1000 && orders_count >= 5 && refund_rate < 0.2 || "vip" in tags`},
	} {
		r, err := Compile(tc.name, tc.when)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Match(f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
