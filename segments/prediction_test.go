package segments

import (
	"bufio"
	"context"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
)

// cdnowProfiles builds one profile per CDNOW sample customer from the raw transactions up to
// the calibration end (the paper's 39 weeks, through 1997-09-30).
func cdnowProfiles(t *testing.T) []*profiles.Profile {
	t.Helper()
	f, err := os.Open("predict/testdata/CDNOW_sample.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	end := time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC)
	byID := map[string]*profiles.Profile{}
	var order []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 5 {
			continue
		}
		at, err := time.Parse("20060102", fs[2])
		if err != nil || at.After(end) {
			continue
		}
		p := byID[fs[1]]
		if p == nil {
			p = &profiles.Profile{ID: fs[1]}
			byID[fs[1]] = p
			order = append(order, fs[1])
		}
		amt := decimal.RequireFromString(fs[4])
		p.Orders = append(p.Orders, profiles.CompactOrder{ID: fs[1] + "/" + fs[2], At: at, Currency: "USD", Net: amt, NetBase: amt, Converted: true})
	}
	out := make([]*profiles.Profile, 0, len(order))
	for _, id := range order {
		p := byID[id]
		p.Summary = summaryOf(p.Orders)
		out = append(out, p)
	}
	return out
}

// The segments' predictive path (features → summaries → fits → scores) reproduces the
// published CDNOW figures of Fader, Hardie & Lee (2005).
func TestPredictionsOnCDNOW(t *testing.T) {
	ps := cdnowProfiles(t)
	if len(ps) != 2357 {
		t.Fatalf("%d customers, want 2357", len(ps))
	}
	opts := Options{ExpectedDays: 273} // 39 weeks
	now := time.Date(1997, 9, 30, 12, 0, 0, 0, time.UTC)
	res, err := Compute(context.Background(), ExtractAll(ps, opts), now, opts)
	if err != nil {
		t.Fatal(err)
	}
	p := res.Model.Prediction
	if !p.OK || !p.SpendOK {
		t.Fatalf("not fitted: %+v", p)
	}
	near := func(name string, got, want, tol float64) {
		if math.Abs(got-want) > tol*math.Abs(want) {
			t.Errorf("%s = %.5f, want %.5f (±%.1f%%)", name, got, want, 100*tol)
		}
	}
	near("r", p.BGNBD.R, 0.243, 0.005)
	near("alpha", p.BGNBD.Alpha, 4.414, 0.005)
	near("a", p.BGNBD.A, 0.793, 0.005)
	near("b", p.BGNBD.B, 2.426, 0.005)
	near("loglik", p.BGNBD.LogLik, -9582.4, 0.00001)
	near("p", p.GammaGamma.P, 6.25, 0.005)
	near("q", p.GammaGamma.Q, 3.74, 0.005)
	near("gamma", p.GammaGamma.Gamma, 15.44, 0.005)
	if p.RepeatBuyers != 946 || p.Customers != 2357 {
		t.Errorf("repeat buyers %d of %d", p.RepeatBuyers, p.Customers)
	}
	// Customer 1 (x=2, t_x=30.43, T=38.86) expects 1.226 purchases in 39 weeks.
	f := res.Features[0]
	if f.ProfileID != "0001" || math.Abs(f.ExpectedOrders-1.226) > 0.001 || f.PAlive < 0.72 || f.PAlive > 0.73 || f.ChurnRisk != "low" { // 0.7266 >= churn_medium 0.7
		t.Errorf("customer 1: expected %.4f, P(alive) %.4f, churn %s", f.ExpectedOrders, f.PAlive, f.ChurnRisk)
	}
	if f.PredictedCLV <= 0 {
		t.Errorf("customer 1 CLV %v", f.PredictedCLV)
	}
}
