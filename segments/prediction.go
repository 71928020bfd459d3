package segments

import (
	"errors"
	"hash/fnv"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/cohortd/cohortd/segments/predict"
)

// Prediction holds the fitted predictive models, or why they could not be fitted.
type Prediction struct {
	OK           bool   `json:"ok"`
	Reason       string `json:"reason,omitempty"` // why there is no fit
	Customers    int    `json:"customers"`        // customers with orders
	FittedOn     int    `json:"fitted_on"`        // customers the fit used (a sample above MaxFitCustomers)
	RepeatBuyers int    `json:"repeat_buyers"`    // among FittedOn
	BGNBD        struct {
		R, Alpha, A, B, LogLik float64
	} `json:"bgnbd"`
	SpendOK    bool   `json:"spend_ok"`
	SpendNote  string `json:"spend_note,omitempty"`
	GammaGamma struct {
		P, Q, Gamma float64
	} `json:"gamma_gamma"`

	bg    predict.BGNBD
	gg    predict.GammaGamma
	cache *predCache
}

// MaxFitCustomers bounds the customers the models are fitted on: above it, a deterministic
// sample (by a hash of the profile id) of this many. Four parameters are estimated as well
// from 50,000 customers as from millions, and the fit stays well under a second.
const MaxFitCustomers = 50000

// weeks is the models' time unit, as in Fader, Hardie & Lee (2005).
const weekDays = 7

// fitPrediction fits BG/NBD and Gamma-Gamma on the customers' purchase days, or says why it
// cannot.
func fitPrediction(feats []Features, now time.Time, o Options) Prediction {
	p := Prediction{cache: &predCache{}}
	today := dayOf(now, o.Location)
	type cand struct {
		hash uint64
		i    int
	}
	var cands []cand
	for i := range feats {
		f := &feats[i]
		if !f.HasOrders || f.firstBuyDay < 0 || f.lastBuyDay > today { // no history, or orders after now
			continue
		}
		h := fnv.New64a()
		h.Write([]byte(f.ProfileID))
		cands = append(cands, cand{h.Sum64(), i})
	}
	p.Customers = len(cands)
	if len(cands) > MaxFitCustomers {
		slices.SortFunc(cands, func(a, b cand) int {
			switch {
			case a.hash < b.hash:
				return -1
			case a.hash > b.hash:
				return 1
			}
			return a.i - b.i
		})
		cands = cands[:MaxFitCustomers]
	}
	sums := make([]predict.Summary, len(cands))
	for j, c := range cands {
		sums[j] = summaryAt(&feats[c.i], today)
		if sums[j].X > 0 {
			p.RepeatBuyers++
		}
	}
	p.FittedOn = len(sums)
	fo := predict.FitOptions{MinRepeatBuyers: o.MinRepeatBuyers}
	// The two models are independent: fit them side by side.
	var (
		gg    predict.GammaGammaFit
		ggErr error
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		gg, ggErr = predict.FitGammaGamma(sums, fo)
	}()
	bg, err := predict.FitBGNBD(sums, fo)
	wg.Wait()
	if err != nil || !bg.OK {
		p.Reason = fallbackReason(bg.Reason, err)
		return p
	}
	p.OK, p.bg = true, bg.BGNBD
	p.BGNBD.R, p.BGNBD.Alpha, p.BGNBD.A, p.BGNBD.B, p.BGNBD.LogLik = bg.R, bg.Alpha, bg.A, bg.B, bg.LogLik
	if err := ggErr; err != nil || !gg.OK {
		p.SpendNote = fallbackReason(gg.Reason, err) + "; predicted_clv is -1"
		return p
	}
	p.SpendOK, p.gg = true, gg.GammaGamma
	p.GammaGamma.P, p.GammaGamma.Q, p.GammaGamma.Gamma = gg.P, gg.Q, gg.Gamma
	return p
}

func fallbackReason(reason string, err error) string {
	if reason == "" && err != nil {
		reason = err.Error()
	}
	if errors.Is(err, predict.ErrTooLittleHistory) || reason == "" {
		reason = "too little history to fit: " + reason
	}
	return reason + "; churn risk follows the lifecycle stage (new/active low, dormant medium, lost high)"
}

// summaryAt is a customer's history as the models take it, in weeks, at day today.
func summaryAt(f *Features, today int32) predict.Summary {
	s := predict.Summary{Customer: f.ProfileID, X: f.repeatDays, Monetary: f.repeatMean,
		T: float64(today-f.firstBuyDay) / weekDays}
	if f.repeatDays > 0 {
		s.TX = float64(f.lastBuyDay-f.firstBuyDay) / weekDays
	}
	return s
}

// predKey is what the per-customer predictions depend on besides the spend.
type predKey struct{ x, txDays, tDays int32 }

// predVal: P(alive), expected orders over the next ExpectedDays, and the discounted expected
// number of orders over the CLV horizon (CLV = that × the expected order value).
type predVal struct{ pAlive, expected, discounted float64 }

// predCache memoizes predictions per (x, t_x, T) in days: many customers share one (all
// one-time buyers of a day do), and each costs a few hypergeometric series. Sharded, so the
// scoring goroutines rarely wait for each other.
type predCache struct {
	shards [64]struct {
		mu sync.Mutex
		m  map[predKey]predVal
	}
}

func (c *predCache) shard(k predKey) int {
	return int((uint32(k.x)*2654435761 ^ uint32(k.txDays)*40503 ^ uint32(k.tDays)*97) % 64)
}

func (c *predCache) get(k predKey) (predVal, bool) {
	s := &c.shards[c.shard(k)]
	s.mu.Lock()
	v, ok := s.m[k]
	s.mu.Unlock()
	return v, ok
}

func (c *predCache) put(k predKey, v predVal) {
	s := &c.shards[c.shard(k)]
	s.mu.Lock()
	if s.m == nil || len(s.m) > 1<<16 {
		s.m = make(map[predKey]predVal)
	}
	s.m[k] = v
	s.mu.Unlock()
}

// score fills f's predictions, or the fallback when there is no fit.
func (p *Prediction) score(f *Features, today int32, o Options) {
	f.PAlive, f.ExpectedOrders, f.PredictedCLV = -1, -1, -1
	if !p.OK || !f.HasOrders || f.firstBuyDay < 0 || f.lastBuyDay > today {
		f.ChurnRisk = fallbackChurn(f.Lifecycle)
		return
	}
	k := predKey{int32(f.repeatDays), f.lastBuyDay - f.firstBuyDay, today - f.firstBuyDay}
	if f.repeatDays == 0 {
		k.txDays = 0
	}
	v, ok := p.cache.get(k)
	if !ok {
		v = p.predict(summaryAt(f, today), o)
		p.cache.put(k, v)
	}
	f.PAlive, f.ExpectedOrders = round4(v.pAlive), round4(v.expected)
	if p.SpendOK {
		if aov := p.gg.ConditionalExpectedAOV(float64(f.repeatDays), f.repeatMean); !math.IsNaN(aov) {
			f.PredictedCLV = math.Round(aov*v.discounted*100) / 100
		}
	}
	switch {
	case v.pAlive < o.ChurnHigh:
		f.ChurnRisk = "high"
	case v.pAlive < o.ChurnMedium:
		f.ChurnRisk = "medium"
	default:
		f.ChurnRisk = "low"
	}
}

// predict computes one summary's predictions. The CLV horizon is cut into months; each
// month's expected orders are discounted at its end, as predict.CustomerLifetimeValue does.
// Conditional expectations are P(alive) times the expectation of a customer alive at T with
// the posterior parameters (r+x, α+T, a, b+x), all times evaluated in one series pass.
func (p *Prediction) predict(s predict.Summary, o Options) predVal {
	x := float64(s.X)
	pa := p.bg.PAlive(x, s.TX, s.T)
	post := predict.BGNBD{R: p.bg.R + x, Alpha: p.bg.Alpha + s.T, A: p.bg.A, B: p.bg.B + x}
	var ts, cum [64]float64
	n := min(o.CLVMonths, len(ts)-1)
	ts[0] = float64(o.ExpectedDays) / weekDays
	month := predict.DaysPerMonth / weekDays
	for m := 1; m <= n; m++ {
		ts[m] = float64(m) * month
	}
	post.ExpectedPurchasesAt(ts[:n+1], cum[:n+1])
	v := predVal{pAlive: pa, expected: pa * cum[0]}
	prev := 0.0
	for m := 1; m <= n; m++ {
		c := pa * cum[m]
		v.discounted += (c - prev) / math.Pow(1+o.DiscountMonthly, float64(m))
		prev = c
	}
	for _, x := range []*float64{&v.pAlive, &v.expected, &v.discounted} {
		if math.IsNaN(*x) || math.IsInf(*x, 0) {
			*x = 0
		}
	}
	return v
}

// round4 keeps scores readable and stable in exports (P(alive) 0.7266).
func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// fallbackChurn is the documented rule when no model is fitted: churn risk from the
// lifecycle stage.
func fallbackChurn(lifecycle string) string {
	switch lifecycle {
	case "new", "active":
		return "low"
	case "dormant":
		return "medium"
	case "lost":
		return "high"
	}
	return ""
}
