package config

import (
	"strings"
	"testing"
)

func TestSegmentThresholds(t *testing.T) {
	src := `segments:
  lifecycle:
    active_days: 200
    lost_days: 100
  frequency:
    high: 3
    medium: 4
  aov:
    high_quantile: 1.5
  risk:
    rate: -0.1
  predict:
    churn_high: 0.8
    churn_medium: 0.5
  clusters: 50
`
	got := problems(t, src).Error()
	for _, want := range []string{
		`cohortd.yaml:4:16: segments.lifecycle.lost_days (100) must be more than active_days (200) (dormant customers are those between active_days and lost_days)`,
		`cohortd.yaml:7:13: segments.frequency.medium (4) must be less than high (3) (tiers: low < medium < high orders)`,
		`cohortd.yaml:9:20: segments.aov.high_quantile must be between 0 and 1, got 1.5 (a share of customers, e.g. 0.667)`,
		`cohortd.yaml:11:11: segments.risk.rate must be between 0 and 1, got -0.1 (a refund or cancellation rate, e.g. 0.3)`,
		`cohortd.yaml:13:17: segments.predict.churn_high (0.8) must not be above churn_medium (0.5)`,
		`cohortd.yaml:15:13: segments.clusters must be between 0 (off) and 20, got 50`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing\n%s\nin\n%s", want, got)
		}
	}
	// Defaults apply to what is not set.
	cfg, err := Parse("cohortd.yaml", []byte("segments:\n  lifecycle:\n    new_days: 14\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Segments.Lifecycle != (SegmentLifecycle{NewDays: 14, ActiveDays: 90, LostDays: 180}) || cfg.Segments.Predict.MinRepeatBuyers != 100 {
		t.Errorf("defaults not applied: %+v", cfg.Segments)
	}
}
