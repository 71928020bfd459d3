package config

import "fmt"

// validateThresholds checks the built-in segments' thresholds: each in range, and the ones
// that bound each other in order.
func (d *decoder) validateThresholds(s Segments) {
	pos := func(path string, v float64, what string) {
		if v < 0 {
			d.errAt(path, fmt.Sprintf("%s must not be negative, got %v", path, v), what)
		}
	}
	l := s.Lifecycle
	pos("segments.lifecycle.new_days", float64(l.NewDays), "days since the first order or signup")
	if l.ActiveDays > 0 && l.LostDays > 0 && l.ActiveDays >= l.LostDays {
		d.errAt("segments.lifecycle.lost_days", fmt.Sprintf("segments.lifecycle.lost_days (%d) must be more than active_days (%d)", l.LostDays, l.ActiveDays),
			"dormant customers are those between active_days and lost_days")
	}
	if f := s.Frequency; f.High > 0 && f.Medium > 0 && f.Medium >= f.High {
		d.errAt("segments.frequency.medium", fmt.Sprintf("segments.frequency.medium (%d) must be less than high (%d)", f.Medium, f.High), "tiers: low < medium < high orders")
	}
	a := s.AOV
	for path, q := range map[string]float64{"segments.aov.high_quantile": a.HighQuantile, "segments.aov.low_quantile": a.LowQuantile} {
		if q < 0 || q > 1 {
			d.errAt(path, fmt.Sprintf("%s must be between 0 and 1, got %v", path, q), "a share of customers, e.g. 0.667")
		}
	}
	if a.HighQuantile > 0 && a.LowQuantile > a.HighQuantile {
		d.errAt("segments.aov.low_quantile", fmt.Sprintf("segments.aov.low_quantile (%v) must not be above high_quantile (%v)", a.LowQuantile, a.HighQuantile), "")
	}
	if a.High > 0 && a.Low > a.High {
		d.errAt("segments.aov.low", fmt.Sprintf("segments.aov.low (%v) must not be above high (%v)", a.Low, a.High), "")
	}
	if r := s.Risk.Rate; r < 0 || r > 1 {
		d.errAt("segments.risk.rate", fmt.Sprintf("segments.risk.rate must be between 0 and 1, got %v", r), "a refund or cancellation rate, e.g. 0.3")
	}
	if m := s.Affinity.MinShare; m < 0 || m > 1 {
		d.errAt("segments.affinity.min_share", fmt.Sprintf("segments.affinity.min_share must be between 0 and 1, got %v", m), "a share of spend, e.g. 0.25")
	}
	pos("segments.affinity.half_life_days", s.Affinity.HalfLifeDays, "")
	p := s.Predict
	for path, v := range map[string]float64{"segments.predict.churn_high": p.ChurnHigh, "segments.predict.churn_medium": p.ChurnMedium, "segments.predict.discount_monthly": p.DiscountMonthly} {
		if v < 0 || v > 1 {
			d.errAt(path, fmt.Sprintf("%s must be between 0 and 1, got %v", path, v), "")
		}
	}
	if p.ChurnHigh > 0 && p.ChurnMedium > 0 && p.ChurnHigh > p.ChurnMedium {
		d.errAt("segments.predict.churn_high", fmt.Sprintf("segments.predict.churn_high (%v) must not be above churn_medium (%v)", p.ChurnHigh, p.ChurnMedium),
			"churn-high is P(alive) below churn_high, churn-medium below churn_medium")
	}
	if p.CLVMonths < 0 || p.CLVMonths > 60 {
		d.errAt("segments.predict.clv_months", fmt.Sprintf("segments.predict.clv_months must be between 1 and 60, got %d", p.CLVMonths), "the lifetime value horizon in months, e.g. 12")
	}
	if s.Clusters < 0 || s.Clusters > 20 {
		d.errAt("segments.clusters", fmt.Sprintf("segments.clusters must be between 0 (off) and 20, got %d", s.Clusters), "")
	}
}
