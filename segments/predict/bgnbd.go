package predict

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// BGNBD holds the parameters of the beta-geometric/negative-binomial model of Fader, Hardie &
// Lee (2005), "Counting Your Customers the Easy Way", Marketing Science 24(2): while alive a
// customer buys at rate λ ~ Gamma(R, Alpha) per period, and after each purchase drops out for
// good with probability p ~ Beta(A, B). Alpha is in the periods of the summaries it was fitted on.
type BGNBD struct {
	R, Alpha, A, B float64
}

func (m BGNBD) valid() bool {
	for _, v := range []float64{m.R, m.Alpha, m.A, m.B} {
		if !(v > 0) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// BGNBDFit is the result of FitBGNBD. When OK is false the parameters are zero and Reason says
// why.
type BGNBDFit struct {
	BGNBD
	LogLik       float64 // at the fitted parameters, over all customers
	Customers    int
	RepeatBuyers int
	Iterations   int // optimizer iterations of the best start
	OK           bool
	Reason       string
}

// bgGroup is one distinct (x, t_x, T) with the number of customers sharing it; ti and txi
// index T and t_x in their bgData's distinct values.
type bgGroup struct {
	x, tx, T, w float64
	ti, txi     int
}

// bgData is the groups of a fit and the distinct T and t_x values they take, so that a
// likelihood evaluation takes ln(α+T) and ln(α+t_x) once per value rather than per group.
type bgData struct {
	groups  []bgGroup
	ts, txs []float64
}

func bgGroups(sums []Summary, scale float64) bgData {
	type key struct {
		x     int
		tx, T float64
	}
	counts := make(map[key]float64, len(sums))
	for _, s := range sums {
		k := key{s.X, s.TX, s.T}
		if s.X == 0 {
			k.tx = 0
		}
		counts[k]++
	}
	gs := make([]bgGroup, 0, len(counts))
	for k, w := range counts {
		gs = append(gs, bgGroup{x: float64(k.x), tx: k.tx / scale, T: k.T / scale, w: w})
	}
	// Sorted by x so the x-only terms are computed once per distinct x; fully sorted so the
	// sum (and so the fit) does not depend on map order.
	slices.SortFunc(gs, func(a, b bgGroup) int {
		return cmp.Or(cmp.Compare(a.x, b.x), cmp.Compare(a.tx, b.tx), cmp.Compare(a.T, b.T))
	})
	d := bgData{groups: gs}
	ti, txi := map[float64]int{}, map[float64]int{}
	for i := range gs {
		g := &gs[i]
		g.ti, d.ts = distinctIndex(ti, d.ts, g.T)
		g.txi, d.txs = distinctIndex(txi, d.txs, g.tx)
	}
	return d
}

// distinctIndex returns v's index in values (indexed by index), appending it when new.
func distinctIndex(index map[float64]int, values []float64, v float64) (int, []float64) {
	if i, ok := index[v]; ok {
		return i, values
	}
	index[v] = len(values)
	return len(values), append(values, v)
}

// bgLogLik is the BG/NBD log-likelihood (FHL 2005, eq. 6) of the groups; with grad non-nil it
// also writes ∂LL/∂(r, α, a, b) into grad[0:4].
//
//	LL = ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b)
//	     + ln[ (α+T)^−(r+x) + 1{x>0} · a/(b+x−1) · (α+t_x)^−(r+x) ]
//
// Every term is computed as it would be group by group (the logarithms shared between groups
// are of the same arguments), and summed in group order, so the result does not depend on the
// sharing.
func bgLogLik(m BGNBD, d *bgData, grad []float64) float64 {
	r, al, a, b := m.R, m.Alpha, m.A, m.B
	lgR, lgAB, lgB := lgamma(r), lgamma(a+b), lgamma(b)
	lnAl, lnA := math.Log(al), math.Log(a)
	var psR, psAB, psB float64
	if grad != nil {
		psR, psAB, psB = digamma(r), digamma(a+b), digamma(b)
		clear(grad[:4])
	}
	lnT, lnTx := logsOfSums(al, d.ts), logsOfSums(al, d.txs)
	var ll float64
	lastX := math.NaN()
	var lgRX, lgBX, lgABX, psRX, psBX, psABX, lnBX1 float64
	for _, g := range d.groups {
		x := g.x
		if x != lastX {
			lastX = x
			lgRX, lgBX, lgABX = lgamma(r+x), lgamma(b+x), lgamma(a+b+x)
			if x > 0 {
				lnBX1 = math.Log(b + x - 1)
			}
			if grad != nil {
				psRX, psBX, psABX = digamma(r+x), digamma(b+x), digamma(a+b+x)
			}
		}
		a1 := lgRX - lgR + r*lnAl
		a2 := lgAB + lgBX - lgB - lgABX
		la3 := lnT[g.ti]
		a3 := -(r + x) * la3
		w3, w4, la4, tail := 1.0, 0.0, 0.0, a3
		if x > 0 {
			la4 = lnTx[g.txi]
			a4 := lnA - lnBX1 - (r+x)*la4
			hi := math.Max(a3, a4)
			e3, e4 := math.Exp(a3-hi), math.Exp(a4-hi)
			tail = hi + math.Log(e3+e4)
			w3, w4 = e3/(e3+e4), e4/(e3+e4)
		}
		ll += g.w * (a1 + a2 + tail)
		if grad != nil {
			grad[0] += g.w * (psRX - psR + lnAl - w3*la3 - w4*la4)
			grad[1] += g.w * (r/al - (r+x)*(w3/(al+g.T)+w4/(al+g.tx)))
			grad[2] += g.w * (psAB - psABX + w4/a)
			grad[3] += g.w * (psAB + psBX - psB - psABX)
			if x > 0 {
				grad[3] -= g.w * w4 / (b + x - 1)
			}
		}
	}
	return ll
}

// logsOfSums returns ln(c+v) for every v of values.
func logsOfSums(c float64, values []float64) []float64 {
	out := make([]float64, len(values))
	for i, v := range values {
		out[i] = math.Log(c + v)
	}
	return out
}

// LogLikelihood is the BG/NBD log-likelihood of the summaries (NaN for invalid parameters or
// an impossible summary).
func (m BGNBD) LogLikelihood(sums []Summary) float64 {
	if !m.valid() {
		return math.NaN()
	}
	for _, s := range sums {
		if checkSummary(s) != nil {
			return math.NaN()
		}
	}
	d := bgGroups(sums, 1)
	return bgLogLik(m, &d, nil)
}

// FitBGNBD estimates the BG/NBD parameters by maximum likelihood. It refuses (OK false, a
// *FitError) with fewer than opts' minimum of repeat buyers, when the optimizer does not
// converge, and when a parameter runs off to 0 or infinity.
//
// The likelihood is maximized over log-parameters (so they stay positive) by BFGS with the
// analytic gradient, from several starting points, on the data rescaled so the mean T is 1
// (Alpha is scaled back afterwards; the other parameters are scale-free).
func FitBGNBD(sums []Summary, opts FitOptions) (BGNBDFit, error) {
	fit := BGNBDFit{Customers: len(sums)}
	fail := func(kind error, format string, args ...any) (BGNBDFit, error) {
		fit.BGNBD, fit.OK, fit.Reason = BGNBD{}, false, fmt.Sprintf(format, args...)
		return fit, &FitError{Model: "BG/NBD", Reason: fit.Reason, Kind: kind}
	}
	var meanT float64
	for _, s := range sums {
		if err := checkSummary(s); err != nil {
			return fail(ErrInvalidSummary, "%v", err)
		}
		if s.X > 0 {
			fit.RepeatBuyers++
		}
		meanT += s.T
	}
	if need := opts.minRepeat(); fit.RepeatBuyers < need {
		return fail(ErrTooLittleHistory, "only %d of %d customers bought again in the calibration period; need at least %d repeat buyers (use more history or a later calibration end)",
			fit.RepeatBuyers, len(sums), need)
	}
	meanT /= float64(len(sums))
	if !(meanT > 0) {
		meanT = 1
	}
	gs := bgGroups(sums, meanT)
	n := float64(len(sums))
	f := func(th, g []float64) float64 { // safe for concurrent use (bestFit's starts)
		var gr [4]float64
		m := BGNBD{R: math.Exp(th[0]), Alpha: math.Exp(th[1]), A: math.Exp(th[2]), B: math.Exp(th[3])}
		ll := bgLogLik(m, &gs, gr[:])
		g[0], g[1], g[2], g[3] = -gr[0]*m.R/n, -gr[1]*m.Alpha/n, -gr[2]*m.A/n, -gr[3]*m.B/n
		return -ll / n
	}
	starts := [][]float64{
		{0, 0, 0, 0},
		{math.Log(0.25), math.Log(0.15), math.Log(0.8), math.Log(2.5)},
		{math.Log(2), math.Log(0.5), math.Log(2), math.Log(8)},
	}
	best := bestFit(f, starts)
	fit.Iterations = best.iters
	if !finite(best.f) {
		return fail(ErrNotConverged, "the likelihood is not finite at any starting point")
	}
	scaled := []float64{math.Exp(best.x[0]), math.Exp(best.x[1]), math.Exp(best.x[2]), math.Exp(best.x[3])}
	if reason := edgeReason([]string{"r", "alpha", "a", "b"}, scaled); reason != "" {
		return fail(ErrDegenerate, "%s (r=%.3g alpha=%.3g a=%.3g b=%.3g)", reason,
			scaled[0], scaled[1]*meanT, scaled[2], scaled[3])
	}
	if !best.converged {
		return fail(ErrNotConverged, "no maximum of the likelihood found after %d iterations (largest gradient %.2g)", best.iters, best.gmax)
	}
	fit.BGNBD = BGNBD{R: scaled[0], Alpha: scaled[1] * meanT, A: scaled[2], B: scaled[3]}
	unscaled := bgGroups(sums, 1)
	fit.LogLik = bgLogLik(fit.BGNBD, &unscaled, nil)
	if !finite(fit.LogLik) {
		return fail(ErrDegenerate, "the log-likelihood at the optimum is not finite")
	}
	fit.OK = true
	return fit, nil
}

// PAlive is the probability that a customer with history (x, t_x, T) is still alive at T
// (FHL 2005 eq. 11; 1 when x = 0 as the model cannot drop a customer before a repeat purchase).
// NaN for invalid parameters or history.
func (m BGNBD) PAlive(x, tx, T float64) float64 {
	if !m.valid() || !(x >= 0) || !(tx >= 0) || !(T >= tx) || math.IsInf(T, 0) {
		return math.NaN()
	}
	if x == 0 {
		return 1
	}
	if !(m.B+x-1 > 0) {
		return math.NaN()
	}
	lr := math.Log(m.A) - math.Log(m.B+x-1) + (m.R+x)*(math.Log(m.Alpha+T)-math.Log(m.Alpha+tx))
	return 1 / (1 + math.Exp(lr))
}

// ExpectedPurchases is E[X(t)], the expected number of purchases in t periods by a new
// customer (FHL 2005 eq. 7). NaN for invalid parameters or t.
func (m BGNBD) ExpectedPurchases(t float64) float64 {
	if !m.valid() || !(t >= 0) || math.IsInf(t, 0) {
		return math.NaN()
	}
	return expectedAlive(m.R, m.Alpha, m.A, m.B, t)
}

// ConditionalExpectedPurchases is E[Y(t) | x, t_x, T], the expected number of purchases in the
// t periods after T by a customer with history (x, t_x, T) (FHL 2005 eq. 10). NaN for invalid
// parameters, history or t.
//
// It is computed as P(alive) · E[X(t)] under the posterior parameters (r+x, α+T, a, b+x): a
// customer alive at T starts afresh by the memorylessness of the purchase process. That
// product is exactly eq. 10, which lifetimes evaluates with hyp2f1(r+x, b+x; a+b+x−1;
// t/(α+T+t)).
func (m BGNBD) ConditionalExpectedPurchases(t, x, tx, T float64) float64 {
	pa := m.PAlive(x, tx, T)
	if math.IsNaN(pa) || !(t >= 0) || math.IsInf(t, 0) {
		return math.NaN()
	}
	return pa * expectedAlive(m.R+x, m.Alpha+T, m.A, m.B+x, t)
}

// expectedAlive is E[X(t)] for a customer alive at time 0 with λ ~ Gamma(r, α), p ~ Beta(a, b):
//
//	(a+b−1)/(a−1) · [1 − (α/(α+t))^r · ₂F₁(r, b; a+b−1; t/(α+t))].
//
// The closed form divides by a−1 and needs a+b−1 > 0; near a = 1, for a+b ≤ 1 or when the
// series does not converge it integrates E[(1 − (α/(α+pt))^r)/p] over p ~ Beta(a, b) instead,
// which is the same quantity (E[X(t) | λ, p] = (1 − e^(−λpt))/p, FHL eq. 8) without either
// restriction.
func expectedAlive(r, alpha, a, b, t float64) float64 {
	if t == 0 {
		return 0
	}
	if c := a + b - 1; math.Abs(a-1) >= 1e-4 && c > 1e-3 {
		if f, ok := hyp2f1(r, b, c, t/(alpha+t)); ok && f > 0 {
			v := c / (a - 1) * -math.Expm1(math.Log(f)-r*math.Log1p(t/alpha))
			if finite(v) && v >= 0 {
				return v
			}
		}
	}
	return expectedAliveQuad(r, alpha, a, b, t)
}

// expectedAliveQuad is expectedAlive by quadrature over p.
func expectedAliveQuad(r, alpha, a, b, t float64) float64 {
	k := t / alpha
	return integrateBeta(func(p float64) float64 {
		y := p * k
		if y < 1e-200 {
			return r * k // the limit as p → 0 (and its value to within 1e-200 relative)
		}
		return -math.Expm1(-r*math.Log1p(y)) / p
	}, a, b)
}

// ExpectedPurchasesAt sets out[i] to ExpectedPurchases(ts[i]) for every i, sharing one pass of
// the hypergeometric series across the times: its coefficients do not depend on t, only its
// argument does. Each time stops at the same term as ExpectedPurchases would, so the results
// are identical. out must be at least as long as ts.
func (m BGNBD) ExpectedPurchasesAt(ts, out []float64) {
	if !m.valid() {
		for i := range ts {
			out[i] = math.NaN()
		}
		return
	}
	c := m.A + m.B - 1
	if math.Abs(m.A-1) < 1e-4 || !(c > 1e-3) || len(ts) > 64 {
		for i, t := range ts {
			out[i] = m.ExpectedPurchases(t)
		}
		return
	}
	var z, sum, term [64]float64
	var done [64]bool
	left := 0
	for i, t := range ts {
		switch {
		case !(t >= 0) || math.IsInf(t, 0):
			out[i], done[i] = math.NaN(), true
		case t == 0:
			out[i], done[i] = 0, true
		default:
			z[i], sum[i], term[i] = t/(m.Alpha+t), 1, 1
			left++
		}
	}
	a, b := m.R, m.B
	settle := math.Abs(a) + math.Abs(b) + math.Abs(c) + 2
	for n := 0; n < hyp2f1MaxTerms && left > 0; n++ {
		fn := float64(n)
		coef := (a + fn) * (b + fn) / ((c + fn) * (fn + 1))
		for i := range ts {
			if done[i] {
				continue
			}
			ratio := coef * z[i]
			term[i] *= ratio
			sum[i] += term[i]
			converged := term[i] == 0
			if !converged && (math.IsInf(sum[i], 0) || math.IsNaN(sum[i])) {
				out[i], done[i] = m.ExpectedPurchases(ts[i]), true // the quadrature path
				left--
				continue
			}
			if !converged && fn >= settle {
				q := math.Max(math.Abs(ratio), z[i])
				converged = q < 1 && math.Abs(term[i])*q/(1-q) <= 1e-17*math.Abs(sum[i])
			}
			if converged {
				out[i], done[i] = m.closedForm(sum[i], ts[i]), true
				left--
			}
		}
	}
	for i := range ts {
		if !done[i] {
			out[i] = m.ExpectedPurchases(ts[i])
		}
	}
}

// closedForm is expectedAlive's closed form given the series value f at t, with its
// fallback to the quadrature when the result is not usable.
func (m BGNBD) closedForm(f, t float64) float64 {
	c := m.A + m.B - 1
	if f > 0 {
		v := c / (m.A - 1) * -math.Expm1(math.Log(f)-m.R*math.Log1p(t/m.Alpha))
		if finite(v) && v >= 0 {
			return v
		}
	}
	return expectedAliveQuad(m.R, m.Alpha, m.A, m.B, t)
}
