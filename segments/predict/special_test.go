package predict

import (
	"math"
	"testing"
)

// Reference values below were computed with mpmath 1.3.0 at 30-40 significant digits
// (mpmath.digamma, mpmath.hyp2f1 in the closed form of E[X(t)], mpmath.quad at a = 1).

func TestDigamma(t *testing.T) {
	for _, c := range []struct{ x, want float64 }{
		{1e-3, -1000.5755719318103}, {0.5, -1.9635100260214235}, {1, -0.57721566490153286},
		{2.5, 0.70315664064524319}, {10, 2.2517525890667211}, {123.4, 4.8113737751162774},
	} {
		if got := digamma(c.x); math.Abs(got-c.want) > 1e-14*math.Max(1, math.Abs(c.want)) {
			t.Errorf("digamma(%g) = %.17g, want %.17g", c.x, got, c.want)
		}
	}
	if !math.IsNaN(digamma(0)) || !math.IsNaN(digamma(-1)) {
		t.Error("digamma outside x > 0 should be NaN")
	}
}

func TestHyp2f1(t *testing.T) {
	for _, z := range []float64{0.001, 0.3, 0.7, 0.95, 0.999} {
		if got, ok := hyp2f1(1, 1, 2, z); !ok || !within(got, -math.Log1p(-z)/z, 1e-13) {
			t.Errorf("2F1(1,1;2;%g) = %.17g %v, want %.17g", z, got, ok, -math.Log1p(-z)/z)
		}
		if got, ok := hyp2f1(0.7, 2.3, 2.3, z); !ok || !within(got, math.Pow(1-z, -0.7), 1e-13) {
			t.Errorf("2F1(0.7,2.3;2.3;%g) = %.17g %v, want %.17g", z, got, ok, math.Pow(1-z, -0.7))
		}
		s := math.Sqrt(z)
		if got, ok := hyp2f1(0.5, 0.5, 1.5, z); !ok || !within(got, math.Asin(s)/s, 1e-13) {
			t.Errorf("2F1(1/2,1/2;3/2;%g) = %.17g %v, want %.17g", z, got, ok, math.Asin(s)/s)
		}
	}
	if _, ok := hyp2f1(1, 1, 2, 1); ok {
		t.Error("z = 1 accepted")
	}
	if _, ok := hyp2f1(1, 1, -2, 0.5); ok {
		t.Error("c = -2 accepted")
	}
	// So close to 1 that the series would need millions of terms: it must give up, not loop.
	if _, ok := hyp2f1(0.3, 0.6, 0.1, 1-1e-9); ok {
		t.Error("z = 1-1e-9 claimed to converge")
	}
}

func TestExpectedAlive(t *testing.T) {
	cases := []struct {
		r, alpha, a, b, t, want float64
		path                    string
	}{
		// The paper's parameters; E[X(78)] etc.
		{0.243, 4.414, 0.793, 2.426, 0.1429, 0.007828347516072157, "series"},
		{0.243, 4.414, 0.793, 2.426, 3, 0.15086523089304623, "series"},
		{0.243, 4.414, 0.793, 2.426, 78, 1.8605190579427653, "series"},
		{0.243, 4.414, 0.793, 2.426, 5000, 11.98705307681211, "series"}, // z = 0.99912
		// The posterior of a frequent buyer (x = 26, T = 31): many terms before they shrink.
		{26.2426, 35.41, 0.793, 28.426, 52, 26.586458351012876, "series"},
		{100.2, 10, 2.5, 102, 500, 68.801191872359244, "series"},
		// a = 1 and a ≈ 1: the closed form divides by a − 1.
		{0.5, 2, 1.0, 3, 10, 1.5013726778259893, "quadrature"},
		{0.5, 2, 1.00001, 3, 10, 1.5013673582561441, "quadrature"},
		// a + b − 1 < 0: the closed form's ₂F₁ has c < 0.
		{2, 1, 0.3, 0.4, 20, 10.810107526010366, "quadrature"},
		// z = 1 − 1e-6: too long a series.
		{0.3, 0.01, 0.5, 0.6, 1e4, 497.02467091269253, "quadrature"},
	}
	for _, c := range cases {
		got := expectedAlive(c.r, c.alpha, c.a, c.b, c.t)
		if !within(got, c.want, 1e-10) {
			t.Errorf("expectedAlive%v (%s) = %.17g, want %.17g", []float64{c.r, c.alpha, c.a, c.b, c.t}, c.path, got, c.want)
		}
		// The quadrature is the fallback for every case, so it must agree everywhere.
		if q := expectedAliveQuad(c.r, c.alpha, c.a, c.b, c.t); !within(q, c.want, 1e-9) {
			t.Errorf("expectedAliveQuad%v = %.17g, want %.17g", []float64{c.r, c.alpha, c.a, c.b, c.t}, q, c.want)
		}
	}
	if got := expectedAlive(0.243, 4.414, 0.793, 2.426, 0); got != 0 {
		t.Errorf("E[X(0)] = %g", got)
	}
}

// numGrad checks an analytic gradient against central differences.
func numGrad(t *testing.T, name string, f func(x, g []float64) float64, x []float64) {
	t.Helper()
	g := make([]float64, len(x))
	f(x, g)
	scratch := make([]float64, len(x))
	for i := range x {
		h := 1e-6 * math.Max(1, math.Abs(x[i]))
		xp := append([]float64(nil), x...)
		xm := append([]float64(nil), x...)
		xp[i] += h
		xm[i] -= h
		num := (f(xp, scratch) - f(xm, scratch)) / (2 * h)
		if math.Abs(num-g[i]) > 1e-6*math.Max(1, math.Abs(num)) {
			t.Errorf("%s: ∂/∂x%d analytic %.10g, numeric %.10g", name, i, g[i], num)
		}
	}
}

func TestGradients(t *testing.T) {
	_, sums := cdnowSample(t)
	gs := bgGroups(sums, 1)
	bg := func(x, g []float64) float64 {
		return bgLogLik(BGNBD{R: x[0], Alpha: x[1], A: x[2], B: x[3]}, &gs, g)
	}
	numGrad(t, "BG/NBD", bg, []float64{0.243, 4.414, 0.793, 2.426})
	numGrad(t, "BG/NBD", bg, []float64{1.7, 0.3, 3.1, 0.6})
	pts := ggPoints(sums, 1)
	gg := func(x, g []float64) float64 {
		return ggLogLik(GammaGamma{P: x[0], Q: x[1], Gamma: x[2]}, &pts, g)
	}
	numGrad(t, "Gamma-Gamma", gg, []float64{6.25, 3.74, 15.44})
	numGrad(t, "Gamma-Gamma", gg, []float64{0.8, 1.5, 90})
}

func TestPredictionsRejectInvalidInput(t *testing.T) {
	m := BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	for _, v := range []float64{
		m.PAlive(-1, 0, 1), m.PAlive(1, 2, 1), m.PAlive(1, math.NaN(), 1),
		m.ConditionalExpectedPurchases(-1, 1, 1, 2), m.ExpectedPurchases(math.Inf(1)),
		BGNBD{}.ExpectedPurchases(1), BGNBD{R: 1, Alpha: 1, A: 1, B: math.NaN()}.PAlive(1, 1, 1),
		GammaGamma{P: 1, Q: 0.5, Gamma: 1}.MeanAOV(), GammaGamma{P: 1, Q: 2, Gamma: 1}.ConditionalExpectedAOV(1, -3),
		m.LogLikelihood([]Summary{{X: 1, TX: 3, T: 2}}),
	} {
		if !math.IsNaN(v) {
			t.Errorf("invalid input gave %g, want NaN", v)
		}
	}
	if p := m.PAlive(0, 0, 10); p != 1 {
		t.Errorf("P(alive | x=0) = %g, want 1", p)
	}
	// P(alive) falls as the silence since the last purchase grows.
	if a, b := m.PAlive(3, 30, 31), m.PAlive(3, 5, 31); !(a > b && b > 0) {
		t.Errorf("P(alive) recent %g, lapsed %g", a, b)
	}
}

// ExpectedPurchasesAt gives exactly what ExpectedPurchases gives, time by time.
func TestExpectedPurchasesAtMatches(t *testing.T) {
	ts := []float64{0, 0.5, 4.3, 13, 26, 39, 52, 104, 520}
	out := make([]float64, len(ts))
	for _, m := range []BGNBD{
		{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426},
		{R: 2.243, Alpha: 10.5, A: 0.793, B: 4.426},
		{R: 0.9, Alpha: 2, A: 0.0039, B: 6.65},
		{R: 0.5, Alpha: 3, A: 1.00001, B: 2}, // near a = 1: quadrature
		{R: 0.5, Alpha: 3, A: 0.2, B: 0.5},   // a + b <= 1: quadrature
		{R: 5.5, Alpha: 0.01, A: 3, B: 40},   // z close to 1
	} {
		m.ExpectedPurchasesAt(ts, out)
		for i, tt := range ts {
			if want := m.ExpectedPurchases(tt); out[i] != want && !(math.IsNaN(want) && math.IsNaN(out[i])) {
				t.Errorf("%+v t=%v: batch %v, single %v", m, tt, out[i], want)
			}
		}
	}
}
