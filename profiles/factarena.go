package profiles

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/cohortd/cohortd/profiles/normalize"
)

// A rebuild holds the facts of every order (millions) until identity resolution, and what
// each profile's merge reads of them until the profiles are made. Held as Go values they were
// a dozen heap objects and pointers per order (strings, a fill struct, a packed buyer, packed
// money), the largest part of the rebuild's heap and most of the collector's work: it marks
// every pointer of the live heap at every cycle. An OrderFacts is now a small pointer-free
// struct, and the variable part of each order is in byteArenas, large pointer-free chunks the
// collector does not look into, in three parts that live as long as they are read:
//
//   - recs: what makes the identities (id, key, fill offer, where the buyer is), dropped
//     before identity resolution;
//   - merges: what each profile's merge reads (date, id, money), dropped once the profiles
//     are made;
//   - buyers: a guest order's buyer, packed: the identity itself, kept to the end (the merge
//     audit reads its source).

// arenaChunk is the size of a byteArena's chunks.
const arenaChunk = 1 << 20

// byteArena holds records in large chunks. A record is found by the handle add returns: its
// chunk in the high 32 bits, its offset in the low ones. It is not synchronized.
type byteArena struct {
	chunks [][]byte
}

// add appends one record.
func (a *byteArena) add(rec []byte) (uint64, error) {
	last := len(a.chunks) - 1
	if last < 0 || cap(a.chunks[last])-len(a.chunks[last]) < len(rec) {
		if len(a.chunks) == math.MaxUint32 {
			return 0, fmt.Errorf("profiles: more than %d chunks of records", math.MaxUint32)
		}
		a.chunks = append(a.chunks, make([]byte, 0, max(arenaChunk, len(rec))))
		last++
	}
	off := len(a.chunks[last])
	a.chunks[last] = append(a.chunks[last], rec...)
	return uint64(last)<<32 | uint64(off), nil
}

// from returns the bytes from record h to the end of its chunk.
func (a *byteArena) from(h uint64) []byte { return a.chunks[h>>32][uint32(h):] }

// factArena holds the records of an OrderDigester's orders (or a CustomerPacker's
// customers, in recs only), and the names of their stores. Appends are safe for concurrent
// use; reads are for after the last append.
type factArena struct {
	mu                   sync.Mutex
	recs, merges, buyers byteArena
	stores               []string
	store                map[string]uint32
}

func newFactArena() *factArena { return &factArena{store: map[string]uint32{}} }

// storeIndex returns the index of a store's name, adding it the first time. a.mu is held.
func (a *factArena) storeIndex(store string) (uint32, error) {
	si, ok := a.store[store]
	if !ok {
		if len(a.stores) == math.MaxUint32 {
			return 0, fmt.Errorf("profiles: more than %d stores", math.MaxUint32)
		}
		si = uint32(len(a.stores))
		a.stores, a.store[store] = append(a.stores, store), si
	}
	return si, nil
}

// add appends one record of this store to recs. It returns the store's index and where the
// record is.
func (a *factArena) add(store string, rec []byte) (uint32, uint64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	si, err := a.storeIndex(store)
	if err != nil {
		return 0, 0, err
	}
	at, err := a.recs.add(rec)
	return si, at, err
}

// addOrder appends an order's records: rec to recs, merge to merges, and buyer (when not
// nil) to buyers, where rec's last 8 bytes are set to say. It returns the store's index and
// where rec and merge are.
func (a *factArena) addOrder(store string, rec, merge, buyer []byte) (si uint32, at, mergeAt uint64, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if si, err = a.storeIndex(store); err != nil {
		return 0, 0, 0, err
	}
	if buyer != nil {
		b, err := a.buyers.add(buyer)
		if err != nil {
			return 0, 0, 0, err
		}
		binary.LittleEndian.PutUint64(rec[len(rec)-8:], b)
	}
	if at, err = a.recs.add(rec); err != nil {
		return 0, 0, 0, err
	}
	mergeAt, err = a.merges.add(merge)
	return si, at, mergeAt, err
}

// factRecord is an order's record in recs: its id, its identity key and, when it has one,
// its fill (an account order's offer to its customer's empty fields) or its buyer (a guest
// order's identity: quality counts, then where the packed identity is in buyers, 8 bytes):
//
//	id, key, rest
//	fill:  first, firstTag, last, lastTag, phone, phoneTag, email, addrTag, 10 address fields
//	buyer: quality (packQuality), buyers handle (little-endian uint64)
type factRecord struct {
	id, key []byte
	rest    []byte // fill or buyer
}

// record returns the record of f.
func (a *factArena) record(f *OrderFacts) (factRecord, error) {
	r := packReader{b: a.recs.from(f.at)}
	var rec factRecord
	rec.id, rec.key, rec.rest = r.bytes(), r.bytes(), r.bytes()
	if r.bad {
		return factRecord{}, errPacked
	}
	return rec, nil
}

// id returns the order id of f; nil for a corrupt record (only a bug can make one).
func (a *factArena) id(f *OrderFacts) []byte {
	r := packReader{b: a.recs.from(f.at)}
	return r.bytes()
}

// key returns the identity key of f; nil for a corrupt record.
func (a *factArena) key(f *OrderFacts) []byte {
	r := packReader{b: a.recs.from(f.at)}
	r.bytes()
	return r.bytes()
}

// appendFactRecord appends an order's record to b.
func appendFactRecord(b []byte, id, key string, rest []byte) []byte {
	b = appendString(b, id)
	b = appendString(b, key)
	return appendBytes(b, rest)
}

// appendMergeRecord appends what a profile's merge reads of an order to b: its date (zone
// kept), its id and its packed money.
func appendMergeRecord(b []byte, created time.Time, id string, money []byte) []byte {
	b = appendTime(b, created)
	b = appendString(b, id)
	return appendBytes(b, money)
}

func appendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// The tags of the address a fill field came from.
const (
	fillNoTag byte = iota
	fillBilling
	fillShipping
)

var fillTags = [...]string{fillNoTag: "", fillBilling: "billing", fillShipping: "shipping"}

// appendFill appends what an account order offers its customer's empty contact fields, in the
// order Build takes them: billing before shipping, the order's own phone last. ok is false
// when it offers nothing (and b is returned as it was).
func appendFill(b []byte, o *OrderRecord) (_ []byte, ok bool) {
	var (
		first, last, phone       string
		firstTag, lastTag, phTag byte
		addr                     *Address
		addrTag                  byte
	)
	for _, a := range [...]struct {
		addr *Address
		tag  byte
	}{{&o.Billing, fillBilling}, {&o.Shipping, fillShipping}} {
		if first == "" && a.addr.FirstName != "" {
			first, firstTag = a.addr.FirstName, a.tag
		}
		if last == "" && a.addr.LastName != "" {
			last, lastTag = a.addr.LastName, a.tag
		}
		if phone == "" && a.addr.Phone != "" {
			phone, phTag = a.addr.Phone, a.tag
		}
		if addr == nil && !a.addr.IsZero() {
			addr, addrTag = a.addr, a.tag
		}
	}
	if phone == "" && o.Phone != "" {
		phone = o.Phone
	}
	if first == "" && last == "" && phone == "" && addr == nil && o.Email == "" {
		return b, false
	}
	b = append(appendString(b, first), firstTag)
	b = append(appendString(b, last), lastTag)
	b = append(appendString(b, phone), phTag)
	b = appendString(b, o.Email)
	b = append(b, addrTag)
	if addr == nil {
		addr = &Address{}
	}
	for _, s := range addressFields(addr) {
		b = appendString(b, *s)
	}
	return b, true
}

// orderFill is what one order offers an account's empty contact fields.
type orderFill struct {
	first, firstTag string
	last, lastTag   string
	phone, phoneTag string
	addr            Address // zero when it offers none
	addrTag         string
	email           string
}

// readFill is appendFill's inverse.
func readFill(b []byte) (orderFill, error) {
	r := packReader{b: b}
	var f orderFill
	tag := func() string {
		t := r.byte()
		if int(t) >= len(fillTags) {
			r.bad = true
			return ""
		}
		return fillTags[t]
	}
	f.first = r.string()
	f.firstTag = tag()
	f.last = r.string()
	f.lastTag = tag()
	f.phone = r.string()
	f.phoneTag = tag()
	f.email = r.string()
	f.addrTag = tag()
	for _, s := range addressFields(&f.addr) {
		*s = r.string()
	}
	if r.bad || r.i != len(b) {
		return orderFill{}, errPacked
	}
	return f, nil
}

// addressFields lists a's fields, for packing.
func addressFields(a *Address) [10]*string {
	return [10]*string{&a.FirstName, &a.LastName, &a.Company, &a.Address1, &a.Address2, &a.City, &a.Region, &a.Postcode, &a.Country, &a.Phone}
}

// appendBuyer appends a guest order's buyer to a record's rest: its quality counts and 8
// bytes for where its packed identity is (set by factArena.addOrder).
func appendBuyer(b []byte, q identityQuality) []byte {
	b = packQuality(b, q)
	return append(b, make([]byte, 8)...)
}

// readBuyer is appendBuyer's inverse: the quality counts and where the packed identity is.
func readBuyer(b []byte) (q identityQuality, at uint64, err error) {
	r := packReader{b: b}
	q = readQuality(&r)
	if r.bad || len(b)-r.i != 8 {
		return identityQuality{}, 0, errPacked
	}
	return q, binary.LittleEndian.Uint64(b[r.i:]), nil
}

// buyer returns the packed identity at h in buyers.
func (a *factArena) buyer(h uint64) ([]byte, error) {
	r := packReader{b: a.buyers.from(h)}
	b := r.bytes()
	if r.bad {
		return nil, errPacked
	}
	return b[:len(b):len(b)], nil
}

func packQuality(b []byte, q identityQuality) []byte {
	var bits uint16
	for i, on := range [...]bool{q.emailPresent, q.phonePresent, q.phoneValid, q.first, q.last, q.address1, q.city,
		q.postcode, q.countryPresent, q.countryValid} {
		if on {
			bits |= 1 << i
		}
	}
	b = binary.AppendUvarint(b, uint64(bits))
	b = binary.AppendUvarint(b, uint64(q.emailFlags))
	return binary.AppendVarint(b, int64(q.filledBy))
}

func readQuality(r *packReader) identityQuality {
	var q identityQuality
	bits := r.uvarint()
	for i, on := range [...]*bool{&q.emailPresent, &q.phonePresent, &q.phoneValid, &q.first, &q.last, &q.address1, &q.city,
		&q.postcode, &q.countryPresent, &q.countryValid} {
		*on = bits&(1<<i) != 0
	}
	q.emailFlags = normalize.EmailFlags(r.uvarint())
	q.filledBy = int(r.varint())
	return q
}
