package tagpush

import (
	"math"

	"github.com/cohortd/cohortd/store/codec"
)

// AppendPayload appends c's outbox payload to dst: the bytes of codec.Marshal(c), which
// ApplyDelivered and the senders decode, written without the codec's reflection (a plan
// encodes one change per customer).
func (c *Change) AppendPayload(dst []byte) []byte {
	fields := 2 // the store and the customer id; the tag lists are omitted when empty
	for _, list := range [][]string{c.Add, c.Remove, c.Want} {
		if len(list) > 0 {
			fields++
		}
	}
	dst = appendHead(append(dst, codec.Version), cborMap, uint64(fields))
	dst = appendText(append(dst, 1), c.Store)
	dst = appendText(append(dst, 2), c.CustomerID)
	for i, list := range [][]string{c.Add, c.Remove, c.Want} {
		if len(list) == 0 {
			continue
		}
		dst = appendHead(append(dst, byte(3+i)), cborArray, uint64(len(list)))
		for _, s := range list {
			dst = appendText(dst, s)
		}
	}
	return dst
}

// appendHead appends a CBOR item head in its shortest form, as deterministic encoding wants.
func appendHead(dst []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(dst, m|byte(n))
	case n <= math.MaxUint8:
		return append(dst, m|24, byte(n))
	case n <= math.MaxUint16:
		return append(dst, m|25, byte(n>>8), byte(n))
	case n <= math.MaxUint32:
		return append(dst, m|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, m|27, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

func appendText(dst []byte, s string) []byte {
	return append(appendHead(dst, cborText, uint64(len(s))), s...)
}
