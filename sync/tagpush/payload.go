package tagpush

import (
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
	dst = codec.AppendHead(append(dst, codec.Version), cborMap, uint64(fields))
	dst = appendText(append(dst, 1), c.Store)
	dst = appendText(append(dst, 2), c.CustomerID)
	for i, list := range [][]string{c.Add, c.Remove, c.Want} {
		if len(list) == 0 {
			continue
		}
		dst = codec.AppendHead(append(dst, byte(3+i)), cborArray, uint64(len(list)))
		for _, s := range list {
			dst = appendText(dst, s)
		}
	}
	return dst
}

func appendText(dst []byte, s string) []byte {
	return append(codec.AppendHead(dst, cborText, uint64(len(s))), s...)
}
