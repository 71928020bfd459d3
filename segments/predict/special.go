package predict

import "math"

// digamma is ψ(x), the derivative of ln Γ(x), for x > 0: the recurrence ψ(x) = ψ(x+1) − 1/x up
// to x ≥ 10, then the asymptotic series to x⁻¹² (truncation error below 1e-15 there).
func digamma(x float64) float64 {
	if !(x > 0) || math.IsInf(x, 1) {
		if math.IsInf(x, 1) {
			return x
		}
		return math.NaN()
	}
	var acc float64
	for x < 10 {
		acc -= 1 / x
		x++
	}
	f := 1 / (x * x)
	series := f * (-1.0/12 + f*(1.0/120+f*(-1.0/252+f*(1.0/240+f*(-1.0/132+f*(691.0/32760))))))
	return acc + math.Log(x) - 0.5/x + series
}

// lgamma is ln Γ(x) for x > 0.
func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// lbeta is ln B(a, b) for a, b > 0.
func lbeta(a, b float64) float64 {
	return lgamma(a) + lgamma(b) - lgamma(a+b)
}

// hyp2f1MaxTerms bounds the Gauss series; beyond it the caller falls back to quadrature.
const hyp2f1MaxTerms = 200000

// hyp2f1 is the Gaussian hypergeometric function ₂F₁(a, b; c; z) by its power series
// Σ (a)ₙ(b)ₙ / ((c)ₙ n!) zⁿ, which converges for |z| < 1. ok is false when the series did not
// converge within hyp2f1MaxTerms terms, overflowed, or |z| ≥ 1, or c is a non-positive integer.
//
// With a, b, c > 0 and 0 ≤ z < 1 (the only way the models call it) every term is positive, so
// there is no cancellation however many terms are needed: near z = 1 the series is merely long
// (about ln(1e16)/(1−z) terms past its peak), and when it is too long or its sum overflows the
// callers switch to a quadrature of the same expectation (see expectedAliveQuad), which needs no
// connection formula and so has no trouble with the integer cases of c − a − b.
func hyp2f1(a, b, c, z float64) (float64, bool) {
	if z == 0 {
		return 1, true
	}
	if !(math.Abs(z) < 1) || math.IsNaN(a+b+c) || (c <= 0 && c == math.Floor(c)) {
		return math.NaN(), false
	}
	sum, term := 1.0, 1.0
	settle := math.Abs(a) + math.Abs(b) + math.Abs(c) + 2
	az := math.Abs(z)
	for n := 0; n < hyp2f1MaxTerms; n++ {
		fn := float64(n)
		ratio := (a + fn) * (b + fn) / ((c + fn) * (fn + 1)) * z
		term *= ratio
		sum += term
		if term == 0 {
			return sum, true
		}
		if math.IsInf(sum, 0) || math.IsNaN(sum) {
			return math.NaN(), false
		}
		if fn < settle {
			continue
		}
		// Past n ≈ |a|+|b|+|c| the term ratios approach z monotonically, so the larger of the
		// current ratio and |z| bounds every later ratio and the tail is at most a geometric sum.
		q := math.Max(math.Abs(ratio), az)
		if q < 1 && math.Abs(term)*q/(1-q) <= 1e-17*math.Abs(sum) {
			return sum, true
		}
	}
	return math.NaN(), false
}

// softplus is ln(1 + eˣ) without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// integrateBeta returns ∫₀¹ g(p) · Beta(p; a, b) dp by tanh-sinh (double-exponential)
// quadrature, which copes with the algebraic endpoint singularities of the Beta density.
// g gets p and must stay finite on (0, 1) (p itself may underflow to 0 in the far left tail).
// The substitution p = σ(2v), v = (π/2)·sinh(s) gives dp = π·cosh(s)·p(1−p) ds, and ln p and
// ln(1−p) are computed from v directly, so the density p^(a−1)(1−p)^(b−1) never loses digits at
// either end.
func integrateBeta(g func(p float64) float64, a, b float64) float64 {
	lnB := lbeta(a, b)
	point := func(s float64) float64 {
		v := math.Pi / 2 * math.Sinh(s)
		lnp, lnq := -softplus(-2*v), -softplus(2*v)
		w := math.Exp(a*lnp + b*lnq - lnB)
		if w == 0 {
			return 0
		}
		return math.Pi * math.Cosh(s) * w * g(math.Exp(lnp))
	}
	const sMax = 8.0 // v(8) ≈ 2341: the tails beyond are below e^(−4000·min(a,b))
	// Level 0: step 1/2 over [−sMax, sMax]; each further level halves the step, adding only the
	// new odd points.
	h := 0.5
	sum := point(0)
	for k := 1; float64(k)*h <= sMax; k++ {
		sum += point(float64(k)*h) + point(-float64(k)*h)
	}
	est := h * sum
	for level := 1; level <= 9; level++ {
		h /= 2
		for k := 1; float64(k)*h <= sMax; k += 2 {
			sum += point(float64(k)*h) + point(-float64(k)*h)
		}
		next := h * sum
		if math.Abs(next-est) <= 1e-13*math.Abs(next) {
			return next
		}
		est = next
	}
	return est
}
