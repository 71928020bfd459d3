package scheduler

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	runs        *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	lastSuccess *prometheus.GaugeVec
	running     *prometheus.GaugeVec
	consecutive *prometheus.GaugeVec
}

var results = []string{"success", "failure", "panic", "skipped"}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	const ns = "cohortd"
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "job_runs_total",
			Help: "Job runs by result (success, failure, panic, skipped).",
		}, []string{"job", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Name: "job_duration_seconds",
			Help:    "Duration of job runs (skipped runs excluded).",
			Buckets: []float64{0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600},
		}, []string{"job"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "job_last_success_timestamp_seconds",
			Help: "Unix time of the job's last successful run (0: none yet).",
		}, []string{"job"}),
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "job_running",
			Help: "1 while the job is running.",
		}, []string{"job"}),
		consecutive: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "job_consecutive_failures",
			Help: "Failed runs since the job's last success.",
		}, []string{"job"}),
	}
	for _, c := range []prometheus.Collector{m.runs, m.duration, m.lastSuccess, m.running, m.consecutive} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("scheduler: register metrics: %w", err)
		}
	}
	return m, nil
}

// init creates every series of a job so that it is exported (as 0) before
// the job's first run.
func (m *metrics) init(job string) {
	for _, r := range results {
		m.runs.WithLabelValues(job, r)
	}
	m.duration.WithLabelValues(job)
	m.lastSuccess.WithLabelValues(job)
	m.running.WithLabelValues(job)
	m.consecutive.WithLabelValues(job)
}
