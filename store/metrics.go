package store

import (
	"fmt"
	"os"

	"github.com/prometheus/client_golang/prometheus"
)

// Stats is a point-in-time view of the store.
type Stats struct {
	FileSize int64
	// Buckets maps each top-level bucket to its number of keys.
	Buckets map[string]int
	// Commits counts group commits; Writes counts the records (Put/Delete)
	// they wrote. Writes/Commits is the average batch size. Update calls
	// are not included.
	Commits, Writes uint64
}

// Stats returns the file size, per-bucket key counts and group-commit
// counters. Counting keys walks every page, so don't call it in a hot loop:
// the daemon calls it from a scheduled job, and the Collector reports the
// snapshot of the last call instead of walking the file on every scrape.
func (s *Store) Stats() (Stats, error) {
	st := Stats{Commits: s.commits.Load(), Writes: s.writes.Load(), Buckets: map[string]int{}}
	fi, err := os.Stat(s.path)
	if err != nil {
		return st, fmt.Errorf("store: stats: %w", err)
	}
	st.FileSize = fi.Size()
	err = s.View(func(tx *Tx) error {
		for _, b := range allBuckets {
			if bk := tx.tx.Bucket([]byte(b)); bk != nil {
				st.Buckets[string(b)] = bk.Stats().KeyN
			}
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("store: stats: %w", err)
	}
	s.lastStats.Store(&st)
	return st, nil
}

type storeMetrics struct {
	s             *Store
	fileBytes     *prometheus.Desc
	bucketKeys    *prometheus.Desc
	commitsTotal  *prometheus.Desc
	writesTotal   *prometheus.Desc
	commitSeconds prometheus.Histogram
}

func newStoreMetrics(s *Store) *storeMetrics {
	return &storeMetrics{
		s:            s,
		fileBytes:    prometheus.NewDesc("cohortd_store_file_bytes", "Size of the data file in bytes.", nil, nil),
		bucketKeys:   prometheus.NewDesc("cohortd_store_bucket_keys", "Number of keys per bucket.", []string{"bucket"}, nil),
		commitsTotal: prometheus.NewDesc("cohortd_store_commits_total", "Group commits (one fsync each) since the store was opened.", nil, nil),
		writesTotal:  prometheus.NewDesc("cohortd_store_writes_total", "Records written by Put/Delete through group commit since the store was opened.", nil, nil),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "cohortd_store_commit_seconds",
			Help:    "Duration of group commits, including fsync.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 12), // 100µs .. ~6s
		}),
	}
}

func (m *storeMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.fileBytes
	ch <- m.bucketKeys
	ch <- m.commitsTotal
	ch <- m.writesTotal
	m.commitSeconds.Describe(ch)
}

func (m *storeMetrics) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(m.commitsTotal, prometheus.CounterValue, float64(m.s.commits.Load()))
	ch <- prometheus.MustNewConstMetric(m.writesTotal, prometheus.CounterValue, float64(m.s.writes.Load()))
	m.commitSeconds.Collect(ch)
	st := m.s.lastStats.Load()
	if st == nil {
		return // no Stats call yet: only the counters above
	}
	ch <- prometheus.MustNewConstMetric(m.fileBytes, prometheus.GaugeValue, float64(st.FileSize))
	for name, n := range st.Buckets {
		ch <- prometheus.MustNewConstMetric(m.bucketKeys, prometheus.GaugeValue, float64(n), name)
	}
}
