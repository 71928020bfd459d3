package segments

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store/codec"
)

// extractStored is what FeatureDecoder must match: the profile decoded by codec, then
// Extract; ok false when codec refuses the bytes.
func extractStored(t testing.TB, stored []byte, opts Options) (Features, bool) {
	t.Helper()
	var p profiles.Profile
	if err := codec.Unmarshal(stored, &p); err != nil {
		return Features{}, false
	}
	return Extract(&p, opts), true
}

func marshal(t testing.TB, p *profiles.Profile) []byte {
	t.Helper()
	b, err := codec.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testProfiles are synthetic store-like profiles and random ones with every field set.
func testProfiles(n int) []*profiles.Profile {
	rng := rand.New(rand.NewPCG(11, uint64(n)))
	ps := synthProfiles(n/4, 5)
	for len(ps) < n {
		ps = append(ps, randomProfile(rng))
	}
	return ps
}

func TestFeatureDecoderMatchesExtract(t *testing.T) {
	ps := testProfiles(8000)
	for _, loc := range []*time.Location{nil, time.FixedZone("UTC-5", -5*3600), time.FixedZone("UTC+13", 13*3600)} {
		opts := Options{Location: loc, AffinityHalfLifeDays: 90, AffinityTop: 2}
		d := NewFeatureDecoder(opts)
		for i, p := range ps {
			stored := marshal(t, p)
			var got Features
			if !d.Decode(stored, &got) {
				t.Fatalf("profile %d (%s): the decoder refused codec's own encoding", i, p.ID)
			}
			want, _ := extractStored(t, stored, opts)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("profile %d (%s):\n got %#v\nwant %#v", i, p.ID, got, want)
			}
		}
	}
}

// A decoder reused across profiles must not carry anything from one to the next.
func TestFeatureDecoderForgetsThePreviousProfile(t *testing.T) {
	full := testProfiles(400)
	empty := &profiles.Profile{ID: "p-empty"}
	d := NewFeatureDecoder(Options{})
	for _, p := range full {
		var f Features
		if !d.Decode(marshal(t, p), &f) || !d.Decode(marshal(t, empty), &f) {
			t.Fatal("refused")
		}
		want := Extract(empty, Options{})
		if !reflect.DeepEqual(f, want) {
			t.Fatalf("after %s: got %#v, want %#v", p.ID, f, want)
		}
	}
}

func TestFeatureDecoderValues(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	p := &profiles.Profile{
		ID:      "p1",
		Sources: []profiles.SourceRef{{Store: "shop-b", Kind: "customer", ID: "1"}, {Store: "shop", Kind: "customer", ID: "2"}},
		Emails: []profiles.EmailValue{{Address: "bad@invalid.example", Flags: "invalid"},
			{Address: "ann@example.co.uk", Flags: "role"}},
		Addresses:    []profiles.CleanAddress{{City: "Leeds", CountryCode: "GB"}, {CountryCode: "FR", Continent: "EU"}},
		Locale:       "fr_CA",
		Consent:      map[string]profiles.Consent{"shop/customer/1": {State: "subscribed"}},
		MerchantTags: map[string][]string{"shop/customer/1": {"vip", "b2b"}, "shop/customer/2": {"vip"}},
		Summary: profiles.OrderSummary{Orders: 2, Refunds: 1, FirstOrder: at, LastOrder: at.Add(48 * time.Hour),
			TotalBase: decimal.RequireFromString("30.50"),
			Totals:    map[string]decimal.Decimal{"EUR": decimal.RequireFromString("10"), "CAD": decimal.RequireFromString("20.5"), "AUD": decimal.RequireFromString("20.50")},
			Devices:   map[string]int{"mobile": 1, "desktop": 1}},
		Orders: []profiles.CompactOrder{
			{At: at, NetBase: decimal.RequireFromString("10"), Types: []profiles.TypeSpend{{Type: "Hats", Spend: decimal.RequireFromString("20")}}},
			{At: at.Add(48 * time.Hour), NetBase: decimal.RequireFromString("20.5"), Types: []profiles.TypeSpend{{Type: "Bags", Spend: decimal.RequireFromString("30")}}},
		},
	}
	var f Features
	if !NewFeatureDecoder(Options{AffinityHalfLifeDays: 1e9}).Decode(marshal(t, p), &f) {
		t.Fatal("refused")
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"id", f.ProfileID, "p1"},
		{"orders", f.OrdersCount, 2},
		{"spent", f.TotalSpent, 30.5},
		{"refund rate", f.RefundRate, 0.5},
		{"email", f.HasEmail, true},
		{"domain", f.EmailDomain, "example.co.uk"},
		{"marketing", f.AcceptsMarketing, true},
		{"country", f.Country, "GB"},
		{"continent", f.Continent, "EU"}, // from the country: the first address has none
		{"language", f.Language, "fr"},
		{"currency", f.Currency, "AUD"}, // 20.50 ties 20.5: the smaller code
		{"device", f.Device, "desktop"},
		{"tags", f.Tags, []string{"b2b", "vip"}},
		{"stores", f.Stores, []string{"shop", "shop-b"}},
		{"affinity", f.TopAffinity, []string{"Bags", "Hats"}},
		{"repeat days", f.repeatDays, 1},
		{"repeat mean", f.repeatMean, 20.5},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

// Whatever the bytes, the decoder either refuses them or reads them as codec and Extract
// do: never a value codec would refuse, never a different feature.
func TestFeatureDecoderOnDamagedProfiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	d := NewFeatureDecoder(Options{})
	accepted, refused := 0, 0
	for _, p := range testProfiles(3000) {
		stored := marshal(t, p)
		for range 40 {
			b := mutate(rng, stored)
			var got Features
			if !d.Decode(b, &got) {
				refused++
				continue
			}
			accepted++
			want, ok := extractStored(t, b, Options{})
			if !ok {
				t.Fatalf("the decoder read bytes codec refuses: % x", b)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("damaged %s: got %#v, want %#v", p.ID, got, want)
			}
		}
	}
	// Many mutations change only a value (a digit of a time, a letter of a name): they must
	// still be read, or the test proves little.
	if accepted < 5000 || refused < 5000 {
		t.Fatalf("accepted %d, refused %d damaged profiles: the mutations do not test both ways", accepted, refused)
	}
}

// mutate returns a copy of b with one to three random changes: a byte replaced, a bit flipped,
// a byte inserted or removed, or the end cut off.
func mutate(rng *rand.Rand, b []byte) []byte {
	out := append([]byte(nil), b...)
	for range 1 + rng.IntN(3) {
		if len(out) < 2 {
			break
		}
		i := 1 + rng.IntN(len(out)-1)
		switch rng.IntN(6) {
		case 0:
			out[i] = byte(rng.IntN(256))
		case 1, 2:
			out[i] ^= 1 << rng.IntN(8)
		case 3:
			out = append(out[:i], append([]byte{byte(rng.IntN(256))}, out[i:]...)...)
		case 4:
			out = append(out[:i], out[i+1:]...)
		case 5:
			out = out[:i]
		}
	}
	return out
}

func FuzzFeatureDecoder(f *testing.F) {
	for _, p := range testProfiles(40) {
		b, err := codec.Marshal(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	d := NewFeatureDecoder(Options{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var got Features
		if !d.Decode(b, &got) {
			return
		}
		want, ok := extractStored(t, b, Options{})
		if !ok {
			t.Fatalf("the decoder read bytes codec refuses: % x", b)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %#v, want %#v", got, want)
		}
	})
}

// The decoder refuses fields it does not know, so a field added to the stored profile
// silently sends every profile to the slow path: this test fails first. A profile with every
// field of every stored type set (found by reflection) must be read.
func TestFeatureDecoderKnowsEveryProfileField(t *testing.T) {
	var p profiles.Profile
	fill(reflect.ValueOf(&p).Elem(), "")
	stored := marshal(t, &p)
	var f Features
	if !NewFeatureDecoder(Options{}).Decode(stored, &f) {
		t.Fatalf("a profile with every field set is refused: a field was added to the stored profile; teach FeatureDecoder (decode.go) to read it")
	}
	want, _ := extractStored(t, stored, Options{})
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("got %#v, want %#v", f, want)
	}
}

// fill sets every field of v, recursively, to a non-zero value; path names it in failures.
func fill(v reflect.Value, path string) {
	switch v.Interface().(type) {
	case time.Time:
		v.Set(reflect.ValueOf(time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)))
		return
	case decimal.Decimal:
		v.Set(reflect.ValueOf(decimal.New(1234, -2)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("x" + strings.ReplaceAll(path, ".", ""))
	case reflect.Int, reflect.Int64:
		v.SetInt(3)
	case reflect.Float64:
		v.SetFloat(0.75)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), path+"[]")
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, path+"{}")
		fill(e, path+"[]")
		m.SetMapIndex(k, e)
		v.Set(m)
	default:
		panic("fill: no value for " + path + " of kind " + v.Kind().String())
	}
}
