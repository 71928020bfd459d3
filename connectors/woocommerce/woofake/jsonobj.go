package woofake

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// Records are kept as the JSON bytes WooCommerce would send. These helpers walk and patch
// the top level of such an object without decoding it, so that a loaded record keeps its
// exact bytes (key order, number formatting) and a change rewrites only the members it
// touches.

var errBadJSON = errors.New("malformed JSON")

// scanMembers calls fn for every top-level member of the object obj, in order, with the raw
// key (without quotes, escapes left as they are) and the raw value. fn returns false to stop.
func scanMembers(obj []byte, fn func(key, val []byte) bool) error {
	i := skipWS(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return fmt.Errorf("%w: not an object", errBadJSON)
	}
	i = skipWS(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return nil
	}
	for {
		if i >= len(obj) || obj[i] != '"' {
			return fmt.Errorf("%w: key expected at %d", errBadJSON, i)
		}
		end, err := skipString(obj, i)
		if err != nil {
			return err
		}
		key := obj[i+1 : end-1]
		i = skipWS(obj, end)
		if i >= len(obj) || obj[i] != ':' {
			return fmt.Errorf("%w: colon expected at %d", errBadJSON, i)
		}
		vs := skipWS(obj, i+1)
		ve, err := skipValue(obj, vs)
		if err != nil {
			return err
		}
		if !fn(key, obj[vs:ve]) {
			return nil
		}
		i = skipWS(obj, ve)
		if i >= len(obj) {
			return fmt.Errorf("%w: unterminated object", errBadJSON)
		}
		if obj[i] == '}' {
			return nil
		}
		if obj[i] != ',' {
			return fmt.Errorf("%w: comma expected at %d", errBadJSON, i)
		}
		i = skipWS(obj, i+1)
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i] == '"'.
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); {
		q := bytes.IndexByte(b[j:], '"')
		if q < 0 {
			break
		}
		j += q
		bs := 0 // an odd run of backslashes before the quote escapes it
		for k := j - 1; k > i && b[k] == '\\'; k-- {
			bs++
		}
		if bs%2 == 0 {
			return j + 1, nil
		}
		j++
	}
	return 0, fmt.Errorf("%w: unterminated string", errBadJSON)
}

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, fmt.Errorf("%w: value expected", errBadJSON)
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, fmt.Errorf("%w: unterminated container", errBadJSON)
	default:
		j := i
		for j < len(b) {
			c := b[j]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t' {
				break
			}
			j++
		}
		if j == i {
			return 0, fmt.Errorf("%w: value expected at %d", errBadJSON, i)
		}
		return j, nil
	}
}

// member is one top-level member of an object.
type member struct {
	key string
	val []byte
}

// splitObject returns the members of obj in order.
func splitObject(obj []byte) ([]member, error) {
	ms := make([]member, 0, 64)
	err := scanMembers(obj, func(k, v []byte) bool {
		ms = append(ms, member{key: string(k), val: v})
		return true
	})
	return ms, err
}

// setMembers returns a copy of obj with the given members replaced in place, or appended
// before the closing brace (before "_links", as WooCommerce orders them) when absent.
func setMembers(obj []byte, set map[string][]byte) ([]byte, error) {
	ms, err := splitObject(obj)
	if err != nil {
		return nil, err
	}
	done := make(map[string]bool, len(set))
	for i := range ms {
		if v, ok := set[ms[i].key]; ok {
			ms[i].val = v
			done[ms[i].key] = true
		}
	}
	var extra []member
	for k, v := range set {
		if !done[k] {
			extra = append(extra, member{key: k, val: v})
		}
	}
	if len(extra) > 0 {
		at := len(ms)
		if at > 0 && ms[at-1].key == "_links" {
			at--
		}
		ms = append(ms[:at], append(extra, ms[at:]...)...)
	}
	var out bytes.Buffer
	out.Grow(len(obj) + 64)
	out.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			out.WriteByte(',')
		}
		out.WriteByte('"')
		out.WriteString(m.key)
		out.WriteString(`":`)
		out.Write(m.val)
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

// getMember returns the raw value of a top-level member.
func getMember(obj []byte, key string) ([]byte, bool) {
	var out []byte
	found := false
	_ = scanMembers(obj, func(k, v []byte) bool {
		if string(k) == key {
			out, found = v, true
			return false
		}
		return true
	})
	return out, found
}

// rawString returns the value of a JSON string token without decoding escapes unless needed.
func rawString(v []byte) string {
	if len(v) < 2 || v[0] != '"' {
		return ""
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner)
	}
	s, err := strconv.Unquote(string(v))
	if err != nil {
		return string(inner)
	}
	return s
}

// rawUint parses a JSON number token as an unsigned integer (0 when it is not one).
func rawUint(v []byte) uint64 {
	var n uint64
	if len(v) == 0 {
		return 0
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + uint64(c-'0')
	}
	return n
}

// quoteJSON encodes s as a JSON string (no HTML escaping, as PHP does).
func quoteJSON(s string) []byte {
	b := make([]byte, 0, len(s)+2)
	return appendQuoted(b, s)
}

func appendQuoted(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
