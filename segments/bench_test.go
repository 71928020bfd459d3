package segments

import (
	"context"
	"os"
	"runtime"
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

// benchFeatures are the population's features, extracted once; the profiles themselves are
// dropped so that the heap holds what the daemon holds between recomputes.
var (
	featOnce  sync.Once
	benchFeat []Features
)

func benchFeatures(b *testing.B) []Features {
	featOnce.Do(func() {
		benchFeat = ExtractAll(benchProfiles(b), Options{})
		benchPop = nil
		runtime.GC()
	})
	return benchFeat
}

// BenchmarkExtractAll: every profile's features, from the profiles (done once per profile
// change; segments.State keeps them between recomputes).
func BenchmarkExtractAll(b *testing.B) {
	ps := benchProfiles(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = ExtractAll(ps, Options{})
	}
	b.ReportMetric(float64(len(ps))*float64(b.N)/b.Elapsed().Seconds(), "profiles/s")
}

// BenchmarkFullRecompute: fit the model on every profile's features (R/F/M/AOV ranks, BG/NBD
// and Gamma-Gamma) and score everyone into segments: what the scheduled recompute does.
func BenchmarkFullRecompute(b *testing.B) {
	feats := benchFeatures(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Compute(ctx, feats, benchNow, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if !res.Model.Prediction.OK {
			b.Fatalf("no fit: %s", res.Model.Prediction.Reason)
		}
	}
	b.ReportMetric(float64(len(feats)), "profiles")
	b.ReportMetric(float64(len(feats))*float64(b.N)/b.Elapsed().Seconds(), "profiles/s")
}

// BenchmarkIncrementalUpdate: one changed profile extracted and scored against the last full
// recompute's model (same day), its segments diffed.
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
