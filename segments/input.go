package segments

import (
	"strings"
	"time"

	"github.com/cohortd/cohortd/profiles"
)

// extractInput is what feature extraction reads of a profile, with the per-profile choices
// already made (the first valid email, the currency most spent in) and money in float64.
// fromProfile fills it from a decoded profile; a FeatureDecoder fills it straight from a
// stored one. Its slices are reused from one profile to the next.
type extractInput struct {
	id                         string
	orders, cancellations      int // the summary's counts
	refunds, items             int
	totalBase                  float64
	firstOrder, lastOrder      time.Time
	firstSeen                  time.Time
	locale                     string
	hasEmail                   bool   // some address is not flagged invalid
	emailDomain                string // after the last @ of the first such address
	subscribed                 bool   // some linked source reported subscribed
	country, region, continent string // of the first (most recent) address
	shipTo                     string // the country most shipped to
	currency                   string // the order currency most spent in
	device                     string // the device most ordered from
	tags                       []string
	stores                     []string // one per source record
	orderList                  []orderInput
	types                      []typeSpend // the orders' types, orderInput.typesFrom..To
}

// orderInput is what extraction reads of one compact order.
type orderInput struct {
	at                 time.Time
	netBase            float64
	cancelled, zero    bool
	typesFrom, typesTo int
}

// typeSpend is an order's spend on one product type, in the base currency.
type typeSpend struct {
	name  string
	spend float64
}

// reset empties in for the next profile, keeping its slices' memory.
func (in *extractInput) reset() {
	*in = extractInput{tags: in.tags[:0], stores: in.stores[:0], orderList: in.orderList[:0], types: in.types[:0]}
}

// fromProfile fills in from p.
func (in *extractInput) fromProfile(p *profiles.Profile) {
	in.reset()
	s := &p.Summary
	in.id, in.locale, in.firstSeen = p.ID, p.Locale, p.FirstSeen
	in.orders, in.cancellations, in.refunds, in.items = s.Orders, s.Cancellations, s.Refunds, s.Items
	in.totalBase = toFloat(s.TotalBase)
	in.firstOrder, in.lastOrder = s.FirstOrder, s.LastOrder
	for _, e := range p.Emails {
		if !strings.Contains(e.Flags, "invalid") && e.Address != "" {
			in.hasEmail = true
			if i := strings.LastIndexByte(e.Address, '@'); i >= 0 {
				in.emailDomain = e.Address[i+1:]
			}
			break
		}
	}
	for _, c := range p.Consent {
		if c.State == "subscribed" {
			in.subscribed = true
		}
	}
	if len(p.Addresses) > 0 {
		a := &p.Addresses[0]
		in.country, in.region, in.continent = a.CountryCode, a.Region, a.Continent
	}
	in.shipTo, in.device = maxKey(s.ShipTo), maxKey(s.Devices)
	best := ""
	for cur, v := range s.Totals {
		if best == "" || v.GreaterThan(s.Totals[best]) || (v.Equal(s.Totals[best]) && cur < best) {
			best = cur
		}
	}
	in.currency = best
	for _, tags := range p.MerchantTags {
		in.tags = append(in.tags, tags...)
	}
	for _, src := range p.Sources {
		in.stores = append(in.stores, src.Store)
	}
	for i := range p.Orders {
		o := &p.Orders[i]
		oi := orderInput{at: o.At, netBase: toFloat(o.NetBase), cancelled: o.Cancelled, zero: o.Zero, typesFrom: len(in.types)}
		for _, t := range o.Types {
			in.types = append(in.types, typeSpend{name: t.Type, spend: toFloat(t.Spend)})
		}
		oi.typesTo = len(in.types)
		in.orderList = append(in.orderList, oi)
	}
}
