package normalize

import "strings"

// Region is an ISO 3166-2 subdivision.
type Region struct {
	Code string // ISO 3166-2 suffix, e.g. "CA" for US-CA, "ON" for CA-ON, "NSW" for AU-NSW
	Name string
}

// regionIndex maps country alpha-2 -> foldKey(spelling) -> index into regions[country].
var regionIndex = func() map[string]map[string]int {
	out := make(map[string]map[string]int, len(regions))
	for cc, rows := range regions {
		m := make(map[string]int, len(rows)*3)
		for i, r := range rows {
			m[foldKey(r.code)] = i
			m[foldKey(cc+"-"+r.code)] = i
			m[foldKey(r.name)] = i
			for _, a := range r.aliases {
				m[foldKey(a)] = i
			}
		}
		out[cc] = m
	}
	return out
}()

// ParseRegion resolves a state, province or other subdivision of country (anything
// ParseCountry accepts) from its code ("CA", "US-CA"), its name or a common abbreviation,
// ignoring case, accents and punctuation. Only US, CA, AU, GB and DE subdivisions are known;
// for other countries, and for unknown spellings, it returns the trimmed raw text as Name with
// Code "" and false.
func ParseRegion(country, raw string) (Region, bool) {
	s := strings.Join(strings.Fields(raw), " ")
	unknown := Region{Name: s}
	c, ok := ParseCountry(country)
	if !ok || s == "" {
		return unknown, false
	}
	idx, ok := regionIndex[c.Code]
	if !ok {
		return unknown, false
	}
	i, ok := idx[foldKey(s)]
	if !ok {
		return unknown, false
	}
	r := regions[c.Code][i]
	return Region{Code: r.code, Name: r.name}, true
}
