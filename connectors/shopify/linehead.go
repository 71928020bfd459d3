package shopify

import (
	"bytes"
	"errors"
	"strconv"
)

var errNotObject = errors.New("not a complete JSON object")

// lineHead reads the top-level "id" and "__parentId" strings of one JSONL line in a single
// pass, checking that the line is one complete object (balanced, strings closed); the values
// themselves are decoded later by the caller's decoder. A bulk file has millions of lines, and
// encoding/json into a struct cost as much as decoding the records.
func lineHead(line []byte) (id, parent string, err error) {
	i := skipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return "", "", errNotObject
	}
	depth := 0
	expectKey := false
	var key []byte
	for i < len(line) {
		c := line[i]
		switch c {
		case '{', '[':
			depth++
			expectKey = c == '{' && depth == 1
			i++
		case '}', ']':
			depth--
			i++
			if depth == 0 {
				if skipSpace(line, i) != len(line) {
					return "", "", errNotObject
				}
				return id, parent, nil
			}
			if depth < 0 {
				return "", "", errNotObject
			}
		case ',':
			expectKey = depth == 1
			i++
		case '"':
			end, ok := stringEnd(line, i)
			if !ok {
				return "", "", errNotObject
			}
			s := line[i : end+1]
			i = end + 1
			if depth != 1 {
				continue
			}
			if expectKey {
				key, expectKey = s, false
				continue
			}
			switch string(key) {
			case `"id"`, `"__parentId"`:
				v, uerr := strconv.Unquote(string(s))
				if uerr != nil {
					return "", "", errNotObject
				}
				if string(key) == `"id"` {
					id = v
				} else {
					parent = v
				}
			}
			key = nil
		default:
			i++
		}
	}
	return "", "", errNotObject
}

// stringEnd returns the index of the quote closing the string that starts at i. Most strings
// have no escape: the next quote, found with bytes.IndexByte, closes them when no backslash
// comes before it; the others are scanned byte by byte.
func stringEnd(b []byte, i int) (int, bool) {
	if q := bytes.IndexByte(b[i+1:], '"'); q >= 0 && bytes.IndexByte(b[i+1:i+1+q], '\\') < 0 {
		return i + 1 + q, true
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j, true
		}
	}
	return 0, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}
