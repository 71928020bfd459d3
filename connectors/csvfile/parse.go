package csvfile

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
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

// amount is a parsed amount: d, and when small, the same as the int64 v × 10^exp.
type amount struct {
	d     decimal.Decimal
	v     int64
	exp   int32
	small bool
}

// maxFastDigits is the most digits an amount may have for the int64 fast paths.
const maxFastDigits = 18

// parseSmallAmount parses what parseAmount accepts, with at most maxFastDigits significant
// digits, as v × 10^exp with the value and exponent decimal.NewFromString gives: trailing
// zeros of the fraction are dropped ("2.50" is 25e-1, "3.00" is 3e0). ok is false for anything
// else, which parseAmount then decides.
func parseSmallAmount(b []byte) (v int64, exp int32, ok bool) {
	if len(b) == 0 || len(b) > maxAmountLen {
		return 0, 0, false
	}
	neg := false
	switch b[0] {
	case '-':
		neg, b = true, b[1:]
	case '+':
		b = b[1:]
	}
	intPart, frac := b, b[:0]
	if i := bytes.IndexByte(b, '.'); i >= 0 {
		intPart, frac = b[:i], b[i+1:]
	}
	if len(intPart)+len(frac) == 0 {
		return 0, 0, false
	}
	for _, c := range frac {
		if c < '0' || c > '9' {
			return 0, 0, false
		}
	}
	frac = bytes.TrimRight(frac, "0")
	if len(intPart)+len(frac) > maxFastDigits {
		return 0, 0, false
	}
	for _, c := range intPart {
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		v = v*10 + int64(c-'0')
	}
	for _, c := range frac {
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, -int32(len(frac)), true
}

// parseQuantityBytes is parseQuantity of a field given as bytes.
func parseQuantityBytes(b []byte) (int, error) {
	if len(b) > 0 {
		neg, d := false, b
		switch d[0] {
		case '-':
			neg, d = true, d[1:]
		case '+':
			d = d[1:]
		}
		q, ok := 0, len(d) > 0 && len(d) <= maxFastDigits
		for _, c := range d {
			if c < '0' || c > '9' {
				ok = false
				break
			}
			q = q*10 + int(c-'0')
		}
		if neg {
			q = -q
		}
		if ok && q <= maxQuantity && q >= -maxQuantity {
			return q, nil
		}
	}
	return parseQuantity(string(b))
}

// Bounds of the caches of a rowParser.
const (
	internSlots    = 1 << 15 // strings remembered
	maxInternedLen = 256     // bytes: longer strings are not shared
	amountSlotsLog = 12      // amounts remembered: 1 << amountSlotsLog
)

// rowParser turns the fields of generic order rows into values, remembering what repeats from
// row to row: the last date, the amounts, and strings such as product ids, titles and
// countries, so that rows of one product share one string.
type rowParser struct {
	layouts []string
	loc     *time.Location
	fixed   bool // the layout is "2006-01-02 15:04:05" (alone, or the first of the defaults to match it)

	lastDate string
	lastTime time.Time
	seed     maphash.Seed
	slots    *[internSlots]string
	amounts  *[1 << amountSlotsLog]amountSlot
}

type amountSlot struct {
	v   int64
	exp int32
	ok  bool
	d   decimal.Decimal
}

const isoDateTime = "2006-01-02 15:04:05"

func newRowParser(layouts []string, loc *time.Location) *rowParser {
	fixed := len(layouts) == 1 && layouts[0] == isoDateTime ||
		len(layouts) == len(defaultDateLayouts) && layouts[0] == time.RFC3339 && layouts[1] == isoDateTime
	return &rowParser{layouts: layouts, loc: loc, fixed: fixed, seed: maphash.MakeSeed(), slots: new([internSlots]string), amounts: new([1 << amountSlotsLog]amountSlot)}
}

// intern returns b as a string, the same string for the same bytes while it stays in its
// slot of the table.
func (p *rowParser) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > maxInternedLen {
		return string(b)
	}
	slot := &p.slots[maphash.Bytes(p.seed, b)&(internSlots-1)]
	if *slot == string(b) {
		return *slot
	}
	s := string(b)
	*slot = s
	return s
}

// amount is parseAmount of a field given as bytes.
func (p *rowParser) amount(b []byte) (amount, error) {
	v, exp, ok := parseSmallAmount(b)
	if !ok {
		d, err := parseAmount(string(b))
		return amount{d: d}, err
	}
	// Decimals are immutable: rows with the same amount can share one.
	slot := &p.amounts[uint64(v*31+int64(exp))*0x9E3779B97F4A7C15>>(64-amountSlotsLog)]
	if !slot.ok || slot.v != v || slot.exp != exp {
		*slot = amountSlot{v: v, exp: exp, d: decimal.New(v, exp), ok: true}
	}
	return amount{d: slot.d, v: v, exp: exp, small: true}, nil
}

// time is parseTime of a field given as bytes.
func (p *rowParser) time(b []byte) (time.Time, error) {
	if string(b) == p.lastDate && p.lastDate != "" {
		return p.lastTime, nil
	}
	t, ok := time.Time{}, false
	if p.fixed {
		t, ok = parseISODateTime(b, p.loc)
	}
	if !ok {
		var err error
		if t, err = parseTime(string(b), p.layouts, p.loc); err != nil {
			return time.Time{}, err
		}
	}
	p.lastDate, p.lastTime = string(b), t
	return t, nil
}

// parseISODateTime reads "2006-01-02 15:04:05" exactly (two-digit fields, no fraction) as
// time.ParseInLocation would; ok is false for anything else, which ParseInLocation then
// decides.
func parseISODateTime(b []byte, loc *time.Location) (time.Time, bool) {
	if len(b) != len(isoDateTime) || b[4] != '-' || b[7] != '-' || b[10] != ' ' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range b[i : i+n] {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	if year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, loc), true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// lineSum adds up price × quantity over an order's lines with the value and exponent the
// decimal arithmetic (decimal.Zero, then Add of Price.Mul(quantity)) would give: in an int64
// while the amounts are small and it does not overflow, in decimals after.
type lineSum struct {
	v     int64
	exp   int32
	d     decimal.Decimal
	isBig bool
}

// reset starts from decimal.Zero, which is 0e1.
func (s *lineSum) reset() { *s = lineSum{exp: 1} }

func (s *lineSum) add(price amount, q int) {
	if !s.isBig && price.small {
		if t, ok := mul64(price.v, int64(q)); ok {
			if v, exp, ok := addScaled(s.v, s.exp, t, price.exp); ok {
				s.v, s.exp = v, exp
				return
			}
		}
	}
	if !s.isBig {
		s.d, s.isBig = decimal.New(s.v, s.exp), true
	}
	s.d = s.d.Add(price.d.Mul(decimal.New(int64(q), 0)))
}

func (s *lineSum) decimal() decimal.Decimal {
	if s.isBig {
		return s.d
	}
	return decimal.New(s.v, s.exp)
}

// addScaled adds a × 10^ea and b × 10^eb at the smaller exponent, as decimal.Add does.
func addScaled(a int64, ea int32, b int64, eb int32) (int64, int32, bool) {
	var ok bool
	switch {
	case ea > eb:
		if a, ok = scale10(a, ea-eb); !ok {
			return 0, 0, false
		}
		ea = eb
	case eb > ea:
		if b, ok = scale10(b, eb-ea); !ok {
			return 0, 0, false
		}
	}
	sum := a + b
	if (sum > a) != (b > 0) { // overflow
		return 0, 0, false
	}
	return sum, ea, true
}

// scale10 returns v × 10^n.
func scale10(v int64, n int32) (int64, bool) {
	for ; n > 0; n-- {
		var ok bool
		if v, ok = mul64(v, 10); !ok {
			return 0, false
		}
	}
	return v, true
}

// mul64 returns a × b unless it overflows.
func mul64(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	c := a * b
	if c/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, false
	}
	return c, true
}

// fillBytes sets *dst to str(v) when *dst is empty and v is not.
func fillBytes(dst *string, v []byte, str func([]byte) string) {
	if *dst == "" && len(v) > 0 {
		*dst = str(v)
	}
}

func toString(b []byte) string { return string(b) }

// slabLines is how many line items a lineSlab allocates at a time.
const slabLines = 4096

// lineSlab holds the lines of the order being read at the end of a larger array, which the
// lines of the next orders then follow: orders share few allocations, and lines are written
// once, where they stay.
type lineSlab struct {
	buf   []profiles.LineItem // buf[start:] are the current order's lines
	start int
}

func (s *lineSlab) add(l profiles.LineItem) {
	if len(s.buf) == cap(s.buf) {
		// Full: carry the current order's lines over to a new array.
		n := len(s.buf) - s.start
		buf := make([]profiles.LineItem, n, max(slabLines, 2*n))
		copy(buf, s.buf[s.start:])
		s.buf, s.start = buf, 0
	}
	s.buf = append(s.buf, l)
}

// take returns the current order's lines (nil when none), which are no longer written to.
func (s *lineSlab) take() []profiles.LineItem {
	if len(s.buf) == s.start {
		return nil
	}
	lines := s.buf[s.start:len(s.buf):len(s.buf)]
	s.start = len(s.buf)
	return lines
}
