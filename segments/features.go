package segments

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/profiles/normalize"
)

// Features are what segments are computed from, one per profile. The `expr` names are the
// fields custom segment rules use (docs/segments.md lists them); money is in the base
// currency, net of refunds, cancelled orders excluded; days are whole days before the
// computation time.
type Features struct {
	ProfileID string `expr:"profile_id" json:"profile_id"`

	// Orders.
	HasOrders          bool    `expr:"has_orders" json:"has_orders"`
	OrdersCount        int     `expr:"orders_count" json:"orders_count"`
	TotalSpent         float64 `expr:"total_spent" json:"total_spent"`
	AverageOrderValue  float64 `expr:"average_order_value" json:"average_order_value"`
	DaysSinceLastOrder int     `expr:"days_since_last_order" json:"days_since_last_order"`   // -1: no order
	DaysSinceFirstSeen int     `expr:"days_since_first_seen" json:"days_since_first_seen"`   // first order or signup; -1: unknown
	DaysSinceFirstOrd  int     `expr:"days_since_first_order" json:"days_since_first_order"` // -1: no order
	Cancellations      int     `expr:"cancellations" json:"cancellations"`
	RefundedOrders     int     `expr:"refunded_orders" json:"refunded_orders"`
	RefundRate         float64 `expr:"refund_rate" json:"refund_rate"` // refunded orders / orders (0..1)
	CancelRate         float64 `expr:"cancel_rate" json:"cancel_rate"` // cancellations / (orders + cancellations)
	Items              int     `expr:"items" json:"items"`

	// Contact and place.
	HasEmail         bool     `expr:"has_email" json:"has_email"` // a syntactically valid address
	EmailDomain      string   `expr:"email_domain" json:"email_domain,omitempty"`
	AcceptsMarketing bool     `expr:"accepts_marketing" json:"accepts_marketing"` // some linked source reported subscribed
	Country          string   `expr:"country" json:"country,omitempty"`           // ISO 3166-1 alpha-2
	Region           string   `expr:"region" json:"region,omitempty"`
	Continent        string   `expr:"continent" json:"continent,omitempty"`
	Locale           string   `expr:"locale" json:"locale,omitempty"`
	Language         string   `expr:"language" json:"language,omitempty"` // locale's language, "fr"
	Currency         string   `expr:"currency" json:"currency,omitempty"` // the currency most spent in
	Device           string   `expr:"device" json:"device,omitempty"`     // mobile, desktop, tablet (majority of orders)
	Tags             []string `expr:"tags" json:"tags,omitempty"`         // the merchant's own tags
	Stores           []string `expr:"stores" json:"stores,omitempty"`

	// Population scores (filled by Compute).
	RecencyScore   int    `expr:"rfm_r" json:"rfm_r,omitempty"` // 1..5, 5 = most recent; 0 without orders
	FrequencyScore int    `expr:"rfm_f" json:"rfm_f,omitempty"`
	MonetaryScore  int    `expr:"rfm_m" json:"rfm_m,omitempty"`
	RFMGroup       string `expr:"rfm_group" json:"rfm_group,omitempty"` // champions, loyal, ...
	Lifecycle      string `expr:"lifecycle" json:"lifecycle"`           // prospect, new, active, dormant, lost
	FrequencyTier  string `expr:"frequency_tier" json:"frequency_tier,omitempty"`
	AOVTier        string `expr:"aov_tier" json:"aov_tier,omitempty"`
	Risk           bool   `expr:"risk" json:"risk"`

	// Affinity is the share of spend per product type or vendor, decayed by recency (sums to 1
	// over the profile's types). TopAffinity lists the strongest, capped.
	Affinity    map[string]float64 `expr:"affinity" json:"affinity,omitempty"`
	TopAffinity []string           `expr:"top_affinity" json:"top_affinity,omitempty"`

	// Predictions (filled by Compute when the store's history allows a fit; -1 otherwise).
	PAlive         float64 `expr:"p_alive" json:"p_alive"`
	ExpectedOrders float64 `expr:"expected_orders" json:"expected_orders"`
	PredictedCLV   float64 `expr:"predicted_clv" json:"predicted_clv"`
	ChurnRisk      string  `expr:"churn_risk" json:"churn_risk,omitempty"` // low, medium, high

	// Not visible to rules: the time-independent inputs of the time-dependent fields (calendar
	// days in the store's time zone since 1970-01-01; -1: none).
	firstOrderDay, lastOrderDay, firstSeenDay int32
	// The purchase history as the predictive models take it: repeat purchase days (distinct
	// days after the first), the first and last purchase day, and the mean spend of a repeat
	// purchase day (same-day orders summed).
	repeatDays              int
	firstBuyDay, lastBuyDay int32
	repeatMean              float64
}

// Extract computes a profile's own features: everything but the population scores and the
// fields that depend on the time of computation, which Model.Score fills.
func Extract(p *profiles.Profile, opts Options) Features {
	var f Features
	extractInto(&f, p, opts.withDefaults())
	return f
}

// extractInto is Extract into *f (no copy of the struct); opts has its defaults.
func extractInto(f *Features, p *profiles.Profile, opts Options) {
	var in extractInput
	in.fromProfile(p)
	in.extract(f, opts)
}

// extract fills f with the features of the profile that in describes; opts has its defaults.
func (in *extractInput) extract(f *Features, opts Options) {
	*f = Features{
		ProfileID:        in.id,
		OrdersCount:      in.orders,
		HasOrders:        in.orders > 0,
		Cancellations:    in.cancellations,
		RefundedOrders:   in.refunds,
		Items:            in.items,
		Locale:           in.locale,
		HasEmail:         in.hasEmail,
		EmailDomain:      in.emailDomain,
		AcceptsMarketing: in.subscribed,
		Country:          in.country,
		Region:           in.region,
		Continent:        in.continent,
		Currency:         in.currency,
		Device:           in.device,
		firstOrderDay:    -1,
		lastOrderDay:     -1,
		firstSeenDay:     -1,
	}
	f.TotalSpent = in.totalBase
	if in.orders > 0 {
		f.AverageOrderValue = f.TotalSpent / float64(in.orders)
		f.RefundRate = float64(in.refunds) / float64(in.orders)
		f.firstOrderDay, f.lastOrderDay = dayOf(in.firstOrder, opts.Location), dayOf(in.lastOrder, opts.Location)
	}
	if n := in.orders + in.cancellations; n > 0 {
		f.CancelRate = float64(in.cancellations) / float64(n)
	}
	first := in.firstSeen
	if !in.firstOrder.IsZero() && (first.IsZero() || in.firstOrder.Before(first)) {
		first = in.firstOrder
	}
	if !first.IsZero() {
		f.firstSeenDay = dayOf(first, opts.Location)
	}
	if f.Country == "" {
		f.Country = in.shipTo
	}
	if f.Continent == "" && f.Country != "" {
		if c, ok := normalize.ParseCountry(f.Country); ok {
			f.Continent = c.Continent
		}
	}
	f.Language = language(in.locale)
	f.Tags = sortedSet(in.tags)
	f.Stores = sortedSet(in.stores)
	f.Affinity = in.affinity(opts.AffinityHalfLifeDays)
	f.TopAffinity = topAffinity(f.Affinity, opts.AffinityTop, opts.AffinityMinShare)
	f.repeatDays, f.firstBuyDay, f.lastBuyDay, f.repeatMean = buyingHistory(in.orderList, opts.Location)
}

// language is a locale's language, lowercased ("fr" of "fr-CA" or "FR_ca"): its first part
// between dashes and underscores, "" when it has none.
func language(locale string) string {
	start := strings.IndexFunc(locale, func(r rune) bool { return r != '-' && r != '_' })
	if start < 0 {
		return ""
	}
	rest := locale[start:]
	if end := strings.IndexAny(rest, "-_"); end >= 0 {
		rest = rest[:end]
	}
	return strings.ToLower(rest)
}

// sortedSet returns a sorted copy of list without repeats; nil when list is empty.
func sortedSet(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	out := slices.Clone(list)
	slices.Sort(out)
	return slices.Compact(out)
}

// buyingHistory merges same-day purchases (orders are oldest first; cancelled and zero-value
// ones do not count) and returns the number of repeat days, the first and last day, and the
// mean spend of the repeat days.
func buyingHistory(orders []orderInput, loc *time.Location) (repeat int, first, last int32, mean float64) {
	first, last = -1, -1
	var sum float64
	for i := range orders {
		o := &orders[i]
		if o.cancelled || o.zero {
			continue
		}
		day := dayOf(o.at, loc)
		switch {
		case first < 0:
			first, last = day, day
			continue
		case day != last:
			repeat++
			last = day
		}
		if day != first {
			sum += o.netBase
		}
	}
	if repeat > 0 {
		mean = sum / float64(repeat)
	}
	return repeat, first, last, mean
}

// dayOf is t's calendar day in loc (UTC when nil), counted from 1970-01-01: days since an
// event are midnights passed in the store's time zone, as a merchant counts them.
func dayOf(t time.Time, loc *time.Location) int32 {
	if loc == nil {
		loc = time.UTC
	}
	_, off := t.In(loc).Zone()
	sec := t.Unix() + int64(off)
	d := sec / 86400
	if sec%86400 < 0 {
		d--
	}
	return int32(d)
}

// topAffinity is the n strongest types with at least minShare, strongest first (ties by name).
func topAffinity(aff map[string]float64, n int, minShare float64) []string {
	var out []string
	for k, v := range aff {
		if v >= minShare {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		if aff[a] != aff[b] {
			if aff[a] > aff[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// daysBetween is the number of whole days from t to now (0 if t is after now).
func daysBetween(t, now time.Time) int {
	d := now.Sub(t)
	if d < 0 {
		return 0
	}
	return int(d / (24 * time.Hour))
}

// maxKey is the key with the largest count; ties go to the smallest key.
func maxKey(m map[string]int) string {
	best := ""
	for k, v := range m {
		if best == "" || v > m[best] || (v == m[best] && k < best) {
			best = k
		}
	}
	return best
}

// affinity weighs each product type's spend by recency: an order's spend counts
// 2^(-age/halfLife), its age taken before the customer's last order so that the shares do not
// change as time passes (they would all decay by the same factor). Weights sum to 1.
func (in *extractInput) affinity(halfLifeDays float64) map[string]float64 {
	var last time.Time
	for _, o := range in.orderList {
		if !o.cancelled && !o.zero && o.at.After(last) {
			last = o.at
		}
	}
	var out map[string]float64
	var sum float64
	for _, o := range in.orderList {
		types := in.types[o.typesFrom:o.typesTo]
		if o.cancelled || o.zero || len(types) == 0 {
			continue
		}
		w := 1.0
		if halfLifeDays > 0 {
			w = math.Exp2(-float64(daysBetween(o.at, last)) / halfLifeDays)
		}
		for _, t := range types {
			x := t.spend
			if x <= 0 {
				continue
			}
			if out == nil {
				out = map[string]float64{}
			}
			out[t.name] += x * w
			sum += x * w
		}
	}
	if sum <= 0 {
		return nil
	}
	for k := range out {
		out[k] /= sum
	}
	return out
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
	1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// toFloat converts d to the nearest float64, like d.Float64() but without big.Rat for the
// usual money values: a coefficient below 2^53 and a power of ten up to 1e22 are both exact
// in float64, so one division or multiplication rounds correctly. (profiles.Build rounds
// derived amounts to 4 decimals so that they stay on this path.)
func toFloat(d decimal.Decimal) float64 {
	if c := d.Coefficient(); c.IsInt64() {
		if f, ok := exactFloat(c.Int64(), d.Exponent()); ok {
			return f
		}
	}
	f, _ := d.Float64()
	return f
}

// exactFloat is v × 10^e when both v and 10^|e| are exact in a float64 (ok false otherwise),
// correctly rounded.
func exactFloat(v int64, e int32) (float64, bool) {
	if v <= -(1<<53) || v >= 1<<53 {
		return 0, false
	}
	switch {
	case e < 0 && e >= -22:
		return float64(v) / pow10[-e], true
	case e >= 0 && e <= 22:
		return float64(v) * pow10[e], true
	}
	return 0, false
}

// Properties are the per-profile values destinations that take properties receive (merge
// fields, profile properties, attribs), rounded so that they change only when they mean to.
type Properties struct {
	RFMGroup       string             `cbor:"1,keyasint,omitempty" json:"rfm_group,omitempty"`
	Lifecycle      string             `cbor:"2,keyasint,omitempty" json:"lifecycle,omitempty"`
	ChurnRisk      string             `cbor:"3,keyasint,omitempty" json:"churn_risk,omitempty"`
	PAlive         float64            `cbor:"4,keyasint" json:"p_alive"`                      // 2 decimals; -1 without a fit
	ExpectedOrders float64            `cbor:"5,keyasint" json:"expected_orders"`              // 2 decimals; -1 without a fit
	PredictedCLV   float64            `cbor:"6,keyasint" json:"predicted_clv"`                // whole units of the base currency; -1 without a fit
	Affinity       map[string]float64 `cbor:"7,keyasint,omitempty" json:"affinity,omitempty"` // 2 decimals, shares of at least 0.01
}

// Properties returns f's properties (after Model.Score).
func (f *Features) Properties() Properties {
	r2 := func(x float64) float64 { return math.Round(x*100) / 100 }
	p := Properties{RFMGroup: f.RFMGroup, Lifecycle: f.Lifecycle, ChurnRisk: f.ChurnRisk,
		PAlive: r2(f.PAlive), ExpectedOrders: r2(f.ExpectedOrders), PredictedCLV: math.Round(f.PredictedCLV)}
	for k, v := range f.Affinity {
		if v = r2(v); v >= 0.01 {
			if p.Affinity == nil {
				p.Affinity = map[string]float64{}
			}
			p.Affinity[k] = v
		}
	}
	return p
}

// Equal reports whether p and q hold the same values.
func (p Properties) Equal(q Properties) bool {
	if p.RFMGroup != q.RFMGroup || p.Lifecycle != q.Lifecycle || p.ChurnRisk != q.ChurnRisk ||
		p.PAlive != q.PAlive || p.ExpectedOrders != q.ExpectedOrders || p.PredictedCLV != q.PredictedCLV ||
		len(p.Affinity) != len(q.Affinity) {
		return false
	}
	for k, v := range p.Affinity {
		if w, ok := q.Affinity[k]; !ok || w != v {
			return false
		}
	}
	return true
}
