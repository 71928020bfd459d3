package segments

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
)

// randomProfile is a profile with every stored field set at random, edge cases included
// (empty and non-ASCII text, flags, ties, negative and huge amounts, zero and non-UTC times,
// orders without types), for the tests that compare two ways of reading profiles.
func randomProfile(rng *rand.Rand) *profiles.Profile {
	pick := func(list ...string) string { return list[rng.IntN(len(list))] }
	text := func() string {
		return pick("", "a", "shop", "shop-b", "Zoë", "東京", "x y", "-", "_", "CA", "NY", "eu", "GB", "US", "fr", "🙂", "invalid")
	}
	p := &profiles.Profile{
		ID:        fmt.Sprintf("p_%x%s", rng.Uint64(), pick("", "é", " ")),
		FirstName: text(), LastName: text(), BirthDate: pick("", "1990-02-03"),
		Locale:    pick("", "en", "en-GB", "EN_us", "-fr", "__", "pt-BR", "zh_Hant_TW", "x", "Ça-va", "de-"),
		FirstSeen: randomTime(rng),
	}
	if rng.IntN(10) == 0 {
		p.MergeScore = pick2(rng, 0, 1, 0.5, 0.1, math.NaN(), math.Inf(-1), 1e300)
	}
	for range rng.IntN(4) {
		p.Sources = append(p.Sources, profiles.SourceRef{Store: pick("shop", "shop-b", "", "ünï"),
			Kind: pick("customer", "guest_order"), ID: fmt.Sprint(rng.IntN(1000))})
	}
	for range rng.IntN(4) {
		p.Emails = append(p.Emails, profiles.EmailValue{
			Address: pick("", "a@example.com", "b@shop.co.uk", "no-at-sign", "x@y@z.org", "é@ü.de", "trailing@"),
			Key:     pick("", "k"), Flags: pick("", "invalid", "role,invalid", "test", "role,disposable")})
	}
	for range rng.IntN(3) {
		p.Phones = append(p.Phones, profiles.PhoneValue{E164: pick("", "+441234567890"), Raw: text(), Valid: rng.IntN(2) == 0})
	}
	for range rng.IntN(4) {
		p.Addresses = append(p.Addresses, profiles.CleanAddress{Address1: text(), Address2: text(), City: text(),
			Region: pick("", "CA", "NY", "QC", "Île"), Postcode: text(), CountryCode: pick("", "GB", "US", "FR", "ZZ", "gb"),
			Continent: pick("", "EU", "NA")})
	}
	if n := rng.IntN(4); n > 0 {
		p.Consent = map[string]profiles.Consent{}
		for range n {
			p.Consent[text()+fmt.Sprint(rng.IntN(5))] = profiles.Consent{
				State:     pick("", "subscribed", "not_subscribed", "unsubscribed", "pending"),
				OptInType: pick("", "single_opt_in"), UpdatedAt: randomTime(rng)}
		}
	}
	if n := rng.IntN(4); n > 0 {
		p.MerchantTags = map[string][]string{}
		for range n {
			var tags []string
			for range rng.IntN(4) {
				tags = append(tags, pick("vip", "wholesale", "", "VIP", "ü"))
			}
			p.MerchantTags["shop/customer/"+fmt.Sprint(rng.IntN(9))] = tags
		}
	}
	if n := rng.IntN(3); n > 0 {
		p.FieldSources = map[string]string{}
		for range n {
			p.FieldSources[pick("email", "phone", "address")] = text()
		}
	}
	p.Summary = randomSummary(rng)
	for range rng.IntN(7) {
		p.Orders = append(p.Orders, randomOrder(rng))
	}
	return p
}

func randomSummary(rng *rand.Rand) profiles.OrderSummary {
	pick := func(list ...string) string { return list[rng.IntN(len(list))] }
	count := func() int { return []int{0, 0, 1, 2, 3, 7, -1, math.MaxInt, math.MinInt}[rng.IntN(9)] }
	s := profiles.OrderSummary{Orders: count(), Cancellations: count(), Refunds: count(), Items: count(),
		Unconverted: count(), ZeroValue: count(), FirstOrder: randomTime(rng), LastOrder: randomTime(rng),
		TotalBase: randomDecimal(rng), RefundedBase: randomDecimal(rng), BaseCurrency: pick("", "GBP")}
	if n := rng.IntN(4); n > 0 {
		s.Totals = map[string]decimal.Decimal{}
		same := randomDecimal(rng) // ties between currencies
		for range n {
			d := randomDecimal(rng)
			if rng.IntN(3) == 0 {
				d = same
			}
			s.Totals[pick("GBP", "EUR", "USD", "JPY", "A")] = d
		}
	}
	for _, m := range []*map[string]int{&s.Devices, &s.ShipTo} {
		if n := rng.IntN(4); n > 0 {
			*m = map[string]int{}
			for range n {
				(*m)[pick("mobile", "desktop", "GB", "US", "FR", "b", "a")] = []int{1, 1, 2, 5, 0, -3}[rng.IntN(6)]
			}
		}
	}
	for _, m := range []*map[string]decimal.Decimal{&s.ProductTypes, &s.ConvertedBase} {
		if n := rng.IntN(3); n > 0 {
			*m = map[string]decimal.Decimal{}
			for range n {
				(*m)[pick("Shoes", "Bags", "EUR", "Café")] = randomDecimal(rng)
			}
		}
	}
	return s
}

func randomOrder(rng *rand.Rand) profiles.CompactOrder {
	pick := func(list ...string) string { return list[rng.IntN(len(list))] }
	o := profiles.CompactOrder{ID: "shop/" + fmt.Sprint(rng.IntN(1e6)), At: randomTime(rng), Currency: pick("GBP", "EUR", ""),
		Net: randomDecimal(rng), NetBase: randomDecimal(rng), Converted: rng.IntN(2) == 0,
		Cancelled: rng.IntN(6) == 0, Refunded: rng.IntN(6) == 0, Items: rng.IntN(5) - 1,
		Device: pick("", "mobile", "desktop"), Zero: rng.IntN(8) == 0}
	for range rng.IntN(4) {
		o.Types = append(o.Types, profiles.TypeSpend{Type: pick("Shoes", "Bags", "", "Café Crème", "東京"), Spend: randomDecimal(rng)})
	}
	return o
}

// randomTime is zero, a UTC time (with or without fractions of a second) or one with an offset.
func randomTime(rng *rand.Rand) time.Time {
	t := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(int64(6 * 365 * 24 * time.Hour))))
	switch rng.IntN(6) {
	case 0:
		return time.Time{}
	case 1:
		return t.Add(time.Duration(rng.IntN(1e9)))
	case 2:
		return t.In(time.FixedZone("", 3600*(rng.IntN(27)-13)))
	case 3:
		return t.Add(time.Duration(rng.IntN(1000)) * time.Millisecond)
	}
	return t
}

// randomDecimal is a money amount, or zero in both its forms, or one beyond float64's exact
// integers, or with an extreme exponent.
func randomDecimal(rng *rand.Rand) decimal.Decimal {
	switch rng.IntN(12) {
	case 0:
		return decimal.Decimal{}
	case 1:
		return decimal.Zero
	case 2:
		huge, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
		return decimal.NewFromBigInt(huge, int32(rng.IntN(10))-5)
	case 3:
		return decimal.New(int64(rng.Uint64()>>1)*int64(1-2*rng.IntN(2)), int32(rng.IntN(60))-30)
	case 4:
		return decimal.New(1<<53+int64(rng.IntN(3))-1, -2)
	}
	return decimal.New(rng.Int64N(2_000_000)-100_000, -int32(rng.IntN(5)))
}

func pick2(rng *rand.Rand, list ...float64) float64 { return list[rng.IntN(len(list))] }
