package gen

import (
	"math"
	"math/bits"
)

// rng is a SplitMix64 generator. It is tiny, fast and, unlike math/rand,
// its output is fixed by this file, so generated data cannot change when
// the Go standard library changes its algorithms.
type rng struct{ s uint64 }

func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// newRNG returns the generator for (seed, index, stream): every person has
// independent streams, so people can be generated in any order or in
// parallel and still produce identical values.
func newRNG(seed, index, stream uint64) rng {
	return rng{s: mix64(mix64(seed+0x9e3779b97f4a7c15*(stream+1)) ^ mix64(index+0x632be59bd9b4e019))}
}

func (r *rng) u64() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// f64 returns a float in [0,1).
func (r *rng) f64() float64 { return float64(r.u64()>>11) / (1 << 53) }

// intn returns an int in [0,n); n must be > 0.
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.u64(), uint64(n))
	return int(hi)
}

func (r *rng) chance(p float64) bool { return r.f64() < p }

// norm returns a standard normal deviate (Box-Muller, one value per call).
func (r *rng) norm() float64 {
	u := 1 - r.f64()
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*r.f64())
}

func (r *rng) exp() float64 { return -math.Log(1 - r.f64()) }

// gamma returns a Gamma(k, 1) deviate (Marsaglia-Tsang).
func (r *rng) gamma(k float64) float64 {
	if k < 1 {
		return r.gamma(k+1) * math.Pow(1-r.f64(), 1/k)
	}
	d := k - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.norm()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := 1 - r.f64()
		if math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v
		}
	}
}

// poisson returns a Poisson(m) deviate (Knuth for small m, rounded normal
// approximation for large m).
func (r *rng) poisson(m float64) int {
	if m <= 0 {
		return 0
	}
	if m > 40 {
		v := int(math.Round(m + math.Sqrt(m)*r.norm()))
		if v < 0 {
			v = 0
		}
		return v
	}
	l := math.Exp(-m)
	k := 0
	p := r.f64()
	for p > l {
		k++
		p *= r.f64()
	}
	return k
}

// pick returns an index drawn from cumulative weights cum (last = total).
func (r *rng) pick(cum []float64) int {
	x := r.f64() * cum[len(cum)-1]
	for i, c := range cum {
		if x < c {
			return i
		}
	}
	return len(cum) - 1
}

func cumulative(w ...float64) []float64 {
	out := make([]float64, len(w))
	s := 0.0
	for i, v := range w {
		s += v
		out[i] = s
	}
	return out
}
