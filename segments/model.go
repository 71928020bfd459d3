package segments

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"
)

// Model is what a full recompute learns from the whole population: the sorted values that
// quintile and tier scores are ranked against, and the fitted predictive models. Scoring one
// profile against a Model is cheap and needs no other profile, which is what incremental
// updates do; a full recompute fits a new Model (quintiles shift, the models are refitted).
type Model struct {
	FittedAt  time.Time `json:"fitted_at"`
	Customers int       `json:"customers"` // profiles with at least one order
	Profiles  int       `json:"profiles"`

	// Sorted population values of the customers with orders.
	lastDays []float64 // day of the last order (recency: later is better)
	orders   []float64
	spend    []float64
	aov      []float64

	// Prediction is the fitted BG/NBD and Gamma-Gamma models, or why there are none.
	Prediction Prediction `json:"prediction"`

	// Clusters (k-means on standardized log-RFM) when Options.Clusters > 0.
	Clusters []Cluster `json:"clusters,omitempty"`

	opts  Options
	names nameCache
}

// Fit learns a Model from every profile's features at now.
func Fit(feats []Features, now time.Time, opts Options) *Model {
	opts = opts.withDefaults()
	m := &Model{FittedAt: now.UTC(), Profiles: len(feats), opts: opts}
	for i := range feats {
		f := &feats[i]
		if !f.HasOrders {
			continue
		}
		m.lastDays = append(m.lastDays, float64(f.lastOrderDay))
		m.orders = append(m.orders, float64(f.OrdersCount))
		m.spend = append(m.spend, f.TotalSpent)
		m.aov = append(m.aov, f.AverageOrderValue)
	}
	m.Customers = len(m.orders)
	// The predictive fit is the longest part; the sorts run beside it.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, v := range [][]float64{m.lastDays, m.orders, m.spend, m.aov} {
			slices.Sort(v)
		}
	}()
	m.Prediction = fitPrediction(feats, now, opts)
	wg.Wait()
	if opts.Clusters > 0 {
		m.Clusters = fitClusters(feats, dayOf(now, opts.Location), opts.Clusters)
	}
	return m
}

// quintile scores v 1..5 by its rank in sorted: 1 + floor(5 × (values strictly below v) / n).
// Equal values always get the same score, whatever order the profiles come in.
func quintile(sorted []float64, v float64) int {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	less := sort.SearchFloat64s(sorted, v)
	return min(1+5*less/n, 5)
}

// share is the fraction of sorted strictly below v.
func share(sorted []float64, v float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sort.SearchFloat64s(sorted, v)) / float64(len(sorted))
}

// Score fills f's population scores and time-dependent fields at now and returns its
// segments, sorted by name. It is safe for concurrent use.
func (m *Model) Score(f *Features, now time.Time) ([]string, error) {
	return m.scoreInto(make([]string, 0, 16), f, now)
}

// scoreInto is Score with the segments appended to segs, an empty slice.
func (m *Model) scoreInto(segs []string, f *Features, now time.Time) ([]string, error) {
	o := m.opts
	today := dayOf(now, o.Location)
	since := func(d int32) int {
		if d < 0 {
			return -1
		}
		return int(max(today-d, 0))
	}
	f.DaysSinceLastOrder = since(f.lastOrderDay)
	f.DaysSinceFirstOrd = since(f.firstOrderDay)
	f.DaysSinceFirstSeen = since(f.firstSeenDay)
	f.RecencyScore, f.FrequencyScore, f.MonetaryScore = 0, 0, 0
	f.RFMGroup, f.FrequencyTier, f.AOVTier = "", "", ""
	if f.HasOrders {
		f.RecencyScore = quintile(m.lastDays, float64(f.lastOrderDay))
		f.FrequencyScore = quintile(m.orders, float64(f.OrdersCount))
		f.MonetaryScore = quintile(m.spend, f.TotalSpent)
		f.RFMGroup = RFMGroup(f.RecencyScore, f.FrequencyScore, f.MonetaryScore)
		switch {
		case f.OrdersCount >= o.FrequencyHigh:
			f.FrequencyTier = "high"
		case f.OrdersCount >= o.FrequencyMedium:
			f.FrequencyTier = "medium"
		default:
			f.FrequencyTier = "low"
		}
		f.AOVTier = m.aovTier(f.AverageOrderValue)
	}
	switch {
	case f.DaysSinceFirstSeen >= 0 && f.DaysSinceFirstSeen <= o.NewDays:
		f.Lifecycle = "new"
	case !f.HasOrders:
		f.Lifecycle = "prospect"
	case f.DaysSinceLastOrder <= o.ActiveDays:
		f.Lifecycle = "active"
	case f.DaysSinceLastOrder <= o.LostDays:
		f.Lifecycle = "dormant"
	default:
		f.Lifecycle = "lost"
	}
	f.Risk = f.OrdersCount+f.Cancellations >= o.RiskMinOrders && (f.RefundRate > o.RiskRate || f.CancelRate > o.RiskRate)
	m.Prediction.score(f, today, o)

	add := func(family, value string) {
		if value == "" {
			return
		}
		if n := m.names.name(family, value); n != "" {
			segs = append(segs, n)
		}
	}
	// Families in name order, so that the list is usually sorted already.
	for _, t := range f.TopAffinity {
		add("affinity", t)
	}
	add("aov", f.AOVTier)
	add("churn", f.ChurnRisk)
	if len(m.Clusters) > 0 && f.HasOrders {
		add("cluster", clusterNames[min(m.cluster(f, today), len(clusterNames)-1)])
	}
	add("continent", f.Continent)
	add("country", f.Country)
	add("currency", f.Currency)
	add("device", f.Device)
	add("frequency", f.FrequencyTier)
	add("language", f.Language)
	add("lifecycle", f.Lifecycle)
	if f.Country != "" && f.Region != "" {
		add("region", f.Country+"-"+f.Region)
	}
	add("rfm", f.RFMGroup)
	if f.Risk {
		segs = append(segs, "risk-high")
	}
	for _, c := range o.Custom {
		ok, err := c.Match.Match(f)
		if err != nil {
			return nil, fmt.Errorf("segments: custom segment %q on profile %s: %w", c.Name, f.ProfileID, err)
		}
		if ok {
			segs = append(segs, c.Name)
		}
	}
	if !slices.IsSorted(segs) {
		slices.Sort(segs)
	}
	return slices.Compact(segs), nil
}

// clusterNames are the values of cluster segments (cluster-1 ... cluster-20).
var clusterNames = func() []string {
	out := make([]string, 20)
	for i := range out {
		out[i] = fmt.Sprint(i + 1)
	}
	return out
}()

func (m *Model) aovTier(v float64) string {
	o := m.opts
	if o.AOVHigh > 0 {
		switch {
		case v >= o.AOVHigh:
			return "high"
		case v < o.AOVLow:
			return "low"
		}
		return "medium"
	}
	switch s := share(m.aov, v); {
	case s >= o.AOVHighQuantile:
		return "high"
	case s < o.AOVLowQuantile:
		return "low"
	}
	return "medium"
}

// RFMGroup names the group of R, F and M scores (1..5). FM is (F+M)/2 rounded half up; the
// first row that matches wins:
//
//	champions           R 5     FM 4-5
//	loyal               R 3-4   FM 4-5
//	cant-lose-them      R 1     FM 5
//	at-risk             R 1-2   FM 3-5
//	potential-loyalist  R 4-5   FM 2-3
//	new                 R 5     FM 1
//	promising           R 4     FM 1
//	need-attention      R 3     FM 3
//	about-to-sleep      R 3     FM 1-2
//	lost                R 1     FM 1
//	hibernating         R 1-2   FM 1-2
//
// Every one of the 25 (R, FM) cells has exactly one group.
func RFMGroup(r, f, m int) string {
	if r < 1 || f < 1 || m < 1 {
		return ""
	}
	fm := (f + m + 1) / 2
	switch {
	case r == 5 && fm >= 4:
		return "champions"
	case r >= 3 && r <= 4 && fm >= 4:
		return "loyal"
	case r == 1 && fm == 5:
		return "cant-lose-them"
	case r <= 2 && fm >= 3:
		return "at-risk"
	case r >= 4 && fm >= 2 && fm <= 3:
		return "potential-loyalist"
	case r == 5 && fm == 1:
		return "new"
	case r == 4 && fm == 1:
		return "promising"
	case r == 3 && fm == 3:
		return "need-attention"
	case r == 3 && fm <= 2:
		return "about-to-sleep"
	case r == 1 && fm == 1:
		return "lost"
	default:
		return "hibernating"
	}
}

// RFMGroups lists the groups in the order of the table above.
var RFMGroups = []string{"champions", "loyal", "cant-lose-them", "at-risk", "potential-loyalist",
	"new", "promising", "need-attention", "about-to-sleep", "lost", "hibernating"}

// logRFM is the clustering input of a customer on day today.
func logRFM(f *Features, today int32) [3]float64 {
	return [3]float64{
		math.Log1p(float64(max(today-f.lastOrderDay, 0))),
		math.Log1p(float64(f.OrdersCount)),
		math.Log1p(math.Max(f.TotalSpent, 0)),
	}
}
