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
// struct, and the variable part of each order is one record appended to a factArena, large
// pointer-free chunks the collector does not look into.

// factChunk is the size of a factArena's chunks.
const factChunk = 1 << 20

// factArena holds the records of an OrderDigester's orders, and the names of their stores.
// Appends are safe for concurrent use; reads are for after the last append.
type factArena struct {
	mu     sync.Mutex
	chunks [][]byte
	stores []string
	store  map[string]uint32
}

func newFactArena() *factArena { return &factArena{store: map[string]uint32{}} }

// add appends one record of an order of this store. It returns the store's index (the store
// is added the first time) and where the record is: its chunk in the high 32 bits, its
// offset in the low ones.
func (a *factArena) add(store string, rec []byte) (uint32, uint64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	si, ok := a.store[store]
	if !ok {
		if len(a.stores) == math.MaxUint32 {
			return 0, 0, fmt.Errorf("profiles: more than %d stores", math.MaxUint32)
		}
		si = uint32(len(a.stores))
		a.stores, a.store[store] = append(a.stores, store), si
	}
	last := len(a.chunks) - 1
	if last < 0 || cap(a.chunks[last])-len(a.chunks[last]) < len(rec) {
		if len(a.chunks) == math.MaxUint32 {
			return 0, 0, fmt.Errorf("profiles: more than %d chunks of order facts", math.MaxUint32)
		}
		a.chunks = append(a.chunks, make([]byte, 0, max(factChunk, len(rec))))
		last++
	}
	off := len(a.chunks[last])
	a.chunks[last] = append(a.chunks[last], rec...)
	return si, uint64(last)<<32 | uint64(off), nil
}

// factRecord is an order's record, its fields in the order they are written. It ends with
// the fill (an account order's offer to its customer's empty fields) or the buyer (a guest
// order's identity), when the order has one.
//
//	id, key, created (appendTime), money (packMoney), then
//	fill:  first, firstTag, last, lastTag, phone, phoneTag, email, addrTag, 10 address fields
//	buyer: packed identity, quality (packQuality)
type factRecord struct {
	id, key []byte
	created []byte // appendTime's bytes, its length byte first
	money   []byte
	rest    []byte // fill or buyer
}

// record returns the record of f.
func (a *factArena) record(f *OrderFacts) (factRecord, error) {
	r := packReader{b: a.chunks[f.at>>32][uint32(f.at):]}
	var rec factRecord
	rec.id, rec.key = r.bytes(), r.bytes()
	start := r.i
	if n := int(r.byte()); n > 0 && !r.bad {
		if n > len(r.b)-r.i {
			r.bad = true
		} else {
			r.i += n
		}
	}
	rec.created = r.b[start:min(r.i, len(r.b))]
	rec.money = r.bytes()
	rec.rest = r.bytes()
	if r.bad {
		return factRecord{}, errPacked
	}
	return rec, nil
}

// id returns the order id of f; nil for a corrupt record (only a bug can make one).
func (a *factArena) id(f *OrderFacts) []byte {
	r := packReader{b: a.chunks[f.at>>32][uint32(f.at):]}
	return r.bytes()
}

// key returns the identity key of f; nil for a corrupt record.
func (a *factArena) key(f *OrderFacts) []byte {
	r := packReader{b: a.chunks[f.at>>32][uint32(f.at):]}
	r.bytes()
	return r.bytes()
}

// appendFactRecord appends an order's record to b.
func appendFactRecord(b []byte, id, key string, created time.Time, money, rest []byte) []byte {
	b = appendString(b, id)
	b = appendString(b, key)
	b = appendTime(b, created)
	b = appendBytes(b, money)
	return appendBytes(b, rest)
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

// appendBuyer appends a guest order's cleaned buyer: its packed identity and quality counts.
func appendBuyer(b []byte, packed []byte, q identityQuality) []byte {
	b = appendBytes(b, packed)
	return packQuality(b, q)
}

// readBuyer is appendBuyer's inverse; packed is a slice of b.
func readBuyer(b []byte) (packed []byte, q identityQuality, err error) {
	r := packReader{b: b}
	packed = r.bytes()
	q = readQuality(&r)
	if r.bad || r.i != len(b) {
		return nil, identityQuality{}, errPacked
	}
	return packed, q, nil
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
