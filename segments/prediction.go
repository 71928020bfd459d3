package segments

import (
	"fmt"
	"time"
)

// Prediction holds the fitted predictive models, or why they could not be fitted.
type Prediction struct {
	OK           bool   `json:"ok"`
	Reason       string `json:"reason,omitempty"` // why there is no fit
	Customers    int    `json:"customers"`
	RepeatBuyers int    `json:"repeat_buyers"`
	BGNBD        struct {
		R, Alpha, A, B, LogLik float64
	} `json:"bgnbd"`
	SpendOK    bool   `json:"spend_ok"`
	SpendNote  string `json:"spend_note,omitempty"`
	GammaGamma struct {
		P, Q, Gamma float64
	} `json:"gamma_gamma"`
}

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

// fitPrediction fits BG/NBD and Gamma-Gamma on the customers' purchase days (weeks as the
// time unit), or says why it cannot.
func fitPrediction(feats []Features, now time.Time, o Options) Prediction {
	var p Prediction
	for i := range feats {
		if !feats[i].HasOrders {
			continue
		}
		p.Customers++
		if repeatDays(feats[i].orders) > 0 {
			p.RepeatBuyers++
		}
	}
	if p.RepeatBuyers < o.MinRepeatBuyers {
		p.Reason = fmt.Sprintf("too little history to fit: %d repeat buyers, at least %d needed; churn risk follows the lifecycle stage (new/active low, dormant medium, lost high)",
			p.RepeatBuyers, o.MinRepeatBuyers)
		return p
	}
	p.Reason = "predictive models not wired yet"
	return p
}

// repeatDays is the number of distinct purchase days after the first.
func repeatDays(orders []orderPoint) int {
	n, last := 0, int32(-1)
	for _, o := range orders { // oldest first
		if o.day != last {
			n++
			last = o.day
		}
	}
	return max(n-1, 0)
}

// score fills f's predictions, or the fallback when there is no fit.
func (p *Prediction) score(f *Features, today int32, o Options) {
	f.PAlive, f.ExpectedOrders90, f.PredictedCLV = -1, -1, -1
	if !p.OK || !f.HasOrders {
		f.ChurnRisk = fallbackChurn(f.Lifecycle)
		return
	}
}
