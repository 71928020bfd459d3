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

// span is a [start, end) range of a line.
type span struct{ start, end int }

var (
	idPrefix  = []byte(`{"id":"`)
	parentKey = []byte(`,"__parentId":"`)
	parentAny = []byte(`__parentId`)
)

// quickHead reads the head of a line written the way Shopify writes bulk results: "id" as the
// first key and "__parentId", when there is one, as the last, both strings without escapes. It
// looks at the two ends of the line and searches it once for "__parentId", where lineHead
// walks over every byte (9 million lines at a million orders, ~10 s of CPU), and leaves the
// line's syntax to the record decoder, which checks every byte of it. ok is false for any
// other layout; lineHead reads those.
//
// On a valid JSON object its answer is lineHead's: in a line ending in `,"__parentId":"v"}`
// the quote after the comma opens a key and the final brace closes the object, so the key is
// a top-level one, and a line without the text __parentId has no such key. The only
// difference is a repeated top-level "id", where quickHead keeps the first; Shopify writes
// each key once.
func quickHead(line []byte) (id, parent span, ok bool) {
	n := len(line)
	if !bytes.HasPrefix(line, idPrefix) || line[n-1] != '}' { // the prefix makes n > 0
		return id, parent, false
	}
	id.start = len(idPrefix)
	q := bytes.IndexByte(line[id.start:], '"')
	if q < 0 {
		return id, parent, false
	}
	id.end = id.start + q
	if id.end+1 >= n || (line[id.end+1] != ',' && line[id.end+1] != '}') ||
		bytes.IndexByte(line[id.start:id.end], '\\') >= 0 {
		return id, parent, false
	}
	if line[n-2] == '"' && n-2 > id.end+1 {
		// The last value is a string: is it __parentId's?
		if v := bytes.LastIndexByte(line[:n-2], '"'); v > id.end && bytes.HasSuffix(line[:v+1], parentKey) {
			parent = span{v + 1, n - 2}
			if bytes.IndexByte(line[parent.start:parent.end], '\\') >= 0 {
				return id, parent, false
			}
			return id, parent, true
		}
	}
	if bytes.Contains(line[id.end:], parentAny) {
		return id, parent, false // somewhere else: lineHead knows where
	}
	return id, parent, true
}
