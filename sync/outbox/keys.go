package outbox

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Key layout of the outbox and dead_letters buckets; see the package doc. Numbers are 16 hex
// digits so that byte order is numeric order.

const (
	queueTag = "q/"
	indexTag = "k/"
	dueTag   = "t/"
	planTag  = "p/"
)

func hex16(n uint64) string { return fmt.Sprintf("%016x", n) }

func queuePrefix(dest string) []byte { return []byte(queueTag + dest + "/") }

func queueKey(dest string, seq uint64) []byte { return []byte(queueTag + dest + "/" + hex16(seq)) }

func indexKey(dest, key string) []byte { return []byte(indexTag + dest + "/" + key) }

func duePrefix(dest string) []byte { return []byte(dueTag + dest + "/") }

// dueNanos maps a time to the schedule's sort key; times before 1970 sort first.
func dueNanos(t time.Time) uint64 { return uint64(max(t.UnixNano(), 0)) }

func dueKey(dest string, due time.Time, seq uint64) []byte {
	return []byte(dueTag + dest + "/" + hex16(dueNanos(due)) + "/" + hex16(seq))
}

// parseDueKey returns the due time and seq of a schedule key without its prefix
// ("<due>/<seq>").
func parseDueKey(rest []byte) (time.Time, uint64, error) {
	due, seq, ok := strings.Cut(string(rest), "/")
	if !ok {
		return time.Time{}, 0, fmt.Errorf("schedule key %q: no seq", rest)
	}
	ns, err := strconv.ParseUint(due, 16, 64)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("schedule key %q: %w", rest, err)
	}
	n, err := strconv.ParseUint(seq, 16, 64)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("schedule key %q: %w", rest, err)
	}
	return time.Unix(0, int64(ns)).UTC(), n, nil
}

func planPrefix(dest string) []byte { return []byte(planTag + dest + "/") }

func planKey(dest, key string) []byte { return []byte(planTag + dest + "/" + key) }

func deadPrefix(dest string) []byte { return []byte(dest + "/") }

func deadKey(dest, key string) []byte { return []byte(dest + "/" + key) }

func encodeSeq(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func decodeSeq(b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("index value of %d bytes, want 8", len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

// destOf returns the destination of a key "<tag><dest>/..." (tag may be empty).
func destOf(k []byte, tag string) string {
	rest := string(k[len(tag):])
	d, _, _ := strings.Cut(rest, "/")
	return d
}
