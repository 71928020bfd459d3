package normalize

import "testing"

// Parsing the significant characters gives what parsing the number as typed gives.
func TestSignificantParsesLikeRaw(t *testing.T) {
	for _, c := range []struct{ raw, region string }{
		{"(415) 555-2671", "US"}, {"+44 (0)20 7946 0958", ""}, {"0044 20 7946 0958", "DE"},
		{"07700 900123", "GB"}, {"415-555-2671 ext. 12", "US"}, {"", ""}, {"+", "ZZ"},
		{"00", "US"}, {"+1 (0) 2", "us"}, {"１２３４５６７８９０", "JP"}, {"tel:+1-415-555-2671", "US"},
		{"1-800-FLOWERS", "US"}, {"+1 415 555 0132 x99", ""}, {"030/23125123", "DE"}, {"06 39 98 12 34", "FR"},
		{"0491 570 156", "AU"}, {"090-0000-1234", "JP"}, {"+81 90 0000 1234", "JP"}, {"415.555.0132", "US"},
		{"n/a", "US"}, {"123", "US"}, {"+49 (0) 30 23125123", ""}, {"(0)30 23125123", "DE"},
	} {
		a, b := parsePhone(c.raw, c.region), ParsePhone(c.raw, c.region)
		if a != b {
			t.Errorf("%q/%s: as typed %+v, through the cache %+v", c.raw, c.region, a, b)
		}
	}
}

func FuzzSignificantParsesLikeRaw(f *testing.F) {
	for _, s := range []string{"(415) 555-2671", "+44 (0)20 7946 0958", "tel:+1-415-555-2671", "1-800-FLOWERS x12"} {
		f.Add(s, "US")
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		if len(raw) > 40 || len(region) > 3 {
			return
		}
		a := parsePhone(raw, region)
		b := ParsePhone(raw, region)
		if a.Valid != b.Valid || a.E164 != b.E164 || a.Region != b.Region {
			t.Fatalf("%q/%q: as typed %+v, through the cache %+v", raw, region, a, b)
		}
	})
}
