package segments

import (
	"context"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cohortd/cohortd/profiles"
)

// The population of the scale benchmarks: COHORTD_BENCH_PROFILES generated profiles (default
// 1,000,000), made once per process.
var (
	benchOnce sync.Once
	benchPop  []*profiles.Profile
)

func benchProfiles(b *testing.B) []*profiles.Profile {
	benchOnce.Do(func() {
		n := 1000000
		if v, err := strconv.Atoi(os.Getenv("COHORTD_BENCH_PROFILES")); err == nil && v > 0 {
			n = v
		}
		benchPop = synthProfiles(n, 42)
	})
	return benchPop
}

var benchNow = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// BenchmarkFullRecompute: extract every profile's features, fit the model (quintiles,
// tiers, BG/NBD and Gamma-Gamma) and score everyone into segments.
func BenchmarkFullRecompute(b *testing.B) {
	ps := benchProfiles(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Compute(ctx, ExtractAll(ps, Options{}), benchNow, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if !res.Model.Prediction.OK {
			b.Fatalf("no fit: %s", res.Model.Prediction.Reason)
		}
	}
	b.ReportMetric(float64(len(ps)), "profiles")
	b.ReportMetric(float64(len(ps))*float64(b.N)/b.Elapsed().Seconds(), "profiles/s")
}

// BenchmarkIncrementalUpdate: one changed profile scored against the last full recompute's
// model (same day), with its segments diffed.
func BenchmarkIncrementalUpdate(b *testing.B) {
	ps := benchProfiles(b)
	ctx := context.Background()
	res, err := Compute(ctx, ExtractAll(ps, Options{}), benchNow, Options{})
	if err != nil {
		b.Fatal(err)
	}
	st := NewState(res, benchNow, Options{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := ps[(i*7919)%len(ps)]
		if _, err := st.Update(ctx, []*profiles.Profile{p}, nil, benchNow.Add(time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
}
