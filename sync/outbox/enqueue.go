package outbox

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

// writeItems writes validated items inside tx exactly as enqueueing them one by one, in
// order, would: each takes the next revision of the bucket's sequence; a key already pending
// (or earlier in items) is replaced in place, else the item is queued at its revision, due at
// now. It reads every pending item first and then writes every key in byte order (the
// coalescing index, the queue, the schedule), because bbolt puts keys in order far faster
// than in the order of the items.
func writeItems(tx *store.Tx, items []Item, now time.Time) error {
	if len(items) == 0 {
		return nil
	}
	firstRev, err := reserveRevs(tx, len(items))
	if err != nil {
		return fmt.Errorf("outbox: enqueue: %w", err)
	}
	w := itemWriter{tx: tx, items: items, now: now, firstRev: firstRev, indexPuts: make([]keyValue, 0, len(items)),
		queuePuts: make([]keyValue, 0, len(items)), duePuts: make([]keyValue, 0, len(items))}
	indexKeys := w.indexKeys()
	order := keyOrder(indexKeys)
	for lo := 0; lo < len(order); {
		hi := lo + 1
		for hi < len(order) && bytes.Equal(indexKeys[order[hi]], indexKeys[order[lo]]) {
			hi++
		}
		if err := w.coalesce(indexKeys[order[lo]], order[lo:hi]); err != nil {
			it := items[order[lo]]
			return fmt.Errorf("outbox: enqueue %s/%s: %w", it.Destination, it.Key, err)
		}
		lo = hi
	}
	if err := w.putAll(); err != nil {
		return fmt.Errorf("outbox: enqueue: %w", err)
	}
	return nil
}

// reserveRevs takes n numbers of the outbox bucket's sequence and returns the first: item i
// of a batch gets first+i, as if each had taken its own.
func reserveRevs(tx *store.Tx, n int) (uint64, error) {
	first, err := tx.NextSequence(store.Outbox)
	if err != nil {
		return 0, err
	}
	for range n - 1 {
		if _, err := tx.NextSequence(store.Outbox); err != nil {
			return 0, err
		}
	}
	return first, nil
}

// keyOrder returns the indexes of keys in byte order of the keys; equal keys keep their
// order. Keys that are already in order (a plan sorted by key) cost one pass.
func keyOrder(keys [][]byte) []int {
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	if slices.IsSortedFunc(keys, bytes.Compare) {
		return order
	}
	slices.SortStableFunc(order, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
	return order
}

// keyValue is one put.
type keyValue struct{ key, value []byte }

// itemWriter collects one batch's puts.
type itemWriter struct {
	tx       *store.Tx
	items    []Item
	now      time.Time
	firstRev uint64

	keys, values byteArena
	scratch      []byte // reused for each key and value before it is copied to an arena
	lookup       []byte // reused for the queue key of each pending item read
	enc          itemEncoder
	dec          itemDecoder
	// The puts of each kind of key, in the order they are made.
	indexPuts, queuePuts, duePuts []keyValue
}

// indexKeys returns each item's coalescing index key.
func (w *itemWriter) indexKeys() [][]byte {
	out := make([][]byte, len(w.items))
	for i, it := range w.items {
		w.scratch = appendIndexKey(w.scratch[:0], it.Destination, it.Key)
		out[i] = w.keys.copy(w.scratch)
	}
	return out
}

// coalesce plans the outcome of the items at positions (in input order) that share one
// index key: one queue entry holding the last one's change.
func (w *itemWriter) coalesce(indexKey []byte, positions []int) error {
	first, last := positions[0], positions[len(positions)-1]
	newest := &w.items[last]
	next := Item{Destination: newest.Destination, Key: newest.Key, Payload: newest.Payload, Summary: newest.Summary,
		Rev: w.firstRev + uint64(last)}
	cur, found, err := w.pending(newest.Destination, indexKey)
	if err != nil {
		return err
	}
	if found {
		// Same position, first-enqueue time, attempts and schedule: latest payload wins.
		next.Seq, next.Enqueued, next.NextAttempt = cur.Seq, cur.Enqueued, cur.NextAttempt
		next.Attempts, next.LastError, next.LastAttempt = cur.Attempts, cur.LastError, cur.LastAttempt
		next.Replaced = cur.Replaced + len(positions)
		return w.putQueued(&next)
	}
	next.Seq, next.Enqueued, next.NextAttempt = w.firstRev+uint64(first), w.now, w.now
	next.Replaced = len(positions) - 1
	if err := w.putQueued(&next); err != nil {
		return err
	}
	w.scratch = appendSeq(w.scratch[:0], next.Seq)
	w.indexPuts = append(w.indexPuts, keyValue{indexKey, w.values.copy(w.scratch)})
	w.scratch = appendDueKey(w.scratch[:0], next.Destination, next.NextAttempt, next.Seq)
	w.duePuts = append(w.duePuts, keyValue{key: w.keys.copy(w.scratch)})
	return nil
}

// pending loads the item of dest that the coalescing index names, if it is still queued.
func (w *itemWriter) pending(dest string, indexKey []byte) (Item, bool, error) {
	v := w.tx.Get(store.Outbox, indexKey)
	if v == nil {
		return Item{}, false, nil
	}
	seq, err := decodeSeq(v)
	if err != nil {
		return Item{}, false, fmt.Errorf("index: %w", err)
	}
	w.lookup = appendQueueKey(w.lookup[:0], dest, seq)
	raw := w.tx.Get(store.Outbox, w.lookup)
	if raw == nil {
		return Item{}, false, nil
	}
	var it Item
	if w.dec.decode(raw, &it) {
		return it, true, nil
	}
	var unusual Item // escapes to the codec: allocated only here
	if err := codec.Unmarshal(raw, &unusual); err != nil {
		return Item{}, false, fmt.Errorf("queued item %d: %w", seq, err)
	}
	return unusual, true, nil
}

// putQueued plans the queue entry of it.
func (w *itemWriter) putQueued(it *Item) error {
	var value []byte
	if enc, ok := w.enc.append(w.scratch[:0], it); ok {
		w.scratch = enc
		value = w.values.copy(enc)
	} else {
		unusual := *it // escapes to the codec: copied only here
		var err error
		if value, err = codec.Marshal(&unusual); err != nil {
			return err
		}
	}
	w.scratch = appendQueueKey(w.scratch[:0], it.Destination, it.Seq)
	w.queuePuts = append(w.queuePuts, keyValue{w.keys.copy(w.scratch), value})
	return nil
}

// putAll makes the planned puts in byte order of their keys: index keys ("k/") sort before
// queue keys ("q/"), and those before schedule keys ("t/").
func (w *itemWriter) putAll() error {
	for _, puts := range [][]keyValue{w.indexPuts, w.queuePuts, w.duePuts} {
		cmp := func(a, b keyValue) int { return bytes.Compare(a.key, b.key) }
		if !slices.IsSortedFunc(puts, cmp) {
			slices.SortStableFunc(puts, cmp)
		}
		for _, p := range puts {
			if err := w.tx.Put(store.Outbox, p.key, p.value); err != nil {
				return err
			}
		}
	}
	return nil
}

// arenaChunk is the size of a byteArena's allocations.
const arenaChunk = 256 << 10

// byteArena hands out byte slices carved from large chunks. A batch's keys and values must
// stay unmodified until its transaction ends (bbolt keeps the values it is given until the
// commit), and one allocation per chunk costs far less than one per key.
type byteArena struct{ buf []byte }

// alloc returns n bytes of the current chunk (a new one when it is full).
func (a *byteArena) alloc(n int) []byte {
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]byte, 0, max(arenaChunk, n))
	}
	start := len(a.buf)
	a.buf = a.buf[:start+n]
	return a.buf[start : start+n : start+n]
}

// copy returns a copy of b in the arena.
func (a *byteArena) copy(b []byte) []byte {
	out := a.alloc(len(b))
	copy(out, b)
	return out
}
