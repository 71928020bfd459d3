package decode

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// numericID returns the numeric legacy id inside a Shopify global id
// ("gid://shopify/Order/820982911946154508" -> "820982911946154508"; a query suffix such as
// "?model_name=CustomerAddress" is ignored) and whether the gid names the wanted type.
func numericID(gid, wantType string) (string, bool) {
	rest, ok := strings.CutPrefix(gid, "gid://shopify/")
	if !ok {
		return "", false
	}
	typ, id, ok := strings.Cut(rest, "/")
	if !ok || typ != wantType {
		return "", false
	}
	id, _, _ = strings.Cut(id, "?")
	if !isDigits(id) {
		return "", false
	}
	return id, true
}

// isDigits reports whether s is a non-empty run of ASCII digits: the shape of every Shopify
// legacy resource id.
func isDigits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseTime reads an ISO 8601 timestamp as Shopify writes it ("2021-12-31T19:00:00-05:00",
// "2024-01-01T00:00:00Z", with or without fractions) and returns it in UTC. An empty string is
// the zero time.
func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// parseMoney reads a decimal amount ("29.99"). Shopify's Decimal and Money scalars are strings;
// REST also sends some amounts as JSON numbers, which reach here as their literal text.
func parseMoney(s string) (decimal.Decimal, bool) {
	if d, ok := smallDecimal(s); ok {
		return d, true
	}
	if s == "" {
		return decimal.Decimal{}, false
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, false
	}
	return d, true
}

// scalar is a JSON scalar kept as text, for the REST fields Shopify sends sometimes as a
// number and sometimes as a string (ids, amounts). Numbers are never converted through float64:
// ids such as 976318377106520349 exceed 2^53. Its UnmarshalJSON never fails; the caller checks
// the value where it knows the field's name, so errors can name the field.
type scalar struct {
	text string
	kind scalarKind
}

type scalarKind uint8

const (
	scalarNull   scalarKind = iota // absent or null
	scalarNumber                   // a JSON number, text is its literal
	scalarString                   // a JSON string, text is its content
	scalarOther                    // an object, array or boolean: always wrong where a scalar is expected
)

// UnmarshalJSON implements json.Unmarshaler.
func (s *scalar) UnmarshalJSON(b []byte) error {
	*s = scalar{}
	if len(b) == 0 {
		return nil
	}
	switch c := b[0]; {
	case c == 'n':
		return nil
	case c == '"':
		str := string(b[1 : len(b)-1])
		if strings.IndexByte(str, '\\') >= 0 {
			if err := json.Unmarshal(b, &str); err != nil {
				s.kind = scalarOther
				return nil
			}
		}
		s.text, s.kind = str, scalarString
	case c == '-' || (c >= '0' && c <= '9'):
		s.text, s.kind = string(b), scalarNumber
	default:
		s.kind = scalarOther
	}
	return nil
}

// id reads s as a numeric id. ok is false for anything but digits (as a number or a string);
// null gives "", true.
func (s scalar) id() (string, bool) {
	switch s.kind {
	case scalarNull:
		return "", true
	case scalarNumber, scalarString:
		return s.text, isDigits(s.text)
	}
	return "", false
}

// money reads s as a decimal amount; present is false for null.
func (s scalar) money() (d decimal.Decimal, present, ok bool) {
	switch s.kind {
	case scalarNull:
		return decimal.Decimal{}, false, true
	case scalarNumber, scalarString:
		d, ok := parseMoney(s.text)
		return d, true, ok
	}
	return decimal.Decimal{}, true, false
}

// smallDecimal parses the common case, -?digits(.digits)? with at most 18 significant digits,
// without decimal.NewFromString's string building. The result is the same value with the same
// representation (trailing fractional zeros stripped, as NewFromString does). ok is false for
// anything else, which then goes through NewFromString.
func smallDecimal(s string) (d decimal.Decimal, ok bool) {
	i, neg := 0, false
	if i < len(s) && s[i] == '-' {
		neg, i = true, i+1
	}
	intStart := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intEnd, fracStart, fracEnd := i, i, i
	if intEnd == intStart {
		return decimal.Decimal{}, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		fracStart = i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if fracEnd = i; fracEnd == fracStart {
			return decimal.Decimal{}, false
		}
	}
	if i != len(s) {
		return decimal.Decimal{}, false
	}
	for fracEnd > fracStart && s[fracEnd-1] == '0' {
		fracEnd--
	}
	if intEnd-intStart+fracEnd-fracStart > 18 {
		return decimal.Decimal{}, false
	}
	var v int64
	for _, part := range [2]string{s[intStart:intEnd], s[fracStart:fracEnd]} {
		for j := 0; j < len(part); j++ {
			v = v*10 + int64(part[j]-'0')
		}
	}
	if neg {
		v = -v
	}
	return decimal.New(v, -int32(fracEnd-fracStart)), true
}
