package webhook

import (
	"encoding/binary"
	"errors"
	"time"
)

// Key prefixes inside the inbox bucket (see the package doc).
var (
	entryPrefix  = []byte("e/")
	dedupePrefix = []byte("d/")
	timePrefix   = []byte("t/")
	// deadPrefix is the prefix of this package's keys in dead_letters.
	deadPrefix = []byte("webhook/")
)

// Dedupe states.
const (
	statePending  byte = 1 // the entry is in the inbox
	stateFinished byte = 2 // consumed (Done) or rejected
)

const dedupeValueLen = 1 + 8 + 8

var errCorruptDedupe = errors.New("corrupt dedupe record")

func entryKey(seq uint64) []byte {
	k := make([]byte, len(entryPrefix)+8)
	copy(k, entryPrefix)
	binary.BigEndian.PutUint64(k[len(entryPrefix):], seq)
	return k
}

func seqFromEntryKey(k []byte) uint64 {
	return binary.BigEndian.Uint64(k[len(entryPrefix):])
}

func deadKey(seq uint64) []byte {
	k := make([]byte, len(deadPrefix)+8)
	copy(k, deadPrefix)
	binary.BigEndian.PutUint64(k[len(deadPrefix):], seq)
	return k
}

// eventRef is <platform>\x00<store>\x00<event id>, the identity of an event.
func eventRef(platform, store, eventID string) []byte {
	b := make([]byte, 0, len(platform)+len(store)+len(eventID)+2)
	b = append(b, platform...)
	b = append(b, 0)
	b = append(b, store...)
	b = append(b, 0)
	return append(b, eventID...)
}

func dedupeKey(ref []byte) []byte {
	return append(append(make([]byte, 0, len(dedupePrefix)+len(ref)), dedupePrefix...), ref...)
}

func timeKey(receivedAt time.Time, ref []byte) []byte {
	k := make([]byte, len(timePrefix)+8, len(timePrefix)+8+len(ref))
	copy(k, timePrefix)
	binary.BigEndian.PutUint64(k[len(timePrefix):], uint64(receivedAt.UnixNano()))
	return append(k, ref...)
}

type dedupeRecord struct {
	state      byte
	receivedAt time.Time
	seq        uint64
}

func (r dedupeRecord) encode() []byte {
	v := make([]byte, dedupeValueLen)
	v[0] = r.state
	binary.BigEndian.PutUint64(v[1:], uint64(r.receivedAt.UnixNano()))
	binary.BigEndian.PutUint64(v[9:], r.seq)
	return v
}

func decodeDedupe(v []byte) (dedupeRecord, error) {
	if len(v) != dedupeValueLen || (v[0] != statePending && v[0] != stateFinished) {
		return dedupeRecord{}, errCorruptDedupe
	}
	return dedupeRecord{
		state:      v[0],
		receivedAt: time.Unix(0, int64(binary.BigEndian.Uint64(v[1:]))),
		seq:        binary.BigEndian.Uint64(v[9:]),
	}, nil
}
