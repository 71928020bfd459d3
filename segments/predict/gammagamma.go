package predict

import (
	"fmt"
	"math"
)

// GammaGamma holds the parameters of the Gamma-Gamma model of spend per transaction (Fader,
// Hardie & Lee 2005, "RFM and CLV: Using Iso-Value Curves for Customer Base Analysis", JMR
// 42(4); Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value"): a customer's
// transaction values are Gamma(P, ν) with ν ~ Gamma(Q, Gamma) across customers, independent of
// the purchase process. Gamma is in the currency of the amounts.
type GammaGamma struct {
	P, Q, Gamma float64
}

func (g GammaGamma) valid() bool {
	for _, v := range []float64{g.P, g.Q, g.Gamma} {
		if !(v > 0) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// GammaGammaFit is the result of FitGammaGamma. When OK is false the parameters are zero and
// Reason says why.
type GammaGammaFit struct {
	GammaGamma
	LogLik float64 // of the mean spends z̄ (the density of z̄, as in CLVTools and lifetimes)
	// Customers is the number of customers the model was fitted on: repeat buyers (X > 0)
	// with a positive Monetary.
	Customers int
	// FreqMonetaryCorr is the Pearson correlation between X and Monetary over those customers.
	// The model assumes spend is independent of purchase frequency; a correlation far from 0
	// (say beyond ±0.3) means its predictions deserve less trust.
	FreqMonetaryCorr float64
	Iterations       int
	OK               bool
	Reason           string
}

// ggPoint is one repeat buyer: x repeat transactions of mean m (ln m kept, it does not depend
// on the parameters), xi the index of x in its ggData's distinct values.
type ggPoint struct {
	x, m, lnM float64
	xi        int
}

// ggData is the points of a fit and the distinct numbers of transactions they have, so that a
// likelihood evaluation computes the terms of x alone once per value rather than per point.
type ggData struct {
	points []ggPoint
	xs     []float64
}

// ggLogLik is the log-likelihood of the mean spends: with x repeat transactions of mean m,
//
//	ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln m + px ln x − (px+q) ln(γ + x m)
//
// and, with grad non-nil, writes ∂LL/∂(p, q, γ) into grad[0:3]. Every term is computed as it
// would be point by point (the shared ones are of the same arguments), and summed in point
// order, so the result does not depend on the sharing.
func ggLogLik(g GammaGamma, d *ggData, grad []float64) float64 {
	p, q, ga := g.P, g.Q, g.Gamma
	lgQ, lnGa := lgamma(q), math.Log(ga)
	var psQ float64
	if grad != nil {
		psQ = digamma(q)
		clear(grad[:3])
	}
	terms := ggTermsOfX(p, q, d.xs, grad != nil)
	var ll float64
	for _, pt := range d.points {
		x, m, lnM := pt.x, pt.m, pt.lnM
		tx := &terms[pt.xi]
		px := tx.px
		lnD := math.Log(ga + x*m)
		ll += tx.lgPXQ - tx.lgPX - lgQ + q*lnGa + (px-1)*lnM + px*tx.lnX - (px+q)*lnD
		if grad != nil {
			grad[0] += x * (tx.psPXQ - tx.psPX + lnM + tx.lnX - lnD)
			grad[1] += tx.psPXQ - psQ + lnGa - lnD
			grad[2] += q/ga - (px+q)/(ga+x*m)
		}
	}
	return ll
}

// ggXTerms are the terms of ggLogLik that depend on x and the parameters only.
type ggXTerms struct {
	px, lgPXQ, lgPX, lnX, psPXQ, psPX float64
}

func ggTermsOfX(p, q float64, xs []float64, withGrad bool) []ggXTerms {
	out := make([]ggXTerms, len(xs))
	for i, x := range xs {
		px := p * x
		t := ggXTerms{px: px, lgPXQ: lgamma(px + q), lgPX: lgamma(px), lnX: math.Log(x)}
		if withGrad {
			t.psPXQ, t.psPX = digamma(px+q), digamma(px)
		}
		out[i] = t
	}
	return out
}

func ggPoints(sums []Summary, scale float64) ggData {
	var d ggData
	index := map[float64]int{}
	for _, s := range sums {
		if s.X > 0 && s.Monetary > 0 {
			pt := ggPoint{x: float64(s.X), m: s.Monetary / scale}
			pt.lnM = math.Log(pt.m)
			pt.xi, d.xs = distinctIndex(index, d.xs, pt.x)
			d.points = append(d.points, pt)
		}
	}
	return d
}

// LogLikelihood is the Gamma-Gamma log-likelihood of the repeat buyers with positive spend
// among sums (NaN for invalid parameters or an impossible summary).
func (g GammaGamma) LogLikelihood(sums []Summary) float64 {
	if !g.valid() {
		return math.NaN()
	}
	for _, s := range sums {
		if checkSummary(s) != nil {
			return math.NaN()
		}
	}
	d := ggPoints(sums, 1)
	return ggLogLik(g, &d, nil)
}

// FitGammaGamma estimates the Gamma-Gamma parameters by maximum likelihood on the repeat
// buyers (X > 0) with a positive Monetary. It refuses (OK false, a *FitError) with fewer of them
// than opts' minimum, when the optimizer does not converge, when a parameter runs off to 0 or
// infinity, and when q ≤ 1 (the mean spend of the population would be infinite).
//
// As for BG/NBD: BFGS over log-parameters with the analytic gradient, several starts, and
// spends rescaled to unit mean (Gamma is scaled back).
func FitGammaGamma(sums []Summary, opts FitOptions) (GammaGammaFit, error) {
	var fit GammaGammaFit
	fail := func(kind error, format string, args ...any) (GammaGammaFit, error) {
		fit.GammaGamma, fit.OK, fit.Reason = GammaGamma{}, false, fmt.Sprintf(format, args...)
		return fit, &FitError{Model: "Gamma-Gamma", Reason: fit.Reason, Kind: kind}
	}
	for _, s := range sums {
		if err := checkSummary(s); err != nil {
			return fail(ErrInvalidSummary, "%v", err)
		}
	}
	raw := ggPoints(sums, 1)
	fit.Customers = len(raw.points)
	if need := opts.minRepeat(); len(raw.points) < need {
		return fail(ErrTooLittleHistory, "only %d repeat buyers with a positive spend; need at least %d (use more history or a later calibration end)",
			len(raw.points), need)
	}
	fit.FreqMonetaryCorr = pearson(raw.points)
	var mean float64
	for _, pt := range raw.points {
		mean += pt.m
	}
	mean /= float64(len(raw.points))
	pts := ggPoints(sums, mean)
	n := float64(len(pts.points))
	f := func(th, g []float64) float64 { // safe for concurrent use (bestFit's starts)
		var gr [3]float64
		m := GammaGamma{P: math.Exp(th[0]), Q: math.Exp(th[1]), Gamma: math.Exp(th[2])}
		ll := ggLogLik(m, &pts, gr[:])
		g[0], g[1], g[2] = -gr[0]*m.P/n, -gr[1]*m.Q/n, -gr[2]*m.Gamma/n
		return -ll / n
	}
	// On unit-mean data the population mean spend pγ/(q−1) should come out near 1.
	starts := [][]float64{
		{0, 0, 0},
		{math.Log(4), math.Log(3), math.Log(0.5)},
		{math.Log(10), math.Log(5), math.Log(0.4)},
	}
	best := bestFit(f, starts)
	fit.Iterations = best.iters
	if !finite(best.f) {
		return fail(ErrNotConverged, "the likelihood is not finite at any starting point")
	}
	scaled := []float64{math.Exp(best.x[0]), math.Exp(best.x[1]), math.Exp(best.x[2])}
	if reason := edgeReason([]string{"p", "q", "gamma"}, scaled); reason != "" {
		return fail(ErrDegenerate, "%s (p=%.3g q=%.3g gamma=%.3g)", reason, scaled[0], scaled[1], scaled[2]*mean)
	}
	if !best.converged {
		return fail(ErrNotConverged, "no maximum of the likelihood found after %d iterations (largest gradient %.2g)", best.iters, best.gmax)
	}
	if scaled[1] <= 1 {
		return fail(ErrDegenerate, "q = %.3g ≤ 1: spend varies so much between customers that the model's mean spend is infinite", scaled[1])
	}
	fit.GammaGamma = GammaGamma{P: scaled[0], Q: scaled[1], Gamma: scaled[2] * mean}
	fit.LogLik = ggLogLik(fit.GammaGamma, &raw, nil)
	if !finite(fit.LogLik) {
		return fail(ErrDegenerate, "the log-likelihood at the optimum is not finite")
	}
	fit.OK = true
	return fit, nil
}

// MeanAOV is the population mean spend per transaction, pγ/(q−1) (NaN unless q > 1): the
// expected order value of a customer with no repeat purchases.
func (g GammaGamma) MeanAOV() float64 {
	if !g.valid() || !(g.Q > 1) {
		return math.NaN()
	}
	return g.P * g.Gamma / (g.Q - 1)
}

// ConditionalExpectedAOV is E[Z | x, z̄], the expected spend per transaction of a customer with
// x repeat transactions of mean value z̄: (γ + x z̄)·p / (px + q − 1), a weighted mean of the
// population mean and z̄ (Fader & Hardie 2013 eq. 5). With x = 0 it is MeanAOV. NaN for invalid
// parameters or input.
func (g GammaGamma) ConditionalExpectedAOV(x, zbar float64) float64 {
	if !g.valid() || !(x >= 0) || !(zbar >= 0) || math.IsInf(x, 0) || math.IsInf(zbar, 0) {
		return math.NaN()
	}
	if x == 0 {
		return g.MeanAOV()
	}
	d := g.P*x + g.Q - 1
	if !(d > 0) {
		return math.NaN()
	}
	return (g.Gamma + x*zbar) * g.P / d
}

// pearson is the correlation of x and m over pts (0 when either is constant).
func pearson(pts []ggPoint) float64 {
	n := float64(len(pts))
	if n < 2 {
		return 0
	}
	var mx, mm float64
	for _, p := range pts {
		mx += p.x
		mm += p.m
	}
	mx /= n
	mm /= n
	var sxx, smm, sxm float64
	for _, p := range pts {
		dx, dm := p.x-mx, p.m-mm
		sxx += dx * dx
		smm += dm * dm
		sxm += dx * dm
	}
	if sxx == 0 || smm == 0 {
		return 0
	}
	return sxm / math.Sqrt(sxx*smm)
}
