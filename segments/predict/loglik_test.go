package predict

import (
	"math"
	"math/rand/v2"
	"testing"
)

// bgLogLikDirect is bgLogLik as it was before it took the logarithms of α+T, α+t_x and b+x−1
// once per distinct value: the reference its results must equal bit for bit.
func bgLogLikDirect(m BGNBD, gs []bgGroup, grad []float64) float64 {
	r, al, a, b := m.R, m.Alpha, m.A, m.B
	lgR, lgAB, lgB := lgamma(r), lgamma(a+b), lgamma(b)
	lnAl, lnA := math.Log(al), math.Log(a)
	var psR, psAB, psB float64
	if grad != nil {
		psR, psAB, psB = digamma(r), digamma(a+b), digamma(b)
		clear(grad[:4])
	}
	var ll float64
	lastX := math.NaN()
	var lgRX, lgBX, lgABX, psRX, psBX, psABX float64
	for _, g := range gs {
		x := g.x
		if x != lastX {
			lastX = x
			lgRX, lgBX, lgABX = lgamma(r+x), lgamma(b+x), lgamma(a+b+x)
			if grad != nil {
				psRX, psBX, psABX = digamma(r+x), digamma(b+x), digamma(a+b+x)
			}
		}
		a1 := lgRX - lgR + r*lnAl
		a2 := lgAB + lgBX - lgB - lgABX
		la3 := math.Log(al + g.T)
		a3 := -(r + x) * la3
		w3, w4, la4, tail := 1.0, 0.0, 0.0, a3
		if x > 0 {
			la4 = math.Log(al + g.tx)
			a4 := lnA - math.Log(b+x-1) - (r+x)*la4
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

// ggLogLikDirect is ggLogLik as it was before it took the x-only terms once per distinct x and
// ln m once per point: the reference its results must equal bit for bit.
func ggLogLikDirect(g GammaGamma, pts []ggPoint, grad []float64) float64 {
	p, q, ga := g.P, g.Q, g.Gamma
	lgQ, lnGa := lgamma(q), math.Log(ga)
	var psQ float64
	if grad != nil {
		psQ = digamma(q)
		clear(grad[:3])
	}
	var ll float64
	for _, pt := range pts {
		x, m := pt.x, pt.m
		px := p * x
		lnM, lnX, lnD := math.Log(m), math.Log(x), math.Log(ga+x*m)
		ll += lgamma(px+q) - lgamma(px) - lgQ + q*lnGa + (px-1)*lnM + px*lnX - (px+q)*lnD
		if grad != nil {
			psPXQ := digamma(px + q)
			grad[0] += x * (psPXQ - digamma(px) + lnM + lnX - lnD)
			grad[1] += psPXQ - psQ + lnGa - lnD
			grad[2] += q/ga - (px+q)/(ga+x*m)
		}
	}
	return ll
}

func sameBits(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

func sameBitsAll(a, b []float64) bool {
	for i := range a {
		if !sameBits(a[i], b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}

// The likelihoods and their gradients are the same to the bit as the direct computation, on
// the CDNOW sample and on simulated data, at parameters near and far from the optimum.
func TestLogLikelihoodsAreTheDirectOnesToTheBit(t *testing.T) {
	_, cdnow := cdnowSample(t)
	datasets := [][]Summary{cdnow, simulate(3, 20000, BGNBD{R: 0.6, Alpha: 5, A: 1.5, B: 4}, GammaGamma{P: 5, Q: 3, Gamma: 20})}
	rng := rand.New(rand.NewPCG(1, 2))
	for di, sums := range datasets {
		for _, scale := range []float64{1, 7.3} {
			bg, gg := bgGroups(sums, scale), ggPoints(sums, scale)
			for range 50 {
				e := func() float64 { return math.Exp(rng.NormFloat64() * 2) }
				bm, gm := BGNBD{R: e(), Alpha: e(), A: e(), B: e()}, GammaGamma{P: e(), Q: e(), Gamma: e()}
				var g1, g2 [4]float64
				if l1, l2 := bgLogLik(bm, &bg, g1[:]), bgLogLikDirect(bm, bg.groups, g2[:]); !sameBits(l1, l2) || !sameBitsAll(g1[:], g2[:]) {
					t.Fatalf("data %d, %+v: BG/NBD %v %v, direct %v %v", di, bm, l1, g1, l2, g2)
				}
				if l1, l2 := bgLogLik(bm, &bg, nil), bgLogLikDirect(bm, bg.groups, nil); !sameBits(l1, l2) {
					t.Fatalf("data %d, %+v: BG/NBD without gradient %v, direct %v", di, bm, l1, l2)
				}
				var h1, h2 [3]float64
				if l1, l2 := ggLogLik(gm, &gg, h1[:]), ggLogLikDirect(gm, gg.points, h2[:]); !sameBits(l1, l2) || !sameBitsAll(h1[:], h2[:]) {
					t.Fatalf("data %d, %+v: Gamma-Gamma %v %v, direct %v %v", di, gm, l1, h1, l2, h2)
				}
				if l1, l2 := ggLogLik(gm, &gg, nil), ggLogLikDirect(gm, gg.points, nil); !sameBits(l1, l2) {
					t.Fatalf("data %d, %+v: Gamma-Gamma without gradient %v, direct %v", di, gm, l1, l2)
				}
			}
		}
	}
}
