package segments

import (
	"bytes"
	"encoding/binary"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/segments/cborread"
	"github.com/cohortd/cohortd/store/codec"
)

// FeatureDecoder extracts features straight from stored profiles (store/codec's encoding of
// a profiles.Profile), without building the profile: a full recompute reads every profile,
// and decoding them with codec's reflection was most of its time. It reads only the encoding
// codec writes, every field of it with its type, and refuses anything else (an unknown or
// repeated key, another type, a decimal UnmarshalBinary would refuse, trailing bytes): the
// caller then decodes with codec and calls Extract, which gives the same features or the
// error. Not safe for concurrent use: one per goroutine.
type FeatureDecoder struct {
	opts  Options // with defaults
	in    extractInput
	names interner
}

// NewFeatureDecoder returns a decoder that extracts with opts.
func NewFeatureDecoder(opts Options) *FeatureDecoder {
	return &FeatureDecoder{opts: opts.withDefaults(), names: interner{m: map[string]string{}}}
}

// Decode fills f with the features of the stored profile, as Extract of the profile codec
// decodes, and reports whether it could read the profile (f is of no use when not).
func (d *FeatureDecoder) Decode(stored []byte, f *Features) bool {
	if !d.read(stored) {
		return false
	}
	d.in.extract(f, d.opts)
	return true
}

// read fills d.in from a stored profile; false when the bytes are not codec's encoding of
// a profile as this decoder knows it.
func (d *FeatureDecoder) read(stored []byte) bool {
	if len(stored) == 0 || stored[0] != codec.Version {
		return false
	}
	r := cborread.NewReader(stored[1:])
	in := &d.in
	in.reset()
	var key uint64
	for range r.Map() {
		switch r.FieldKey(&key) {
		case 1:
			in.id = string(r.Text())
		case 2:
			d.readSources(&r)
		case 3:
			d.readEmails(&r)
		case 4:
			readPhones(&r)
		case 5, 6, 9: // names, birth date
			r.Text()
		case 7:
			d.readAddresses(&r)
		case 8:
			in.locale = d.names.get(r.Text())
		case 10:
			d.readConsent(&r)
		case 11:
			d.readMerchantTags(&r)
		case 12:
			in.firstSeen = r.Time()
		case 13:
			readTextMap(&r)
		case 14:
			d.readSummary(&r)
		case 15: // merge score
			r.Float()
		case 16:
			d.readOrders(&r)
		default:
			r.Fail()
		}
		if !r.Ok() {
			return false
		}
	}
	return r.Done()
}

// structFields calls field with each key of a struct encoded as a map of integer keys,
// stopping at the first failure.
func structFields(r *cborread.Reader, field func(key uint64)) {
	var key uint64
	for range r.Map() {
		if field(r.FieldKey(&key)); !r.Ok() {
			return
		}
	}
}

// list calls elem for each element of an array (none for null, as codec decodes null into a
// nil slice), stopping at the first failure.
func list(r *cborread.Reader, elem func(i int)) {
	if r.Null() {
		return
	}
	for i := range r.Array() {
		if elem(i); !r.Ok() {
			return
		}
	}
}

// textMap calls value with each key of a map of text keys (none for null), stopping at the
// first failure.
func textMap(r *cborread.Reader, value func(key []byte)) {
	if r.Null() {
		return
	}
	var prev []byte
	for range r.Map() {
		if value(r.TextKey(&prev)); !r.Ok() {
			return
		}
	}
}

func (d *FeatureDecoder) readSources(r *cborread.Reader) {
	list(r, func(int) {
		store := ""
		structFields(r, func(key uint64) {
			switch key {
			case 1:
				store = d.names.get(r.Text())
			case 2, 3: // kind, id
				r.Text()
			default:
				r.Fail()
			}
		})
		d.in.stores = append(d.in.stores, store)
	})
}

func (d *FeatureDecoder) readEmails(r *cborread.Reader) {
	list(r, func(int) {
		var address, flags []byte
		structFields(r, func(key uint64) {
			switch key {
			case 1:
				address = r.Text()
			case 2: // matching key
				r.Text()
			case 3:
				flags = r.Text()
			default:
				r.Fail()
			}
		})
		in := &d.in
		if !in.hasEmail && len(address) > 0 && !bytes.Contains(flags, []byte("invalid")) {
			in.hasEmail = true
			if i := bytes.LastIndexByte(address, '@'); i >= 0 {
				in.emailDomain = d.names.get(address[i+1:])
			}
		}
	})
}

func readPhones(r *cborread.Reader) {
	list(r, func(int) {
		structFields(r, func(key uint64) {
			switch key {
			case 1, 2: // E.164, raw
				r.Text()
			case 3:
				r.Bool()
			default:
				r.Fail()
			}
		})
	})
}

func (d *FeatureDecoder) readAddresses(r *cborread.Reader) {
	list(r, func(i int) {
		structFields(r, func(key uint64) {
			if key < 1 || key > 7 {
				r.Fail()
				return
			}
			s := r.Text()
			if i > 0 {
				return
			}
			switch key {
			case 4:
				d.in.region = d.names.get(s)
			case 6:
				d.in.country = d.names.get(s)
			case 7:
				d.in.continent = d.names.get(s)
			}
		})
	})
}

func (d *FeatureDecoder) readConsent(r *cborread.Reader) {
	textMap(r, func([]byte) {
		structFields(r, func(key uint64) {
			switch key {
			case 1:
				if string(r.Text()) == "subscribed" {
					d.in.subscribed = true
				}
			case 2: // opt-in type
				r.Text()
			case 3: // updated at
				r.Time()
			default:
				r.Fail()
			}
		})
	})
}

func (d *FeatureDecoder) readMerchantTags(r *cborread.Reader) {
	textMap(r, func([]byte) {
		list(r, func(int) { d.in.tags = append(d.in.tags, d.names.get(r.Text())) })
	})
}

// readTextMap reads a map of text to text (field sources).
func readTextMap(r *cborread.Reader) {
	textMap(r, func([]byte) { r.Text() })
}

func (d *FeatureDecoder) readSummary(r *cborread.Reader) {
	in := &d.in
	structFields(r, func(key uint64) {
		switch key {
		case 1:
			in.orders = r.Int()
		case 2:
			in.cancellations = r.Int()
		case 3:
			in.refunds = r.Int()
		case 4:
			in.firstOrder = r.Time()
		case 5:
			in.lastOrder = r.Time()
		case 6:
			d.readTotals(r)
		case 7:
			in.totalBase = readDecimal(r)
		case 8: // base currency
			r.Text()
		case 9, 15: // unconverted, zero value
			r.Int()
		case 10: // refunded
			readDecimalBytes(r)
		case 11, 16: // product types, converted
			textMap(r, func([]byte) { readDecimalBytes(r) })
		case 12:
			in.device = d.readMostCounted(r)
		case 13:
			in.shipTo = d.readMostCounted(r)
		case 14:
			in.items = r.Int()
		default:
			r.Fail()
		}
	})
}

// readTotals finds the currency most spent in (ties to the smallest code), as fromProfile.
func (d *FeatureDecoder) readTotals(r *cborread.Reader) {
	var best, bestRaw []byte
	var bestValue decimal.Decimal
	decoded := false
	textMap(r, func(cur []byte) {
		raw := readDecimalBytes(r)
		if !r.Ok() || len(cur) == 0 { // an empty code would make the choice depend on map order
			r.Fail()
			return
		}
		if best == nil { // the usual single currency needs no decimal
			best, bestRaw = cur, raw
			return
		}
		if !decoded {
			bestValue, decoded = decimalOf(bestRaw), true
		}
		if v := decimalOf(raw); v.GreaterThan(bestValue) || v.Equal(bestValue) && bytes.Compare(cur, best) < 0 {
			best, bestValue = cur, v
		}
	})
	d.in.currency = d.names.get(best)
}

// readMostCounted reads a map of text to counts and returns the key with the largest count
// (ties to the smallest key), as maxKey.
func (d *FeatureDecoder) readMostCounted(r *cborread.Reader) string {
	var best []byte
	var bestCount int
	textMap(r, func(k []byte) {
		n := r.Int()
		if len(k) == 0 { // an empty key would make the choice depend on map order
			r.Fail()
			return
		}
		if best == nil || n > bestCount || n == bestCount && bytes.Compare(k, best) < 0 {
			best, bestCount = k, n
		}
	})
	return d.names.get(best)
}

func (d *FeatureDecoder) readOrders(r *cborread.Reader) {
	in := &d.in
	list(r, func(int) {
		o := orderInput{typesFrom: len(in.types)}
		structFields(r, func(key uint64) {
			switch key {
			case 1, 3, 10: // id, currency, device
				r.Text()
			case 2:
				o.at = r.Time()
			case 4: // net
				readDecimalBytes(r)
			case 5:
				o.netBase = readDecimal(r)
			case 6, 8: // converted, refunded
				r.Bool()
			case 7:
				o.cancelled = r.Bool()
			case 9: // items
				r.Int()
			case 11:
				o.zero = r.Bool()
			case 12:
				d.readTypes(r)
			default:
				r.Fail()
			}
		})
		o.typesTo = len(in.types)
		in.orderList = append(in.orderList, o)
	})
}

func (d *FeatureDecoder) readTypes(r *cborread.Reader) {
	list(r, func(int) {
		var t typeSpend
		structFields(r, func(key uint64) {
			switch key {
			case 1:
				t.name = d.names.get(r.Text())
			case 2:
				t.spend = readDecimal(r)
			default:
				r.Fail()
			}
		})
		d.in.types = append(d.in.types, t)
	})
}

// readDecimal reads a decimal.Decimal (a byte string of its MarshalBinary) as toFloat
// converts it.
func readDecimal(r *cborread.Reader) float64 {
	raw := readDecimalBytes(r)
	if !r.Ok() {
		return 0
	}
	return decimalFloat(raw)
}

// readDecimalBytes reads the MarshalBinary of a decimal.Decimal that UnmarshalBinary takes:
// a 4-byte exponent, then nothing (zero) or big.Int's GobEncode, a version-and-sign byte and
// the magnitude. The exponent must be moderate: converting 1e-2147483648 to a float64 takes
// big.Rat forever (the codec path does that on such a damaged value).
func readDecimalBytes(r *cborread.Reader) []byte {
	raw := r.Bytes()
	valid := len(raw) == 4 || len(raw) > 4 && raw[4]>>1 == 1
	if !valid || abs(int64(int32(binary.BigEndian.Uint32(raw)))) > maxExponent {
		r.Fail()
		return nil
	}
	return raw
}

// maxExponent bounds the decimal exponents the decoder reads; money has a few decimals.
const maxExponent = 400

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// decimalFloat is toFloat of the valid decimal encoded in raw, without building the decimal
// when its coefficient is small.
func decimalFloat(raw []byte) float64 {
	exp := int32(binary.BigEndian.Uint32(raw))
	var neg bool
	var mag []byte
	if len(raw) > 4 {
		neg, mag = raw[4]&1 != 0, bytes.TrimLeft(raw[5:], "\x00")
	}
	if len(mag) <= 7 { // below 2^56: an int64
		var v int64
		for _, b := range mag {
			v = v<<8 | int64(b)
		}
		if neg {
			v = -v
		}
		if f, ok := exactFloat(v, exp); ok {
			return f
		}
	}
	return toFloat(decimalOf(raw))
}

// decimalOf decodes a decimal checked by readDecimalBytes.
func decimalOf(raw []byte) decimal.Decimal {
	var d decimal.Decimal
	_ = d.UnmarshalBinary(raw) // cannot fail: checked by readDecimalBytes
	return d
}

// interner returns one string per distinct value for the values that repeat across profiles
// (countries, locales, tags, product types), so that a million profiles' features do not hold
// a million copies.
type interner struct{ m map[string]string }

// maxInterned bounds an interner: past it, values are copied, not kept.
const maxInterned = 1 << 14

func (n *interner) get(b []byte) string {
	if s, ok := n.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(n.m) < maxInterned {
		n.m[s] = s
	}
	return s
}
