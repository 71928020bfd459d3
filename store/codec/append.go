package codec

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"time"
)

// Items as Marshal writes them, for the hand-written encoders (a rebuild's profiles, the
// segments' membership records) that produce Marshal's bytes without reflection: one copy of
// the rules for text, floats, times and text-keyed maps that they share.

const (
	majorText = 3
	majorMap  = 5
	cborNull  = 0xf6
)

// AppendText appends s as a CBOR text string, as Marshal does: its bytes as they are, valid
// UTF-8 or not.
func AppendText(dst []byte, s string) []byte {
	return append(AppendHead(dst, majorText, uint64(len(s))), s...)
}

// CompareTextKeys orders the text keys of a map as the Core Deterministic Encoding does: by
// the bytes of the encoded keys, which is by length first (the head grows with the length,
// also across its 23/24-byte boundary), then byte by byte.
func CompareTextKeys(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// AppendTextMap appends the map mv, its text keys in the Core Deterministic Encoding's order
// (CompareTextKeys), each value appended by value; ok is false (and the bytes are of no use)
// as soon as value's is.
func AppendTextMap[V any](dst []byte, mv map[string]V, value func([]byte, V) ([]byte, bool)) (_ []byte, ok bool) {
	var scratch [16]string
	keys := scratch[:0]
	for k := range mv {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, CompareTextKeys)
	dst = AppendHead(dst, majorMap, uint64(len(keys)))
	for _, k := range keys {
		if dst, ok = value(AppendText(dst, k), mv[k]); !ok {
			return nil, false
		}
	}
	return dst, true
}

// AppendFloat appends f as the Core Deterministic Encoding does: NaN and the infinities as
// half-precision, else the shortest of half, single and double precision that holds f exactly
// (-0 included, as half-precision -0).
func AppendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, 0xf9, 0x7e, 0x00)
	case math.IsInf(f, 1):
		return append(dst, 0xf9, 0x7c, 0x00)
	case math.IsInf(f, -1):
		return append(dst, 0xf9, 0xfc, 0x00)
	}
	f32 := float32(f)
	if float64(f32) != f {
		return binary.BigEndian.AppendUint64(append(dst, 0xfb), math.Float64bits(f))
	}
	if h, ok := float16Exact(f32); ok {
		return append(dst, 0xf9, byte(h>>8), byte(h))
	}
	return binary.BigEndian.AppendUint32(append(dst, 0xfa), math.Float32bits(f32))
}

// float16Exact returns the IEEE 754 half-precision bits of f, if f has one exactly (normal or
// subnormal).
func float16Exact(f float32) (uint16, bool) {
	u := math.Float32bits(f)
	sign := uint16(u>>16) & 0x8000
	if u&0x7fffffff == 0 {
		return sign, true // ±0
	}
	biased := int(u>>23) & 0xff
	if biased == 0 {
		return 0, false // a single-precision subnormal is far below half precision's range
	}
	exp := biased - 127
	mant := u & 0x7fffff
	switch {
	case exp >= -14 && exp <= 15: // a half-precision normal: 10 of the 23 mantissa bits
		if mant&0x1fff != 0 {
			return 0, false
		}
		return sign | uint16(exp+15)<<10 | uint16(mant>>13), true
	case exp >= -24 && exp < -14: // a half-precision subnormal: units of 2^-24
		sig := mant | 1<<23
		shift := uint(-(exp + 1)) // 14 to 23
		if sig&(1<<shift-1) != 0 {
			return 0, false
		}
		return sign | uint16(sig>>shift), true
	}
	return 0, false
}

// AppendTime appends t as Marshal does: null when zero, else RFC 3339 text with nanoseconds
// and t's own offset. ok is false for the times Marshal refuses (a year outside 0-9999, an
// offset beyond ±23:59); dst is then not to be used.
func AppendTime(dst []byte, t time.Time) (_ []byte, ok bool) {
	if t.IsZero() {
		return append(dst, cborNull), true
	}
	var buf [64]byte
	s := t.AppendFormat(buf[:0], time.RFC3339Nano)
	if len(s) < len("2006-01-02T15:04:05Z") || s[4] != '-' {
		return nil, false
	}
	if s[len(s)-1] != 'Z' {
		zone := s[len(s)-len("+07:00"):]
		if (zone[0] != '+' && zone[0] != '-') || zone[1] > '2' || (zone[1] == '2' && zone[2] >= '4') {
			return nil, false
		}
	}
	return append(AppendHead(dst, majorText, uint64(len(s))), s...), true
}
