package ingest

import (
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store/codec"
)

// decodeOrderFast is decodeLeanOrder without reflection, for the encoding the codec and
// appendOrder write: a map of small integer keys holding text, RFC 3339 times (or null),
// decimals as byte strings of their MarshalBinary, lines, addresses and shop money. A rebuild
// decodes every stored order, and the reflection-based decoder was most of its time. Anything
// else (an unknown or repeated key, another type, text that is not UTF-8, trailing bytes)
// returns false, and the caller decodes with the codec, which either reads it the same way or
// gives the error.
func decodeOrderFast(v []byte, o *profiles.OrderRecord) bool { return readOrder(v, o, false) }

// readOrder is decodeOrderFast; with transient, the order's texts are not interned.
func readOrder(v []byte, o *profiles.OrderRecord, transient bool) bool {
	*o = profiles.OrderRecord{}
	return readRecordMap(v, 18, transient, func(r *cborReader, key uint64) {
		switch key {
		case 1:
			o.Store = r.shared(r.text())
		case 2:
			o.ID = r.text()
		case 3:
			o.CustomerID = r.text()
		case 4:
			o.Email = r.text()
		case 5:
			o.Phone = r.text()
		case 6:
			o.CreatedAt = r.time()
		case 7:
			o.UpdatedAt = r.time()
		case 8:
			o.CancelledAt = r.time()
		case 9:
			o.Currency = r.shared(r.text())
		case 10:
			o.Total = r.decimal()
		case 11:
			o.Refunded = r.decimal()
		case 12:
			o.Lines = r.lines()
		case 13:
			r.address(&o.Billing)
		case 14:
			r.address(&o.Shipping)
		case 15:
			o.UserAgent = r.shared(r.text())
		case 16:
			o.BrowserIP = r.text()
		case 17:
			o.Locale = r.shared(r.text())
		case 18:
			o.Shop = r.shop()
		}
	})
}

// readRecordMap reads a stored record (the codec's version byte, then a map of integer keys
// 1..maxKey, each at most once), calling field for each key to read its value. It returns
// false for anything else (another version, another key, trailing bytes, a value field
// refused by setting r.Bad) and for a panic in a value's own decoder: the caller leaves the
// record to the codec, which reads it the same way or gives the error.
func readRecordMap(v []byte, maxKey uint64, transient bool, field func(r *cborReader, key uint64)) (ok bool) {
	if len(v) == 0 || v[0] != codec.Version || maxKey > 31 {
		return false
	}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	r := cborReader{Cursor: codec.Cursor{B: v, I: 1}, transient: transient}
	n, ok := r.Head(majorMap)
	if !ok {
		return false
	}
	var seen uint32
	for range n {
		key, ok := r.Head(majorUint)
		if !ok || key == 0 || key > maxKey || seen&(1<<key) != 0 {
			return false
		}
		seen |= 1 << key
		field(&r, key)
		if r.Bad {
			return false
		}
	}
	return r.I == len(r.B)
}

// cborReader reads the CBOR items decodeOrderFast and decodeCustomerFast know (codec.Cursor:
// Bad is set at the first thing it does not, and the values read are then of no use).
type cborReader struct {
	codec.Cursor
	// transient: the record is dropped once read (digested), so its texts are not interned.
	transient bool
}

// shared returns s interned, unless the record read is transient: interning is for records
// held in memory (a million orders share a few currencies and product types); for one read,
// digested and dropped it was 4 s of a 1M rebuild's CPU for nothing.
func (r *cborReader) shared(s string) string {
	if r.transient {
		return s
	}
	return intern(s)
}

func (r *cborReader) text() string {
	b := r.Bytes(majorText)
	if !utf8.Valid(b) {
		r.Bad = true
		return ""
	}
	return string(b)
}

func (r *cborReader) time() time.Time {
	if r.Null() {
		return time.Time{}
	}
	s := r.text()
	if r.Bad {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		r.Bad = true
	}
	return t
}

func (r *cborReader) decimal() decimal.Decimal {
	var d decimal.Decimal
	b := r.Bytes(majorBytes)
	// UnmarshalBinary slices a 4-byte exponent off without checking the length.
	if r.Bad || len(b) < 4 || d.UnmarshalBinary(b) != nil {
		r.Bad = true
	}
	return d
}

func (r *cborReader) int() int {
	neg := r.I < len(r.B) && r.B[r.I]>>5 == majorNegInt
	m := byte(majorUint)
	if neg {
		m = majorNegInt
	}
	n, ok := r.Head(m)
	if !ok || n > 1<<62 {
		r.Bad = true
		return 0
	}
	if neg {
		return -1 - int(n)
	}
	return int(n)
}

// lines reads order lines as decodeLeanOrder keeps them: types and vendors interned, titles,
// SKUs and product ids skipped.
func (r *cborReader) lines() []profiles.LineItem {
	n, ok := r.Head(majorArray)
	if !ok || n > codecMaxArray || n > uint64(len(r.B)-r.I) {
		r.Bad = true
		return nil
	}
	if n == 0 {
		return nil // as decodeLeanOrder keeps an empty list
	}
	out := make([]profiles.LineItem, n)
	for i := range out {
		l := &out[i]
		m, ok := r.Head(majorMap)
		var seen uint32
		for range m {
			key, kok := r.Head(majorUint)
			if !ok || !kok || key == 0 || key > 7 || seen&(1<<key) != 0 {
				r.Bad = true
				return nil
			}
			seen |= 1 << key
			switch key {
			case 1, 2, 3: // skipped, as the codec skips fields it does not decode (unchecked)
				r.Bytes(majorText)
			case 4:
				l.ProductType = r.shared(r.text())
			case 5:
				l.Vendor = r.shared(r.text())
			case 6:
				l.Quantity = r.int()
			case 7:
				l.Price = r.decimal()
			}
			if r.Bad {
				return nil
			}
		}
	}
	return out
}

func (r *cborReader) address(a *profiles.Address) {
	n, ok := r.Head(majorMap)
	var seen uint32
	for range n {
		key, kok := r.Head(majorUint)
		if !ok || !kok || key == 0 || key > 10 || seen&(1<<key) != 0 {
			r.Bad = true
			return
		}
		seen |= 1 << key
		s := r.text()
		switch key {
		case 1:
			a.FirstName = s
		case 2:
			a.LastName = s
		case 3:
			a.Company = s
		case 4:
			a.Address1 = s
		case 5:
			a.Address2 = s
		case 6:
			a.City = r.shared(s)
		case 7:
			a.Region = r.shared(s)
		case 8:
			a.Postcode = s
		case 9:
			a.Country = r.shared(s)
		case 10:
			a.Phone = s
		}
	}
}

func (r *cborReader) shop() *profiles.ShopMoney {
	if r.Null() {
		return nil
	}
	n, ok := r.Head(majorMap)
	s := &profiles.ShopMoney{}
	var seen uint32
	for range n {
		key, kok := r.Head(majorUint)
		if !ok || !kok || key == 0 || key > 3 || seen&(1<<key) != 0 {
			r.Bad = true
			return nil
		}
		seen |= 1 << key
		switch key {
		case 1:
			s.Currency = r.shared(r.text())
		case 2:
			s.Total = r.decimal()
		case 3:
			s.Refunded = r.decimal()
		}
	}
	return s
}

// decodeCustomerFast is decodeLeanCustomer without reflection, for the encoding the codec
// writes of a customer: a map of small integer keys holding text, RFC 3339 times (or null),
// addresses, consent, tags and a bool. Like decodeOrderFast, anything else returns false, and
// the caller decodes with the codec.
func decodeCustomerFast(v []byte, c *profiles.CustomerRecord) bool { return readCustomer(v, c, false) }

// readCustomer is decodeCustomerFast; with transient, the customer's texts are not interned.
func readCustomer(v []byte, c *profiles.CustomerRecord, transient bool) bool {
	*c = profiles.CustomerRecord{}
	return readRecordMap(v, 14, transient, func(r *cborReader, key uint64) {
		switch key {
		case 1:
			c.Store = r.shared(r.text())
		case 2:
			c.ID = r.text()
		case 3:
			c.Email = r.text()
		case 4:
			c.Phone = r.text()
		case 5:
			c.FirstName = r.text()
		case 6:
			c.LastName = r.text()
		case 7:
			c.Addresses = r.defaultAddress()
		case 8:
			c.Locale = r.shared(r.text())
		case 9:
			r.consent(&c.Consent)
		case 10:
			c.Tags = r.tags()
		case 11:
			c.BirthDate = r.text()
		case 12:
			c.CreatedAt = r.time()
		case 13:
			c.UpdatedAt = r.time()
		case 14:
			c.Deleted = r.bool()
		}
	})
}

// defaultAddress reads a list of addresses and keeps the first (as decodeLeanCustomer does);
// nil for none.
func (r *cborReader) defaultAddress() []profiles.Address {
	n, ok := r.Head(majorArray)
	if !ok || n > codecMaxArray || n > uint64(len(r.B)-r.I) {
		r.Bad = true
		return nil
	}
	if n == 0 {
		return nil
	}
	var first, rest profiles.Address
	r.address(&first)
	for range n - 1 {
		rest = profiles.Address{}
		r.address(&rest)
	}
	if r.Bad {
		return nil
	}
	return []profiles.Address{first}
}

func (r *cborReader) consent(c *profiles.Consent) {
	n, ok := r.Head(majorMap)
	var seen uint32
	for range n {
		key, kok := r.Head(majorUint)
		if !ok || !kok || key == 0 || key > 3 || seen&(1<<key) != 0 {
			r.Bad = true
			return
		}
		seen |= 1 << key
		switch key {
		case 1:
			c.State = r.shared(r.text())
		case 2:
			c.OptInType = r.shared(r.text())
		case 3:
			c.UpdatedAt = r.time()
		}
		if r.Bad {
			return
		}
	}
}

// tags reads a list of text, interned; nil for none.
func (r *cborReader) tags() []string {
	n, ok := r.Head(majorArray)
	if !ok || n > codecMaxArray || n > uint64(len(r.B)-r.I) {
		r.Bad = true
		return nil
	}
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = r.shared(r.text())
		if r.Bad {
			return nil
		}
	}
	return out
}

// bool reads a CBOR true or false.
func (r *cborReader) bool() bool {
	if r.I < len(r.B) && (r.B[r.I] == cborTrue || r.B[r.I] == cborFalse) {
		r.I++
		return r.B[r.I-1] == cborTrue
	}
	r.Bad = true
	return false
}
