package ingest

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/csvfile"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store/codec"
)

// TestAppendProfileLayout pins the fields appendProfile writes. If it fails, a field of Profile
// or of a type it holds was added, removed or re-tagged: make appendProfile write it as
// codec.Marshal does, then update this list.
func TestAppendProfileLayout(t *testing.T) {
	layout := codec.FieldLayout
	want := map[string]string{
		"Profile": `ID string "1,keyasint"
Sources []profiles.SourceRef "2,keyasint"
Emails []profiles.EmailValue "3,keyasint,omitempty"
Phones []profiles.PhoneValue "4,keyasint,omitempty"
FirstName string "5,keyasint,omitempty"
LastName string "6,keyasint,omitempty"
Addresses []profiles.CleanAddress "7,keyasint,omitempty"
Locale string "8,keyasint,omitempty"
BirthDate string "9,keyasint,omitempty"
Consent map[string]profiles.Consent "10,keyasint,omitempty"
MerchantTags map[string][]string "11,keyasint,omitempty"
FirstSeen time.Time "12,keyasint,omitzero"
FieldSources map[string]string "13,keyasint,omitempty"
Summary profiles.OrderSummary "14,keyasint"
MergeScore float64 "15,keyasint,omitempty"
Orders []profiles.CompactOrder "16,keyasint,omitempty"
`,
		"SourceRef": `Store string "1,keyasint"
Kind string "2,keyasint"
ID string "3,keyasint"
`,
		"EmailValue": `Address string "1,keyasint"
Key string "2,keyasint,omitempty"
Flags string "3,keyasint,omitempty"
`,
		"PhoneValue": `E164 string "1,keyasint,omitempty"
Raw string "2,keyasint,omitempty"
Valid bool "3,keyasint,omitempty"
`,
		"CleanAddress": `Address1 string "1,keyasint,omitempty"
Address2 string "2,keyasint,omitempty"
City string "3,keyasint,omitempty"
Region string "4,keyasint,omitempty"
Postcode string "5,keyasint,omitempty"
CountryCode string "6,keyasint,omitempty"
Continent string "7,keyasint,omitempty"
`,
		"Consent": `State string "1,keyasint,omitempty"
OptInType string "2,keyasint,omitempty"
UpdatedAt time.Time "3,keyasint,omitzero"
`,
		"OrderSummary": `Orders int "1,keyasint"
Cancellations int "2,keyasint,omitempty"
Refunds int "3,keyasint,omitempty"
FirstOrder time.Time "4,keyasint,omitzero"
LastOrder time.Time "5,keyasint,omitzero"
Totals map[string]decimal.Decimal "6,keyasint,omitempty"
TotalBase decimal.Decimal "7,keyasint"
BaseCurrency string "8,keyasint,omitempty"
Unconverted int "9,keyasint,omitempty"
RefundedBase decimal.Decimal "10,keyasint"
ProductTypes map[string]decimal.Decimal "11,keyasint,omitempty"
Devices map[string]int "12,keyasint,omitempty"
ShipTo map[string]int "13,keyasint,omitempty"
Items int "14,keyasint,omitempty"
ConvertedBase map[string]decimal.Decimal "16,keyasint,omitempty"
ZeroValue int "15,keyasint,omitempty"
`,
		"CompactOrder": `ID string "1,keyasint"
At time.Time "2,keyasint"
Currency string "3,keyasint"
Net decimal.Decimal "4,keyasint"
NetBase decimal.Decimal "5,keyasint"
Converted bool "6,keyasint,omitempty"
Cancelled bool "7,keyasint,omitempty"
Refunded bool "8,keyasint,omitempty"
Items int "9,keyasint,omitempty"
Device string "10,keyasint,omitempty"
Zero bool "11,keyasint,omitempty"
Types []profiles.TypeSpend "12,keyasint,omitempty"
`,
		"TypeSpend": `Type string "1,keyasint"
Spend decimal.Decimal "2,keyasint"
`,
	}
	for name, v := range map[string]any{"Profile": profiles.Profile{}, "SourceRef": profiles.SourceRef{},
		"EmailValue": profiles.EmailValue{}, "PhoneValue": profiles.PhoneValue{}, "CleanAddress": profiles.CleanAddress{},
		"Consent": profiles.Consent{}, "OrderSummary": profiles.OrderSummary{}, "CompactOrder": profiles.CompactOrder{},
		"TypeSpend": profiles.TypeSpend{}} {
		if got := layout(v); got != want[name] {
			t.Errorf("profiles.%s changed: update appendProfile in profileenc.go to encode it as codec.Marshal does, then this test.\n got:\n%s\nwant:\n%s", name, got, want[name])
		}
	}
}

// checkAppendProfile fails unless appendProfile writes codec.Marshal's bytes for p or declines,
// and encodeProfile returns them.
func checkAppendProfile(t testing.TB, p *profiles.Profile) {
	t.Helper()
	want, werr := codec.Marshal(p)
	got, ok := appendProfile([]byte("prefix"), p)
	if ok {
		if !bytes.HasPrefix(got, []byte("prefix")) {
			t.Fatalf("appendProfile lost what dst held: %x", got)
		}
		got = got[len("prefix"):]
		if werr != nil {
			t.Fatalf("appendProfile encoded what codec.Marshal refuses (%v): %x", werr, got)
		}
		if !bytes.Equal(got, want) {
			// Not the profile with %+v: a decimal's String can take forever for a large exponent.
			t.Fatalf("appendProfile differs from codec.Marshal from byte %d\n got %x\nwant %x", firstDiff(got, want), got, want)
		}
	}
	data, err := encodeProfile(p)
	if (err != nil) != (werr != nil) || !bytes.Equal(data, want) {
		t.Fatalf("encodeProfile = %x, %v; codec.Marshal = %x, %v", data, err, want, werr)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// profileValues makes the random values of randomProfile, on top of randomValues'.
type profileValues struct {
	*randomValues
}

// key is a map key: lengths around the one- and two-byte text heads (23/24, 255/256), equal
// lengths of different bytes, unicode and invalid UTF-8.
func (v profileValues) key() string {
	r := v.r
	n := [...]int{0, 1, 2, 3, 5, 22, 23, 24, 25, 30, 255, 256, 300}[r.IntN(13)]
	alphabet := [...]string{"a", "b", "Z", "0", "\u00e9", "\u2603", "\xff", "\x00", " "}
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	s := b.String()
	if len(s) > n { // a multi-byte character went past n: cut it, valid or not
		s = s[:n]
	}
	return s
}

// tm is mostly a time codec.Marshal encodes (zero, any zone, with or without nanoseconds), at
// times one it refuses (randomValues.tm's far years and zones), which makes a profile declined.
func (v profileValues) tm() time.Time {
	r := v.r
	switch r.IntN(40) {
	case 0:
		return v.randomValues.tm()
	case 1, 2, 3:
		return time.Time{}
	case 4:
		return time.Date(r.IntN(10000), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), 0, time.UTC)
	}
	loc := v.locs[r.IntN(4)] // UTC and fixed zones within ±23:59
	if r.IntN(2) == 0 {
		loc = v.locs[len(v.locs)-1] // Europe/London, if loaded
	}
	return time.Unix(r.Int64N(1<<33), r.Int64N(3)*r.Int64N(1e9)).In(loc)
}

func (v profileValues) dec() decimal.Decimal {
	r := v.r
	switch r.IntN(9) {
	case 0:
		return decimal.Decimal{} // no coefficient: MarshalBinary writes the exponent alone
	case 1:
		return decimal.Zero
	case 2:
		return decimal.New(0, int32(r.IntN(21)-10))
	case 3:
		return decimal.RequireFromString(fmt.Sprintf("-%d%d%d.%d", r.Int64(), r.Int64(), r.Int64(), r.Int64()))
	case 4:
		return decimal.New(r.Int64()-r.Int64(), int32(r.IntN(80)-40))
	case 5:
		return decimal.New(r.Int64N(1000), int32(r.IntN(5)))
	case 6:
		return decimal.New(math.MinInt64, math.MinInt32+int32(r.IntN(3)))
	case 7:
		return decimal.New(math.MaxInt64, math.MaxInt32-int32(r.IntN(3)))
	}
	return decimal.New(r.Int64N(200000)-100000, -int32(r.IntN(4)))
}

func (v profileValues) float() float64 {
	r := v.r
	switch r.IntN(16) {
	case 0:
		return 0
	case 1:
		return math.Copysign(0, -1)
	case 2:
		return math.NaN()
	case 3:
		return math.Inf(1 - 2*r.IntN(2))
	case 4:
		return 1
	case 5: // half-precision subnormals and their neighbours
		return math.Ldexp(float64(r.IntN(2048)-1024), -24-r.IntN(3))
	case 6: // half-precision normals, at and past its range
		return math.Ldexp(float64(r.IntN(4096)-2048), r.IntN(40)-25)
	case 7:
		return float64(math.Float32frombits(r.Uint32()))
	case 8:
		return math.Float64frombits(r.Uint64())
	case 9:
		return math.SmallestNonzeroFloat64
	case 10:
		return float64(math.SmallestNonzeroFloat32) * float64(r.IntN(4))
	case 11:
		return 65504 + float64(r.IntN(64))
	}
	return r.Float64()
}

func (v profileValues) ints() int {
	r := v.r
	switch r.IntN(6) {
	case 0:
		return 0
	case 1:
		return -r.IntN(1 << 20)
	case 2:
		return r.Int()
	case 3:
		return -r.Int() - 1
	}
	return r.IntN(300)
}

// mapOf returns nil, an empty map, or one of several sizes.
func mapOf[V any](v profileValues, val func() V) map[string]V {
	r := v.r
	switch r.IntN(5) {
	case 0:
		return nil
	case 1:
		return map[string]V{}
	}
	m := map[string]V{}
	for range [...]int{1, 2, 5, 20}[r.IntN(4)] {
		m[v.key()] = val()
	}
	return m
}

// sliceOf returns nil, an empty slice, or a few elements.
func sliceOf[E any](v profileValues, val func() E) []E {
	switch n := v.r.IntN(6); n {
	case 0:
		return nil
	case 1:
		return []E{}
	default:
		s := make([]E, 0, n)
		for range n - 1 {
			s = append(s, val())
		}
		return s
	}
}

func randomProfile(r *rand.Rand) *profiles.Profile {
	v := profileValues{newRandomValues(r)}
	str, tm := v.str, v.tm
	sources := sliceOf(v, func() profiles.SourceRef { return profiles.SourceRef{Store: str(), Kind: str(), ID: str()} })
	if r.IntN(3) == 0 {
		sources = []profiles.SourceRef{{}}
	}
	p := &profiles.Profile{
		ID:      str(),
		Sources: sources,
		Emails:  sliceOf(v, func() profiles.EmailValue { return profiles.EmailValue{Address: str(), Key: str(), Flags: str()} }),
		Phones: sliceOf(v, func() profiles.PhoneValue {
			return profiles.PhoneValue{E164: str(), Raw: str(), Valid: r.IntN(2) == 0}
		}),
		FirstName: str(), LastName: str(),
		Addresses: sliceOf(v, func() profiles.CleanAddress {
			if r.IntN(3) == 0 {
				return profiles.CleanAddress{}
			}
			return profiles.CleanAddress{Address1: str(), Address2: str(), City: str(), Region: str(),
				Postcode: str(), CountryCode: str(), Continent: str()}
		}),
		Locale: str(), BirthDate: str(),
		Consent: mapOf(v, func() profiles.Consent {
			return profiles.Consent{State: str(), OptInType: str(), UpdatedAt: tm()}
		}),
		MerchantTags: mapOf(v, func() []string { return sliceOf(v, str) }),
		FirstSeen:    tm(),
		FieldSources: mapOf(v, str),
		Summary: profiles.OrderSummary{
			Orders: v.ints(), Cancellations: v.ints(), Refunds: v.ints(), FirstOrder: tm(), LastOrder: tm(),
			Totals: mapOf(v, v.dec), TotalBase: v.dec(), BaseCurrency: str(), Unconverted: v.ints(),
			RefundedBase: v.dec(), ProductTypes: mapOf(v, v.dec), Devices: mapOf(v, v.ints), ShipTo: mapOf(v, v.ints),
			Items: v.ints(), ConvertedBase: mapOf(v, v.dec), ZeroValue: v.ints(),
		},
		MergeScore: v.float(),
		Orders: sliceOf(v, func() profiles.CompactOrder {
			return profiles.CompactOrder{ID: str(), At: tm(), Currency: str(), Net: v.dec(), NetBase: v.dec(),
				Converted: r.IntN(2) == 0, Cancelled: r.IntN(2) == 0, Refunded: r.IntN(2) == 0, Items: v.ints(),
				Device: str(), Zero: r.IntN(2) == 0,
				Types: sliceOf(v, func() profiles.TypeSpend { return profiles.TypeSpend{Type: str(), Spend: v.dec()} })}
		}),
	}
	return p
}

func TestAppendProfileMatchesCodec(t *testing.T) {
	checkAppendProfile(t, &profiles.Profile{})
	if _, ok := appendProfile(nil, nil); ok {
		t.Fatal("appendProfile encoded a nil profile")
	}
	r := rand.New(rand.NewPCG(11, 12))
	encoded := 0
	for range 5000 {
		p := randomProfile(r)
		checkAppendProfile(t, p)
		if _, ok := appendProfile(nil, p); ok {
			encoded++
		}
	}
	if encoded < 4000 { // the rest have a time codec.Marshal refuses
		t.Fatalf("appendProfile encoded only %d of 5000 random profiles", encoded)
	}
	// Each field alone, set and empty, so that one of them is never hidden by the others.
	for i := range reflect.TypeFor[profiles.Profile]().NumField() {
		for range 50 {
			p := &profiles.Profile{}
			reflect.ValueOf(p).Elem().Field(i).Set(reflect.ValueOf(randomProfile(r)).Elem().Field(i))
			checkAppendProfile(t, p)
		}
	}
	// Floats one by one, as MergeScore.
	v := profileValues{newRandomValues(r)}
	for range 20000 {
		checkAppendProfile(t, &profiles.Profile{MergeScore: v.float()})
	}
	for _, f := range []float64{5.5, 5555.5, 65504, 65505, 65520, 65536, 1e-7, 0x1p-24, 0x1p-25, 0x3p-25, 0x1p-14, 0x1.ffcp-15, 0x1p-126, 0x1p-149, 0x1p-150, 1e300} {
		for _, s := range []float64{f, -f} {
			checkAppendProfile(t, &profiles.Profile{MergeScore: s})
		}
	}
}

// builtProfiles runs the real pipeline (profiles.Build) over the committed CSV test data and,
// with random, over random records too.
func builtProfiles(tb testing.TB, random bool) []profiles.Profile {
	tb.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		loc = time.UTC
	}
	var customers []profiles.CustomerRecord
	var orders []profiles.OrderRecord
	addOrder := func(o profiles.OrderRecord) error { orders = append(orders, o); return nil }
	addCustomer := func(c profiles.CustomerRecord) error { customers = append(customers, c); return nil }
	open := func(name string) *os.File {
		f, err := os.Open("../../testdata/csvfile/" + name)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { f.Close() })
		return f
	}
	if _, err := csvfile.ReadOrders(open("online_retail_head.csv"), "retail", uciMapping(tb), loc, addOrder); err != nil {
		tb.Fatal(err)
	}
	if _, err := csvfile.ReadShopifyOrders(open("shopify_orders_export.csv"), "shop-a", loc, addOrder); err != nil {
		tb.Fatal(err)
	}
	for _, name := range []string{"shopify_customers_export.csv", "shopify_customers_export_legacy.csv"} {
		if _, err := csvfile.ReadShopifyCustomers(open(name), "shop-a", addCustomer); err != nil {
			tb.Fatal(err)
		}
	}
	cfg := config.Default()
	cfg.BaseCurrency = "GBP"
	opts, err := BuildOptions(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := profiles.Build(customers, orders, opts)
	if err != nil {
		tb.Fatal(err)
	}
	out := res.Profiles
	if !random {
		return out
	}
	// Random records, with many orders per customer so that the profiles' maps fill up.
	r := rand.New(rand.NewPCG(3, 4))
	customers, orders = nil, nil
	for i := range 300 {
		c := randomCustomer(r)
		c.Store, c.ID = "rand", fmt.Sprint(i)
		customers = append(customers, c)
		for range r.IntN(6) {
			o := randomOrder(r)
			o.Store, o.CustomerID = "rand", c.ID
			o.ID = fmt.Sprint(len(orders))
			o.Currency = [...]string{"GBP", "EUR", "USD", "", "XXX"}[r.IntN(5)]
			orders = append(orders, o)
		}
	}
	if res, err = profiles.Build(customers, orders, opts); err != nil {
		tb.Fatal(err)
	}
	return append(out, res.Profiles...)
}

func TestAppendProfileMatchesCodecOnBuiltProfiles(t *testing.T) {
	ps := builtProfiles(t, true)
	if len(ps) < 100 {
		t.Fatalf("only %d profiles built", len(ps))
	}
	declined := 0
	for i := range ps {
		checkAppendProfile(t, &ps[i])
		if _, ok := appendProfile(nil, &ps[i]); !ok {
			if _, err := codec.Marshal(&ps[i]); err == nil {
				declined++ // a slow path taken for nothing
			}
		}
	}
	if declined > 0 {
		t.Errorf("appendProfile declined %d of %d built profiles that codec.Marshal encodes", declined, len(ps))
	}
	var maps, orders int
	for _, p := range ps {
		if len(p.Summary.ProductTypes) > 1 || len(p.FieldSources) > 1 {
			maps++
		}
		orders += len(p.Orders)
	}
	if maps == 0 || orders == 0 {
		t.Fatalf("the built profiles have no maps (%d) or orders (%d) to compare", maps, orders)
	}
}

// fuzzBytes hands out a fuzz input's bytes as choices and strings; zero once they run out.
type fuzzBytes struct{ b []byte }

func (f *fuzzBytes) byte() byte {
	if len(f.b) == 0 {
		return 0
	}
	c := f.b[0]
	f.b = f.b[1:]
	return c
}

func (f *fuzzBytes) uint64() uint64 {
	var u uint64
	for range 8 {
		u = u<<8 | uint64(f.byte())
	}
	return u
}

func (f *fuzzBytes) str() string {
	n := int(f.byte())
	if n > len(f.b) {
		n = len(f.b)
	}
	s := string(f.b[:n])
	f.b = f.b[n:]
	return s
}

// tm is zero, any instant (mostly outside RFC 3339's years), or one within ±1000 years of 1970
// in a zone of any offset (at times past ±23:59) or within them.
func (f *fuzzBytes) tm() time.Time {
	switch f.byte() % 4 {
	case 0:
		return time.Time{}
	case 1:
		return time.Unix(int64(f.uint64()), int64(f.uint64()%2e9)).UTC()
	}
	t := time.Unix(int64(f.uint64()%(1<<35))-1<<34, int64(f.uint64()%1e9))
	offset := int(int16(f.uint64())) * 60
	if f.byte()%8 != 0 {
		offset %= 24 * 3600
	}
	return t.In(time.FixedZone("", offset))
}

func (f *fuzzBytes) dec() decimal.Decimal {
	switch f.byte() % 4 {
	case 0:
		return decimal.Decimal{}
	case 1:
		d, err := decimal.NewFromString(f.str())
		if err == nil {
			return d
		}
	}
	return decimal.New(int64(f.uint64()), int32(f.uint64()))
}

func fuzzMap[V any](f *fuzzBytes, val func() V) map[string]V {
	n := f.byte()
	if n == 0 {
		return nil
	}
	m := map[string]V{}
	for range n % 8 {
		m[f.str()] = val()
	}
	return m
}

func fuzzSlice[E any](f *fuzzBytes, val func() E) []E {
	n := f.byte()
	if n == 0 {
		return nil
	}
	s := []E{}
	for range n % 5 {
		s = append(s, val())
	}
	return s
}

// profileFromBytes builds a profile whose every field comes from data.
func profileFromBytes(data []byte) *profiles.Profile {
	f := &fuzzBytes{data}
	str, tm, dec := f.str, f.tm, f.dec
	num := func() int { return int(f.uint64()) }
	flag := func() bool { return f.byte()&1 == 1 }
	return &profiles.Profile{
		ID:        str(),
		Sources:   fuzzSlice(f, func() profiles.SourceRef { return profiles.SourceRef{Store: str(), Kind: str(), ID: str()} }),
		Emails:    fuzzSlice(f, func() profiles.EmailValue { return profiles.EmailValue{Address: str(), Key: str(), Flags: str()} }),
		Phones:    fuzzSlice(f, func() profiles.PhoneValue { return profiles.PhoneValue{E164: str(), Raw: str(), Valid: flag()} }),
		FirstName: str(), LastName: str(),
		Addresses: fuzzSlice(f, func() profiles.CleanAddress {
			return profiles.CleanAddress{Address1: str(), Address2: str(), City: str(), Region: str(), Postcode: str(), CountryCode: str(), Continent: str()}
		}),
		Locale: str(), BirthDate: str(),
		Consent:      fuzzMap(f, func() profiles.Consent { return profiles.Consent{State: str(), OptInType: str(), UpdatedAt: tm()} }),
		MerchantTags: fuzzMap(f, func() []string { return fuzzSlice(f, str) }),
		FirstSeen:    tm(),
		FieldSources: fuzzMap(f, str),
		Summary: profiles.OrderSummary{Orders: num(), Cancellations: num(), Refunds: num(), FirstOrder: tm(), LastOrder: tm(),
			Totals: fuzzMap(f, dec), TotalBase: dec(), BaseCurrency: str(), Unconverted: num(), RefundedBase: dec(),
			ProductTypes: fuzzMap(f, dec), Devices: fuzzMap(f, num), ShipTo: fuzzMap(f, num), Items: num(),
			ConvertedBase: fuzzMap(f, dec), ZeroValue: num()},
		MergeScore: math.Float64frombits(f.uint64()),
		Orders: fuzzSlice(f, func() profiles.CompactOrder {
			return profiles.CompactOrder{ID: str(), At: tm(), Currency: str(), Net: dec(), NetBase: dec(), Converted: flag(),
				Cancelled: flag(), Refunded: flag(), Items: num(), Device: str(), Zero: flag(),
				Types: fuzzSlice(f, func() profiles.TypeSpend { return profiles.TypeSpend{Type: str(), Spend: dec()} })}
		}),
	}
}

func FuzzAppendProfile(f *testing.F) {
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{1, 2, 3, 0xff, 0x80, 24, 23}, 40))
	r := rand.New(rand.NewPCG(5, 6))
	for range 8 {
		b := make([]byte, 600)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAppendProfile(t, profileFromBytes(data))
	})
}

// BenchmarkEncodeProfiles encodes the profiles built from the committed CSV test data.
func BenchmarkEncodeProfiles(b *testing.B) {
	ps := builtProfiles(b, false)
	b.Run("appendProfile", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i := range ps {
				if _, err := encodeProfile(&ps[i]); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ps)), "ns/profile")
	})
	b.Run("codec", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i := range ps {
				if _, err := codec.Marshal(&ps[i]); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ps)), "ns/profile")
	})
}

// TestEncodeProfileConcurrent encodes from several goroutines at once, as sink does (run it
// with -race).
func TestEncodeProfileConcurrent(t *testing.T) {
	ps := builtProfiles(t, false)
	want := make([][]byte, len(ps))
	for i := range ps {
		var err error
		if want[i], err = codec.Marshal(&ps[i]); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := range 4 {
		wg.Go(func() {
			for k := range 3 * len(ps) {
				i := (k*7 + g) % len(ps)
				if got, err := encodeProfile(&ps[i]); err != nil || !bytes.Equal(got, want[i]) {
					errs <- fmt.Sprintf("profile %d: %x, %v; want %x", i, got, err, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
