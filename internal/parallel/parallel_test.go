package parallel

import (
	"errors"
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
