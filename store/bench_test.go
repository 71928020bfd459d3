package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
)

// benchDir is where benchmark files go: a temp dir unless
// COHORTD_STORE_BENCH_DIR points at the disk you care about (fsync cost is
// the whole point of these benchmarks, so tmpfs numbers mean little).
func benchDir(b *testing.B) string {
	if d := os.Getenv("COHORTD_STORE_BENCH_DIR"); d != "" {
		dir, err := os.MkdirTemp(d, "bench")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(dir) })
		return dir
	}
	return b.TempDir()
}

const benchWriters = 64

// runWriters runs b.N writes spread over 64 goroutines and reports
// records/s. fsync is on.
func runWriters(b *testing.B, write func(s *Store, key, val []byte) error) *Store {
	s, err := Open(DefaultPath(benchDir(b)), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	val := bytes.Repeat([]byte("v"), 200)
	var seq atomic.Uint64
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((benchWriters + procs - 1) / procs)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		key := make([]byte, 0, 16)
		for pb.Next() {
			key = fmt.Appendf(key[:0], "k%012d", seq.Add(1))
			if err := write(s, key, val); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	return s
}

// BenchmarkGroupCommitPut: 64 concurrent writers of 200-byte values through
// Put (group commit), fsync on.
func BenchmarkGroupCommitPut(b *testing.B) {
	s := runWriters(b, func(s *Store, key, val []byte) error {
		return s.Put(context.Background(), Inbox, key, val)
	})
	if c := s.commits.Load(); c > 0 {
		b.ReportMetric(float64(s.writes.Load())/float64(c), "records/commit")
	}
}

// BenchmarkUnbatchedPut: the same load with one Update (one fsync) per
// record, for comparison.
func BenchmarkUnbatchedPut(b *testing.B) {
	runWriters(b, func(s *Store, key, val []byte) error {
		return s.Update(context.Background(), func(tx *Tx) error {
			return tx.Put(Inbox, key, val)
		})
	})
}

// BenchmarkSerialPut: one writer, one Put at a time (latency of a lone Put,
// which group commit must not delay by MaxBatchDelay).
func BenchmarkSerialPut(b *testing.B) {
	s, err := Open(DefaultPath(benchDir(b)), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	val := bytes.Repeat([]byte("v"), 200)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := s.Put(context.Background(), Inbox, fmt.Appendf(nil, "k%012d", i), val); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
