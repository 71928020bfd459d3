package parallel

import (
	"cmp"
	"errors"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
)

func TestForVisitsEveryIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 7, 512, 513, 10000} {
		seen := make([]atomic.Int32, n)
		if err := For(n, 64, func(i int) error { seen[i].Add(1); return nil }); err != nil {
			t.Fatal(err)
		}
		for i := range seen {
			if c := seen[i].Load(); c != 1 {
				t.Fatalf("n=%d: index %d visited %d times", n, i, c)
			}
		}
	}
}

func TestForReturnsTheErrorAndStops(t *testing.T) {
	boom := errors.New("boom")
	var calls atomic.Int64
	err := For(100000, 16, func(i int) error {
		calls.Add(1)
		if i == 40 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want boom", err)
	}
	if c := calls.Load(); c >= 100000 {
		t.Fatalf("%d calls: the loop did not stop at the error", c)
	}
}

// SortFunc gives slices.SortFunc's order for a strict total order, at every size around its
// part boundaries and with any number of cores.
func TestSortFuncMatchesSlicesSortFunc(t *testing.T) {
	byValueThenPos := func(a, b [2]int) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) }
	rng := rand.New(rand.NewPCG(1, 2))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3, 5} {
		runtime.GOMAXPROCS(procs)
		for _, n := range []int{0, 1, minSortPart - 1, 2 * minSortPart, 3*minSortPart + 7, 200_003} {
			s := make([][2]int, n)
			for i := range s {
				s[i] = [2]int{rng.IntN(1000), i} // many equal values, told apart by position
			}
			want := slices.Clone(s)
			slices.SortFunc(want, byValueThenPos)
			SortFunc(s, byValueThenPos)
			if !slices.Equal(s, want) {
				t.Fatalf("%d cores, %d elements: not slices.SortFunc's order", procs, n)
			}
		}
	}
}
