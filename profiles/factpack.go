package profiles

import (
	"encoding/binary"
	"errors"
	"math/big"
	"time"

	"github.com/shopspring/decimal"
)

// An order's money facts (its compact order without id and date, its refunds in the base
// currency, its unrounded spend per product type, its shipping country) are kept packed in a
// few dozen bytes: as Go values they held seven or so decimals, each a heap big.Int, and were
// the largest part of a rebuild's memory after the identities. They are unpacked when the
// order's profile is made. Packing is exact: a decimal keeps its coefficient and exponent.

type orderMoneyFacts struct {
	compact CompactOrder // ID and At empty
	refBase decimal.Decimal
	types   []TypeSpend // unrounded
	shipTo  string
}

const (
	flagConverted = 1 << iota
	flagCancelled
	flagRefunded
	flagZero
)

func packMoney(b []byte, m *orderMoneyFacts) []byte {
	c := &m.compact
	var flags byte
	for _, f := range []struct {
		on  bool
		bit byte
	}{{c.Converted, flagConverted}, {c.Cancelled, flagCancelled}, {c.Refunded, flagRefunded}, {c.Zero, flagZero}} {
		if f.on {
			flags |= f.bit
		}
	}
	b = append(b, flags)
	b = appendString(b, c.Currency)
	b = appendDecimal(b, c.Net)
	b = appendDecimal(b, c.NetBase)
	b = appendDecimal(b, m.refBase)
	b = binary.AppendVarint(b, int64(c.Items))
	b = appendString(b, c.Device)
	b = appendString(b, m.shipTo)
	for _, ts := range [][]TypeSpend{c.Types, m.types} {
		b = binary.AppendUvarint(b, uint64(len(ts)))
		for _, t := range ts {
			b = appendString(b, t.Type)
			b = appendDecimal(b, t.Spend)
		}
	}
	return b
}

var errPacked = errors.New("profiles: corrupt packed order facts")

// unpackMoney is packMoney's inverse; strings are interned through intern (so every order of
// one currency shares it).
func unpackMoney(b []byte, intern func([]byte) string) (orderMoneyFacts, error) {
	var m orderMoneyFacts
	r := packReader{b: b, intern: intern}
	c := &m.compact
	flags := r.byte()
	c.Converted, c.Cancelled = flags&flagConverted != 0, flags&flagCancelled != 0
	c.Refunded, c.Zero = flags&flagRefunded != 0, flags&flagZero != 0
	c.Currency = r.string()
	c.Net, c.NetBase, m.refBase = r.decimal(), r.decimal(), r.decimal()
	c.Items = int(r.varint())
	c.Device = r.string()
	m.shipTo = r.string()
	for _, ts := range []*[]TypeSpend{&c.Types, &m.types} {
		n := r.uvarint()
		if n > uint64(len(b)) {
			return m, errPacked
		}
		if n > 0 {
			*ts = make([]TypeSpend, 0, n)
		}
		for range n {
			t := TypeSpend{Type: r.string()}
			t.Spend = r.decimal()
			*ts = append(*ts, t)
		}
	}
	if r.bad || r.i != len(b) {
		return m, errPacked
	}
	return m, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendDecimal writes the exponent, then the coefficient: as a varint when it fits in 62
// bits (tag 0), else as sign and big-endian bytes (tag 1, 2 negative).
func appendDecimal(b []byte, d decimal.Decimal) []byte {
	b = binary.AppendVarint(b, int64(d.Exponent()))
	co := d.Coefficient()
	if co.IsInt64() && co.Int64() < 1<<61 && co.Int64() > -(1<<61) {
		b = append(b, 0)
		return binary.AppendVarint(b, co.Int64())
	}
	tag := byte(1)
	if co.Sign() < 0 {
		tag = 2
	}
	b = append(b, tag)
	abs := co.Abs(co).Bytes()
	b = binary.AppendUvarint(b, uint64(len(abs)))
	return append(b, abs...)
}

type packReader struct {
	b      []byte
	i      int
	bad    bool
	intern func([]byte) string
}

func (r *packReader) byte() byte {
	if r.i >= len(r.b) {
		r.bad = true
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

func (r *packReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b[min(r.i, len(r.b)):])
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.i += n
	return v
}

func (r *packReader) varint() int64 {
	v, n := binary.Varint(r.b[min(r.i, len(r.b)):])
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.i += n
	return v
}

func (r *packReader) bytes() []byte {
	n := r.uvarint()
	if r.bad || n > uint64(len(r.b)-r.i) {
		r.bad = true
		return nil
	}
	r.i += int(n)
	return r.b[r.i-int(n) : r.i]
}

func (r *packReader) string() string {
	s := r.bytes()
	if len(s) == 0 {
		return ""
	}
	if r.intern != nil {
		return r.intern(s)
	}
	return string(s)
}

func (r *packReader) decimal() decimal.Decimal {
	exp := r.varint()
	switch r.byte() {
	case 0:
		return decimal.New(r.varint(), int32(exp))
	case 1, 2:
		neg := r.b[r.i-1] == 2
		co := new(big.Int).SetBytes(r.bytes())
		if neg {
			co.Neg(co)
		}
		return decimal.NewFromBigInt(co, int32(exp))
	}
	r.bad = true
	return decimal.Decimal{}
}

// mergeOrder is what a profile's merge reads of one of its orders.
type mergeOrder struct {
	created time.Time
	ref     string // "store/id"
	money   orderMoneyFacts
}

// mergeRef is where a merge order is: its record in the arena and its store.
type mergeRef struct {
	at    uint64
	store uint32
}

// mergeOrder reads what a profile's merge reads of an order from its record; the money's
// strings are interned through intern.
func (a *factArena) mergeOrder(ref mergeRef, intern func([]byte) string, o *mergeOrder) error {
	r := packReader{b: a.merges.from(ref.at)}
	o.created = r.time()
	id, money := r.bytes(), r.bytes()
	if r.bad {
		return errPacked
	}
	o.ref = a.stores[ref.store] + "/" + string(id)
	var err error
	o.money, err = unpackMoney(money, intern)
	return err
}
