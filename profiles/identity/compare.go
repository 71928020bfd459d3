package identity

import (
	"strings"

	"github.com/hbollon/go-edlib"
)

// Agreement levels, per field, ordered from disagreement (1) to full agreement; 0 = missing.
var levelNames = [nF][]string{
	fFirst:    {"else", "jw>=0.88", "swapped", "jw>=0.94", "exact"},
	fLast:     {"else", "jw>=0.88", "swapped", "jw>=0.94", "exact"},
	fEmail:    {"else", "same local part", "exact"},
	fPhone:    {"else", "last 7 digits", "exact"},
	fStreetNo: {"else", "exact"},
	fAddr1:    {"else", "similar tokens", "exact"},
	fAddr2:    {"else", "similar tokens", "exact"},
	fCity:     {"else", "jw>=0.88", "exact"},
	fPostcode: {"else", "one edit", "exact"},
	fRegion:   {"else", "same prefix", "exact"},
	fCountry:  {"else", "exact"},
	fBirth:    {"else", "one component / day-month swap", "exact"},
	fOther:    {"else", "one edit", "exact"},
}

const (
	nameSwapped = 3
	nameHigh    = 4
	nameExact   = 5
)

func nLevels(f int) int { return len(levelNames[f]) }

func level(v uint64, f int) int { return int(v>>(4*f)) & 15 }

// jaroWinkler on bytes, allocation-free for strings up to 64 bytes.
func jaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return 0
	}
	if la > 64 || lb > 64 {
		s, _ := edlib.StringsSimilarity(a, b, edlib.JaroWinkler)
		return float64(s)
	}
	if la > lb {
		a, b, la, lb = b, a, lb, la
	}
	window := lb/2 - 1
	if window < 0 {
		window = 0
	}
	var am, bm uint64
	m := 0
	for i := 0; i < la; i++ {
		lo, hi := max(0, i-window), min(lb-1, i+window)
		for j := lo; j <= hi; j++ {
			if bm&(1<<j) == 0 && a[i] == b[j] {
				am |= 1 << i
				bm |= 1 << j
				m++
				break
			}
		}
	}
	if m == 0 {
		return 0
	}
	t, k := 0, 0
	for i := 0; i < la; i++ {
		if am&(1<<i) == 0 {
			continue
		}
		for bm&(1<<k) == 0 {
			k++
		}
		if a[i] != b[k] {
			t++
		}
		k++
	}
	mf := float64(m)
	j := (mf/float64(la) + mf/float64(lb) + (mf-float64(t)/2)/mf) / 3
	p := 0
	for p < 4 && p < la && a[p] == b[p] {
		p++
	}
	return j + float64(p)*0.1*(1-j)
}

// oneEdit reports whether a and b differ by one substitution, insertion, deletion or adjacent
// transposition.
func oneEdit(a, b string) bool {
	la, lb := len(a), len(b)
	if la == lb {
		diff := -1
		for i := 0; i < la; i++ {
			if a[i] != b[i] {
				if diff >= 0 {
					// second difference: allow an adjacent transposition
					return i == diff+1 && a[diff] == b[i] && a[i] == b[diff] && a[i+1:] == b[i+1:]
				}
				diff = i
			}
		}
		return diff >= 0
	}
	if la > lb {
		a, b, la, lb = b, a, lb, la
	}
	if lb-la != 1 {
		return false
	}
	i := 0
	for i < la && a[i] == b[i] {
		i++
	}
	return a[i:] == b[i+1:]
}

// tokenSim is the Jaccard similarity of the space-separated token sets.
func tokenSim(a, b string) float64 {
	ta, tb, inter := 0, 0, 0
	for s := a; s != ""; {
		tok, rest, _ := strings.Cut(s, " ")
		s = rest
		ta++
		if hasToken(b, tok) {
			inter++
		}
	}
	for s := b; s != ""; {
		_, rest, _ := strings.Cut(s, " ")
		s = rest
		tb++
	}
	u := ta + tb - inter
	if u == 0 {
		return 0
	}
	return float64(inter) / float64(u)
}

func hasToken(s, tok string) bool {
	for s != "" {
		t, rest, _ := strings.Cut(s, " ")
		if t == tok {
			return true
		}
		s = rest
	}
	return false
}

func birthLevel(a, b string) int {
	if a == b {
		return 3
	}
	if len(a) == 8 && len(b) == 8 {
		ya, ma, da := a[:4], a[4:6], a[6:]
		yb, mb, db := b[:4], b[4:6], b[6:]
		same := 0
		if ya == yb {
			same++
		}
		if ma == mb {
			same++
		}
		if da == db {
			same++
		}
		if same == 2 || (ya == yb && ma == db && da == mb) {
			return 2
		}
		if oneEdit(a, b) {
			return 2
		}
		return 1
	}
	if oneEdit(a, b) {
		return 2
	}
	return 1
}

func nameLevel(a, b string) int {
	if a == b {
		return nameExact
	}
	j := jaroWinkler(a, b)
	switch {
	case j >= 0.94:
		return nameHigh
	case j >= 0.88:
		return 2
	}
	return 1
}

func fieldLevel(f int, a, b string) int {
	switch f {
	case fFirst, fLast:
		return nameLevel(a, b)
	case fEmail:
		if a == b {
			return 3
		}
		la, lb := a[:strings.IndexByte(a, '@')], b[:strings.IndexByte(b, '@')]
		if la == lb && len(la) >= 4 {
			return 2
		}
		return 1
	case fPhone:
		if a == b {
			return 3
		}
		if len(a) >= 7 && len(b) >= 7 && a[len(a)-7:] == b[len(b)-7:] {
			return 2
		}
		return 1
	case fStreetNo, fCountry:
		if a == b {
			return 2
		}
		return 1
	case fAddr1, fAddr2:
		if a == b {
			return 3
		}
		if tokenSim(a, b) >= 0.5 || jaroWinkler(a, b) >= 0.9 {
			return 2
		}
		return 1
	case fCity:
		if a == b {
			return 3
		}
		if jaroWinkler(a, b) >= 0.88 {
			return 2
		}
		return 1
	case fPostcode, fOther:
		if a == b {
			return 3
		}
		if oneEdit(a, b) {
			return 2
		}
		return 1
	case fRegion:
		if a == b {
			return 3
		}
		if len(a) >= 2 && len(b) >= 2 && a[:2] == b[:2] {
			return 2
		}
		return 1
	case fBirth:
		return birthLevel(a, b)
	}
	return 1
}

func bestLevel(f int, va, vb []string) int {
	if len(va) == 0 || len(vb) == 0 {
		return 0
	}
	top := nLevels(f)
	best := 0
	for _, a := range va {
		for _, b := range vb {
			if l := fieldLevel(f, a, b); l > best {
				best = l
				if best == top {
					return best
				}
			}
		}
	}
	return best
}

func maxJW(va, vb []string) float64 {
	best := 0.0
	for _, a := range va {
		for _, b := range vb {
			if j := jaroWinkler(a, b); j > best {
				best = j
			}
		}
	}
	return best
}

// compare returns the comparison vector of records a and b: 4 bits of level per field.
func (ft *features) compare(a, b int) uint64 {
	var v uint64
	// ft.get(a, f) and ft.get(b, f) for every f, with the record lookups done once; a field
	// empty on either side is level 0 (as bestLevel says) without looking at the values.
	ca, cb := ft.cum[a*(nF+1):(a+1)*(nF+1)], ft.cum[b*(nF+1):(b+1)*(nF+1)]
	sa, sb := ft.start[a], ft.start[b]
	ka, kb := &ft.chunks[a>>featChunkBits], &ft.chunks[b>>featChunkBits]
	var bufA, bufB [maxValuesPerField]string
	for f := 0; f < nF; f++ {
		if ca[f] == ca[f+1] || cb[f] == cb[f+1] {
			continue
		}
		va := bufA[:0]
		for _, u := range ka.refs[sa+uint32(ca[f]) : sa+uint32(ca[f+1])] {
			va = append(va, ka.value(u))
		}
		vb := bufB[:0]
		for _, u := range kb.refs[sb+uint32(cb[f]) : sb+uint32(cb[f+1])] {
			vb = append(vb, kb.value(u))
		}
		l := bestLevel(f, va, vb)
		v |= uint64(l) << (4 * f)
	}
	lf, ll := level(v, fFirst), level(v, fLast)
	if lf != 0 && ll != 0 && (lf < nameSwapped || ll < nameSwapped) {
		var bfa, bla, bfb, blb [maxValuesPerField]string
		fa, la, fb, lb := ft.get(&bfa, a, fFirst), ft.get(&bla, a, fLast), ft.get(&bfb, b, fFirst), ft.get(&blb, b, fLast)
		if maxJW(fa, lb) >= 0.94 && maxJW(la, fb) >= 0.94 {
			v = setLevel(v, fFirst, max(lf, nameSwapped))
			v = setLevel(v, fLast, max(ll, nameSwapped))
		}
	}
	return v
}

func setLevel(v uint64, f, l int) uint64 {
	return v&^(15<<(4*f)) | uint64(l)<<(4*f)
}

// strongAgreement: a name or a strong identifier agrees, which weak evidence requires.
func strongAgreement(v uint64) bool {
	return level(v, fFirst) >= nameSwapped || level(v, fLast) >= nameSwapped ||
		level(v, fEmail) == 3 || level(v, fPhone) == 3 || level(v, fOther) == 3
}

// weakApplies: weak evidence counts for a pair with a strong agreement and no clearly
// different name. A household shares the IP, browser, shipping address and surname; a
// different first name must keep them apart however much of that they share.
func weakApplies(v uint64) bool {
	return strongAgreement(v) && level(v, fFirst) != 1 && level(v, fLast) != 1
}

// weakWeight is the capped weak-evidence weight of a pair, in bits.
func (ft *features) weakWeight(a, b int) float64 {
	w := 0.0
	wa := ft.weak[ft.weakStart[a]:ft.weakStart[a+1]]
	wb := ft.weak[ft.weakStart[b]:ft.weakStart[b+1]]
	var ipua, ship bool
	for _, x := range wa {
		for _, y := range wb {
			if x == y {
				if x>>63 == 1 {
					ipua = true
				} else {
					ship = true
				}
			}
		}
	}
	if ipua {
		w += weakIPUA
	}
	if ship {
		w += weakShipping
	}
	if ft.last4[a] != 0 && ft.last4[a] == ft.last4[b] {
		w += weakPhoneLast4
	}
	return min(w, weakCap)
}

func (ft *features) hasWeak(r int) bool {
	return ft.weakStart[r] != ft.weakStart[r+1] || ft.last4[r] != 0
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func allASCII(v []string) bool {
	for _, s := range v {
		if !isASCII(s) {
			return false
		}
	}
	return true
}

// recordNames are a record's first and last names, looked up once for the pairs of its
// group (a shared phone number can group hundreds of records: tens of millions of pairs).
type recordNames struct {
	first, last []string
	ascii       bool // every name in Latin script (or none)
	fbuf, lbuf  [maxValuesPerField]string
}

// names sets n to record r's names.
func (ft *features) names(n *recordNames, r int) {
	n.first, n.last = ft.get(&n.fbuf, r, fFirst), ft.get(&n.lbuf, r, fLast)
	n.ascii = allASCII(n.first) && allASCII(n.last)
}

// namesConflict: the first names or the last names of a and b are both present, comparable
// (Latin script) and clearly different, and the names are not merely swapped. Used to refuse
// deterministic links through shared addresses or numbers (test@example.com, a shared work
// address, a family phone); such pairs are left to the probabilistic model.
func namesConflict(a, b *recordNames) bool {
	if !a.ascii || !b.ascii {
		return false
	}
	firstBad := len(a.first) > 0 && len(b.first) > 0 && maxJW(a.first, b.first) < 0.8
	lastBad := len(a.last) > 0 && len(b.last) > 0 && maxJW(a.last, b.last) < 0.8
	if !firstBad && !lastBad {
		return false
	}
	return !(maxJW(a.first, b.last) >= 0.88 && maxJW(a.last, b.first) >= 0.88)
}

// namesAgree: some first or last name agrees (jw >= 0.88), possibly swapped. A shared phone
// number links deterministically only with it (numbers are recycled and shared in families).
func namesAgree(a, b *recordNames) bool {
	return maxJW(a.first, b.first) >= 0.88 && maxJW(a.last, b.last) >= 0.88 ||
		maxJW(a.first, b.last) >= 0.88 && maxJW(a.last, b.first) >= 0.88
}
