package ingest

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store/codec"
)

// encoder is codec.Marshal for the records of an import. Order records, most of what an import
// stores, are encoded by appendOrder, which writes the same bytes several times faster than the
// reflection-based encoder; anything else goes through codec.Marshal. An encoder is not safe
// for concurrent use.
type encoder struct {
	// decimals holds the encoding of decimals met before, by identity: decimals are immutable,
	// and a reader shares one among the rows of one price (see csvfile).
	decimals map[decimal.Decimal][]byte
	buf      []byte // scratch
	// undecodable is set once an order was encoded that codec.Unmarshal would refuse: a text
	// that is not valid UTF-8, or more lines than it reads (see codecMaxArray). Such an order
	// is stored all the same (as codec.Marshal would), but it cannot be read back.
	undecodable bool
}

// appendMarshalBinary appends d's MarshalBinary as a CBOR byte string.
func appendMarshalBinary(dst []byte, d decimal.Decimal) ([]byte, bool) {
	b, err := d.MarshalBinary()
	if err != nil {
		return nil, false
	}
	return append(codec.AppendHead(dst, majorBytes, uint64(len(b))), b...), true
}

// codecMaxArray is the longest array codec.Unmarshal decodes (its MaxArrayElements).
const codecMaxArray = 1 << 17

// maxEncodedDecimals bounds encoder.decimals.
const maxEncodedDecimals = 1 << 14

// encode encodes v, a record or a pointer to one.
func (e *encoder) encode(v any) ([]byte, error) {
	switch r := v.(type) {
	case profiles.OrderRecord:
		return e.encodeOrder(&r)
	case *profiles.OrderRecord:
		return e.encodeOrder(r)
	case *profiles.CustomerRecord:
		if data, ok := e.appendCustomer(e.buf[:0], r); ok {
			e.buf = data
			return bytes.Clone(data), nil
		}
		return e.marshal(*r, new(profiles.CustomerRecord))
	}
	return codec.Marshal(v)
}

func (e *encoder) encodeOrder(o *profiles.OrderRecord) ([]byte, error) {
	if data, ok := e.appendOrder(e.buf[:0], o); ok {
		e.buf = data
		return bytes.Clone(data), nil
	}
	return e.marshal(*o, new(profiles.OrderRecord))
}

// marshal is codec.Marshal(v), noting in undecodable whether it decodes back into into.
func (e *encoder) marshal(v, into any) ([]byte, error) {
	data, err := codec.Marshal(v)
	if err == nil && codec.Unmarshal(data, into) != nil {
		e.undecodable = true
	}
	return data, err
}

// appendOrder appends codec.Marshal(*o) to dst: the codec.Version byte, then the CBOR Core
// Deterministic Encoding of the struct (a map of its integer keys in increasing order, empty
// omitempty fields and zero omitzero times left out, times as RFC 3339 text with nanoseconds
// and a zero time as null, decimals as the byte string of their MarshalBinary). ok is false for
// a value it leaves to codec.Marshal (a time outside RFC 3339's range): the caller must then
// encode it with codec.Marshal.
//
// It must follow profiles.OrderRecord, LineItem and Address field for field:
// TestAppendOrderLayout fails when one of them changes, and TestAppendOrderMatchesCodec
// compares the bytes with codec.Marshal's.
func (e *encoder) appendOrder(dst []byte, o *profiles.OrderRecord) (_ []byte, ok bool) {
	dst = append(dst, codec.Version)
	head := len(dst)
	dst = append(dst, 0) // map head, set below: at most 18 entries, one byte
	n := 0
	field := func(key byte) {
		dst = append(dst, key) // keys 1 to 23 are one-byte unsigned integers
		n++
	}
	field(1)
	dst = e.appendText(dst, o.Store)
	field(2)
	dst = e.appendText(dst, o.ID)
	if o.CustomerID != "" {
		field(3)
		dst = e.appendText(dst, o.CustomerID)
	}
	if o.Email != "" {
		field(4)
		dst = e.appendText(dst, o.Email)
	}
	if o.Phone != "" {
		field(5)
		dst = e.appendText(dst, o.Phone)
	}
	field(6)
	if dst, ok = codec.AppendTime(dst, o.CreatedAt); !ok {
		return nil, false
	}
	if !o.UpdatedAt.IsZero() {
		field(7)
		if dst, ok = codec.AppendTime(dst, o.UpdatedAt); !ok {
			return nil, false
		}
	}
	if !o.CancelledAt.IsZero() {
		field(8)
		if dst, ok = codec.AppendTime(dst, o.CancelledAt); !ok {
			return nil, false
		}
	}
	field(9)
	dst = e.appendText(dst, o.Currency)
	field(10)
	if dst, ok = e.appendDecimal(dst, o.Total, false); !ok {
		return nil, false
	}
	field(11)
	if dst, ok = e.appendDecimal(dst, o.Refunded, o.Refunded.IsZero()); !ok {
		return nil, false
	}
	if len(o.Lines) > codecMaxArray {
		e.undecodable = true
	}
	if len(o.Lines) > 0 {
		field(12)
		dst = codec.AppendHead(dst, majorArray, uint64(len(o.Lines)))
		for i := range o.Lines {
			if dst, ok = e.appendLine(dst, &o.Lines[i]); !ok {
				return nil, false
			}
		}
	}
	if !o.Billing.IsZero() {
		field(13)
		dst = e.appendAddress(dst, &o.Billing)
	}
	if !o.Shipping.IsZero() {
		field(14)
		dst = e.appendAddress(dst, &o.Shipping)
	}
	if o.UserAgent != "" {
		field(15)
		dst = e.appendText(dst, o.UserAgent)
	}
	if o.BrowserIP != "" {
		field(16)
		dst = e.appendText(dst, o.BrowserIP)
	}
	if o.Locale != "" {
		field(17)
		dst = e.appendText(dst, o.Locale)
	}
	if o.Shop != nil {
		field(18)
		dst = append(dst, majorMap<<5|3)
		dst = e.appendText(append(dst, 1), o.Shop.Currency)
		if dst, ok = e.appendDecimal(append(dst, 2), o.Shop.Total, false); !ok {
			return nil, false
		}
		if dst, ok = e.appendDecimal(append(dst, 3), o.Shop.Refunded, o.Shop.Refunded.IsZero()); !ok {
			return nil, false
		}
	}
	dst[head] = majorMap<<5 | byte(n)
	return dst, true
}

// appendCustomer appends codec.Marshal(*c) to dst as appendOrder does for an order (ok
// false: leave it to codec.Marshal), noting in undecodable what codec.Unmarshal would refuse.
// It must follow profiles.CustomerRecord and Consent field for field:
// TestAppendCustomerLayout fails when one of them changes, and
// TestAppendCustomerMatchesCodec compares the bytes with codec.Marshal's.
func (e *encoder) appendCustomer(dst []byte, c *profiles.CustomerRecord) (_ []byte, ok bool) {
	dst = append(dst, codec.Version)
	head := len(dst)
	dst = append(dst, 0) // map head, set below: at most 14 entries, one byte
	n := 0
	text := func(key byte, s string, omitEmpty bool) {
		if s != "" || !omitEmpty {
			dst = e.appendText(append(dst, key), s)
			n++
		}
	}
	text(1, c.Store, false)
	text(2, c.ID, false)
	text(3, c.Email, true)
	text(4, c.Phone, true)
	text(5, c.FirstName, true)
	text(6, c.LastName, true)
	if len(c.Addresses) > codecMaxArray || len(c.Tags) > codecMaxArray {
		e.undecodable = true
	}
	if len(c.Addresses) > 0 {
		dst = codec.AppendHead(append(dst, 7), majorArray, uint64(len(c.Addresses)))
		n++
		for i := range c.Addresses {
			dst = e.appendAddress(dst, &c.Addresses[i])
		}
	}
	text(8, c.Locale, true)
	// Consent, a struct, is written even when empty (an empty map): the codec's omitempty
	// leaves out no struct.
	{
		cs := &c.Consent
		dst = append(dst, 9)
		n++
		chead := len(dst)
		dst = append(dst, 0)
		cn := 0
		if cs.State != "" {
			dst = e.appendText(append(dst, 1), cs.State)
			cn++
		}
		if cs.OptInType != "" {
			dst = e.appendText(append(dst, 2), cs.OptInType)
			cn++
		}
		if !cs.UpdatedAt.IsZero() {
			if dst, ok = codec.AppendTime(append(dst, 3), cs.UpdatedAt); !ok {
				return nil, false
			}
			cn++
		}
		dst[chead] = majorMap<<5 | byte(cn)
	}
	if len(c.Tags) > 0 {
		dst = codec.AppendHead(append(dst, 10), majorArray, uint64(len(c.Tags)))
		n++
		for _, t := range c.Tags {
			dst = e.appendText(dst, t)
		}
	}
	text(11, c.BirthDate, true)
	if !c.CreatedAt.IsZero() {
		if dst, ok = codec.AppendTime(append(dst, 12), c.CreatedAt); !ok {
			return nil, false
		}
		n++
	}
	if !c.UpdatedAt.IsZero() {
		if dst, ok = codec.AppendTime(append(dst, 13), c.UpdatedAt); !ok {
			return nil, false
		}
		n++
	}
	if c.Deleted {
		dst = append(dst, 14, cborTrue)
		n++
	}
	dst[head] = majorMap<<5 | byte(n)
	return dst, true
}

func (e *encoder) appendLine(dst []byte, l *profiles.LineItem) (_ []byte, ok bool) {
	head := len(dst)
	dst = append(dst, 0)
	n := 0
	text := func(key byte, s string) {
		if s != "" {
			dst = e.appendText(append(dst, key), s)
			n++
		}
	}
	text(1, l.ProductID)
	text(2, l.SKU)
	text(3, l.Title)
	text(4, l.ProductType)
	text(5, l.Vendor)
	if l.Quantity != 0 {
		dst = appendInt(append(dst, 6), int64(l.Quantity))
		n++
	}
	if dst, ok = e.appendDecimal(append(dst, 7), l.Price, true); !ok {
		return nil, false
	}
	n++
	dst[head] = majorMap<<5 | byte(n)
	return dst, true
}

func (e *encoder) appendAddress(dst []byte, a *profiles.Address) []byte {
	head := len(dst)
	dst = append(dst, 0)
	n := 0
	for i, s := range [...]string{a.FirstName, a.LastName, a.Company, a.Address1, a.Address2, a.City, a.Region, a.Postcode, a.Country, a.Phone} {
		if s != "" {
			dst = e.appendText(append(dst, byte(i+1)), s)
			n++
		}
	}
	dst[head] = majorMap<<5 | byte(n)
	return dst
}

// CBOR major types.
const (
	majorUint   = 0
	majorNegInt = 1
	majorBytes  = 2
	majorText   = 3
	majorArray  = 4
	majorMap    = 5
	cborFalse   = 0xf4
	cborTrue    = 0xf5
	cborNull    = 0xf6
)

// appendText appends s as a text string, noting whether it is valid UTF-8.
func (e *encoder) appendText(dst []byte, s string) []byte {
	if !utf8.ValidString(s) {
		e.undecodable = true
	}
	return codec.AppendText(dst, s)
}

func appendInt(dst []byte, i int64) []byte {
	if i >= 0 {
		return codec.AppendHead(dst, majorUint, uint64(i))
	}
	return codec.AppendHead(dst, majorNegInt, uint64(-1-i))
}

// appendDecimal appends d as a byte string of its MarshalBinary; remembered says whether d is
// likely to come again (a price, or zero), not a one-off such as an order total.
func (e *encoder) appendDecimal(dst []byte, d decimal.Decimal, remember bool) ([]byte, bool) {
	b, ok := e.decimals[d]
	if !ok {
		if !remember || e.decimals == nil || len(e.decimals) >= maxEncodedDecimals {
			return appendDecimalBytes(dst, d)
		}
		var err error
		if b, err = d.MarshalBinary(); err != nil {
			return nil, false
		}
		e.decimals[d] = b
	}
	return append(codec.AppendHead(dst, majorBytes, uint64(len(b))), b...), true
}

// appendDecimalBytes appends d as codec.Marshal does: the byte string of its MarshalBinary.
// ok is false if MarshalBinary fails. It writes MarshalBinary's bytes itself, without its three
// allocations, when decimal.Decimal is laid out as expected (see decimalFields).
func appendDecimalBytes(dst []byte, d decimal.Decimal) ([]byte, bool) {
	// MarshalBinary is the exponent (4 bytes, big-endian) then the coefficient's GobEncode:
	// nothing for a nil coefficient (the zero Decimal), else a byte of version 1 and sign, then
	// the magnitude in big-endian bytes without leading zeros (none for zero). A zero's
	// coefficient may be nil or a zero big.Int, which the decimal's API does not tell apart:
	// MarshalBinary does it.
	if d.Sign() == 0 {
		return appendMarshalBinary(dst, d)
	}
	value := d.Coefficient() // a copy: the one allocation
	words := value.Bits()
	if len(words) > 0 && words[len(words)-1] == 0 {
		return appendMarshalBinary(dst, d) // not normalized (math/big's results always are)
	}
	const wordBytes = bits.UintSize / 8
	top := 0 // the top word's bytes, leading zeros left out
	if len(words) > 0 {
		top = (bits.UintSize - bits.LeadingZeros(uint(words[len(words)-1])) + 7) / 8
	}
	n := 0
	if len(words) > 0 {
		n = top + (len(words)-1)*wordBytes
	}
	dst = codec.AppendHead(dst, majorBytes, uint64(4+1+n))
	dst = binary.BigEndian.AppendUint32(dst, uint32(d.Exponent()))
	sign := byte(1 << 1) // math/big's gob version 1, shifted for the sign bit
	if value.Sign() < 0 {
		sign |= 1
	}
	dst = append(dst, sign)
	for i := len(words) - 1; i >= 0; i-- {
		w, size := uint(words[i]), wordBytes
		if i == len(words)-1 {
			size = top
		}
		for shift := (size - 1) * 8; shift >= 0; shift -= 8 {
			dst = append(dst, byte(w>>shift))
		}
	}
	return dst, true
}
