package decode

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// wcID is a WooCommerce id: a JSON integer (a numeric string is accepted too, as some plugins
// send them). It is kept as its decimal text, never passed through float64.
type wcID struct {
	text string
	bad  bool
}

func (v *wcID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*v = wcID{}
		return nil
	}
	if len(b) > 1 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			v.bad = true
			return nil
		}
		b = []byte(s)
	}
	if len(b) == 0 || len(b) > 20 {
		*v = wcID{bad: len(b) > 0}
		return nil
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			*v = wcID{bad: true}
			return nil
		}
	}
	// Leading zeros would make "012" and "12" two records.
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		*v = wcID{bad: true}
		return nil
	}
	*v = wcID{text: strconv.FormatUint(n, 10)}
	return nil
}

// id returns the id ("" when absent or 0) and whether it was well-formed.
func (v wcID) id() (string, bool) {
	if v.bad {
		return "", false
	}
	if v.text == "0" {
		return "", true
	}
	return v.text, true
}

// gmtLayout is how WooCommerce writes dates: ISO 8601 without an offset; the *_gmt fields are
// in UTC.
const gmtLayout = "2006-01-02T15:04:05"

// parseGMT reads a *_gmt date. "" and null give the zero time. A value with an offset or a
// "Z" (some plugins add one) is read as such.
func parseGMT(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	if t, err := time.ParseInLocation(gmtLayout, s, time.UTC); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	return time.Time{}, false
}

// nullString is a JSON string that may be null (date_completed_gmt, date_paid_gmt...).
type nullString string

func (s *nullString) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*s = ""
		return nil
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = nullString(v)
	return nil
}

// amount is a money value: WooCommerce writes totals as strings ("19.98") and a line's price
// as a JSON number (9.99); both are read from their text.
type amount struct {
	text string
}

func (a *amount) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		a.text = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		a.text = s
	default:
		a.text = string(b)
	}
	return nil
}

// dec parses the amount; "" is zero.
func (a amount) dec() (decimal.Decimal, bool) {
	if a.text == "" {
		return decimal.Zero, true
	}
	if !plainDecimal(a.text) {
		return decimal.Zero, false
	}
	d, err := decimal.NewFromString(a.text)
	if err != nil {
		return decimal.Zero, false
	}
	return d, true
}

// plainDecimal accepts "-12.34"-shaped numbers of sane length, with at most a two-digit
// exponent (PHP's json_encode writes tiny floats as "1.0e-5"): a large exponent ("1e999999")
// would make later arithmetic allocate without bound.
func plainDecimal(s string) bool {
	if len(s) == 0 || len(s) > 40 {
		return false
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp := strings.TrimLeft(s[i+1:], "+-")
		if len(exp) == 0 || len(exp) > 2 || len(s[i+1:])-len(exp) > 1 || strings.Trim(exp, "0123456789") != "" {
			return false
		}
		s = s[:i]
	}
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}
