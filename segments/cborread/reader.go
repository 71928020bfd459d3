// Package cborread reads the CBOR that store/codec writes, without reflection, for the loops
// that read every stored profile or membership (a full segment recompute, a tag plan).
//
// A Reader accepts only the shapes codec's deterministic encoder produces: definite lengths,
// minimal heads, map keys in strictly increasing order (so never a repeated key), text that is
// valid UTF-8, no tags (Skip, like codec skipping a field, checks only that an item is well
// formed). Anything else fails the reader (Ok turns false) and the caller decodes
// the value with codec instead, which either reads it the same way or returns the error. So a
// Reader may refuse what codec accepts, but must never accept what codec refuses or read a
// value differently: the tests of its callers check that on real and random values.
package cborread

import (
	"bytes"
	"math"
	"time"
	"unicode/utf8"

	"github.com/cohortd/cohortd/store/codec"
)

// CBOR major types.
const (
	majorUint   = 0
	majorNegInt = 1
	majorBytes  = 2
	majorText   = 3
	majorArray  = 4
	majorMap    = 5
	majorSimple = 7
)

// Simple values and float heads (major type 7).
const (
	valFalse   = 0xf4
	valTrue    = 0xf5
	valNull    = 0xf6
	valFloat16 = 0xf9
	valFloat32 = 0xfa
	valFloat64 = 0xfb
)

// MaxItems is the most elements of an array or pairs of a map a Reader accepts: codec's
// decoder refuses more (MaxArrayElements, MaxMapPairs).
const MaxItems = 1 << 17

// maxSkipDepth bounds the nesting Skip walks, below codec's MaxNestedLevels (32).
const maxSkipDepth = 16

// Reader reads CBOR items from a byte slice, one after the other. The first item it cannot
// read fails it: every later read returns a zero value and Ok reports false.
type Reader struct {
	data []byte
	off  int
	bad  bool
}

// NewReader returns a Reader over data.
func NewReader(data []byte) Reader { return Reader{data: data} }

// Ok reports whether every read so far succeeded.
func (r *Reader) Ok() bool { return !r.bad }

// Fail marks the reader failed: the caller found a value it does not accept.
func (r *Reader) Fail() { r.bad = true }

// Done reports whether every read succeeded and consumed all the data.
func (r *Reader) Done() bool { return !r.bad && r.off == len(r.data) }

// next returns the next byte without consuming it; ok false at the end or after a failure.
func (r *Reader) next() (byte, bool) {
	if r.bad || r.off >= len(r.data) {
		return 0, false
	}
	return r.data[r.off], true
}

// head reads an item head of major type major with a definite argument in minimal form.
func (r *Reader) head(major byte) uint64 {
	if r.bad {
		return 0
	}
	n, next, minimal, ok := codec.ReadHead(r.data, r.off, major)
	// The encoder writes the shortest head; a longer one is not its output.
	if !ok || !minimal {
		r.bad = true
		return 0
	}
	r.off = next
	return n
}

// count reads an array or map head and checks its count against the data left, minBytes per
// element.
func (r *Reader) count(major byte, minBytes int) int {
	n := r.head(major)
	if r.bad || n > MaxItems || n*uint64(minBytes) > uint64(len(r.data)-r.off) {
		r.bad = true
		return 0
	}
	return int(n)
}

// Array reads an array head and returns its length.
func (r *Reader) Array() int { return r.count(majorArray, 1) }

// Map reads a map head and returns its number of pairs.
func (r *Reader) Map() int { return r.count(majorMap, 2) }

// Null consumes a null and reports true when the next item is one.
func (r *Reader) Null() bool {
	if c, ok := r.next(); ok && c == valNull {
		r.off++
		return true
	}
	return false
}

// Uint reads an unsigned integer.
func (r *Reader) Uint() uint64 { return r.head(majorUint) }

// Int reads an integer that fits in a Go int (codec refuses larger ones for an int field).
func (r *Reader) Int() int {
	c, ok := r.next()
	if !ok {
		r.bad = true
		return 0
	}
	neg := c>>5 == majorNegInt
	major := byte(majorUint)
	if neg {
		major = majorNegInt
	}
	n := r.head(major)
	if n > math.MaxInt { // -1-n down to math.MinInt
		r.bad = true
		return 0
	}
	if neg {
		return -1 - int(n)
	}
	return int(n)
}

// str reads a byte or text string's content; it points into the data.
func (r *Reader) str(major byte) []byte {
	n := r.head(major)
	if r.bad || n > uint64(len(r.data)-r.off) {
		r.bad = true
		return nil
	}
	r.off += int(n)
	return r.data[r.off-int(n) : r.off]
}

// Bytes reads a byte string; the result points into the data.
func (r *Reader) Bytes() []byte { return r.str(majorBytes) }

// Text reads a text string of valid UTF-8; the result points into the data.
func (r *Reader) Text() []byte {
	b := r.str(majorText)
	if !utf8.Valid(b) {
		r.bad = true
		return nil
	}
	return b
}

// Bool reads true or false.
func (r *Reader) Bool() bool {
	c, ok := r.next()
	if !ok || c != valFalse && c != valTrue {
		r.bad = true
		return false
	}
	r.off++
	return c == valTrue
}

// Float reads a half, single or double precision float as a float64 (as codec decodes one
// into a float64).
func (r *Reader) Float() float64 {
	c, ok := r.next()
	size := 0
	switch c {
	case valFloat16:
		size = 2
	case valFloat32:
		size = 4
	case valFloat64:
		size = 8
	}
	if !ok || size == 0 || len(r.data)-r.off-1 < size {
		r.bad = true
		return 0
	}
	var bits uint64
	for _, b := range r.data[r.off+1 : r.off+1+size] {
		bits = bits<<8 | uint64(b)
	}
	r.off += 1 + size
	switch size {
	case 2:
		return halfToFloat64(uint16(bits))
	case 4:
		return float64(math.Float32frombits(uint32(bits)))
	}
	return math.Float64frombits(bits)
}

// halfToFloat64 converts IEEE 754 half precision bits exactly.
func halfToFloat64(h uint16) float64 {
	exp, frac := int(h>>10&0x1f), float64(h&0x3ff)
	var f float64
	switch exp {
	case 0: // zero and subnormals
		f = math.Ldexp(frac, -24)
	case 0x1f:
		f = math.Inf(1)
		if frac != 0 {
			f = math.NaN()
		}
	default:
		f = math.Ldexp(1024+frac, exp-25)
	}
	if h&0x8000 != 0 {
		f = -f
	}
	return f
}

// Time reads a time as codec decodes one into a time.Time: RFC 3339 text, or null for the
// zero time.
func (r *Reader) Time() time.Time {
	if r.Null() {
		return time.Time{}
	}
	b := r.Text()
	if r.bad {
		return time.Time{}
	}
	t, ok := parseTime(b)
	if !ok {
		r.bad = true
	}
	return t
}

// FieldKey reads the unsigned integer key of a struct field (keyasint), which must be above
// *prev (the previous key of the map, 0 before the first: keys start at 1).
func (r *Reader) FieldKey(prev *uint64) uint64 {
	k := r.head(majorUint)
	if r.bad || k <= *prev {
		r.bad = true
		return 0
	}
	*prev = k
	return k
}

// TextKey reads a text map key whose encoding sorts after *prev, the previous key's encoding
// (nil before the first), as deterministic encoding orders them.
func (r *Reader) TextKey(prev *[]byte) []byte {
	start := r.off
	k := r.Text()
	enc := r.data[start:r.off]
	if r.bad || *prev != nil && bytes.Compare(enc, *prev) <= 0 {
		r.bad = true
		return nil
	}
	*prev = enc
	return k
}

// Skip reads past one well-formed item of the kinds the codec writes (integers, strings,
// arrays, maps, false, true, null, floats). Like codec skipping a field it does not decode,
// it does not look inside strings (text need not be valid UTF-8) or at the order of map keys.
func (r *Reader) Skip() { r.skip(0) }

func (r *Reader) skip(depth int) {
	c, ok := r.next()
	if !ok || depth > maxSkipDepth {
		r.bad = true
		return
	}
	switch c >> 5 {
	case majorUint, majorNegInt:
		r.head(c >> 5)
	case majorBytes, majorText:
		r.str(c >> 5)
	case majorArray:
		for range r.Array() {
			r.skip(depth + 1)
		}
	case majorMap:
		for range r.Map() {
			r.skip(depth + 1)
			r.skip(depth + 1)
		}
	case majorSimple:
		switch c {
		case valFalse, valTrue, valNull:
			r.off++
		default:
			r.Float()
		}
	default:
		r.bad = true // tags
	}
}
