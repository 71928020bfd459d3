package normalize

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// inversePrecision is the number of decimal places kept when an inverse rate is reported.
const inversePrecision = 16

// Rate says that 1 From = Rate To, effective from Effective (inclusive) until the next rate
// for the same pair.
type Rate struct {
	From, To  string
	Rate      decimal.Decimal
	Effective time.Time
}

// Rates converts money to one base currency using date-effective rates. It is immutable after
// NewRates and safe for concurrent use.
type Rates struct {
	base    string
	direct  map[string][]datedRate // from -> base, sorted by effective
	inverse map[string][]datedRate // base -> to, keyed by to, sorted by effective
}

type datedRate struct {
	rate      decimal.Decimal
	effective time.Time
}

// Conversion is the result of Rates.Convert.
type Conversion struct {
	From     Money
	To       Money
	Rate     decimal.Decimal // 1 From.Currency = Rate To.Currency
	RateDate time.Time       // effective date of the rate used; zero when no rate was needed
	Direct   bool            // false when the rate is the inverse of a base->from rate
}

// NewRates builds a converter to base. Every rate must have known ISO 4217 codes, a positive
// rate, and involve base on exactly one side (from->base is used directly, base->X as an
// inverse); two rates for the same pair and effective instant are an error.
func NewRates(base string, rates []Rate) (*Rates, error) {
	b := strings.ToUpper(strings.TrimSpace(base))
	if _, ok := currencyMinorUnits[b]; !ok {
		return nil, fmt.Errorf("normalize: base currency %q is not a known ISO 4217 code", base)
	}
	r := &Rates{base: b, direct: map[string][]datedRate{}, inverse: map[string][]datedRate{}}
	for i, x := range rates {
		from, to := strings.ToUpper(strings.TrimSpace(x.From)), strings.ToUpper(strings.TrimSpace(x.To))
		for _, c := range []string{from, to} {
			if _, ok := currencyMinorUnits[c]; !ok {
				return nil, fmt.Errorf("normalize: rate %d (%s->%s): currency %q is not a known ISO 4217 code", i, x.From, x.To, c)
			}
		}
		if !x.Rate.IsPositive() {
			return nil, fmt.Errorf("normalize: rate %d (%s->%s): rate %s is not positive", i, from, to, x.Rate)
		}
		dr := datedRate{rate: x.Rate, effective: x.Effective}
		switch {
		case from == to:
			return nil, fmt.Errorf("normalize: rate %d: %s->%s converts a currency to itself", i, from, to)
		case to == b:
			r.direct[from] = append(r.direct[from], dr)
		case from == b:
			r.inverse[to] = append(r.inverse[to], dr)
		default:
			return nil, fmt.Errorf("normalize: rate %d: %s->%s does not involve the base currency %s", i, from, to, b)
		}
	}
	for _, m := range []map[string][]datedRate{r.direct, r.inverse} {
		for c, list := range m {
			sort.SliceStable(list, func(i, j int) bool { return list[i].effective.Before(list[j].effective) })
			for i := 1; i < len(list); i++ {
				if list[i].effective.Equal(list[i-1].effective) {
					return nil, fmt.Errorf("normalize: two %s/%s rates effective at %s", c, b, list[i].effective.Format(time.RFC3339))
				}
			}
		}
	}
	return r, nil
}

// Base returns the base currency.
func (r *Rates) Base() string { return r.base }

// effectiveAt returns the latest rate with effective <= at.
func effectiveAt(list []datedRate, at time.Time) (datedRate, bool) {
	i := sort.Search(len(list), func(i int) bool { return list[i].effective.After(at) })
	if i == 0 {
		return datedRate{}, false
	}
	return list[i-1], true
}

// ErrNoRate is wrapped by Convert when no rate is effective at the requested time.
var ErrNoRate = errors.New("no exchange rate")

// Convert converts m to the base currency with the latest rate whose Effective is not after
// at. A from->base rate is preferred; when none is effective, the inverse of an effective
// base->from rate is used (Direct false). The result is rounded half away from zero to the
// base currency's minor units.
func (r *Rates) Convert(m Money, at time.Time) (Conversion, error) {
	from := strings.ToUpper(m.Currency)
	if _, ok := currencyMinorUnits[from]; !ok {
		return Conversion{}, fmt.Errorf("normalize: convert: currency %q is not a known ISO 4217 code", m.Currency)
	}
	minor := int32(currencyMinorUnits[r.base])
	in := Money{Amount: m.Amount, Currency: from}
	if from == r.base {
		return Conversion{From: in, To: Money{Amount: m.Amount.Round(minor), Currency: r.base}, Rate: decimal.New(1, 0), Direct: true}, nil
	}
	if dr, ok := effectiveAt(r.direct[from], at); ok {
		return Conversion{
			From: in, To: Money{Amount: m.Amount.Mul(dr.rate).Round(minor), Currency: r.base},
			Rate: dr.rate, RateDate: dr.effective, Direct: true,
		}, nil
	}
	if dr, ok := effectiveAt(r.inverse[from], at); ok {
		return Conversion{
			From: in, To: Money{Amount: m.Amount.DivRound(dr.rate, minor+inversePrecision).Round(minor), Currency: r.base},
			Rate: decimal.New(1, 0).DivRound(dr.rate, inversePrecision), RateDate: dr.effective,
		}, nil
	}
	return Conversion{}, &noRateError{from: from, base: r.base, at: at}
}

// noRateError is Convert's ErrNoRate, its message made only when asked for: a rebuild
// converts every order and drops the error of each it cannot (a million at 1M orders).
type noRateError struct {
	from, base string
	at         time.Time
}

func (e *noRateError) Error() string {
	return fmt.Sprintf("normalize: convert %s to %s: %v effective on %s", e.from, e.base, ErrNoRate, e.at.Format(time.RFC3339))
}

func (e *noRateError) Unwrap() error { return ErrNoRate }
