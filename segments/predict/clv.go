package predict

import "math"

// DaysPerMonth is the mean calendar month, 365.25/12 days, the month of CLV discounting.
// (lifetimes uses 4.345 weeks = 30.415 days; the difference is under 0.1% per month.)
const DaysPerMonth = 365.25 / 12

// CustomerLifetimeValue is the discounted expected spend of a customer over the next horizon
// periods, computed like lifetimes' customer_lifetime_value: the horizon is cut into months of
// periodsPerMonth periods; each month's expected purchases (the growth of
// ConditionalExpectedPurchases across it) are valued at the Gamma-Gamma expected order value and
// discounted by (1+monthlyDiscount)^k at the end of month k. A horizon that is not a whole
// number of months ends with a partial month, discounted at its end. NaN for invalid input.
func CustomerLifetimeValue(bg BGNBD, gg GammaGamma, s Summary, horizon, periodsPerMonth, monthlyDiscount float64) float64 {
	if !(horizon >= 0) || !(periodsPerMonth > 0) || !(monthlyDiscount > -1) ||
		math.IsInf(horizon, 0) || math.IsInf(periodsPerMonth, 0) || math.IsInf(monthlyDiscount, 0) {
		return math.NaN()
	}
	x := float64(s.X)
	aov := gg.ConditionalExpectedAOV(x, s.Monetary)
	if math.IsNaN(aov) || math.IsNaN(bg.PAlive(x, s.TX, s.T)) {
		return math.NaN()
	}
	months := int(math.Ceil(horizon/periodsPerMonth - 1e-9))
	if months > 12000 {
		return math.NaN() // a thousand years: not a horizon anyone means
	}
	var clv, prev float64
	for k := 1; k <= months; k++ {
		end := math.Min(float64(k)*periodsPerMonth, horizon)
		cum := bg.ConditionalExpectedPurchases(end, x, s.TX, s.T)
		clv += aov * (cum - prev) / math.Pow(1+monthlyDiscount, end/periodsPerMonth)
		prev = cum
	}
	return clv
}
