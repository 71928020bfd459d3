package klaviyo

import (
	"testing"
	"time"

	"github.com/cohortd/cohortd/connectors/klaviyo/klaviyofake"
)

// The client's budgets are the ones the OpenAPI document publishes.
func TestBudgetsMatchTheSpec(t *testing.T) {
	spec, err := klaviyofake.Limits()
	if err != nil {
		t.Fatal(err)
	}
	for op, b := range budgets {
		s, ok := spec[op]
		if !ok {
			t.Errorf("%s: not in the spec", op)
			continue
		}
		if b.Burst != s.Burst || b.Steady != s.Steady || b.Daily != s.Daily {
			t.Errorf("%s: client %+v, spec %+v", op, b, s)
		}
	}
}

// Every fixed one-second and one-minute window, wherever it starts, holds at most the
// budget's requests.
func TestPacerStaysInsideEveryFixedWindow(t *testing.T) {
	for _, b := range []budget{{Burst: 10, Steady: 150}, {Burst: 75, Steady: 750}, {Burst: 1, Steady: 15}, {Burst: 3, Steady: 60}} {
		p := newPacer(b)
		t0 := time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC)
		var sends []time.Time
		for i := 0; i < 3*b.Steady; i++ {
			sends = append(sends, p.reserve(t0)) // everybody asks at once
		}
		for _, w := range []struct {
			size  time.Duration
			limit int
		}{{time.Second, b.Burst}, {time.Minute, b.Steady}} {
			for _, offset := range []time.Duration{0, 137 * time.Millisecond, 500 * time.Millisecond, 999 * time.Millisecond} {
				counts := map[int64]int{}
				for _, s := range sends {
					counts[int64(s.Add(offset).Sub(t0)/w.size)]++
				}
				for k, n := range counts {
					if n > w.limit {
						t.Errorf("%+v: window %s #%d (offset %s) holds %d > %d", b, w.size, k, offset, n, w.limit)
					}
				}
			}
		}
		// And it is not needlessly slow: no scheduler can send 3 steady windows' worth sooner
		// than 2 minutes plus one window's worth at the burst rate; the pacer is within 5%
		// (plus the slack it adds per window).
		ideal := 2*time.Minute + time.Duration(float64(b.Steady)/float64(b.Burst)*float64(time.Second))
		if span := sends[len(sends)-1].Sub(t0); span > ideal*105/100+2*windowSlack {
			t.Errorf("%+v: %d requests span %s, ideal %s", b, len(sends), span, ideal)
		}
	}
}

func TestPacerPausesAfterThrottle(t *testing.T) {
	p := newPacer(budget{Burst: 75, Steady: 750})
	p.pauseFor(2 * time.Second)
	if at := p.reserve(time.Now()); time.Until(at) < 1900*time.Millisecond {
		t.Errorf("send at +%s despite a 2 s pause", time.Until(at))
	}
}
