package cborread

import "time"

// parseTime parses b as codec does, with time.Parse(time.RFC3339, …). The form the encoder
// writes for UTC times ("2006-01-02T15:04:05.999999999Z") is parsed here without a string
// allocation, the same way time.Parse's own RFC 3339 path parses it; anything else goes to
// time.Parse.
func parseTime(b []byte) (time.Time, bool) {
	if t, ok := parseUTC(b); ok {
		return t, true
	}
	t, err := time.Parse(time.RFC3339, string(b))
	return t, err == nil
}

// parseUTC parses "YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z" with every field in range; ok false for
// anything else.
func parseUTC(b []byte) (t time.Time, ok bool) {
	const base = len("2006-01-02T15:04:05")
	if len(b) < base+1 || b[len(b)-1] != 'Z' ||
		b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	ok = true
	num := func(s []byte, lo, hi int) int {
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				ok = false
				return lo
			}
			n = n*10 + int(c-'0')
		}
		if n < lo || n > hi {
			ok = false
		}
		return n
	}
	year := num(b[0:4], 0, 9999)
	month := num(b[5:7], 1, 12)
	day := num(b[8:10], 1, 31)
	hour := num(b[11:13], 0, 23)
	minute := num(b[14:16], 0, 59)
	sec := num(b[17:19], 0, 59)
	if !ok || day > daysIn(month, year) {
		return time.Time{}, false
	}
	nsec := 0
	if frac := b[base : len(b)-1]; len(frac) > 0 {
		if len(frac) < 2 || len(frac) > 10 || frac[0] != '.' {
			return time.Time{}, false
		}
		nsec = num(frac[1:], 0, 999_999_999)
		for range 10 - len(frac) {
			nsec *= 10
		}
		if !ok {
			return time.Time{}, false
		}
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

// daysIn is the number of days of month in year (proleptic Gregorian, as package time).
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
