package segments

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
)

var synthStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// synthProfiles generates n profiles shaped like a store's: most customers buy once, a few
// often (a geometric number of orders), spend log-normal, purchase dates over two years,
// some prospects, refunds and cancellations, several countries, devices and product types.
func synthProfiles(n int, seed uint64) []*profiles.Profile {
	rng := rand.New(rand.NewPCG(seed, 7))
	countries := []struct{ code, cont, region string }{{"GB", "EU", ""}, {"US", "NA", "CA"}, {"US", "NA", "NY"}, {"FR", "EU", ""}, {"DE", "EU", ""}, {"CA", "NA", "QC"}, {"AU", "OC", "NSW"}}
	devices := []string{"mobile", "desktop", "tablet"}
	types := []string{"Shoes", "Bags", "Jackets", "Hats", "Café Crème", "Socks"}
	locales := []string{"en-GB", "en-US", "fr-FR", "de", ""}
	out := make([]*profiles.Profile, n)
	for i := range n {
		c := countries[rng.IntN(len(countries))]
		p := &profiles.Profile{
			ID:        fmt.Sprintf("p%07d", i),
			Sources:   []profiles.SourceRef{{Store: "shop", Kind: "customer", ID: fmt.Sprint(i)}},
			Emails:    []profiles.EmailValue{{Address: fmt.Sprintf("c%d@example.com", i)}},
			Addresses: []profiles.CleanAddress{{CountryCode: c.code, Continent: c.cont, Region: c.region}},
			Locale:    locales[rng.IntN(len(locales))],
			FirstSeen: synthStart.Add(time.Duration(rng.IntN(700*24)) * time.Hour),
		}
		if rng.IntN(4) == 0 {
			p.Consent = map[string]profiles.Consent{"shop/customer/" + fmt.Sprint(i): {State: "subscribed"}}
		}
		if rng.IntN(10) == 0 {
			p.MerchantTags = map[string][]string{"shop/customer/" + fmt.Sprint(i): {"vip"}}
		}
		// Buy-till-you-die, heterogeneous like real customers: after each purchase the
		// customer drops out with their own probability, and buys again after an exponential
		// gap of their own mean.
		nOrders := 0
		if rng.IntN(10) > 0 { // 10% prospects
			nOrders = 1
			u := rng.Float64()
			stay := 0.9 - 0.8*u*u
			for rng.Float64() < stay && nOrders < 60 {
				nOrders++
			}
		}
		meanGapHours := 60 * 24 * math.Exp(0.8*rng.NormFloat64())
		at := p.FirstSeen
		for j := range nOrders {
			at = at.Add(time.Duration(1+rng.ExpFloat64()*meanGapHours) * time.Hour)
			amount := decimal.NewFromFloat(math.Round(math.Exp(3.5+0.8*rng.NormFloat64())*100) / 100)
			o := profiles.CompactOrder{
				ID: fmt.Sprintf("shop/%d-%d", i, j), At: at, Currency: "GBP", Net: amount, NetBase: amount,
				Converted: true, Items: 1 + rng.IntN(4), Device: devices[rng.IntN(len(devices))],
			}
			switch r := rng.IntN(40); {
			case r == 0:
				o.Cancelled = true
			case r <= 2:
				o.Refunded = true
			}
			if !o.Cancelled {
				t1 := types[rng.IntN(len(types))]
				half := amount.Div(decimal.NewFromInt(2)).Round(2)
				o.Types = []profiles.TypeSpend{{Type: t1, Spend: half}, {Type: types[rng.IntN(len(types))], Spend: amount.Sub(half)}}
			}
			p.Orders = append(p.Orders, o)
		}
		p.Summary = summaryOf(p.Orders)
		out[i] = p
	}
	return out
}

// summaryOf is the order summary profiles.Build would keep for these orders.
func summaryOf(orders []profiles.CompactOrder) profiles.OrderSummary {
	s := profiles.OrderSummary{BaseCurrency: "GBP"}
	for _, o := range orders {
		if o.Cancelled {
			s.Cancellations++
			continue
		}
		s.Orders++
		if s.FirstOrder.IsZero() || o.At.Before(s.FirstOrder) {
			s.FirstOrder = o.At
		}
		if o.At.After(s.LastOrder) {
			s.LastOrder = o.At
		}
		if o.Refunded {
			s.Refunds++
		}
		if s.Totals == nil {
			s.Totals, s.Devices = map[string]decimal.Decimal{}, map[string]int{}
		}
		s.Totals[o.Currency] = s.Totals[o.Currency].Add(o.Net)
		s.TotalBase = s.TotalBase.Add(o.NetBase)
		s.Devices[o.Device]++
		s.Items += o.Items
	}
	return s
}
