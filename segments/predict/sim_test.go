package predict

import (
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// gammaRand draws from Gamma(shape, rate) (Marsaglia & Tsang 2000, with the shape < 1 boost).
func gammaRand(rng *rand.Rand, shape, rate float64) float64 {
	if shape < 1 {
		return gammaRand(rng, shape+1, rate) * math.Pow(rng.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v / rate
		}
	}
}

func betaRand(rng *rand.Rand, a, b float64) float64 {
	x := gammaRand(rng, a, 1)
	return x / (x + gammaRand(rng, b, 1))
}

// simulate draws n customers from BG/NBD(m) and Gamma-Gamma(g), each observed for a T spread
// over [1, 52] periods, and summarizes them as Summarize would.
func simulate(seed uint64, n int, m BGNBD, g GammaGamma) []Summary {
	rng := rand.New(rand.NewPCG(seed, 1))
	sums := make([]Summary, n)
	for i := range sums {
		lambda := gammaRand(rng, m.R, m.Alpha)
		p := betaRand(rng, m.A, m.B)
		nu := gammaRand(rng, g.Q, g.Gamma)
		T := 1 + 51*rng.Float64()
		s := Summary{Customer: strconv.Itoa(i), T: T}
		var t, spend float64
		for {
			t += rng.ExpFloat64() / lambda
			if t > T {
				break
			}
			s.X++
			s.TX = t
			spend += gammaRand(rng, g.P, nu)
			if rng.Float64() < p {
				break
			}
		}
		if s.X > 0 {
			s.Monetary = spend / float64(s.X)
		}
		sums[i] = s
	}
	return sums
}

// TestFitRecoversSimulatedParameters fits data simulated from known parameters: the estimates
// must land near the truth (the tolerance allows for sampling error at this size).
func TestFitRecoversSimulatedParameters(t *testing.T) {
	truth := BGNBD{R: 0.6, Alpha: 5, A: 1.5, B: 4}
	gtruth := GammaGamma{P: 5, Q: 3, Gamma: 20}
	sums := simulate(42, 20000, truth, gtruth)
	bg, err := FitBGNBD(sums, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("BG/NBD truth %+v, fit %+v (%d repeat buyers)", truth, bg.BGNBD, bg.RepeatBuyers)
	// r and α are pinned down by 20,000 customers; a and b (the dropout) much less so: over
	// seeds 1-8 their estimates average 1.51 and 4.06 but single draws stray by up to 20%.
	if !within(bg.R, truth.R, 0.05) || !within(bg.Alpha, truth.Alpha, 0.05) || !within(bg.A, truth.A, 0.25) || !within(bg.B, truth.B, 0.25) {
		t.Errorf("BG/NBD %+v, truth %+v", bg.BGNBD, truth)
	}
	// The maximum must be at least as likely as the truth, and not by much more than the
	// sampling noise (twice the difference is about chi-squared with 4 degrees of freedom).
	if lt := truth.LogLikelihood(sums); !(bg.LogLik >= lt) || bg.LogLik-lt > 10 {
		t.Errorf("log-likelihood at the fit %.3f, at the truth %.3f", bg.LogLik, lt)
	}
	// The fitted model predicts the simulated repeat purchases in total.
	var x, e float64
	for _, s := range sums {
		x += float64(s.X)
		e += bg.ExpectedPurchases(s.T)
	}
	if !within(e, x, 0.02) {
		t.Errorf("expected %.0f repeat purchases in calibration, simulated %.0f", e, x)
	}
	gg, err := FitGammaGamma(sums, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Gamma-Gamma truth %+v, fit %+v (%d customers, corr %.3f)", gtruth, gg.GammaGamma, gg.Customers, gg.FreqMonetaryCorr)
	// p, q and γ trade off along a ridge; the population mean spend pγ/(q−1) is well determined.
	if !within(gg.MeanAOV(), gtruth.MeanAOV(), 0.05) || !within(gg.P, gtruth.P, 0.3) || !within(gg.Q, gtruth.Q, 0.3) {
		t.Errorf("Gamma-Gamma %+v (mean %.2f), truth %+v (mean %.2f)", gg.GammaGamma, gg.MeanAOV(), gtruth, gtruth.MeanAOV())
	}
	if lt := gtruth.LogLikelihood(sums); !(gg.LogLik >= lt) || gg.LogLik-lt > 10 {
		t.Errorf("Gamma-Gamma log-likelihood at the fit %.3f, at the truth %.3f", gg.LogLik, lt)
	}
	if math.Abs(gg.FreqMonetaryCorr) > 0.1 {
		t.Errorf("independent simulation gave frequency-spend correlation %.3f", gg.FreqMonetaryCorr)
	}
}

// TestFitGammaGammaRefusesInfiniteMean: with q < 1 the spend distribution has no mean and the
// model's order value and CLV are meaningless.
func TestFitGammaGammaRefusesInfiniteMean(t *testing.T) {
	sums := simulate(7, 5000, BGNBD{R: 2, Alpha: 5, A: 1, B: 6}, GammaGamma{P: 3, Q: 0.6, Gamma: 5})
	gg, err := FitGammaGamma(sums, FitOptions{})
	if !errors.Is(err, ErrDegenerate) || gg.OK || !strings.Contains(gg.Reason, "≤ 1") {
		t.Fatalf("q < 1 data: fit %+v, err %v", gg, err)
	}
	t.Log(err)
}
