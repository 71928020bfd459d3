package woofake

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// phpJSON re-encodes a JSON document the way PHP's json_encode writes it with WordPress's
// default flags (wp_json_encode, as WC_Webhook::deliver uses): no insignificant whitespace,
// "/" escaped as "\/", every non-ASCII character as a lower-case \uXXXX escape (surrogate
// pairs above the BMP), HTML characters left alone. The signature of a delivery is computed
// over exactly these bytes, so a receiver must verify the raw body, never a re-encoding.
func phpJSON(in []byte) []byte {
	out := make([]byte, 0, len(in)+len(in)/8)
	for i := 0; i < len(in); {
		c := in[i]
		switch {
		case c == '"':
			end, err := skipString(in, i)
			if err != nil {
				return append(out, in[i:]...)
			}
			out = appendPHPString(out, in[i+1:end-1])
			i = end
		case c == ' ' || c == '\n' || c == '\r' || c == '\t':
			i++
		default:
			out = append(out, c)
			i++
		}
	}
	return out
}

// appendPHPString writes the JSON string whose raw (escaped) content is s.
func appendPHPString(out, s []byte) []byte {
	const hex = "0123456789abcdef"
	out = append(out, '"')
	emit := func(r rune) {
		switch {
		case r == '"':
			out = append(out, '\\', '"')
		case r == '\\':
			out = append(out, '\\', '\\')
		case r == '/':
			out = append(out, '\\', '/')
		case r == '\b':
			out = append(out, '\\', 'b')
		case r == '\f':
			out = append(out, '\\', 'f')
		case r == '\n':
			out = append(out, '\\', 'n')
		case r == '\r':
			out = append(out, '\\', 'r')
		case r == '\t':
			out = append(out, '\\', 't')
		case r < 0x20:
			out = append(out, '\\', 'u', '0', '0', hex[r>>4], hex[r&15])
		case r < 0x80:
			out = append(out, byte(r))
		default:
			units := []rune{r}
			if r > 0xFFFF {
				a, b := utf16.EncodeRune(r)
				units = []rune{a, b}
			}
			for _, u := range units {
				out = append(out, '\\', 'u', hex[(u>>12)&15], hex[(u>>8)&15], hex[(u>>4)&15], hex[u&15])
			}
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case 'u':
				if i+6 <= len(s) {
					r := hexRune(s[i+2 : i+6])
					i += 6
					if utf16.IsSurrogate(r) && i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
						r2 := hexRune(s[i+2 : i+6])
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							r = dec
							i += 6
						}
					}
					emit(r)
					continue
				}
			case 'n':
				emit('\n')
			case 'r':
				emit('\r')
			case 't':
				emit('\t')
			case 'b':
				emit('\b')
			case 'f':
				emit('\f')
			default: // \" \\ \/
				emit(rune(s[i+1]))
			}
			i += 2
			continue
		}
		if c < utf8.RuneSelf {
			emit(rune(c))
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		emit(r)
		i += size
	}
	return append(out, '"')
}

func hexRune(h []byte) rune {
	n, err := strconv.ParseUint(string(h), 16, 32)
	if err != nil {
		return utf8.RuneError
	}
	return rune(n)
}
