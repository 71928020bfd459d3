package segments

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Cluster is one k-means cluster of customers, described by its centroid in the original
// units (days since the last order, orders, spend) and its size at fitting time.
type Cluster struct {
	RecencyDays float64 `json:"recency_days"`
	Orders      float64 `json:"orders"`
	Spend       float64 `json:"spend"`
	Size        int     `json:"size"`

	center [3]float64 // standardized log space
	std    standardizer
}

type standardizer struct{ mean, sd [3]float64 }

func (s *standardizer) apply(v [3]float64) [3]float64 {
	for i := range v {
		v[i] = (v[i] - s.mean[i]) / s.sd[i]
	}
	return v
}

// fitClusters runs k-means (k-means++ seeding from a fixed seed, Lloyd iterations) on the
// standardized log-RFM of the customers with orders. Clusters are numbered by centroid
// spend, highest first, so the numbering is stable across runs on the same data.
func fitClusters(feats []Features, today int32, k int) []Cluster {
	var pts [][3]float64
	for i := range feats {
		if feats[i].HasOrders {
			pts = append(pts, logRFM(&feats[i], today))
		}
	}
	if len(pts) < k || k < 1 {
		return nil
	}
	var st standardizer
	for _, p := range pts {
		for i := range p {
			st.mean[i] += p[i]
		}
	}
	for i := range st.mean {
		st.mean[i] /= float64(len(pts))
	}
	for _, p := range pts {
		for i := range p {
			st.sd[i] += (p[i] - st.mean[i]) * (p[i] - st.mean[i])
		}
	}
	for i := range st.sd {
		st.sd[i] = math.Sqrt(st.sd[i] / float64(len(pts)))
		if st.sd[i] == 0 {
			st.sd[i] = 1
		}
	}
	for i := range pts {
		pts[i] = st.apply(pts[i])
	}
	rng := rand.New(rand.NewPCG(1, 2))
	centers := [][3]float64{pts[rng.IntN(len(pts))]}
	d2 := make([]float64, len(pts))
	for len(centers) < k {
		var sum float64
		for i, p := range pts {
			d2[i] = math.Inf(1)
			for _, c := range centers {
				d2[i] = math.Min(d2[i], dist2(p, c))
			}
			sum += d2[i]
		}
		if sum == 0 {
			break
		}
		x := rng.Float64() * sum
		j := 0
		for ; j < len(pts)-1 && x > d2[j]; j++ {
			x -= d2[j]
		}
		centers = append(centers, pts[j])
	}
	assign := make([]int, len(pts))
	for iter := 0; iter < 100; iter++ {
		changed := false
		for i, p := range pts {
			if best := nearest(p, centers); best != assign[i] {
				changed = true
				assign[i] = best
			}
		}
		sums := make([][3]float64, len(centers))
		counts := make([]int, len(centers))
		for i, p := range pts {
			for d := range p {
				sums[assign[i]][d] += p[d]
			}
			counts[assign[i]]++
		}
		for c := range centers {
			if counts[c] > 0 {
				for d := range 3 {
					centers[c][d] = sums[c][d] / float64(counts[c])
				}
			}
		}
		if !changed && iter > 0 {
			break
		}
	}
	out := make([]Cluster, len(centers))
	for i := range pts {
		out[assign[i]].Size++
	}
	for c, ctr := range centers {
		var orig [3]float64
		for d := range 3 {
			orig[d] = math.Expm1(ctr[d]*st.sd[d] + st.mean[d])
		}
		out[c].RecencyDays, out[c].Orders, out[c].Spend = orig[0], orig[1], orig[2]
		out[c].center = ctr
	}
	slices.SortStableFunc(out, func(a, b Cluster) int {
		switch {
		case a.Spend > b.Spend:
			return -1
		case a.Spend < b.Spend:
			return 1
		}
		return 0
	})
	for i := range out {
		out[i].std = st
	}
	return out
}

func dist2(a, b [3]float64) float64 {
	var s float64
	for i := range a {
		s += (a[i] - b[i]) * (a[i] - b[i])
	}
	return s
}

func nearest(p [3]float64, centers [][3]float64) int {
	best, bd := 0, math.Inf(1)
	for c, ctr := range centers {
		if d := dist2(p, ctr); d < bd {
			best, bd = c, d
		}
	}
	return best
}

// cluster is the index of f's nearest cluster.
func (m *Model) cluster(f *Features, today int32) int {
	st := m.Clusters[0].std
	p := st.apply(logRFM(f, today))
	best, bd := 0, math.Inf(1)
	for i := range m.Clusters {
		if d := dist2(p, m.Clusters[i].center); d < bd {
			best, bd = i, d
		}
	}
	return best
}
