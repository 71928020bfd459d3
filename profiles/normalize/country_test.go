package normalize

import (
	"strings"
	"testing"
)

func TestCountryTable(t *testing.T) {
	if len(countries) != 249 {
		t.Errorf("table has %d entries, want 249", len(countries))
	}
	seen := map[string]string{}
	conts := setOf("AF", "AN", "AS", "EU", "NA", "OC", "SA")
	for _, c := range countries {
		for _, k := range []string{c.alpha2, c.alpha3, c.numeric, foldKey(c.name)} {
			if prev, dup := seen[k]; dup {
				t.Errorf("%q used by %s and %s", k, prev, c.alpha2)
			}
			seen[k] = c.alpha2
		}
		if len(c.alpha2) != 2 || len(c.alpha3) != 3 || len(c.numeric) != 3 || !isASCIIDigits(c.numeric) {
			t.Errorf("bad row %+v", c)
		}
		if _, ok := conts[c.continent]; !ok {
			t.Errorf("bad continent in %+v", c)
		}
	}
	for alias, code := range countryAliases {
		if _, ok := countryByCode(code); !ok {
			t.Errorf("alias %q -> unknown code %q", alias, code)
		}
		if prev, ok := seen[foldKey(alias)]; ok && prev != code {
			t.Errorf("alias %q -> %s collides with %s", alias, code, prev)
		}
	}
}

func countryByCode(code string) (Country, bool) {
	for i, c := range countries {
		if c.alpha2 == code {
			return countryAt(i), true
		}
	}
	return Country{}, false
}

func TestParseCountry(t *testing.T) {
	tests := []struct{ raw, code string }{
		{"US", "US"}, {"us", "US"}, {"USA", "US"}, {"U.S.A.", "US"}, {"United States of America", "US"},
		{"united states", "US"}, {"America", "US"}, {"840", "US"},
		{"UK", "GB"}, {"U.K.", "GB"}, {"GB", "GB"}, {"GBR", "GB"}, {"Great Britain", "GB"},
		{"England", "GB"}, {"Scotland", "GB"}, {"Wales", "GB"}, {"Northern Ireland", "GB"},
		{"Holland", "NL"}, {"Nederland", "NL"}, {"Netherlands", "NL"},
		{"South Korea", "KR"}, {"Korea, Republic of", "KR"}, {"Republic of Korea", "KR"},
		{"Russia", "RU"}, {"Russian Federation", "RU"}, {"Россия", "RU"},
		{"Czech Republic", "CZ"}, {"Czechia", "CZ"}, {"Česko", "CZ"},
		{"Türkiye", "TR"}, {"Turkey", "TR"}, {"TURKIYE", "TR"},
		{"Ivory Coast", "CI"}, {"Côte d’Ivoire", "CI"}, {"cote divoire", "CI"},
		{"UAE", "AE"}, {"Vietnam", "VN"}, {"Viet Nam", "VN"},
		{"Deutschland", "DE"}, {"España", "ES"}, {"espana", "ES"}, {"Italia", "IT"},
		{"Österreich", "AT"}, {"Osterreich", "AT"}, {"Schweiz", "CH"}, {"Suisse", "CH"},
		{"Svizzera", "CH"}, {"Sverige", "SE"}, {"Norge", "NO"}, {"Danmark", "DK"}, {"Suomi", "FI"},
		{"Polska", "PL"}, {"Éire", "IE"}, {"Brasil", "BR"}, {"México", "MX"}, {"日本", "JP"},
		{"中国", "CN"}, {"4", "AF"}, {"004", "AF"}, {" fr ", "FR"}, {"AFG", "AF"},
		{"Åland Islands", "AX"}, {"Iran", "IR"}, {"Bolivia", "BO"},
	}
	for _, tt := range tests {
		got, ok := ParseCountry(tt.raw)
		if !ok || got.Code != tt.code {
			t.Errorf("ParseCountry(%q) = %+v, %v, want %s", tt.raw, got, ok, tt.code)
		}
	}
	if c, _ := ParseCountry("Deutschland"); c != (Country{"DE", "Germany", "EU"}) {
		t.Errorf("Germany = %+v", c)
	}
	for _, raw := range []string{"", "  ", "XX", "Atlantis", "999", "U", strings.Repeat("a", 300)} {
		if c, ok := ParseCountry(raw); ok || c != (Country{}) {
			t.Errorf("ParseCountry(%q) = %+v, %v, want not found", raw, c, ok)
		}
	}
}

func TestParseRegion(t *testing.T) {
	tests := []struct {
		country, raw string
		want         Region
		ok           bool
	}{
		{"US", "CA", Region{"CA", "California"}, true},
		{"USA", "california", Region{"CA", "California"}, true},
		{"US", "US-NY", Region{"NY", "New York"}, true},
		{"United States", "Washington, D.C.", Region{"DC", "District of Columbia"}, true},
		{"US", "Puerto Rico", Region{"PR", "Puerto Rico"}, true},
		{"CA", "ON", Region{"ON", "Ontario"}, true},
		{"Canada", "Québec", Region{"QC", "Quebec"}, true},
		{"CA", "quebec", Region{"QC", "Quebec"}, true},
		{"AU", "nsw", Region{"NSW", "New South Wales"}, true},
		{"Australia", "Western Australia", Region{"WA", "Western Australia"}, true},
		{"GB", "Scotland", Region{"SCT", "Scotland"}, true},
		{"UK", "NIR", Region{"NIR", "Northern Ireland"}, true},
		{"DE", "Bavaria", Region{"BY", "Bayern"}, true},
		{"Deutschland", "baden-wurttemberg", Region{"BW", "Baden-Württemberg"}, true},
		{"DE", "NRW", Region{"NW", "Nordrhein-Westfalen"}, true},
		{"FR", " Île-de-France ", Region{"", "Île-de-France"}, false},
		{"US", "Ontario", Region{"", "Ontario"}, false},
		{"", "CA", Region{"", "CA"}, false},
		{"US", "", Region{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseRegion(tt.country, tt.raw)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRegion(%q, %q) = %+v, %v, want %+v, %v", tt.country, tt.raw, got, ok, tt.want, tt.ok)
		}
	}
	counts := map[string]int{"US": 57, "CA": 13, "AU": 8, "GB": 4, "DE": 16}
	for cc, n := range counts {
		if len(regions[cc]) != n {
			t.Errorf("%s has %d regions, want %d", cc, len(regions[cc]), n)
		}
		for _, r := range regions[cc] {
			if got, ok := ParseRegion(cc, r.code); !ok || got.Code != r.code {
				t.Errorf("ParseRegion(%s, %s) = %+v", cc, r.code, got)
			}
			if got, ok := ParseRegion(cc, r.name); !ok || got.Code != r.code {
				t.Errorf("ParseRegion(%s, %s) = %+v", cc, r.name, got)
			}
		}
	}
}

func FuzzParseCountry(f *testing.F) {
	for _, s := range []string{"US", "U.S.A.", "Deutschland", "Korea, Republic of", "4", "日本", "", "0", "Ö"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, ok := ParseCountry(raw)
		if !ok {
			if c != (Country{}) {
				t.Fatalf("not found but non-zero: %+v", c)
			}
			return
		}
		if len(c.Code) != 2 || c.Name == "" || len(c.Continent) != 2 {
			t.Fatalf("bad country %+v", c)
		}
		for _, again := range []string{c.Code, c.Name} {
			if c2, ok := ParseCountry(again); !ok || c2 != c {
				t.Fatalf("not idempotent: %q -> %+v -> %+v", raw, c, c2)
			}
		}
		r, _ := ParseRegion(raw, raw)
		if r2, _ := ParseRegion(raw, r.Name); r.Code == "" && r2.Name != r.Name {
			t.Fatalf("region not stable: %+v %+v", r, r2)
		}
	})
}
