package segmenter

import (
	"slices"
	"sync"

	"github.com/cohortd/cohortd/segments"
	"github.com/cohortd/cohortd/store/codec"
)

// A store's first recompute writes a Record per profile; codec.Marshal's reflection was most
// of its encoding time. appendRecord and appendEvent write the same bytes by hand.

const (
	majorArray = 4
	majorMap   = 5
	cborNull   = 0xf6
)

// encodeBufs holds marshalRecord's and marshalEvent's scratch buffers.
var encodeBufs = sync.Pool{New: func() any { return new([]byte) }}

// marshalRecord is codec.Marshal(*r): appendRecord when it can, else codec.Marshal. Safe for
// concurrent use.
func marshalRecord(r *Record) ([]byte, error) {
	bp := encodeBufs.Get().(*[]byte)
	data, ok := appendRecord((*bp)[:0], r)
	if !ok {
		encodeBufs.Put(bp)
		return codec.Marshal(*r)
	}
	return keepEncoded(bp, data), nil
}

// marshalEvent is codec.Marshal(*e), as marshalRecord.
func marshalEvent(e *Event) ([]byte, error) {
	bp := encodeBufs.Get().(*[]byte)
	data, ok := appendEvent((*bp)[:0], e)
	if !ok {
		encodeBufs.Put(bp)
		return codec.Marshal(*e)
	}
	return keepEncoded(bp, data), nil
}

// keepEncoded returns a copy of data, the size it needs (it is kept until the transaction
// commits), and returns data, the scratch buffer *bp grew into, to the pool.
func keepEncoded(bp *[]byte, data []byte) []byte {
	out := slices.Clone(data)
	if cap(data) <= 64<<10 { // don't pin huge buffers
		*bp = data
		encodeBufs.Put(bp)
	}
	return out
}

// appendRecord appends codec.Marshal(*r) to dst: the codec.Version byte, then the CBOR Core
// Deterministic Encoding of r (a map of its integer keys in increasing order; Segments and
// Since are not omitempty, so a nil Segments is null and a zero Since is null). ok is false
// for a Since that codec.Marshal refuses (see codec.AppendTime): the caller must then use
// codec.Marshal. It keeps no state: safe for concurrent use.
//
// It must follow Record and segments.Properties field for field: TestAppendRecordLayout fails
// when one of them changes, and TestAppendRecordMatchesCodec compares the bytes.
func appendRecord(dst []byte, r *Record) (_ []byte, ok bool) {
	dst = append(dst, codec.Version, majorMap<<5|3, 1)
	dst = appendTexts(dst, r.Segments)
	if dst, ok = codec.AppendTime(append(dst, 2), r.Since); !ok {
		return nil, false
	}
	return appendProperties(append(dst, 3), &r.Props), true
}

// appendProperties appends p: its strings and Affinity are omitempty, its floats are not.
func appendProperties(dst []byte, p *segments.Properties) []byte {
	n := byte(3)
	for _, present := range [...]bool{p.RFMGroup != "", p.Lifecycle != "", p.ChurnRisk != "", len(p.Affinity) > 0} {
		if present {
			n++
		}
	}
	dst = append(dst, majorMap<<5|n)
	if p.RFMGroup != "" {
		dst = codec.AppendText(append(dst, 1), p.RFMGroup)
	}
	if p.Lifecycle != "" {
		dst = codec.AppendText(append(dst, 2), p.Lifecycle)
	}
	if p.ChurnRisk != "" {
		dst = codec.AppendText(append(dst, 3), p.ChurnRisk)
	}
	dst = codec.AppendFloat(append(dst, 4), p.PAlive)
	dst = codec.AppendFloat(append(dst, 5), p.ExpectedOrders)
	dst = codec.AppendFloat(append(dst, 6), p.PredictedCLV)
	if len(p.Affinity) > 0 {
		dst = appendAffinity(append(dst, 7), p.Affinity)
	}
	return dst
}

// appendAffinity appends a text-keyed map of floats, its keys in the encoding's order.
func appendAffinity(dst []byte, m map[string]float64) []byte {
	dst, _ = codec.AppendTextMap(dst, m, func(b []byte, f float64) ([]byte, bool) { return codec.AppendFloat(b, f), true })
	return dst
}

// appendEvent appends codec.Marshal(*e) to dst, as appendRecord does for a Record: At,
// ProfileID and Reason are not omitempty (a zero At is null), Entered and Left are. ok is
// false for an At that codec.Marshal refuses. Safe for concurrent use.
func appendEvent(dst []byte, e *Event) (_ []byte, ok bool) {
	n := byte(3)
	if len(e.Entered) > 0 {
		n++
	}
	if len(e.Left) > 0 {
		n++
	}
	dst = append(dst, codec.Version, majorMap<<5|n, 1)
	if dst, ok = codec.AppendTime(dst, e.At); !ok {
		return nil, false
	}
	dst = codec.AppendText(append(dst, 2), e.ProfileID)
	if len(e.Entered) > 0 {
		dst = appendTexts(append(dst, 3), e.Entered)
	}
	if len(e.Left) > 0 {
		dst = appendTexts(append(dst, 4), e.Left)
	}
	return codec.AppendText(append(dst, 5), e.Reason), true
}

// appendTexts appends a list of strings: null when nil (a field without omitempty), else an
// array.
func appendTexts(dst []byte, ss []string) []byte {
	if ss == nil {
		return append(dst, cborNull)
	}
	dst = codec.AppendHead(dst, majorArray, uint64(len(ss)))
	for _, s := range ss {
		dst = codec.AppendText(dst, s)
	}
	return dst
}
