package profiles

import (
	"encoding/binary"
	"errors"
	"time"
	"unique"

	"github.com/cohortd/cohortd/profiles/normalize"
)

// Identities are kept packed from their cleaning to the merge of their cluster: a rebuild holds
// every one at once (2.2M at 1M customers), and as an identityRec, with two dozen strings,
// three times and nested structs, one was ~700 bytes before its strings. Packed, an identity is
// the bytes of its strings and a few varints; it is unpacked when its cluster is merged.
//
// What merging and identity resolution read is packed: the source, trust, times, names
// (display and matching key), locale, birth date, email (address, key, flags), phone (E.164,
// raw, validity, last four digits), address, consent, tags, field origins and the count of
// filled fields. The raw email and the phone's region are not; the weak evidence from the
// identity's orders is kept apart (it grows after the identity is made).

var errPackedIdentity = errors.New("profiles: corrupt packed identity")

// packIdentity appends r, packed, to b.
func packIdentity(b []byte, r *identityRec) []byte {
	b = appendString(b, r.ref.Store)
	b = appendString(b, r.ref.Kind)
	b = appendString(b, r.ref.ID)
	b = append(b, byte(r.trusted))
	b = appendTime(b, r.updated)
	b = appendTime(b, r.created)
	for _, s := range [...]string{
		r.first.Display, r.first.Key, r.last.Display, r.last.Key, r.locale, r.birth,
		r.email.Address, r.email.Key,
	} {
		b = appendString(b, s)
	}
	b = append(b, byte(r.email.Flags))
	b = appendString(b, r.phone.E164)
	b = appendString(b, r.phone.Raw)
	b = appendString(b, r.phone.Last4)
	valid := byte(0)
	if r.phone.Valid {
		valid = 1
	}
	b = append(b, valid)
	a := &r.addr
	for _, s := range [...]string{a.Address1, a.Address2, a.City, a.Region, a.Postcode, a.CountryCode, a.Continent,
		r.consent.State, r.consent.OptInType} {
		b = appendString(b, s)
	}
	b = appendTime(b, r.consent.UpdatedAt)
	b = binary.AppendUvarint(b, uint64(len(r.tags)))
	for _, t := range r.tags {
		b = appendString(b, t)
	}
	o := &r.sources
	for _, s := range [...]string{o.first, o.last, o.email, o.phone, o.address} {
		b = appendString(b, s)
	}
	return binary.AppendUvarint(b, uint64(r.filledBy))
}

// packedIdentity is packIdentity into a buffer of its own size.
func packedIdentity(r *identityRec) []byte {
	var scratch [512]byte
	b := packIdentity(scratch[:0], r)
	return append(make([]byte, 0, len(b)), b...)
}

// unpackIdentity is packIdentity's inverse, for the fields it packs (the others are zero).
func unpackIdentity(b []byte, r *identityRec) error {
	p := packReader{b: b}
	*r = identityRec{ref: SourceRef{Store: p.string(), Kind: p.string(), ID: p.string()}}
	r.key = r.ref.Key()
	r.trusted = int(p.byte())
	r.updated = p.time()
	r.created = p.time()
	for _, s := range [...]*string{&r.first.Display, &r.first.Key, &r.last.Display, &r.last.Key, &r.locale, &r.birth,
		&r.email.Address, &r.email.Key} {
		*s = p.string()
	}
	r.email.Flags = normalize.EmailFlags(p.byte())
	r.phone.E164, r.phone.Raw, r.phone.Last4 = p.string(), p.string(), p.string()
	r.weak.PhoneLast4 = r.phone.Last4
	r.phone.Valid = p.byte() == 1
	a := &r.addr
	for _, s := range [...]*string{&a.Address1, &a.Address2, &a.City, &a.Region, &a.Postcode, &a.CountryCode, &a.Continent,
		&r.consent.State, &r.consent.OptInType} {
		*s = p.string()
	}
	r.consent.UpdatedAt = p.time()
	if n := p.uvarint(); n > 0 && n <= uint64(len(b)) {
		r.tags = make([]string, n)
		for i := range r.tags {
			r.tags[i] = p.string()
		}
	}
	o := &r.sources
	for _, s := range [...]*string{&o.first, &o.last, &o.email, &o.phone, &o.address} {
		*s = p.string()
	}
	r.filledBy = int(p.uvarint())
	if p.bad || p.i != len(b) {
		return errPackedIdentity
	}
	return nil
}

// packedRef reads the source of a packed identity.
func packedRef(b []byte) (SourceRef, error) {
	p := packReader{b: b, intern: internRefPart}
	ref := SourceRef{Store: p.string(), Kind: p.string()}
	p.intern = nil
	ref.ID = p.string()
	if p.bad {
		return ref, errPackedIdentity
	}
	return ref, nil
}

// packedKey appends the key of packed identity b (its SourceRef's Key) to dst; nothing for a
// corrupt identity (only a bug can make one).
func packedKey(dst, b []byte) []byte {
	p := packReader{b: b}
	store, kind, id := p.bytes(), p.bytes(), p.bytes()
	if p.bad {
		return dst
	}
	dst = append(append(dst, store...), '/')
	dst = append(append(dst, kind...), '/')
	return append(dst, id...)
}

// internRefPart returns a SourceRef's store or kind, shared by every ref of that store or
// kind (a rebuild's merge audit has millions of refs, and a handful of stores and kinds).
func internRefPart(b []byte) string { return unique.Make(string(b)).Value() }

// appendTime packs t with its instant and zone offset (time.Time.AppendBinary); the zero time
// is one byte.
func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() && t.Location() == time.UTC {
		return append(b, 0)
	}
	start := len(b)
	b = append(b, 0)
	b, err := t.AppendBinary(b)
	if err != nil { // a zone offset that is not a whole minute: keep the instant, in UTC
		b, _ = t.UTC().AppendBinary(b[:start+1])
	}
	b[start] = byte(len(b) - start - 1)
	return b
}

func (r *packReader) time() time.Time {
	n := int(r.byte())
	if n == 0 || r.bad {
		return time.Time{}
	}
	if n > len(r.b)-r.i {
		r.bad = true
		return time.Time{}
	}
	var t time.Time
	if err := t.UnmarshalBinary(r.b[r.i : r.i+n]); err != nil {
		r.bad = true
	}
	r.i += n
	return t
}
