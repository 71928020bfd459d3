package daemon

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cohortd/cohortd/sync/ingest"
)

// qualityMetrics export the latest data-quality report, refreshed with the store stats.
type qualityMetrics struct {
	completeness, validity *prometheus.GaugeVec
	counts                 *prometheus.GaugeVec
}

func newQualityMetrics(reg prometheus.Registerer) *qualityMetrics {
	m := &qualityMetrics{
		completeness: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "cohortd", Subsystem: "quality", Name: "field_completeness_ratio",
			Help: "Share of identities that have the field, as of the last profile rebuild.",
		}, []string{"field"}),
		validity: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "cohortd", Subsystem: "quality", Name: "field_validity_ratio",
			Help: "Share of present values that are valid, as of the last profile rebuild.",
		}, []string{"field"}),
		counts: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "cohortd", Subsystem: "quality", Name: "count",
			Help: "Counts of the last profile rebuild: identities, profiles, merged links, flagged emails, invalid phones.",
		}, []string{"what"}),
	}
	reg.MustRegister(m.completeness, m.validity, m.counts)
	return m
}

// refreshQuality publishes the newest quality report, if there is one yet.
func (d *Daemon) refreshQuality(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	q, err := ingest.LatestQuality(d.store)
	if err != nil {
		if ingest.IsNoQuality(err) {
			return nil
		}
		return fmt.Errorf("quality: %w", err)
	}
	for field, f := range q.Fields {
		d.quality.completeness.WithLabelValues(field).Set(f.Completeness / 100)
		d.quality.validity.WithLabelValues(field).Set(f.Validity / 100)
	}
	for what, n := range map[string]int{
		"identities": q.Identities, "profiles": q.Profiles, "profiles_with_orders": q.WithOrders,
		"merged_links": q.MergedLinks, "invalid_emails": q.InvalidEmails, "role_emails": q.RoleEmails,
		"disposable_emails": q.Disposable, "test_emails": q.TestEmails, "invalid_phones": q.InvalidPhones,
		"fields_filled_from_orders": q.FilledFromOrds, "orders_without_rate": q.Unconverted,
	} {
		d.quality.counts.WithLabelValues(what).Set(float64(n))
	}
	return nil
}
