package predict

import (
	"math"
	"reflect"
	"testing"
)

// bestFitInTurn is bestFit running the starts one after the other, as it did before they ran
// side by side: the reference for the result, bit for bit.
func bestFitInTurn(f objective, starts [][]float64) optResult {
	var best optResult
	have := false
	for _, x0 := range starts {
		r := minimizeBFGS(f, x0)
		if !finite(r.f) {
			continue
		}
		better := !have || (r.converged && !best.converged) || (r.converged == best.converged && r.f < best.f)
		if better {
			best, have = r, true
		}
	}
	if !have {
		best.f = math.NaN()
	}
	return best
}

func TestBestFitIsTheChoiceInTurn(t *testing.T) {
	sums := simulate(7, 5000, BGNBD{R: 0.6, Alpha: 5, A: 1.5, B: 4}, GammaGamma{P: 5, Q: 3, Gamma: 20})
	gs := bgGroups(sums, 30)
	n := float64(len(sums))
	bg := func(th, g []float64) float64 {
		var gr [4]float64
		m := BGNBD{R: math.Exp(th[0]), Alpha: math.Exp(th[1]), A: math.Exp(th[2]), B: math.Exp(th[3])}
		ll := bgLogLik(m, &gs, gr[:])
		g[0], g[1], g[2], g[3] = -gr[0]*m.R/n, -gr[1]*m.Alpha/n, -gr[2]*m.A/n, -gr[3]*m.B/n
		return -ll / n
	}
	// Starts that converge to the optimum, one that does not get there, one that is infeasible.
	starts := [][]float64{{0, 0, 0, 0}, {-1.4, -1.9, -0.2, 0.9}, {0.7, -0.7, 0.7, 2.1}, {30, 30, 30, 30}, {math.NaN(), 0, 0, 0}}
	for k := 1; k <= len(starts); k++ {
		got, want := bestFit(bg, starts[:k]), bestFitInTurn(bg, starts[:k])
		if !reflect.DeepEqual(got, want) && !(math.IsNaN(got.f) && math.IsNaN(want.f)) {
			t.Fatalf("%d starts: got %+v, want %+v", k, got, want)
		}
	}
	if r := bestFit(bg, starts); !r.converged || !finite(r.f) {
		t.Fatalf("no converged fit: %+v", r)
	}
	if r := bestFit(bg, starts[3:]); r.converged {
		t.Fatalf("converged from the bad starts alone: %+v", r)
	}
}
