package outbox

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cohortd/cohortd/store"
)

// metricsRefresh bounds how often a scrape walks the outbox keys.
const metricsRefresh = 5 * time.Second

// Metrics is the outbox's Prometheus collector: counters fed by Run and gauges counted from
// the store at scrape time (keys only, at most every 5 s). Create one per store with
// NewMetrics, pass it in Options.Metrics and register it once. Safe for concurrent use; a nil
// *Metrics counts nothing.
type Metrics struct {
	st       *store.Store
	sent     *prometheus.CounterVec
	failures *prometheus.CounterVec
	commits  *prometheus.CounterVec
	pending  *prometheus.Desc
	dead     *prometheus.Desc

	mu      sync.Mutex
	counted time.Time
	counts  map[string][2]int // destination -> pending, dead
}

// NewMetrics returns the collector for st's outbox:
//
//	cohortd_outbox_pending{destination}                 items queued
//	cohortd_outbox_dead_letters{destination}            dead letters
//	cohortd_outbox_sent_total{destination}              items delivered
//	cohortd_outbox_failures_total{destination,kind}     failed sends, kind transient|permanent
//	cohortd_outbox_commit_failures_total{destination}   outcomes that could not be committed
func NewMetrics(st *store.Store) *Metrics {
	return &Metrics{
		st: st,
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cohortd_outbox_sent_total", Help: "Outbox items delivered to their destination.",
		}, []string{"destination"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cohortd_outbox_failures_total", Help: "Failed outbox sends by kind (transient: retried; permanent: dead-lettered).",
		}, []string{"destination", "kind"}),
		commits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cohortd_outbox_commit_failures_total", Help: "Batches whose outcome could not be committed (they are sent again).",
		}, []string{"destination"}),
		pending: prometheus.NewDesc("cohortd_outbox_pending", "Outbox items waiting to be delivered.", []string{"destination"}, nil),
		dead:    prometheus.NewDesc("cohortd_outbox_dead_letters", "Outbox items given up on, waiting for an operator (cohortd outbox retry|drop).", []string{"destination"}, nil),
	}
}

func (m *Metrics) observe(dest string, out outcome) {
	if m == nil {
		return
	}
	if out.delivered > 0 {
		m.sent.WithLabelValues(dest).Add(float64(out.delivered))
	}
	if out.transient > 0 {
		m.failures.WithLabelValues(dest, "transient").Add(float64(out.transient))
	}
	if out.permanent > 0 {
		m.failures.WithLabelValues(dest, "permanent").Add(float64(out.permanent))
	}
}

func (m *Metrics) commitFailed(dest string) {
	if m == nil {
		return
	}
	m.commits.WithLabelValues(dest).Inc()
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	m.sent.Describe(ch)
	m.failures.Describe(ch)
	m.commits.Describe(ch)
	ch <- m.pending
	ch <- m.dead
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.sent.Collect(ch)
	m.failures.Collect(ch)
	m.commits.Collect(ch)
	for dest, c := range m.keyCounts() {
		ch <- prometheus.MustNewConstMetric(m.pending, prometheus.GaugeValue, float64(c[0]), dest)
		ch <- prometheus.MustNewConstMetric(m.dead, prometheus.GaugeValue, float64(c[1]), dest)
	}
}

// keyCounts counts queue entries and dead letters per destination, reusing the last count
// for metricsRefresh. A store error keeps the previous counts (the scrape must not fail).
func (m *Metrics) keyCounts() map[string][2]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts != nil && time.Since(m.counted) < metricsRefresh {
		return m.counts
	}
	counts := map[string][2]int{}
	for d := range m.counts { // a destination that emptied reports 0, not nothing
		counts[d] = [2]int{}
	}
	err := m.st.View(func(tx *store.Tx) error {
		if err := tx.ForEachPrefix(store.Outbox, []byte(queueTag), func(k, _ []byte) error {
			d := destOf(k, queueTag)
			c := counts[d]
			c[0]++
			counts[d] = c
			return nil
		}); err != nil {
			return err
		}
		return tx.ForEach(store.DeadLetters, func(k, _ []byte) error {
			d := destOf(k, "")
			c := counts[d]
			c[1]++
			counts[d] = c
			return nil
		})
	})
	if err != nil {
		return m.counts
	}
	m.counts, m.counted = counts, time.Now()
	return m.counts
}
