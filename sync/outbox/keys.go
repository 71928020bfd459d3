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

// appendHex16 appends n as 16 lower-case hex digits.
func appendHex16(dst []byte, n uint64) []byte {
	const digits = "0123456789abcdef"
	for shift := 60; shift >= 0; shift -= 4 {
		dst = append(dst, digits[n>>uint(shift)&0xf])
	}
	return dst
}

func queuePrefix(dest string) []byte { return []byte(queueTag + dest + "/") }

func queueKey(dest string, seq uint64) []byte { return appendQueueKey(nil, dest, seq) }

func appendQueueKey(dst []byte, dest string, seq uint64) []byte {
	dst = append(append(append(dst, queueTag...), dest...), '/')
	return appendHex16(dst, seq)
}

func indexKey(dest, key string) []byte { return appendIndexKey(nil, dest, key) }

func appendIndexKey(dst []byte, dest, key string) []byte {
	return append(append(append(append(dst, indexTag...), dest...), '/'), key...)
}

func duePrefix(dest string) []byte { return []byte(dueTag + dest + "/") }

// dueNanos maps a time to the schedule's sort key; times before 1970 sort first.
func dueNanos(t time.Time) uint64 { return uint64(max(t.UnixNano(), 0)) }

func dueKey(dest string, due time.Time, seq uint64) []byte { return appendDueKey(nil, dest, due, seq) }

func appendDueKey(dst []byte, dest string, due time.Time, seq uint64) []byte {
	dst = append(append(append(dst, dueTag...), dest...), '/')
	return appendHex16(append(appendHex16(dst, dueNanos(due)), '/'), seq)
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

func encodeSeq(seq uint64) []byte { return appendSeq(nil, seq) }

func appendSeq(dst []byte, seq uint64) []byte { return binary.BigEndian.AppendUint64(dst, seq) }

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
