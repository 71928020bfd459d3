package decode

import (
	"encoding/binary"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// reader is a small pull parser for the GraphQL nodes of the backfill's hot path. It reads
// only the fields a node type asks for and skips the rest in one pass, where encoding/json
// validates the whole input first and then decodes it through reflection (about seven times
// slower on a bulk order with its lines; see BenchmarkOrderBulk). It accepts exactly RFC 8259 JSON; strings are
// unescaped, and invalid UTF-8 is replaced by U+FFFD as encoding/json does. Keys match exactly
// (GraphQL field names are case-sensitive). Errors are *readErr: a reason that never quotes the
// input, and the JSON path of the value at fault, built only on the error path.
//
// The strings a caller reads are not allocated one by one: str appends their bytes to an
// arena and returns a span, and the caller turns the arena into one string when the node is
// read (text), whose substrings become the record's fields. A record then costs one string
// allocation, of only the bytes it keeps.
type reader struct {
	b    []byte
	i    int
	utf8 bool // b is valid UTF-8 as a whole, so every string in it is
	a    *arena
}

// newReader returns a reader over one node whose strings go to a. Checking UTF-8 once for the
// whole node is much cheaper than once per string.
func newReader(node []byte, a *arena) reader {
	return reader{b: node, utf8: utf8.Valid(node), a: a}
}

// arena collects the bytes of the strings read from one or more nodes (an order and its line
// items). Arenas are pooled: the bytes are copied out by text, so the buffer can be reused.
type arena struct {
	buf []byte
}

// span locates one string in an arena.
type span struct {
	off, end int
}

// text is an arena's bytes as one string; of returns the string a span locates.
type text string

func (t text) of(s span) string { return string(t[s.off:s.end]) }

var arenas = sync.Pool{New: func() any { return new(arena) }}

// getArena returns an empty arena; release it when its text has been taken.
func getArena() *arena {
	a := arenas.Get().(*arena)
	a.buf = a.buf[:0]
	return a
}

// release returns a to the pool, unless an unusual node made it large.
func (a *arena) release() {
	if cap(a.buf) <= 64<<10 {
		arenas.Put(a)
	}
}

// text copies the arena's bytes into one string.
func (a *arena) text() text { return text(a.buf) }

// readErr is a decoding failure at path (dotted keys and [index]es, relative to the value the
// failing call was reading).
type readErr struct {
	path   string
	reason string
}

// under prefixes e's path with the key or [index] of the enclosing value.
func (e *readErr) under(seg string) *readErr {
	switch {
	case e.path == "":
		e.path = seg
	case e.path[0] == '[':
		e.path = seg + e.path
	default:
		e.path = seg + "." + e.path
	}
	return e
}

func (r *reader) syntaxErr() *readErr {
	if r.i >= len(r.b) {
		return &readErr{reason: "malformed JSON: unexpected end"}
	}
	return &readErr{reason: "malformed JSON at byte " + strconv.Itoa(r.i)}
}

// maxDepth bounds the nesting of skipped values; node types nest a handful of levels.
const maxDepth = 256

func (r *reader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// next returns the first byte of the next value (0 at the end of input).
func (r *reader) next() byte {
	if r.i < len(r.b) && r.b[r.i] > ' ' { // compact JSON (bulk output): no whitespace to skip
		return r.b[r.i]
	}
	r.ws()
	if r.i >= len(r.b) {
		return 0
	}
	return r.b[r.i]
}

// end checks that nothing but whitespace follows the top-level value.
func (r *reader) end() *readErr {
	if r.ws(); r.i != len(r.b) {
		return r.syntaxErr()
	}
	return nil
}

// kind names the JSON type of a value starting with c, for "want X, got Y" errors.
func kind(c byte) string {
	switch {
	case c == '"':
		return "string"
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == 't' || c == 'f':
		return "boolean"
	case c == 'n':
		return "null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "number"
	}
	return "invalid JSON"
}

func (r *reader) wrongType(want string) *readErr {
	c := r.next()
	if kind(c) == "invalid JSON" {
		return r.syntaxErr()
	}
	return &readErr{reason: "want " + want + ", got " + kind(c)}
}

// null consumes a null if one is next.
func (r *reader) null() (bool, *readErr) {
	if r.next() != 'n' {
		return false, nil
	}
	return true, r.literal("null")
}

func (r *reader) literal(lit string) *readErr {
	if len(r.b)-r.i < len(lit) || string(r.b[r.i:r.i+len(lit)]) != lit {
		return r.syntaxErr()
	}
	r.i += len(lit)
	return nil
}

// object reads an object, calling field for each key with the reader positioned on its value;
// field must consume the value. A null object reads as absent (present false).
func (r *reader) object(field func(key []byte) *readErr) (present bool, err *readErr) {
	if isNull, err := r.null(); isNull || err != nil {
		return false, err
	}
	if r.next() != '{' {
		return false, r.wrongType("object")
	}
	r.i++
	if r.next() == '}' {
		r.i++
		return true, nil
	}
	for {
		if r.next() != '"' {
			return true, r.syntaxErr()
		}
		key, _, err := r.rawString()
		if err != nil {
			return true, err
		}
		if r.next() != ':' {
			return true, r.syntaxErr()
		}
		r.i++
		if err := field(key); err != nil {
			return true, err.under(string(key))
		}
		switch r.next() {
		case ',':
			r.i++
		case '}':
			r.i++
			return true, nil
		default:
			return true, r.syntaxErr()
		}
	}
}

// array reads an array, calling elem for each element; elem must consume it. A null array
// reads as absent.
func (r *reader) array(elem func(i int) *readErr) (present bool, err *readErr) {
	if isNull, err := r.null(); isNull || err != nil {
		return false, err
	}
	if r.next() != '[' {
		return false, r.wrongType("array")
	}
	r.i++
	if r.next() == ']' {
		r.i++
		return true, nil
	}
	for n := 0; ; n++ {
		if err := elem(n); err != nil {
			return true, err.under("[" + strconv.Itoa(n) + "]")
		}
		switch r.next() {
		case ',':
			r.i++
		case ']':
			r.i++
			return true, nil
		default:
			return true, r.syntaxErr()
		}
	}
}

// str reads a string into the arena; null reads as "" (an empty span).
func (r *reader) str() (span, *readErr) {
	switch r.next() {
	case '"':
		b, _, err := r.rawString()
		if err != nil {
			return span{}, err
		}
		off := len(r.a.buf)
		r.a.buf = append(r.a.buf, b...)
		return span{off, len(r.a.buf)}, nil
	case 'n':
		return span{}, r.literal("null")
	}
	return span{}, r.wrongType("string")
}

// strs reads an array of strings; null reads as nil.
func (r *reader) strs() ([]span, *readErr) {
	out := []span{}
	present, err := r.array(func(int) *readErr {
		s, err := r.str()
		out = append(out, s)
		return err
	})
	if !present {
		return nil, err
	}
	return out, err
}

// int reads an integer that fits an int; null reads as 0.
func (r *reader) int() (int, *readErr) {
	if isNull, err := r.null(); isNull || err != nil {
		return 0, err
	}
	c := r.next()
	if c != '-' && (c < '0' || c > '9') {
		return 0, r.wrongType("integer")
	}
	start := r.i
	if err := r.number(); err != nil {
		return 0, err
	}
	n, perr := strconv.Atoi(string(r.b[start:r.i]))
	if perr != nil {
		return 0, &readErr{reason: "want integer, got number"}
	}
	return n, nil
}

// number consumes a JSON number.
func (r *reader) number() *readErr {
	b, i := r.b, r.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() bool {
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > s
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if !digits() {
		r.i = i
		return r.syntaxErr()
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			r.i = i
			return r.syntaxErr()
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			r.i = i
			return r.syntaxErr()
		}
	}
	r.i = i
	return nil
}

// skip consumes one value of any type.
func (r *reader) skip() *readErr { return r.skipDepth(0) }

func (r *reader) skipDepth(depth int) *readErr {
	if depth > maxDepth {
		return &readErr{reason: "JSON nested too deeply"}
	}
	switch c := r.next(); {
	case c == '"':
		_, _, err := r.rawString()
		return err
	case c == '{':
		_, err := r.object(func([]byte) *readErr { return r.skipDepth(depth + 1) })
		return err
	case c == '[':
		_, err := r.array(func(int) *readErr { return r.skipDepth(depth + 1) })
		return err
	case c == 't':
		return r.literal("true")
	case c == 'f':
		return r.literal("false")
	case c == 'n':
		return r.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return r.number()
	}
	return r.syntaxErr()
}

// plainByte marks the bytes a string can hold without further thought: not a quote, a
// backslash or a control character.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// rawString consumes a string (r.b[r.i] is its opening quote) and returns its content,
// unescaped. aliased reports that the result is a slice of the input (no escapes, valid UTF-8).
func (r *reader) rawString() (s []byte, aliased bool, err *readErr) {
	b := r.b
	start := r.i + 1
	i := start
	// Eight bytes at a time while none of them is a quote, a backslash or a control
	// character (the usual SWAR tests for a zero byte and for a byte below 0x20), then byte by
	// byte to the exact stop.
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for i+8 <= len(b) {
		w := binary.LittleEndian.Uint64(b[i:])
		q, bs := w^(ones*'"'), w^(ones*'\\')
		if ((q-ones)&^q|(bs-ones)&^bs|(w-ones*0x20)&^w)&highs != 0 {
			break
		}
		i += 8
	}
	for i < len(b) && plainByte[b[i]] {
		i++
	}
	switch {
	case i >= len(b):
		r.i = len(b)
		return nil, false, r.syntaxErr()
	case b[i] == '"':
		r.i = i + 1
		s = b[start:i]
		if !r.utf8 && !utf8.Valid(s) {
			return fixUTF8(s), false, nil
		}
		return s, true, nil
	case b[i] == '\\':
		s, err := r.escapedString(start, i)
		return s, false, err
	}
	r.i = i
	return nil, false, r.syntaxErr()
}

// escapedString finishes a string that has an escape at esc.
func (r *reader) escapedString(start, esc int) ([]byte, *readErr) {
	b := r.b
	out := make([]byte, 0, esc-start+16)
	out = append(out, b[start:esc]...)
	i := esc
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			r.i = i + 1
			if !r.utf8 && !utf8.Valid(out) {
				out = fixUTF8(out)
			}
			return out, nil
		case c < 0x20:
			r.i = i
			return nil, r.syntaxErr()
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(b) {
			break
		}
		switch e := b[i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r1, ok := hex4(b, i+2)
			if !ok {
				r.i = i
				return nil, r.syntaxErr()
			}
			i += 6
			if utf16.IsSurrogate(r1) {
				if r2, ok := hex4(b, i+2); ok && i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
					if dec := utf16.DecodeRune(r1, r2); dec != utf8.RuneError {
						out = utf8.AppendRune(out, dec)
						i += 6
						continue
					}
				}
				r1 = utf8.RuneError
			}
			out = utf8.AppendRune(out, r1)
			continue
		default:
			r.i = i
			return nil, r.syntaxErr()
		}
		i += 2
	}
	r.i = len(b)
	return nil, r.syntaxErr()
}

// fixUTF8 replaces each byte that is not part of valid UTF-8 with U+FFFD, as encoding/json
// does.
func fixUTF8(b []byte) []byte {
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		c, size := utf8.DecodeRune(b)
		if c == utf8.RuneError && size == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}

// hex4 reads the four hex digits of a \u escape at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var v rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | rune(c)
	}
	return v, true
}
