package normalize

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Layouts ParseTime accepts, besides Unix seconds.
var (
	zonedLayouts = []string{
		time.RFC3339Nano, // also accepts RFC 3339 without fractional seconds
		"2006-01-02 15:04:05 -0700",
		"2006-01-02 15:04:05 -07:00",
		"2006-01-02T15:04:05-0700",
	}
	localLayouts = []string{
		"2006-01-02T15:04:05",
		"2006-01-02 15:04:05",
		"2006-01-02T15:04",
		"2006-01-02 15:04",
		"2006-01-02",
		"1/2/2006 15:04:05",
		"1/2/2006 15:04", // also "01/02/2006 15:04"
	}
)

const acceptedTimeLayouts = "RFC 3339, 2006-01-02T15:04:05, 2006-01-02 15:04:05, " +
	"2006-01-02 15:04:05 -0700, 2006-01-02, 01/02/2006 15:04 (US month first), Unix seconds"

// ParseTime parses a timestamp from a platform API or CSV export and returns it in UTC.
// Layouts without a zone ("2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02",
// "01/02/2006 15:04", "1/2/2006 15:04") are read in defaultLoc (UTC when nil): pass the shop's
// zone for WooCommerce date_created, time.UTC for its *_gmt fields. Layouts with a zone are
// RFC 3339 (with or without fractional seconds) and "2006-01-02 15:04:05 -0700" (Shopify CSV).
// A string of 9 to 11 digits is Unix seconds (1973-03-03 to 5138); shorter digit strings are
// rejected rather than read as 1970 dates, so that "0" (WooCommerce's "unset") and a compact
// date such as "20240115" are not silently misread. Fractional seconds are accepted after the
// seconds of any layout.
func ParseTime(raw string, defaultLoc *time.Location) (time.Time, error) {
	s := strings.TrimSpace(raw)
	if defaultLoc == nil {
		defaultLoc = time.UTC
	}
	if len(s) >= 9 && len(s) <= 11 && isASCIIDigits(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err == nil {
			return time.Unix(n, 0).UTC(), nil
		}
	}
	if len(s) <= 64 {
		for _, l := range zonedLayouts {
			if t, err := time.Parse(l, s); err == nil && validYear(t) {
				return t.UTC(), nil
			}
		}
		for _, l := range localLayouts {
			if t, err := time.ParseInLocation(l, s, defaultLoc); err == nil && validYear(t) {
				return t.UTC(), nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("normalize: time %q: not in an accepted layout (%s)", raw, acceptedTimeLayouts)
}

// validYear keeps results formattable as RFC 3339 after conversion to UTC.
func validYear(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1 && y <= 9999
}

// Birth dates outside these years are treated as typing errors.
const (
	minBirthYear = 1850
	maxBirthYear = 9999
)

// ParseBirthDate parses a date of birth: "19081209", "1908-12-09", "1908/12/09", or a
// slash-separated day and month ("09/12/1908") only when the order is unambiguous (one of the
// two numbers is above 12, or both are equal). It returns midnight UTC and false for anything
// else, including impossible dates (February 30, month 13) and years before 1850.
func ParseBirthDate(raw string) (time.Time, bool) {
	s := strings.TrimSpace(raw)
	var y, m, d int
	var ok bool
	switch {
	case len(s) == 8 && isASCIIDigits(s):
		y, m, d, ok = atoi3(s[0:4], s[4:6], s[6:8])
	case len(s) == 10 && (s[4] == '-' || s[4] == '/') && s[7] == s[4]:
		y, m, d, ok = atoi3(s[0:4], s[5:7], s[8:10])
	default:
		parts := strings.Split(s, "/")
		if len(parts) != 3 || len(parts[2]) != 4 || len(parts[0]) > 2 || len(parts[1]) > 2 {
			return time.Time{}, false
		}
		var a, b int
		a, b, y, ok = atoi3(parts[0], parts[1], parts[2])
		switch {
		case !ok:
		case a > 12 && b <= 12:
			d, m = a, b
		case b > 12 && a <= 12:
			m, d = a, b
		case a == b:
			d, m = a, b
		default:
			ok = false
		}
	}
	if !ok || y < minBirthYear || y > maxBirthYear || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || int(t.Month()) != m {
		return time.Time{}, false
	}
	return t, true
}

func atoi3(a, b, c string) (int, int, int, bool) {
	var out [3]int
	for i, s := range []string{a, b, c} {
		if !isASCIIDigits(s) {
			return 0, 0, 0, false
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, 0, 0, false
		}
		out[i] = n
	}
	return out[0], out[1], out[2], true
}
