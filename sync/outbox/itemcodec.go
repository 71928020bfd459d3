package outbox

import (
	"math"
	"time"
	"unicode/utf8"

	"github.com/cohortd/cohortd/store/codec"
)

// An Item is stored with package codec: the format-version byte, then a deterministic CBOR
// map of Item's integer keys in ascending order. A large Enqueue writes (and, when it replaces
// pending changes, reads) one Item per change, and the codec's reflection was most of its
// time, so the outbox encodes and decodes its own Item here, byte for byte as the codec does.
// What these functions do not handle themselves they leave to the codec: itemEncoder.append
// and itemDecoder.decode report false, and the caller uses codec.Marshal or codec.Unmarshal,
// which then writes or reads the value the same way, or gives the error.

// CBOR major types and simple values used by the Item encoding.
const (
	cborUint  byte = 0
	cborNeg   byte = 1
	cborBytes byte = 2
	cborText  byte = 3
	cborMap   byte = 5
	cborNull  byte = 0xf6
)

// Item's CBOR map keys, as in its struct tags.
const (
	fieldDestination = iota + 1
	fieldKey
	fieldPayload
	fieldSummary
	fieldEnqueued
	fieldAttempts
	fieldNextAttempt
	fieldLastError
	fieldLastAttempt
	fieldSeq
	fieldRev
	fieldReplaced
	lastField = fieldReplaced
)

func appendText(dst []byte, s string) []byte {
	return append(codec.AppendHead(dst, cborText, uint64(len(s))), s...)
}

func appendInt(dst []byte, n int) []byte {
	if n < 0 {
		return codec.AppendHead(dst, cborNeg, uint64(-(n + 1)))
	}
	return codec.AppendHead(dst, cborUint, uint64(n))
}

// itemEncoder encodes Items. The times of consecutive items are mostly the same (one enqueue
// time per transaction), so it keeps the last time it formatted. Not safe for concurrent use.
type itemEncoder struct {
	lastTime time.Time
	lastText string
}

// append appends the codec encoding of it to dst; false (with dst unchanged) when it leaves
// the item to codec.Marshal.
func (e *itemEncoder) append(dst []byte, it *Item) ([]byte, bool) {
	enqueued, ok1 := e.timeText(it.Enqueued)
	next, ok2 := e.timeText(it.NextAttempt)
	last, ok3 := e.timeText(it.LastAttempt)
	if !ok1 || !ok2 || !ok3 {
		return dst, false
	}
	fields := 8 // the fields without omitempty
	for _, present := range []bool{it.Summary != "", it.Attempts != 0, it.LastError != "", it.Replaced != 0} {
		if present {
			fields++
		}
	}
	dst = append(dst, codec.Version)
	dst = codec.AppendHead(dst, cborMap, uint64(fields))
	dst = appendText(append(dst, fieldDestination), it.Destination)
	dst = appendText(append(dst, fieldKey), it.Key)
	dst = append(dst, fieldPayload)
	if it.Payload == nil {
		dst = append(dst, cborNull)
	} else {
		dst = append(codec.AppendHead(dst, cborBytes, uint64(len(it.Payload))), it.Payload...)
	}
	if it.Summary != "" {
		dst = appendText(append(dst, fieldSummary), it.Summary)
	}
	dst = appendTime(append(dst, fieldEnqueued), enqueued)
	if it.Attempts != 0 {
		dst = appendInt(append(dst, fieldAttempts), it.Attempts)
	}
	dst = appendTime(append(dst, fieldNextAttempt), next)
	if it.LastError != "" {
		dst = appendText(append(dst, fieldLastError), it.LastError)
	}
	dst = appendTime(append(dst, fieldLastAttempt), last) // omitempty keeps a zero time: null
	dst = codec.AppendHead(append(dst, fieldSeq), cborUint, it.Seq)
	dst = codec.AppendHead(append(dst, fieldRev), cborUint, it.Rev)
	if it.Replaced != 0 {
		dst = appendInt(append(dst, fieldReplaced), it.Replaced)
	}
	return dst, true
}

// timeText is the codec's text of t ("" for the zero time, which it writes as null); false
// for a time RFC 3339 cannot hold, which the codec refuses.
func (e *itemEncoder) timeText(t time.Time) (string, bool) {
	if t.IsZero() {
		return "", true
	}
	// Equal representations (not merely equal instants) format the same.
	if t == e.lastTime && e.lastText != "" {
		return e.lastText, true
	}
	s := t.Format(time.RFC3339Nano)
	if !withinRFC3339(s) {
		return "", false
	}
	e.lastTime, e.lastText = t, s
	return s, true
}

// withinRFC3339 reports whether Go's RFC 3339 text of a time has a 4-digit year and an offset
// below 24 hours, the limits the codec checks before it writes a time.
func withinRFC3339(s string) bool {
	const offsetLen = len("+07:00")
	if len(s) < len("2006-01-02T15:04:05Z") || s[4] != '-' {
		return false
	}
	if s[len(s)-1] == 'Z' {
		return true
	}
	zone := s[len(s)-offsetLen:]
	return (zone[0] == '+' || zone[0] == '-') && (zone[1] < '2' || zone[1] == '2' && zone[2] < '4')
}

func appendTime(dst []byte, text string) []byte {
	if text == "" {
		return append(dst, cborNull)
	}
	return appendText(dst, text)
}

// itemDecoder decodes stored Items. Consecutive items mostly share their times, so it keeps
// the last time text it parsed. Not safe for concurrent use.
type itemDecoder struct {
	lastText string
	lastTime time.Time
}

// decode reads the codec encoding of an Item from b into *it, as codec.Unmarshal would; false
// (with *it unspecified) for anything it leaves to the codec: another format version, an
// unknown or repeated key, a value of another type, text that is not UTF-8, trailing bytes.
// It never keeps b: strings and the payload are copies.
func (d *itemDecoder) decode(b []byte, it *Item) bool {
	if len(b) == 0 || b[0] != codec.Version {
		return false
	}
	r := cborReader{Cursor: codec.Cursor{B: b, I: 1}}
	n, ok := r.Head(cborMap)
	if !ok || n > lastField {
		return false
	}
	*it = Item{}
	prev := uint64(0)
	for range n {
		key, ok := r.Head(cborUint)
		if !ok || key <= prev || key > lastField { // deterministic: ascending, no repeats
			return false
		}
		prev = key
		if !d.field(&r, key, it) {
			return false
		}
	}
	return !r.Bad && r.I == len(r.B)
}

// field reads the value of one key into *it.
func (d *itemDecoder) field(r *cborReader, key uint64, it *Item) bool {
	switch key {
	case fieldDestination:
		it.Destination = r.text()
	case fieldKey:
		it.Key = r.text()
	case fieldPayload:
		it.Payload = r.nullableBytes()
	case fieldSummary:
		it.Summary = r.text()
	case fieldEnqueued:
		it.Enqueued = d.time(r)
	case fieldAttempts:
		it.Attempts = r.int()
	case fieldNextAttempt:
		it.NextAttempt = d.time(r)
	case fieldLastError:
		it.LastError = r.text()
	case fieldLastAttempt:
		it.LastAttempt = d.time(r)
	case fieldSeq:
		it.Seq, _ = r.Head(cborUint)
	case fieldRev:
		it.Rev, _ = r.Head(cborUint)
	case fieldReplaced:
		it.Replaced = r.int()
	}
	return !r.Bad
}

// time reads a time written by the codec: null (the zero time) or RFC 3339 text, parsed as
// the codec parses it.
func (d *itemDecoder) time(r *cborReader) time.Time {
	if r.Null() {
		return time.Time{}
	}
	raw := r.Bytes(cborText)
	if r.Bad {
		return time.Time{}
	}
	if d.lastText != "" && string(raw) == d.lastText {
		return d.lastTime
	}
	t, err := time.Parse(time.RFC3339, string(raw))
	if err != nil {
		r.Bad = true
		return time.Time{}
	}
	d.lastText, d.lastTime = string(raw), t
	return t
}

// cborReader reads the definite-length items the Item encoding uses (codec.Cursor: any
// other item, or running out of input, sets Bad).
type cborReader struct {
	codec.Cursor
}

// text reads a UTF-8 text string (the codec refuses any other).
func (r *cborReader) text() string {
	s := r.Bytes(cborText)
	if !r.Bad && !utf8.Valid(s) {
		r.Bad = true
	}
	return string(s)
}

// nullableBytes reads a byte string (copied; empty but not nil when empty) or null (nil).
func (r *cborReader) nullableBytes() []byte {
	if r.Null() {
		return nil
	}
	b := r.Bytes(cborBytes)
	if r.Bad {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// int reads an integer that fits an int.
func (r *cborReader) int() int {
	if r.Bad || r.I >= len(r.B) {
		r.Bad = true
		return 0
	}
	major := r.B[r.I] >> 5
	if major != cborUint && major != cborNeg {
		r.Bad = true
		return 0
	}
	n, _ := r.Head(major)
	if n > math.MaxInt {
		r.Bad = true
		return 0
	}
	if major == cborNeg {
		return -1 - int(n)
	}
	return int(n)
}
