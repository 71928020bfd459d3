package segmenter

import (
	"fmt"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/segments"
	"github.com/cohortd/cohortd/segments/rules"
)

// BuildOptions turns the config's segments section into segments.Options, compiling every
// custom rule (config check has already type-checked them; an error here names the rule).
func BuildOptions(cfg *config.Config) (segments.Options, error) {
	s := cfg.Segments
	o := segments.Options{
		NewDays: s.Lifecycle.NewDays, ActiveDays: s.Lifecycle.ActiveDays, LostDays: s.Lifecycle.LostDays,
		FrequencyHigh: s.Frequency.High, FrequencyMedium: s.Frequency.Medium,
		AOVHighQuantile: s.AOV.HighQuantile, AOVLowQuantile: s.AOV.LowQuantile, AOVHigh: s.AOV.High, AOVLow: s.AOV.Low,
		RiskRate: s.Risk.Rate, RiskMinOrders: s.Risk.MinOrders,
		AffinityTop: s.Affinity.Top, AffinityMinShare: s.Affinity.MinShare, AffinityHalfLifeDays: s.Affinity.HalfLifeDays,
		MinRepeatBuyers: s.Predict.MinRepeatBuyers, ExpectedDays: s.Predict.ExpectedDays, CLVMonths: s.Predict.CLVMonths,
		DiscountMonthly: s.Predict.DiscountMonthly, ChurnHigh: s.Predict.ChurnHigh, ChurnMedium: s.Predict.ChurnMedium,
		Clusters: s.Clusters, Location: cfg.Location(),
	}
	for _, c := range s.Custom {
		r, err := rules.Compile(c.Name, c.When)
		if err != nil {
			return o, fmt.Errorf("segment %q: %w", c.Name, err)
		}
		o.Custom = append(o.Custom, segments.Custom{Name: c.Name, Match: r})
	}
	return o, nil
}
