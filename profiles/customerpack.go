package profiles

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"strings"

	"github.com/cohortd/cohortd/internal/parallel"
)

// A rebuild reads every customer record before the orders, and holds them until their
// identities are made, after identity resolution's inputs are ready. As Go values a million
// customers were ~650 MB (a 300-byte struct each, a dozen strings, a default address) and
// twenty million pointers for the collector to mark at every cycle of the read. A
// CustomerPacker keeps each one as a record in a factArena instead, unpacked when its
// identity is made.

// CustomerPacker packs customer records, each into its slot. Put is safe for concurrent use.
type CustomerPacker struct {
	arena *factArena
	packs []customerPack
	// Made by index, once every customer is packed: the slot of the (last) customer with a
	// key, by the key's hash, or -1 for a hash several keys share, whose keys are in exact.
	seed  maphash.Seed
	slot  map[uint64]int32
	exact map[string]int32
}

// customerPack is where a customer's record is, and what sorting and the digester read
// without unpacking it.
type customerPack struct {
	at    uint64
	store uint32
	// complete: deleted, or every contact field set (its orders offer nothing to fill).
	deleted, complete, set bool
}

// NewCustomerPacker returns a packer for n customers.
func NewCustomerPacker(n int) *CustomerPacker {
	return &CustomerPacker{arena: newFactArena(), packs: make([]customerPack, n)}
}

// Put packs customer c into slot i.
func (p *CustomerPacker) Put(i int, c *CustomerRecord) error {
	if i < 0 || i >= len(p.packs) {
		return fmt.Errorf("profiles: customer slot %d of %d", i, len(p.packs))
	}
	pc, err := p.Pack(c)
	if err != nil {
		return err
	}
	p.packs[i] = pc.pack
	return nil
}

// PackedCustomer is a customer packed into a CustomerPacker's records (Pack) but given no
// slot yet (Append).
type PackedCustomer struct{ pack customerPack }

// Pack packs customer c into p's records without giving it a slot: a reader that does not
// know how many customers will come packs them as they come, on any goroutine, and appends
// those it keeps. Safe for concurrent use.
func (p *CustomerPacker) Pack(c *CustomerRecord) (PackedCustomer, error) {
	var scratch [1024]byte
	store, at, err := p.arena.add(c.Store, packCustomer(scratch[:0], c))
	if err != nil {
		return PackedCustomer{}, err
	}
	complete := c.Deleted || c.FirstName != "" && c.LastName != "" && c.Email != "" && c.Phone != "" &&
		len(c.Addresses) > 0 && !c.Addresses[0].IsZero()
	return PackedCustomer{customerPack{at: at, store: store, deleted: c.Deleted, complete: complete, set: true}}, nil
}

// Append gives a customer Pack packed (by this packer) the next slot. Not safe for
// concurrent use with itself, Put or Latest.
func (p *CustomerPacker) Append(pc PackedCustomer) { p.packs = append(p.packs, pc.pack) }

// Latest keeps, of the slots whose customers have the same key (store and id), the last
// one, and puts the slots in key order. A reader that appended every version of a record it
// stored, newest-wins, is left with the versions stored.
func (p *CustomerPacker) Latest() {
	idx := make([]int32, len(p.packs))
	for i := range idx {
		idx[i] = int32(i)
	}
	stores := p.arena.stores
	parallel.SortFunc(idx, func(a, b int32) int {
		return cmp.Or(cmp.Compare(stores[p.packs[a].store], stores[p.packs[b].store]),
			bytes.Compare(p.id(int(a)), p.id(int(b))), cmp.Compare(a, b))
	})
	packs := make([]customerPack, 0, len(idx))
	for k, i := range idx {
		if k+1 < len(idx) && p.sameKey(int(i), int(idx[k+1])) {
			continue // a later version follows
		}
		packs = append(packs, p.packs[i])
	}
	p.packs = packs
}

// index makes the lookup of customers by key, once every slot is set.
func (p *CustomerPacker) index() error {
	p.seed = maphash.MakeSeed()
	p.slot = make(map[uint64]int32, len(p.packs))
	p.exact = map[string]int32{}
	for i := range p.packs {
		if !p.packs[i].set {
			return fmt.Errorf("profiles: customer slot %d of %d was never set", i, len(p.packs))
		}
		h := hashCustomerKey(p.seed, p.key(i))
		j, ok := p.slot[h]
		switch {
		case !ok || j >= 0 && p.sameKey(int(j), i):
			p.slot[h] = int32(i) // the last customer with a key wins
		case j >= 0: // two keys share the hash: both are looked up by key from now on
			p.exact[p.key(int(j))] = j
			p.slot[h] = -1
			p.exact[p.key(i)] = int32(i)
		default:
			p.exact[p.key(i)] = int32(i)
		}
	}
	return nil
}

// hashCustomerKey hashes a customer key for the lookup (a variable for tests).
var hashCustomerKey = maphash.String

// key returns customer i's key.
func (p *CustomerPacker) key(i int) string {
	return p.arena.stores[p.packs[i].store] + "/" + KindCustomer + "/" + string(p.id(i))
}

// sameKey reports whether customers i and j have the same key.
func (p *CustomerPacker) sameKey(i, j int) bool {
	return p.packs[i].store == p.packs[j].store && string(p.id(i)) == string(p.id(j))
}

// complete reports whether the customer with this key is known and complete (its orders
// offer nothing to fill).
func (p *CustomerPacker) complete(key string) bool {
	j, ok := p.slot[hashCustomerKey(p.seed, key)]
	if !ok {
		return false
	}
	if j < 0 {
		if j, ok = p.exact[key]; !ok {
			return false
		}
	}
	if store, id, ok := strings.Cut(key, "/"+KindCustomer+"/"); !ok || p.arena.stores[p.packs[j].store] != store || string(p.id(int(j))) != id {
		return false
	}
	return p.packs[j].complete
}

// unpack returns customer i's record.
func (p *CustomerPacker) unpack(i int) (CustomerRecord, error) {
	pk := &p.packs[i]
	if !pk.set {
		return CustomerRecord{}, fmt.Errorf("profiles: customer slot %d was never set", i)
	}
	c, err := unpackCustomer(p.arena.recs.from(pk.at))
	if err != nil {
		return c, fmt.Errorf("profiles: customer %d: %w", i, err)
	}
	c.Store = p.arena.stores[pk.store]
	return c, nil
}

// id returns customer i's id, as bytes of its record.
func (p *CustomerPacker) id(i int) []byte {
	pk := &p.packs[i]
	r := packReader{b: p.arena.recs.from(pk.at)}
	return r.bytes()
}

// packCustomer appends c (its store apart, kept as the pack's store index) to b: what Build
// reads of it, with its default address only.
func packCustomer(b []byte, c *CustomerRecord) []byte {
	b = appendString(b, c.ID)
	for _, s := range [...]string{c.Email, c.Phone, c.FirstName, c.LastName, c.Locale, c.Consent.State,
		c.Consent.OptInType, c.BirthDate} {
		b = appendString(b, s)
	}
	b = appendTime(b, c.Consent.UpdatedAt)
	b = appendTime(b, c.CreatedAt)
	b = appendTime(b, c.UpdatedAt)
	var flags byte
	if c.Deleted {
		flags |= 1
	}
	if len(c.Addresses) > 0 {
		flags |= 2
	}
	b = append(b, flags)
	if len(c.Addresses) > 0 {
		for _, s := range addressFields(&c.Addresses[0]) {
			b = appendString(b, *s)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(c.Tags)))
	for _, t := range c.Tags {
		b = appendString(b, t)
	}
	return b
}

// unpackCustomer is packCustomer's inverse (but for the store). b may run past the record.
func unpackCustomer(b []byte) (CustomerRecord, error) {
	r := packReader{b: b}
	var c CustomerRecord
	c.ID = r.string()
	for _, s := range [...]*string{&c.Email, &c.Phone, &c.FirstName, &c.LastName, &c.Locale, &c.Consent.State,
		&c.Consent.OptInType, &c.BirthDate} {
		*s = r.string()
	}
	c.Consent.UpdatedAt = r.time()
	c.CreatedAt = r.time()
	c.UpdatedAt = r.time()
	flags := r.byte()
	c.Deleted = flags&1 != 0
	if flags&2 != 0 {
		c.Addresses = make([]Address, 1)
		for _, s := range addressFields(&c.Addresses[0]) {
			*s = r.string()
		}
	}
	n := r.uvarint()
	if n > uint64(len(b)) {
		return CustomerRecord{}, errPacked
	}
	if n > 0 {
		c.Tags = make([]string, n)
		for i := range c.Tags {
			c.Tags[i] = r.string()
		}
	}
	if r.bad {
		return CustomerRecord{}, errPacked
	}
	return c, nil
}
