package normalize

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/shopspring/decimal"
)

// Money is an amount in a currency.
type Money struct {
	Amount   decimal.Decimal
	Currency string // ISO 4217, upper-case
}

// maxAmountDigits bounds the digits ParseMoney accepts; order totals never come close.
const maxAmountDigits = 30

// MinorUnits returns the number of decimal places of an ISO 4217 currency (JPY 0, USD 2,
// KWD 3). The code is matched case-insensitively.
func MinorUnits(currency string) (int, bool) {
	n, ok := currencyMinorUnits[strings.ToUpper(strings.TrimSpace(currency))]
	return n, ok
}

// ParseMoney parses an amount as stores and CSV exports write it and rounds it (half away
// from zero) to the currency's minor units.
//
// Accepted: "12.50", "-12.50", "1,234.50" and "1.234,50" (when both separators appear the last
// one is the decimal point), "12,50" (a single comma followed by one or two digits is a decimal
// comma), "1,234" and "1.234.567" (groups of three after every separator are thousands),
// spaces, no-break spaces and apostrophes as thousands separators ("1 234,50", "1'234.50"),
// and currency symbols or the currency's own code around the number ("¥1200", "$12", "12 EUR").
// A single dot is always a decimal point ("1.234" is one point two three four).
func ParseMoney(amount, currency string) (Money, error) {
	code := strings.ToUpper(strings.TrimSpace(currency))
	minor, ok := currencyMinorUnits[code]
	if !ok {
		return Money{}, fmt.Errorf("normalize: currency %q is not a known ISO 4217 code", currency)
	}
	d, err := parseAmount(amount, code)
	if err != nil {
		return Money{}, fmt.Errorf("normalize: amount %q (%s): %w", amount, code, err)
	}
	return Money{Amount: d.Round(int32(minor)), Currency: code}, nil
}

func parseAmount(amount, code string) (decimal.Decimal, error) {
	s := strings.TrimSpace(amount)
	if s == "" {
		return decimal.Decimal{}, errors.New("empty")
	}
	// Strip the currency's own code, before or after the number.
	if n := len(code); len(s) >= n && strings.EqualFold(s[:n], code) {
		s = s[n:]
	} else if len(s) >= n && strings.EqualFold(s[len(s)-n:], code) {
		s = s[:len(s)-n]
	}
	neg := false
	var num strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r == '.', r == ',':
			num.WriteRune(r)
		case r == '-' || r == '−':
			if neg || num.Len() > 0 {
				return decimal.Decimal{}, errors.New("misplaced minus sign")
			}
			neg = true
		case r == '+' && num.Len() == 0 && !neg:
		case unicode.Is(unicode.Sc, r):
			// Currency symbols ("$", "€", "¥", "£") before or after the number.
		case unicode.IsSpace(r), r == '\u202f', r == '\'', r == '’':
			// Thousands separators (and the space after a symbol).
		default:
			return decimal.Decimal{}, fmt.Errorf("unexpected character %q", r)
		}
	}
	digits, err := canonicalNumber(num.String())
	if err != nil {
		return decimal.Decimal{}, err
	}
	if neg {
		digits = "-" + digits
	}
	return decimal.NewFromString(digits)
}

// canonicalNumber rewrites digits with ',' and '.' into digits with at most one '.'.
func canonicalNumber(s string) (string, error) {
	if s == "" {
		return "", errors.New("no digits")
	}
	nd := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			nd++
		}
	}
	if nd == 0 {
		return "", errors.New("no digits")
	}
	if nd > maxAmountDigits {
		return "", fmt.Errorf("more than %d digits", maxAmountDigits)
	}
	lastDot, lastComma := strings.LastIndexByte(s, '.'), strings.LastIndexByte(s, ',')
	dots, commas := strings.Count(s, "."), strings.Count(s, ",")
	var intPart, frac string
	var thousands byte
	switch {
	case dots > 0 && commas > 0:
		dec := byte('.')
		thousands = ','
		if lastComma > lastDot {
			dec, thousands = ',', '.'
		}
		if strings.Count(s, string(dec)) > 1 {
			return "", errors.New("more than one decimal separator")
		}
		i := strings.LastIndexByte(s, dec)
		intPart, frac = s[:i], s[i+1:]
	case commas == 1 && len(s)-lastComma-1 >= 1 && len(s)-lastComma-1 <= 2:
		intPart, frac = s[:lastComma], s[lastComma+1:]
	case commas > 0:
		intPart, thousands = s, ','
	case dots > 1:
		intPart, thousands = s, '.'
	case dots == 1:
		intPart, frac = s[:lastDot], s[lastDot+1:]
	default:
		intPart = s
	}
	if thousands != 0 {
		groups := strings.Split(intPart, string(thousands))
		for i, g := range groups {
			if (i == 0 && (len(g) < 1 || len(g) > 3)) || (i > 0 && len(g) != 3) {
				return "", fmt.Errorf("%q is not a valid thousands grouping", intPart)
			}
		}
		intPart = strings.Join(groups, "")
	}
	if strings.ContainsAny(frac, ".,") {
		return "", errors.New("separator after the decimal point")
	}
	if intPart == "" && frac == "" {
		return "", errors.New("no digits")
	}
	if intPart == "" {
		intPart = "0"
	}
	if frac == "" {
		return intPart, nil
	}
	return intPart + "." + frac, nil
}
