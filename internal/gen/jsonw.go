package gen

import (
	"strconv"
	"time"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// appStr appends s as a JSON string. Non-ASCII text is written as UTF-8
// (as both platforms do); invalid UTF-8 becomes U+FFFD.
func appStr(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appStrOrNull writes null for "" (Shopify style for absent optional strings).
func appStrOrNull(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appStr(b, s)
}

func appUint(b []byte, v uint64) []byte { return strconv.AppendUint(b, v, 10) }

func appBool(b []byte, v bool) []byte { return strconv.AppendBool(b, v) }

// appMoney appends minor units as a decimal string with dec decimals.
func appMoney(b []byte, minor int64, dec int) []byte {
	if minor < 0 {
		b = append(b, '-')
		minor = -minor
	}
	if dec == 0 {
		return strconv.AppendInt(b, minor, 10)
	}
	b = strconv.AppendInt(b, minor/100, 10)
	f := minor % 100
	return append(b, '.', byte('0'+f/10), byte('0'+f%10))
}

// appMoneyNum appends an amount as a JSON number the way PHP's json_encode
// prints a float (no trailing zeros): 9.99, 10.5, 12.
func appMoneyNum(b []byte, minor int64, dec int) []byte {
	if dec == 0 || minor%100 == 0 {
		if dec != 0 {
			minor /= 100
		}
		return strconv.AppendInt(b, minor, 10)
	}
	b = strconv.AppendInt(b, minor/100, 10)
	f := minor % 100
	b = append(b, '.', byte('0'+f/10))
	if f%10 != 0 {
		b = append(b, byte('0'+f%10))
	}
	return b
}

const (
	layoutOffset = "2006-01-02T15:04:05-07:00"
	layoutLocal  = "2006-01-02T15:04:05"
)

func appTime(b []byte, unix int64, loc *time.Location, layout string) []byte {
	return time.Unix(unix, 0).In(loc).AppendFormat(b, layout)
}

func appTimeQ(b []byte, unix int64, loc *time.Location, layout string) []byte {
	b = append(b, '"')
	b = appTime(b, unix, loc, layout)
	return append(b, '"')
}
