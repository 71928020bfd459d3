package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cohortd/cohortd/segments"
	"github.com/cohortd/cohortd/sync/segmenter"
)

// segmentMetrics export segment sizes and the last recompute.
type segmentMetrics struct {
	size     *prometheus.GaugeVec
	profiles prometheus.Gauge
	fitted   prometheus.Gauge
}

func newSegmentMetrics(reg prometheus.Registerer) *segmentMetrics {
	m := &segmentMetrics{
		size: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "cohortd", Subsystem: "segment", Name: "size",
			Help: "Profiles in each segment after the last recompute.",
		}, []string{"segment"}),
		profiles: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "cohortd", Subsystem: "segment", Name: "profiles",
			Help: "Profiles scored by the last full recompute.",
		}),
		fitted: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "cohortd", Subsystem: "segment", Name: "predictions_fitted",
			Help: "1 when the last full recompute fitted the predictive models, 0 when it fell back to rules.",
		}),
	}
	reg.MustRegister(m.size, m.profiles, m.fitted)
	return m
}

// recomputeSegments is the segments job: a full recompute of every profile's segments. The
// first run reads every profile; later runs refit and rescore from the features kept in
// memory (profiles change in this process only through the segmenter's updates).
func (d *Daemon) recomputeSegments(ctx context.Context) error {
	if d.platforms != nil {
		d.platforms.pipeline.Lock()
		defer d.platforms.pipeline.Unlock()
	}
	_, err := d.recompute(ctx)
	if err != nil || d.platforms == nil {
		return err
	}
	for _, s := range d.platforms.shopify {
		if _, err := s.PlanTags(ctx); err != nil {
			return err
		}
	}
	if _, err := d.platforms.planWoo(ctx); err != nil {
		return err
	}
	_, err = d.platforms.planEmail(ctx)
	return err
}

// recompute runs the full recompute and returns how many profiles changed segments.
func (d *Daemon) recompute(ctx context.Context) (int, error) {
	if d.segmenter == nil {
		opts, err := segmenter.BuildOptions(d.cfg)
		if err != nil {
			return 0, fmt.Errorf("segments: %w", err)
		}
		d.segmenter = segmenter.New(d.store, opts)
	}
	rep, err := d.segmenter.Recompute(ctx, time.Now())
	if err != nil {
		return 0, err
	}
	d.publishSegments(rep.Snapshot.Sizes, rep.Model.Profiles, rep.Model.Prediction)
	d.log.Info().Int("profiles", rep.Model.Profiles).Int("changed", rep.Changed).
		Dur("took", rep.Model.Took).Bool("predictions", rep.Model.Prediction.OK).Msg("segments recomputed")
	return rep.Changed, nil
}

// loadSegmentMetrics publishes the sizes stored by the last recompute (at start).
func (d *Daemon) loadSegmentMetrics() error {
	snaps, err := segmenter.Snapshots(d.store)
	if err != nil || len(snaps) == 0 {
		return err
	}
	m, _, err := segmenter.LastModel(d.store)
	if err != nil {
		return err
	}
	last := snaps[len(snaps)-1]
	d.publishSegments(last.Sizes, last.Profiles, m.Prediction)
	return nil
}

func (d *Daemon) publishSegments(sizes map[string]int, profiles int, p segments.Prediction) {
	d.segmentsM.size.Reset()
	for s, n := range sizes {
		d.segmentsM.size.WithLabelValues(s).Set(float64(n))
	}
	d.segmentsM.profiles.Set(float64(profiles))
	if p.OK {
		d.segmentsM.fitted.Set(1)
	} else {
		d.segmentsM.fitted.Set(0)
	}
}
