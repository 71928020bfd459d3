package predict

import "math"

// objective returns f(x) and writes ∇f(x) into grad. A non-finite f marks x as infeasible.
type objective func(x, grad []float64) float64

// optResult is where minimizeBFGS stopped.
type optResult struct {
	x         []float64
	f         float64
	gmax      float64 // largest absolute gradient component at x
	iters     int
	converged bool
}

// Tolerances of minimizeBFGS. The objectives are mean negative log-likelihoods per customer in
// log-parameter space, so gradients are O(1) far from the optimum.
const (
	bfgsMaxIter = 1000
	bfgsGTol    = 1e-8 // converged: every gradient component below this
	bfgsGLoose  = 1e-5 // accepted when the line search can make no more progress (rounding floor)
	bfgsMaxStep = 4.0  // longest step in log-parameter space (a factor e⁴ ≈ 55 per parameter)
)

// minimizeBFGS minimizes f from x0 by quasi-Newton BFGS with an Armijo backtracking line
// search. The inverse-Hessian approximation is reset to the identity whenever it stops giving
// a descent direction; the curvature update is skipped when sᵀy ≤ 0.
func minimizeBFGS(f objective, x0 []float64) optResult {
	n := len(x0)
	x := append([]float64(nil), x0...)
	g := make([]float64, n)
	fx := f(x, g)
	res := optResult{x: x, f: fx, gmax: maxAbs(g)}
	if !finite(fx) || !finite(res.gmax) {
		return res
	}
	H := identity(n)
	fresh := true // H is the identity (no curvature information yet)
	d := make([]float64, n)
	xn := make([]float64, n)
	gn := make([]float64, n)
	s := make([]float64, n)
	y := make([]float64, n)
	hy := make([]float64, n)
	stalled := 0 // consecutive iterations that lowered f by less than rounding
	for it := 0; it < bfgsMaxIter; it++ {
		res.iters = it
		if maxAbs(g) < bfgsGTol {
			res.converged = true
			break
		}
		mulVec(d, H, g)
		for i := range d {
			d[i] = -d[i]
		}
		slope := dot(d, g)
		if !(slope < 0) {
			H, fresh = identity(n), true
			for i := range d {
				d[i] = -g[i]
			}
			slope = dot(d, g)
		}
		step := 1.0
		if l := norm(d); l > bfgsMaxStep {
			step = bfgsMaxStep / l
		}
		var fn float64
		accepted := false
		for k := 0; k < 40; k++ {
			for i := range x {
				xn[i] = x[i] + step*d[i]
			}
			fn = f(xn, gn)
			if finite(fn) && finite(maxAbs(gn)) && fn <= fx+1e-4*step*slope {
				accepted = true
				break
			}
			step /= 2
		}
		if !accepted {
			if !fresh {
				H, fresh = identity(n), true
				continue
			}
			break
		}
		for i := range x {
			s[i] = xn[i] - x[i]
			y[i] = gn[i] - g[i]
		}
		if sy := dot(s, y); sy > 1e-12*norm(s)*norm(y) {
			if fresh {
				// Scale the initial identity to the observed curvature (Nocedal & Wright 6.20).
				scale := sy / dot(y, y)
				for i := range H {
					for j := range H[i] {
						H[i][j] *= scale
					}
				}
			}
			rho := 1 / sy
			mulVec(hy, H, y)
			yhy := dot(y, hy)
			for i := range H {
				for j := range H[i] {
					H[i][j] += -rho*(hy[i]*s[j]+s[i]*hy[j]) + (rho*rho*yhy+rho)*s[i]*s[j]
				}
			}
			fresh = false
		}
		if fx-fn <= 1e-14*(1+math.Abs(fx)) {
			stalled++
		} else {
			stalled = 0
		}
		copy(x, xn)
		copy(g, gn)
		fx = fn
		if stalled >= 5 {
			break // at the rounding floor of f: further steps are noise
		}
	}
	res.x, res.f, res.gmax = x, fx, maxAbs(g)
	if !res.converged && res.gmax < bfgsGLoose {
		res.converged = true
	}
	return res
}

func identity(n int) [][]float64 {
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n)
		m[i][i] = 1
	}
	return m
}

func mulVec(dst []float64, m [][]float64, v []float64) {
	for i := range m {
		dst[i] = dot(m[i], v)
	}
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func norm(v []float64) float64 { return math.Sqrt(dot(v, v)) }

func maxAbs(v []float64) float64 {
	var m float64
	for _, x := range v {
		if a := math.Abs(x); a > m || math.IsNaN(a) {
			m = a
		}
	}
	return m
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
