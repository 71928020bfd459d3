// Package codec is the value encoding used by cohortd's profile store.
//
// An encoded value is one format-version byte followed by a CBOR (RFC 8949)
// data item produced with the Core Deterministic Encoding rules, so the
// same Go value always yields the same bytes (which makes checksums and
// "did it change?" comparisons cheap).
//
// Types stored through this package should use integer map keys to stay
// compact and rename-proof:
//
//	type Address struct {
//		Line1 string `cbor:"1,keyasint,omitempty" json:"line1,omitempty"`
//		City  string `cbor:"2,keyasint,omitempty" json:"city,omitempty"`
//	}
//
// Never reuse or renumber a key: add new fields with new numbers. Unknown
// keys are ignored on decode, so an older binary can read records written
// by a newer one (and vice versa).
//
// time.Time values are encoded as RFC 3339 text with nanoseconds and the
// original UTC offset (lossless apart from the monotonic clock reading).
package codec

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/fxamacker/cbor/v2"
)

// Version is the format-version byte written in front of every value.
// Bump it (and keep a decoder for the old version) only for an
// incompatible change of the encoding itself, not for adding fields.
const Version byte = 1

// ErrUnknownVersion is wrapped by Unmarshal when the leading format-version
// byte is not one this build understands.
var ErrUnknownVersion = errors.New("codec: unknown format version")

// ErrEmpty is returned by Unmarshal for zero-length input.
var ErrEmpty = errors.New("codec: empty data")

var (
	encMode cbor.UserBufferEncMode
	decMode cbor.DecMode
)

func init() {
	eo := cbor.CoreDetEncOptions()
	eo.Time = cbor.TimeRFC3339Nano
	em, err := eo.UserBufferEncMode()
	if err != nil {
		panic(fmt.Sprintf("codec: cbor encoding options: %v", err))
	}
	encMode = em

	dm, err := cbor.DecOptions{
		// Deterministic input never has duplicate keys; reject them so a
		// corrupted record fails loudly instead of silently picking one.
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:  32,
		MaxArrayElements: 1 << 17,
		MaxMapPairs:      1 << 17,
	}.DecMode()
	if err != nil {
		panic(fmt.Sprintf("codec: cbor decoding options: %v", err))
	}
	decMode = dm
}

// Marshal encodes v as Version followed by deterministic CBOR.
func Marshal(v any) ([]byte, error) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 { // don't pin huge buffers
			bufPool.Put(buf)
		}
	}()
	buf.Reset()
	buf.WriteByte(Version)
	if err := encMode.MarshalToBuffer(v, buf); err != nil {
		return nil, fmt.Errorf("codec: encode %T: %w", v, err)
	}
	return bytes.Clone(buf.Bytes()), nil
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Unmarshal decodes data produced by Marshal into v (a non-nil pointer).
// It rejects empty input, unknown format versions, trailing bytes and
// malformed CBOR with an error; it does not panic on arbitrary input.
func Unmarshal(data []byte, v any) (err error) {
	if len(data) == 0 {
		return ErrEmpty
	}
	if data[0] != Version {
		return fmt.Errorf("%w %d (this build reads version %d)", ErrUnknownVersion, data[0], Version)
	}
	// The CBOR library is fuzzed and is not expected to panic; this guard
	// keeps one corrupted record from taking the daemon down if it ever does
	// (or if a custom UnmarshalCBOR method of v panics).
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("codec: decode %T: panic: %v", v, r)
		}
	}()
	if err := decMode.Unmarshal(data[1:], v); err != nil {
		return fmt.Errorf("codec: decode %T: %w", v, err)
	}
	return nil
}
