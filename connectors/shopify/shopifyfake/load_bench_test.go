package shopifyfake

import (
	"os"
	"testing"
)

// BenchmarkLoadGenerated loads SHOPIFYFAKE_BENCH_DATA (a generator output dir), or the
// small test set.
func BenchmarkLoadGenerated(b *testing.B) {
	dir := os.Getenv("SHOPIFYFAKE_BENCH_DATA")
	if dir == "" {
		dir = genData(b)
	}
	f, err := New(Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	for b.Loop() {
		if err := f.LoadGenerated(dir); err != nil {
			b.Fatal(err)
		}
	}
}
