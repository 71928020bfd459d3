package identity

import (
	"math"
	"math/rand/v2"
	"slices"
)

type fsModel struct {
	lambda     float64
	m, u, w    [nF][]float64 // index = level (0 unused)
	prior      float64       // log2(lambda/(1-lambda))
	iterations int
	converged  bool
}

const (
	randomPairs = 500000
	emSample    = 2000000
	probFloor   = 1e-6
)

// fitEM estimates m, u and lambda by EM over the distinct comparison patterns of the
// candidate pairs; u starts from random record pairs, m from a "mostly agreeing" guess.
func fitEM(ft *features, cand *candidates, opts Options) *fsModel {
	md := &fsModel{}
	// Distinct patterns with counts.
	// EM sees at most emSample candidate pairs (an even stride over them), grouped into
	// distinct patterns with counts.
	counts := make(map[uint64]float64)
	step := max(1, (len(cand.vecs)+emSample-1)/emSample)
	for i := 0; i < len(cand.vecs); i += step {
		counts[cand.vecs[i]]++
	}
	pats := make([]uint64, 0, len(counts))
	for p := range counts {
		pats = append(pats, p)
	}
	slices.Sort(pats)
	cnt := make([]float64, len(pats))
	for i, p := range pats {
		cnt[i] = counts[p]
	}

	// u from random pairs.
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0x9e3779b97f4a7c15))
	var uc [nF][]float64
	for f := 0; f < nF; f++ {
		uc[f] = make([]float64, nLevels(f)+1)
		for l := 1; l <= nLevels(f); l++ {
			uc[f][l] = 1 // pseudo-count
		}
	}
	if ft.n >= 2 {
		// Random pairs drawn up front (deterministic for a Seed), compared in parallel; a
		// small input has fewer distinct pairs than that: all of them are compared (an exact
		// u instead of an estimate, and a webhook-sized rebuild stays cheap).
		var pairs [][2]int32
		if all := ft.n * (ft.n - 1) / 2; all <= randomPairs {
			pairs = make([][2]int32, 0, all)
			for a := 0; a < ft.n; a++ {
				for b := a + 1; b < ft.n; b++ {
					pairs = append(pairs, [2]int32{int32(a), int32(b)})
				}
			}
		} else {
			pairs = make([][2]int32, randomPairs)
			for i := range pairs {
				pairs[i] = [2]int32{int32(rng.IntN(ft.n)), int32(rng.IntN(ft.n))}
			}
		}
		const chunk = 1 << 14
		nChunks := (len(pairs) + chunk - 1) / chunk
		partial := make([][nF][8]float64, nChunks)
		parallelChunks(nChunks, workers(opts.Workers), func(c int) {
			pc := &partial[c]
			for _, p := range pairs[c*chunk : min(len(pairs), (c+1)*chunk)] {
				if p[0] == p[1] {
					continue
				}
				v := ft.compare(int(p[0]), int(p[1]))
				for f := 0; f < nF; f++ {
					if l := level(v, f); l > 0 {
						pc[f][l]++
					}
				}
			}
		})
		for c := range partial {
			for f := 0; f < nF; f++ {
				for l := 1; l <= nLevels(f); l++ {
					uc[f][l] += partial[c][f][l]
				}
			}
		}
	}
	for f := 0; f < nF; f++ {
		L := nLevels(f)
		md.m[f] = make([]float64, L+1)
		md.u[f] = make([]float64, L+1)
		md.w[f] = make([]float64, L+1)
		normalise(uc[f])
		copy(md.u[f], uc[f])
		// m: 0.85 on full agreement, the rest increasing with the level.
		md.m[f][L] = 0.85
		tot := float64(L*(L-1)) / 2
		for l := 1; l < L; l++ {
			md.m[f][l] = 0.15 * float64(l) / tot
		}
	}
	md.lambda = 0.1

	iters := opts.EMIterations
	g := make([]float64, len(pats))
	for it := 0; it < iters; it++ {
		md.iterations = it + 1
		// E-step.
		var sumG, sumN float64
		for i, p := range pats {
			lm, lu := math.Log(md.lambda), math.Log(1-md.lambda)
			for f := 0; f < nF; f++ {
				if l := level(p, f); l > 0 {
					lm += math.Log(md.m[f][l])
					lu += math.Log(md.u[f][l])
				}
			}
			g[i] = 1 / (1 + math.Exp(lu-lm))
			sumG += cnt[i] * g[i]
			sumN += cnt[i]
		}
		// M-step.
		var mc, ucc [nF][]float64
		for f := 0; f < nF; f++ {
			mc[f] = make([]float64, nLevels(f)+1)
			ucc[f] = make([]float64, nLevels(f)+1)
		}
		for i, p := range pats {
			for f := 0; f < nF; f++ {
				if l := level(p, f); l > 0 {
					mc[f][l] += cnt[i] * g[i]
					ucc[f][l] += cnt[i] * (1 - g[i])
				}
			}
		}
		delta := 0.0
		for f := 0; f < nF; f++ {
			for l := 1; l < len(mc[f]); l++ {
				mc[f][l] += probFloor
				ucc[f][l] += probFloor
			}
			normalise(mc[f])
			normalise(ucc[f])
			for l := 1; l < len(mc[f]); l++ {
				delta = math.Max(delta, math.Abs(mc[f][l]-md.m[f][l]))
			}
			for l := 1; l < len(mc[f]); l++ {
				delta = math.Max(delta, math.Abs(ucc[f][l]-md.u[f][l]))
			}
			md.m[f], md.u[f] = mc[f], ucc[f]
		}
		lam := sumG / math.Max(sumN, 1)
		lam = math.Min(math.Max(lam, 1e-9), 1-1e-9)
		delta = math.Max(delta, math.Abs(lam-md.lambda))
		md.lambda = lam
		if delta < 1e-6 {
			md.converged = true
			break
		}
	}
	for f := 0; f < nF; f++ {
		for l := 1; l < len(md.m[f]); l++ {
			md.w[f][l] = math.Log2(math.Max(md.m[f][l], probFloor) / math.Max(md.u[f][l], probFloor))
		}
	}
	md.prior = math.Log2(md.lambda / (1 - md.lambda))
	return md
}

func normalise(x []float64) {
	s := 0.0
	for _, v := range x[1:] {
		s += v
	}
	if s == 0 {
		return
	}
	for i := 1; i < len(x); i++ {
		x[i] /= s
		if x[i] < probFloor {
			x[i] = probFloor
		}
	}
}

func (md *fsModel) score(v uint64) float64 {
	s := md.prior
	for f := 0; f < nF; f++ {
		if l := level(v, f); l > 0 {
			s += md.w[f][l]
		}
	}
	return s
}

func (md *fsModel) decisive(v uint64) []Field {
	var fs []Field
	var ws []float64
	for f := 0; f < nF; f++ {
		l := level(v, f)
		if l == 0 || md.w[f][l] <= 0 {
			continue
		}
		w := md.w[f][l]
		i := len(ws)
		for i > 0 && ws[i-1] < w {
			i--
		}
		if i >= maxDecisive {
			continue
		}
		ws = slices.Insert(ws, i, w)
		fs = slices.Insert(fs, i, AllFields[f])
		if len(ws) > maxDecisive {
			ws, fs = ws[:maxDecisive], fs[:maxDecisive]
		}
	}
	return fs
}

func (md *fsModel) export() Model {
	out := Model{Lambda: md.lambda, Iterations: md.iterations, Converged: md.converged}
	for f := 0; f < nF; f++ {
		out.Fields = append(out.Fields, FieldParams{
			Field:  AllFields[f],
			Levels: slices.Clone(levelNames[f]),
			M:      slices.Clone(md.m[f][1:]),
			U:      slices.Clone(md.u[f][1:]),
			Weight: slices.Clone(md.w[f][1:]),
		})
	}
	return out
}

// scorePairs scores every candidate pair and returns those to merge and the possible ones.
func scorePairs(ft *features, cand *candidates, md *fsModel, opts Options) (merged, possible []Pair) {
	nw := workers(opts.Workers)
	const chunk = 1 << 16
	nChunks := (len(cand.pairs) + chunk - 1) / chunk
	type part struct{ merged, possible []Pair }
	parts := make([]part, nChunks)
	possibleBits := math.Log2(opts.PossibleThreshold / (1 - math.Min(opts.PossibleThreshold, 1-1e-12)))
	parallelChunks(nChunks, nw, func(c int) {
		var pp part
		// Pairs with one comparison pattern share one Decisive slice (clipped, so that an
		// append by a caller copies).
		dec := make(map[uint64][]Field)
		for i := c * chunk; i < min(len(cand.pairs), (c+1)*chunk); i++ {
			v := cand.vecs[i]
			s := md.score(v)
			if s+weakCap < possibleBits {
				continue
			}
			a, b := int(cand.pairs[i]>>32), int(uint32(cand.pairs[i]))
			if weakApplies(v) && ft.hasWeak(a) && ft.hasWeak(b) {
				s += ft.weakWeight(a, b)
			}
			p := probability(s)
			if p < opts.PossibleThreshold {
				continue
			}
			d, ok := dec[v]
			if !ok {
				d = slices.Clip(md.decisive(v))
				dec[v] = d
			}
			pr := Pair{A: a, B: b, Score: s, Probability: p, Decisive: d, Reason: reasonProb}
			if p >= opts.MatchThreshold {
				pp.merged = append(pp.merged, pr)
			} else {
				pp.possible = append(pp.possible, pr)
			}
		}
		parts[c] = pp
	})
	for _, p := range parts {
		merged = append(merged, p.merged...)
		possible = append(possible, p.possible...)
	}
	return merged, possible
}
