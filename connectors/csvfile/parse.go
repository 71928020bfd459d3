package csvfile

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// maxAmountLen bounds amounts: longer strings are not money.
const maxAmountLen = 32

// parseAmount reads a plain decimal amount: an optional sign, digits, an optional point and
// digits. Thousands separators, currency symbols and exponents are refused (exponents would let
// a crafted file make the decimal arithmetic allocate without bound).
func parseAmount(s string) (decimal.Decimal, error) {
	if !isPlainDecimal(s) {
		return decimal.Decimal{}, fmt.Errorf("invalid amount %q", s)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("invalid amount %q", s)
	}
	return d, nil
}

func isPlainDecimal(s string) bool {
	if len(s) == 0 || len(s) > maxAmountLen {
		return false
	}
	if s[0] == '-' || s[0] == '+' {
		s = s[1:]
	}
	digits, points := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			points++
		default:
			return false
		}
	}
	return digits > 0 && points <= 1
}

// maxQuantity bounds quantities.
const maxQuantity = 1_000_000_000

// parseQuantity reads a whole number of units; negative numbers are kept (returns,
// cancellations).
func parseQuantity(s string) (int, error) {
	q, err := strconv.Atoi(s)
	if err != nil || q > maxQuantity || q < -maxQuantity {
		return 0, fmt.Errorf("invalid quantity %q", s)
	}
	return q, nil
}

// parseTime tries layouts in order; times without an offset are in loc.
func parseTime(s string, layouts []string, loc *time.Location) (time.Time, error) {
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid date %q", s)
}

var errMissing = fmt.Errorf("missing value")

// splitName splits a full name: the last word is the last name, the rest the first name.
func splitName(full string) (first, last string) {
	f := strings.Fields(full)
	switch len(f) {
	case 0:
		return "", ""
	case 1:
		return "", f[0]
	}
	return strings.Join(f[:len(f)-1], " "), f[len(f)-1]
}

// fill sets *dst to v when *dst is empty.
func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}
