package woofake

import "strings"

// PHP decides what WooCommerce sees of a query string: parse_str decodes "+" as a space,
// keeps the last of repeated keys (at the position of the first), turns "." and " " in
// names into "_", and reads "name[]" / "name[key]" as arrays. The OAuth verifier and the
// Link headers work on these PHP values, so the fake parses the way PHP does.

// phpParam is one entry of a PHP request array: a string, or an array of strings (one
// level; deeper nesting is not used by any WooCommerce client and is not modelled).
type phpParam struct {
	key   string
	val   string
	arr   []phpParam
	isArr bool
}

// phpParams is an ordered PHP array with unique keys.
type phpParams []phpParam

func (p phpParams) get(key string) (string, bool) {
	for _, e := range p {
		if e.key == key && !e.isArr {
			return e.val, true
		}
	}
	return "", false
}

func (p phpParams) has(key string) bool {
	for _, e := range p {
		if e.key == key {
			return true
		}
	}
	return false
}

func (p phpParams) index(key string) int {
	for i, e := range p {
		if e.key == key {
			return i
		}
	}
	return -1
}

// put replaces the entry with the same key in place, or appends it.
func (p phpParams) put(e phpParam) phpParams {
	if i := p.index(e.key); i >= 0 {
		p[i] = e
		return p
	}
	return append(p, e)
}

func (p phpParams) without(key string) phpParams {
	out := make(phpParams, 0, len(p))
	for _, e := range p {
		if e.key != key {
			out = append(out, e)
		}
	}
	return out
}

// merge is PHP's array_merge for string keys: entries of q override those of p.
func (p phpParams) merge(q phpParams) phpParams {
	out := append(phpParams(nil), p...)
	for _, e := range q {
		out = out.put(e)
	}
	return out
}

// parsePHPQuery parses a query string or form body as PHP's parse_str does.
func parsePHPQuery(raw string) phpParams {
	var out phpParams
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		name := strings.TrimLeft(phpURLDecode(k), " ")
		val := phpURLDecode(v)
		if name == "" {
			continue
		}
		base, sub, isArr := splitPHPName(name)
		if base == "" {
			continue
		}
		if !isArr {
			out = out.put(phpParam{key: base, val: val})
			continue
		}
		i := out.index(base)
		if i < 0 || !out[i].isArr {
			out = out.put(phpParam{key: base, isArr: true})
			i = out.index(base)
		}
		if sub == "" {
			sub = itoa(uint64(len(out[i].arr)))
		}
		out[i].arr = phpParams(out[i].arr).put(phpParam{key: sub, val: val})
	}
	return out
}

// splitPHPName applies PHP's variable-name rules: "a.b c" -> "a_b_c", "a[x]" -> (a, x, true),
// "a[]" -> (a, "", true), an unclosed "[" becomes "_".
func splitPHPName(name string) (base, sub string, isArr bool) {
	open := strings.IndexByte(name, '[')
	if open >= 0 {
		if cl := strings.IndexByte(name[open:], ']'); cl > 0 {
			base = name[:open]
			sub = name[open+1 : open+cl]
			isArr = true
		} else {
			name = name[:open] + "_" + name[open+1:]
			open = -1
		}
	}
	if open < 0 {
		base = name
	}
	base = strings.Map(func(r rune) rune {
		if r == '.' || r == ' ' {
			return '_'
		}
		return r
	}, base)
	return base, sub, isArr
}

// phpURLDecode is PHP's urldecode: "+" is a space, malformed escapes are kept as they are.
func phpURLDecode(s string) string { return percentDecode(s, true) }

// phpRawURLDecode is PHP's rawurldecode ("+" stays "+").
func phpRawURLDecode(s string) string { return percentDecode(s, false) }

func percentDecode(s string, plus bool) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+' && plus:
			b.WriteByte(' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// phpRawURLEncode is PHP's rawurlencode (RFC 3986: only A-Z a-z 0-9 - _ . ~ kept), which is
// what wc_rest_urlencode_rfc3986 amounts to.
func phpRawURLEncode(s string) string { return percentEncode(s, false) }

// phpURLEncode is PHP's urlencode: space as "+", "~" encoded.
func phpURLEncode(s string) string { return percentEncode(s, true) }

func percentEncode(s string, form bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.':
			b.WriteByte(c)
		case c == '~' && !form:
			b.WriteByte(c)
		case c == ' ' && form:
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}
