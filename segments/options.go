package segments

import "time"

// Options are the thresholds of the built-in segments. Zero values take the defaults of
// DefaultOptions through withDefaults.
type Options struct {
	// Lifecycle: new within NewDays of the first order or signup; active with an order within
	// ActiveDays; dormant up to LostDays; lost beyond; prospect without an order.
	NewDays, ActiveDays, LostDays int
	// Frequency tier by orders: high at FrequencyHigh or more, medium at FrequencyMedium or
	// more, low below (customers with at least one order).
	FrequencyHigh, FrequencyMedium int
	// AOV tier: by quantile of the population's average order value (high at AOVHighQuantile
	// or above, low below AOVLowQuantile), or by fixed amounts in the base currency when
	// AOVHigh > 0 (high at AOVHigh or more, low below AOVLow).
	AOVHighQuantile, AOVLowQuantile float64
	AOVHigh, AOVLow                 float64
	// Risk: refund or cancellation rate above RiskRate, with at least RiskMinOrders orders
	// (cancelled ones included).
	RiskRate      float64
	RiskMinOrders int
	// Affinity: the AffinityTop strongest product types with at least AffinityMinShare of the
	// decayed spend become affinity-<type> segments; spend halves in weight every
	// AffinityHalfLifeDays before the customer's last order.
	AffinityTop          int
	AffinityMinShare     float64
	AffinityHalfLifeDays float64
	// Predictions: fitted only with at least MinRepeatBuyers repeat buyers. Expected orders
	// over ExpectedDays, CLV over CLVMonths at DiscountMonthly. Churn risk from P(alive): high
	// below ChurnHigh, medium below ChurnMedium, low otherwise.
	MinRepeatBuyers        int
	ExpectedDays           int
	CLVMonths              int
	DiscountMonthly        float64
	ChurnHigh, ChurnMedium float64
	// Clusters > 0 adds k-means clusters on standardized log-RFM (off by default).
	Clusters int
	// Custom segments, evaluated on every profile's features.
	Custom []Custom
	// Location is the store's time zone: days since an order count midnights there. Default
	// UTC.
	Location *time.Location
}

// Custom is a merchant-defined segment.
type Custom struct {
	Name  string
	Match Matcher
}

// Matcher decides membership of a custom segment (segments/rules compiles them from config).
type Matcher interface {
	Match(f *Features) (bool, error)
}

// DefaultOptions are the documented defaults (docs/segments.md).
func DefaultOptions() Options {
	return Options{
		NewDays: 30, ActiveDays: 90, LostDays: 180,
		FrequencyHigh: 5, FrequencyMedium: 2,
		AOVHighQuantile: 0.667, AOVLowQuantile: 0.333,
		RiskRate: 0.3, RiskMinOrders: 2,
		AffinityTop: 3, AffinityMinShare: 0.25, AffinityHalfLifeDays: 180,
		MinRepeatBuyers: 100, ExpectedDays: 90, CLVMonths: 12, DiscountMonthly: 0.01,
		ChurnHigh: 0.3, ChurnMedium: 0.7,
	}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	setI := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setF := func(v *float64, def float64) {
		if *v <= 0 {
			*v = def
		}
	}
	setI(&o.NewDays, d.NewDays)
	setI(&o.ActiveDays, d.ActiveDays)
	setI(&o.LostDays, d.LostDays)
	setI(&o.FrequencyHigh, d.FrequencyHigh)
	setI(&o.FrequencyMedium, d.FrequencyMedium)
	setF(&o.AOVHighQuantile, d.AOVHighQuantile)
	setF(&o.AOVLowQuantile, d.AOVLowQuantile)
	setF(&o.RiskRate, d.RiskRate)
	setI(&o.RiskMinOrders, d.RiskMinOrders)
	setI(&o.AffinityTop, d.AffinityTop)
	setF(&o.AffinityMinShare, d.AffinityMinShare)
	setF(&o.AffinityHalfLifeDays, d.AffinityHalfLifeDays)
	setI(&o.MinRepeatBuyers, d.MinRepeatBuyers)
	setI(&o.ExpectedDays, d.ExpectedDays)
	setI(&o.CLVMonths, d.CLVMonths)
	if o.DiscountMonthly < 0 {
		o.DiscountMonthly = 0
	} else if o.DiscountMonthly == 0 {
		o.DiscountMonthly = d.DiscountMonthly
	}
	setF(&o.ChurnHigh, d.ChurnHigh)
	setF(&o.ChurnMedium, d.ChurnMedium)
	return o
}
