package ingest

import (
	"slices"
	"sync"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store/codec"
)

// encodeProfile is codec.Marshal(p) for a rebuild's profiles: appendProfile when it can, else
// codec.Marshal. Safe for concurrent use.
func encodeProfile(p *profiles.Profile) ([]byte, error) {
	bp := profileBufs.Get().(*[]byte)
	data, ok := appendProfile((*bp)[:0], p)
	if !ok {
		profileBufs.Put(bp)
		return codec.Marshal(p)
	}
	out := slices.Clone(data) // one allocation of the exact size: the result is kept
	if cap(data) <= 64<<10 {  // don't pin huge buffers
		*bp = data
		profileBufs.Put(bp)
	}
	return out, nil
}

// profileBufs holds encodeProfile's scratch buffers.
var profileBufs = sync.Pool{New: func() any { return new([]byte) }}

// appendProfile appends codec.Marshal(p) to dst, as appendOrder does for an order: the
// codec.Version byte, then the CBOR Core Deterministic Encoding of the struct (a map of its
// integer keys in increasing order, empty omitempty fields and zero omitzero times left out,
// nil slices without omitempty as null, times as RFC 3339 text with nanoseconds, decimals as the
// byte string of their MarshalBinary, floats in their shortest exact form, and map entries
// ordered by their encoded keys). ok is false for a value it leaves to codec.Marshal (a nil p,
// a time outside RFC 3339's range, a decimal MarshalBinary refuses): the caller must then
// encode p with codec.Marshal. It keeps no state: safe for concurrent use.
//
// It must follow profiles.Profile and the types it holds field for field:
// TestAppendProfileLayout fails when one of them changes, and TestAppendProfileMatchesCodec
// compares the bytes with codec.Marshal's.
func appendProfile(dst []byte, p *profiles.Profile) (_ []byte, ok bool) {
	if p == nil {
		return nil, false
	}
	dst = append(dst, codec.Version)
	m := beginMap(dst)
	m.key(1)
	m.dst = codec.AppendText(m.dst, p.ID)
	m.key(2)
	if p.Sources == nil {
		m.dst = append(m.dst, cborNull) // not omitempty: a nil slice is null
	} else {
		m.dst = codec.AppendHead(m.dst, majorArray, uint64(len(p.Sources)))
		for i := range p.Sources {
			s := &p.Sources[i]
			m.dst = append(m.dst, majorMap<<5|3, 1)
			m.dst = append(codec.AppendText(m.dst, s.Store), 2)
			m.dst = append(codec.AppendText(m.dst, s.Kind), 3)
			m.dst = codec.AppendText(m.dst, s.ID)
		}
	}
	if len(p.Emails) > 0 {
		m.key(3)
		m.dst = appendArray(m.dst, p.Emails, appendEmail)
	}
	if len(p.Phones) > 0 {
		m.key(4)
		m.dst = appendArray(m.dst, p.Phones, appendPhone)
	}
	m.text(5, p.FirstName)
	m.text(6, p.LastName)
	if len(p.Addresses) > 0 {
		m.key(7)
		m.dst = appendArray(m.dst, p.Addresses, appendCleanAddress)
	}
	m.text(8, p.Locale)
	m.text(9, p.BirthDate)
	if len(p.Consent) > 0 {
		m.key(10)
		if m.dst, ok = codec.AppendTextMap(m.dst, p.Consent, appendConsent); !ok {
			return nil, false
		}
	}
	if len(p.MerchantTags) > 0 {
		m.key(11)
		m.dst, _ = codec.AppendTextMap(m.dst, p.MerchantTags, appendTags)
	}
	if !p.FirstSeen.IsZero() {
		m.key(12)
		if m.dst, ok = codec.AppendTime(m.dst, p.FirstSeen); !ok {
			return nil, false
		}
	}
	if len(p.FieldSources) > 0 {
		m.key(13)
		m.dst, _ = codec.AppendTextMap(m.dst, p.FieldSources, func(dst []byte, s string) ([]byte, bool) {
			return codec.AppendText(dst, s), true
		})
	}
	m.key(14)
	if m.dst, ok = appendSummary(m.dst, &p.Summary); !ok {
		return nil, false
	}
	if p.MergeScore != 0 { // omitempty: -0 is empty too
		m.key(15)
		m.dst = codec.AppendFloat(m.dst, p.MergeScore)
	}
	if len(p.Orders) > 0 {
		m.key(16)
		m.dst = codec.AppendHead(m.dst, majorArray, uint64(len(p.Orders)))
		for i := range p.Orders {
			if m.dst, ok = appendCompactOrder(m.dst, &p.Orders[i]); !ok {
				return nil, false
			}
		}
	}
	return m.end(), true
}

// structMap writes a struct as a CBOR map whose entry count is set at the end: every struct
// here has at most 23 fields, so the head is one byte, and keys 1 to 23 are one byte each.
type structMap struct {
	dst  []byte
	head int // index of the map head in dst
	n    byte
}

func beginMap(dst []byte) structMap {
	return structMap{dst: append(dst, 0), head: len(dst)}
}

// key appends the integer key of a field that is written.
func (m *structMap) key(k byte) {
	m.dst = append(m.dst, k)
	m.n++
}

// text writes a string field with omitempty.
func (m *structMap) text(k byte, s string) {
	if s != "" {
		m.key(k)
		m.dst = codec.AppendText(m.dst, s)
	}
}

// int writes an int field with omitempty.
func (m *structMap) int(k byte, i int) {
	if i != 0 {
		m.key(k)
		m.dst = appendInt(m.dst, int64(i))
	}
}

// bool writes a bool field with omitempty.
func (m *structMap) bool(k byte, b bool) {
	if b {
		m.key(k)
		m.dst = append(m.dst, cborTrue)
	}
}

func (m *structMap) end() []byte {
	m.dst[m.head] = majorMap<<5 | m.n
	return m.dst
}

// appendArray appends items as an array, each by item.
func appendArray[T any](dst []byte, items []T, item func([]byte, *T) []byte) []byte {
	dst = codec.AppendHead(dst, majorArray, uint64(len(items)))
	for i := range items {
		dst = item(dst, &items[i])
	}
	return dst
}

func appendEmail(dst []byte, e *profiles.EmailValue) []byte {
	m := beginMap(dst)
	m.key(1)
	m.dst = codec.AppendText(m.dst, e.Address)
	m.text(2, e.Key)
	m.text(3, e.Flags)
	return m.end()
}

func appendPhone(dst []byte, p *profiles.PhoneValue) []byte {
	m := beginMap(dst)
	m.text(1, p.E164)
	m.text(2, p.Raw)
	m.bool(3, p.Valid)
	return m.end()
}

func appendCleanAddress(dst []byte, a *profiles.CleanAddress) []byte {
	m := beginMap(dst)
	m.text(1, a.Address1)
	m.text(2, a.Address2)
	m.text(3, a.City)
	m.text(4, a.Region)
	m.text(5, a.Postcode)
	m.text(6, a.CountryCode)
	m.text(7, a.Continent)
	return m.end()
}

func appendConsent(dst []byte, c profiles.Consent) (_ []byte, ok bool) {
	m := beginMap(dst)
	m.text(1, c.State)
	m.text(2, c.OptInType)
	if !c.UpdatedAt.IsZero() {
		m.key(3)
		if m.dst, ok = codec.AppendTime(m.dst, c.UpdatedAt); !ok {
			return nil, false
		}
	}
	return m.end(), true
}

// appendTags appends a map value of MerchantTags: not omitempty, so a nil slice is null.
func appendTags(dst []byte, tags []string) ([]byte, bool) {
	if tags == nil {
		return append(dst, cborNull), true
	}
	dst = codec.AppendHead(dst, majorArray, uint64(len(tags)))
	for _, s := range tags {
		dst = codec.AppendText(dst, s)
	}
	return dst, true
}

func appendSummary(dst []byte, s *profiles.OrderSummary) (_ []byte, ok bool) {
	m := beginMap(dst)
	m.key(1)
	m.dst = appendInt(m.dst, int64(s.Orders))
	m.int(2, s.Cancellations)
	m.int(3, s.Refunds)
	if !s.FirstOrder.IsZero() {
		m.key(4)
		if m.dst, ok = codec.AppendTime(m.dst, s.FirstOrder); !ok {
			return nil, false
		}
	}
	if !s.LastOrder.IsZero() {
		m.key(5)
		if m.dst, ok = codec.AppendTime(m.dst, s.LastOrder); !ok {
			return nil, false
		}
	}
	if len(s.Totals) > 0 {
		m.key(6)
		if m.dst, ok = codec.AppendTextMap(m.dst, s.Totals, appendDecimalBytes); !ok {
			return nil, false
		}
	}
	m.key(7)
	if m.dst, ok = appendDecimalBytes(m.dst, s.TotalBase); !ok {
		return nil, false
	}
	m.text(8, s.BaseCurrency)
	m.int(9, s.Unconverted)
	m.key(10)
	if m.dst, ok = appendDecimalBytes(m.dst, s.RefundedBase); !ok {
		return nil, false
	}
	if len(s.ProductTypes) > 0 {
		m.key(11)
		if m.dst, ok = codec.AppendTextMap(m.dst, s.ProductTypes, appendDecimalBytes); !ok {
			return nil, false
		}
	}
	if len(s.Devices) > 0 {
		m.key(12)
		m.dst, _ = codec.AppendTextMap(m.dst, s.Devices, appendIntValue)
	}
	if len(s.ShipTo) > 0 {
		m.key(13)
		m.dst, _ = codec.AppendTextMap(m.dst, s.ShipTo, appendIntValue)
	}
	m.int(14, s.Items)
	m.int(15, s.ZeroValue) // key 15 sorts before 16, whatever the field order
	if len(s.ConvertedBase) > 0 {
		m.key(16)
		if m.dst, ok = codec.AppendTextMap(m.dst, s.ConvertedBase, appendDecimalBytes); !ok {
			return nil, false
		}
	}
	return m.end(), true
}

func appendIntValue(dst []byte, i int) ([]byte, bool) {
	return appendInt(dst, int64(i)), true
}

func appendCompactOrder(dst []byte, o *profiles.CompactOrder) (_ []byte, ok bool) {
	m := beginMap(dst)
	m.key(1)
	m.dst = codec.AppendText(m.dst, o.ID)
	m.key(2)
	if m.dst, ok = codec.AppendTime(m.dst, o.At); !ok { // not omitzero: a zero time is null
		return nil, false
	}
	m.key(3)
	m.dst = codec.AppendText(m.dst, o.Currency)
	m.key(4)
	if m.dst, ok = appendDecimalBytes(m.dst, o.Net); !ok {
		return nil, false
	}
	m.key(5)
	if m.dst, ok = appendDecimalBytes(m.dst, o.NetBase); !ok {
		return nil, false
	}
	m.bool(6, o.Converted)
	m.bool(7, o.Cancelled)
	m.bool(8, o.Refunded)
	m.int(9, o.Items)
	m.text(10, o.Device)
	m.bool(11, o.Zero)
	if len(o.Types) > 0 {
		m.key(12)
		m.dst = codec.AppendHead(m.dst, majorArray, uint64(len(o.Types)))
		for i := range o.Types {
			t := &o.Types[i]
			m.dst = append(codec.AppendText(append(m.dst, majorMap<<5|2, 1), t.Type), 2)
			if m.dst, ok = appendDecimalBytes(m.dst, t.Spend); !ok {
				return nil, false
			}
		}
	}
	return m.end(), true
}
