package outbox

import (
	"testing"
	"time"
)

func TestBackoffGrowsWithinBounds(t *testing.T) {
	b := Backoff{Base: 100 * time.Millisecond, Max: time.Second}
	wantSteps := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range wantSteps {
		n := i + 1
		step := b.Step(n)
		if step != w*time.Millisecond {
			t.Errorf("step %d = %v, want %v", n, step, w*time.Millisecond)
		}
		lo, hi := b.Delay(n, 0), b.Delay(n, 0.999999)
		if lo != step/2 || hi < step*99/100 || hi >= step+1 {
			t.Errorf("delay %d in [%v, %v], want [%v, %v)", n, lo, hi, step/2, step)
		}
		if mid := b.Delay(n, 0.5); mid != step*3/4 {
			t.Errorf("delay %d at r=0.5 = %v, want %v", n, mid, step*3/4)
		}
	}
	// The lower bound grows: a later retry never comes sooner than an earlier one could.
	for n := 1; n < 4; n++ {
		if b.Delay(n+1, 0) < b.Delay(n, 0.999) {
			t.Errorf("attempt %d can come sooner than attempt %d", n+1, n)
		}
	}
	// Out-of-range randomness is clamped, huge attempt numbers do not overflow.
	if d := b.Delay(3, 7); d > b.Step(3) {
		t.Errorf("r=7 gave %v > step", d)
	}
	if d := b.Delay(10_000, 0.5); d != 750*time.Millisecond {
		t.Errorf("attempt 10000: %v", d)
	}
	if d := (Backoff{}).Step(1); d != DefaultBackoffBase {
		t.Errorf("default base %v", d)
	}
}
