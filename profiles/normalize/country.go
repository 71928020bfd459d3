package normalize

import (
	"strings"
)

// Country is an ISO 3166-1 country.
type Country struct {
	Code      string // ISO 3166-1 alpha-2, "" if unknown
	Name      string // English short name
	Continent string // AF, AN, AS, EU, NA, OC, SA
}

// countryIndex maps foldKey(spelling) to an index in countries. It is built once at package
// initialisation and only read afterwards.
var countryIndex = buildCountryIndex()

func buildCountryIndex() map[string]int {
	m := make(map[string]int, len(countries)*4+len(countryAliases))
	byCode := map[string]int{}
	for i, c := range countries {
		byCode[c.alpha2] = i
		m[foldKey(c.alpha2)] = i
		m[foldKey(c.alpha3)] = i
		m[c.numeric] = i
		m[foldKey(c.name)] = i
		// "Korea, Republic of" -> also "Republic of Korea".
		if head, tail, ok := strings.Cut(c.name, ", "); ok {
			m[foldKey(tail+" "+head)] = i
		}
	}
	for alias, code := range countryAliases {
		m[foldKey(alias)] = byCode[code]
	}
	return m
}

// ParseCountry recognises a country from its alpha-2, alpha-3 or numeric ISO 3166-1 code, its
// English name, a common alias ("USA", "UK", "England", "Holland", "Ivory Coast", ...) or a
// common local name ("Deutschland", "España", "日本", ...). Matching ignores case, accents,
// spaces and punctuation. Numeric codes may omit leading zeros ("4" is Afghanistan).
func ParseCountry(raw string) (Country, bool) {
	s := strings.TrimSpace(raw)
	if s == "" || len(s) > 200 {
		return Country{}, false
	}
	k := foldKey(s)
	if isASCIIDigits(k) && len(k) < 3 {
		k = strings.Repeat("0", 3-len(k)) + k
	}
	i, ok := countryIndex[k]
	if !ok {
		return Country{}, false
	}
	return countryAt(i), true
}

func countryAt(i int) Country {
	c := countries[i]
	return Country{Code: c.alpha2, Name: c.name, Continent: c.continent}
}

func isASCIIDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
