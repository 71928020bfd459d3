package gen

import (
	"math"
	"strconv"
	"strings"
	"unicode"
)

// profile is what phase 1 needs to know about a person (stream 0). It is
// recomputed in phase 2 instead of being stored.
type profile struct {
	country int
	weight  float64 // expected relative number of orders
	home    int     // storeShop or storeWoo
	cross   bool    // buys in both stores
}

func personProfile(seed uint64, i int) profile {
	r := newRNG(seed, uint64(i), 0)
	var p profile
	p.country = r.pick(countryCum)
	// Gamma-distributed purchase rate (NBD heterogeneity) times the share of
	// the observation window the person stays active before dropping out.
	lambda := r.gamma(0.9)
	active := min(r.exp()*0.5, 1)
	p.weight = lambda * (0.2 + active)
	if r.chance(0.4) {
		p.home = storeWoo
	}
	p.cross = r.chance(0.14)
	return p
}

// person is the ground truth identity, generated on stream 2.
type person struct {
	idx       int
	ctry      *country
	reg       *region
	city      string
	first     string
	last      string
	firstAlt  string // other script spelling (JP kanji / CN hanzi), may be ""
	lastAlt   string
	local     string // canonical email local part
	domain    string
	gmail     bool
	altEmail  string // second, unrelated address (work e-mail) used by duplicate accounts
	phoneNat  string // national significant number
	street    int
	houseNo   int
	apt       string
	zip       string
	company   string
	ips       [2]string
	uas       [2]int
	currency  int
	spend     float64 // lognormal spend multiplier
	marketing int     // 0 not subscribed, 1 subscribed, 2 unsubscribed
}

func asciiFold(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch c {
		case 'é', 'è', 'ê', 'ë', 'É':
			b.WriteByte('e')
		case 'á', 'à', 'â':
			b.WriteByte('a')
		case 'í', 'ı':
			b.WriteByte('i')
		case 'ó', 'ô':
			b.WriteByte('o')
		case 'ú', 'û':
			b.WriteByte('u')
		case 'ñ':
			b.WriteByte('n')
		case 'ç':
			b.WriteByte('c')
		case 'ä':
			b.WriteString("ae")
		case 'ö':
			b.WriteString("oe")
		case 'ü':
			b.WriteString("ue")
		case 'ß':
			b.WriteString("ss")
		case 'Ü':
			b.WriteString("Ue")
		default:
			if c < 128 && (unicode.IsLetter(c) || unicode.IsDigit(c)) {
				b.WriteRune(unicode.ToLower(c))
			}
		}
	}
	return b.String()
}

func (w *worker) newPerson(i int, pr profile) {
	r := &w.r
	p := &w.p
	*p = person{idx: i}
	p.ctry = &countries[pr.country]
	p.reg = &p.ctry.regions[r.intn(len(p.ctry.regions))]
	p.city = p.reg.cities[r.intn(len(p.reg.cities))]
	pool := &namePools[p.ctry.locale]
	if r.chance(0.02) {
		f, l := r.intn(len(cnFirst)), r.intn(len(cnLast))
		p.first, p.last = cnFirstLatin[f], cnLastLatin[l]
		p.firstAlt, p.lastAlt = cnFirst[f], cnLast[l]
	} else {
		f, l := r.intn(len(pool.first)), r.intn(len(pool.last))
		p.first, p.last = pool.first[f], pool.last[l]
		if pool.firstAlt != nil {
			p.firstAlt, p.lastAlt = pool.firstAlt[f], pool.lastAlt[l]
		}
	}
	fa, la := asciiFold(p.first), asciiFold(p.last)
	if fa == "" {
		fa = "user"
	}
	if la == "" {
		la = "x"
	}
	num := strconv.Itoa(10 + r.intn(99990))
	switch r.intn(7) {
	case 0:
		p.local = fa + "." + la
		if r.chance(0.8) {
			p.local += num
		}
	case 1:
		p.local = fa + la + num
	case 2:
		p.local = fa[:1] + la + num
	case 3:
		p.local = fa + "_" + la + num
	case 4:
		p.local = fa + "." + la + "." + num
	case 5:
		p.local = la + "." + fa + num
	default:
		p.local = fa + num
	}
	switch x := r.f64(); {
	case x < 0.38:
		p.domain = gmailDomains[0]
		if r.chance(0.05) {
			p.domain = gmailDomains[1]
		}
		p.gmail = true
	case x < 0.40:
		p.domain = disposable[r.intn(len(disposable))]
	case x < 0.415:
		// Small business buyer using a role address.
		p.local = roleLocals[r.intn(len(roleLocals))]
		p.domain = la + num + ".example.com"
	default:
		p.domain = otherDomains[r.pick(otherCum)]
	}
	p.company = ""
	if r.chance(0.07) {
		p.company = companies[r.intn(len(companies))]
	}
	if r.chance(0.5) {
		co := "work"
		if p.company != "" {
			co = asciiFold(p.company)
		}
		p.altEmail = fa[:1] + la + "@" + co + ".example.com"
	} else {
		p.altEmail = fa + "." + la + strconv.Itoa(r.intn(1000)) + "@example.net"
	}
	// Phone: national significant number in a fiction range.
	switch p.ctry.code {
	case "US", "CA":
		p.phoneNat = p.reg.areas[r.intn(len(p.reg.areas))] + "55501" + twoDigits(r.intn(100))
	case "GB":
		p.phoneNat = "7700900" + threeDigits(r.intn(1000))
	case "DE":
		p.phoneNat = "3023125" + threeDigits(r.intn(1000))
	case "FR":
		p.phoneNat = "63998" + twoDigits(r.intn(100)) + twoDigits(r.intn(100))
	case "AU":
		p.phoneNat = "491570" + strconv.Itoa(100+r.intn(60))
	default: // JP
		p.phoneNat = "900000" + twoDigits(r.intn(100)) + twoDigits(r.intn(100))
	}
	p.street = r.intn(len(streets[p.ctry.locale]))
	p.houseNo = 1 + int(r.exp()*180)
	if r.chance(0.2) {
		p.apt = "Apt " + strconv.Itoa(1+r.intn(40))
	}
	p.zip = makeZip(r, p.ctry.code, p.reg.zipPrefix)
	for k := range p.ips {
		p.ips[k] = ipPrefixes[r.intn(len(ipPrefixes))] + strconv.Itoa(1+r.intn(254))
		p.uas[k] = r.pick(uaCum)
	}
	p.currency = p.ctry.currency
	if p.currency != curUSD && r.chance(0.1) {
		p.currency = curUSD
	}
	p.spend = math.Exp(0.35 * r.norm())
	switch x := r.f64(); {
	case x < 0.45:
		p.marketing = 1
	case x < 0.55:
		p.marketing = 2
	}
}

func twoDigits(n int) string {
	return string([]byte{byte('0' + n/10%10), byte('0' + n%10)})
}

func threeDigits(n int) string {
	return string([]byte{byte('0' + n/100%10), byte('0' + n/10%10), byte('0' + n%10)})
}

func makeZip(r *rng, code, prefix string) string {
	d := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + r.intn(10))
		}
		return string(b)
	}
	L := func() byte { return "ABCEGHJKLMNPRSTVXY"[r.intn(18)] }
	switch code {
	case "US":
		return prefix + d(5-len(prefix))
	case "CA":
		return string([]byte{prefix[0], byte('0' + r.intn(10)), L(), ' ', byte('0' + r.intn(10)), L(), byte('0' + r.intn(10))})
	case "GB":
		areas := []string{"SW1A", "EC1V", "M1", "LS2", "BS1", "EH1", "N7", "SE15"}
		return areas[r.intn(len(areas))] + " " + d(1) + string([]byte{L(), L()})
	case "AU":
		return prefix + d(3)
	case "JP":
		return prefix + d(2) + "-" + d(4)
	default:
		return d(5)
	}
}

// ident is one source record's view of a person: what the customer typed
// into that form on that day.
type ident struct {
	first, last, email, phone, company string
	addr1, addr2, city, zip            string
	country, countryCode               string
	province, provinceCode             string
}

// typo transposes or drops one letter (never the first).
func typo(r *rng, s string) string {
	rs := []rune(s)
	if len(rs) < 4 {
		return s
	}
	i := 1 + r.intn(len(rs)-2)
	if r.chance(0.5) {
		rs[i], rs[i+1] = rs[i+1], rs[i]
		return string(rs)
	}
	return string(append(rs[:i:i], rs[i+1:]...))
}

func recase(r *rng, s string, upper, lower float64) string {
	switch x := r.f64(); {
	case x < upper:
		return strings.ToUpper(s)
	case x < upper+lower:
		return strings.ToLower(s)
	}
	return s
}

// gmailDots re-dots a gmail local part ("john.smith12" -> "johnsmith12" or "j.ohnsmith12").
func gmailDots(r *rng, local string) string {
	plain := strings.ReplaceAll(local, ".", "")
	if plain != local && r.chance(0.7) {
		return plain
	}
	if len(plain) < 3 {
		return plain
	}
	i := 1 + r.intn(len(plain)-1)
	return plain[:i] + "." + plain[i:]
}

// email returns a messy variant of the person's address. distinct forces a
// variant that differs from the canonical one (second account in a store).
func (w *worker) email(distinct bool) string {
	r := &w.r
	p := &w.p
	local, domain := p.local, p.domain
	if distinct {
		if p.gmail && r.chance(0.7) {
			if r.chance(0.5) {
				local = gmailDots(r, local)
			} else {
				local += "+" + plusTags[r.intn(len(plusTags))]
			}
		} else {
			at := strings.IndexByte(p.altEmail, '@')
			local, domain = p.altEmail[:at], p.altEmail[at+1:]
		}
	} else if p.gmail {
		if r.chance(0.12) {
			local = gmailDots(r, local)
		}
		if r.chance(0.08) {
			local += "+" + plusTags[r.intn(len(plusTags))]
		}
	}
	if r.chance(0.02) {
		if t := typoDomains[domain]; t != nil {
			domain = t[r.intn(len(t))]
		}
	}
	s := local + "@" + domain
	switch x := r.f64(); {
	case x < 0.07:
		s = strings.ToUpper(s[:1]) + s[1:]
	case x < 0.10:
		s = strings.ToUpper(s)
	case x < 0.12:
		s = strings.ToUpper(local[:1]) + local[1:] + "@" + strings.ToUpper(domain[:1]) + domain[1:]
	}
	switch x := r.f64(); {
	case x < 0.03:
		s += " "
	case x < 0.05:
		s = " " + s
	case x < 0.06:
		s = "  " + s + "  "
	}
	return s
}

// phone formats the person's number in a style typical for its country,
// or returns an invalid or empty value.
func (w *worker) phone() string {
	r := &w.r
	p := &w.p
	x := r.f64()
	if x < 0.16 {
		return ""
	}
	if x < 0.19 {
		bad := []string{"n/a", "0000000000", "123", "-", "+1 415 555 01", "call me", "1234567890", "N/A"}
		return bad[r.intn(len(bad))]
	}
	return formatPhone(p.ctry.code, p.ctry.dial, p.phoneNat, r.intn(7))
}

// e164 is the only format Shopify accepts on customer.phone.
func (w *worker) e164() string { return "+" + w.p.ctry.dial + w.p.phoneNat }

func formatPhone(code, dial, n string, style int) string {
	switch code {
	case "US", "CA":
		a, b, c := n[:3], n[3:6], n[6:]
		switch style {
		case 0, 1:
			return "(" + a + ") " + b + "-" + c
		case 2:
			return a + "-" + b + "-" + c
		case 3:
			return "+1 " + a + " " + b + " " + c
		case 4:
			return "+1" + n
		case 5:
			return a + "." + b + "." + c
		default:
			return "1-" + a + "-" + b + "-" + c
		}
	case "GB":
		switch style {
		case 0, 1, 2:
			return "0" + n[:4] + " " + n[4:]
		case 3:
			return "+44 " + n[:4] + " " + n[4:]
		case 4:
			return "+44" + n
		case 5:
			return "0044 " + n[:4] + " " + n[4:]
		default:
			return "0" + n
		}
	case "DE":
		switch style {
		case 0, 1:
			return "0" + n[:2] + " " + n[2:]
		case 2:
			return "+49 " + n[:2] + " " + n[2:]
		case 3:
			return "0049 " + n[:2] + " " + n[2:]
		case 4:
			return "+49" + n
		case 5:
			return "0" + n[:2] + "/" + n[2:]
		default:
			return "(0" + n[:2] + ") " + n[2:5] + " " + n[5:]
		}
	case "FR":
		pairs := n[1:3] + " " + n[3:5] + " " + n[5:7] + " " + n[7:]
		switch style {
		case 0, 1, 2:
			return "0" + n[:1] + " " + pairs
		case 3:
			return "+33 " + n[:1] + " " + pairs
		case 4:
			return "+33" + n
		default:
			return "0" + n
		}
	case "AU":
		switch style {
		case 0, 1, 2:
			return "0" + n[:3] + " " + n[3:6] + " " + n[6:]
		case 3:
			return "+61 " + n[:3] + " " + n[3:6] + " " + n[6:]
		case 4:
			return "+61" + n
		default:
			return "0" + n
		}
	default:
		switch style {
		case 0, 1, 2:
			return "0" + n[:2] + "-" + n[2:6] + "-" + n[6:]
		case 3:
			return "+81 " + n[:2] + "-" + n[2:6] + "-" + n[6:]
		case 4:
			return "+" + dial + n
		default:
			return "0" + n
		}
	}
}

// ident builds one messy view of the person.
func (w *worker) ident(distinctEmail bool) ident {
	r := &w.r
	p := &w.p
	var id ident
	first, last := p.first, p.last
	if p.firstAlt != "" && r.chance(0.3) {
		first, last = p.firstAlt, p.lastAlt
	}
	switch x := r.f64(); {
	case x < 0.03:
		first = ""
	case x < 0.05:
		last = ""
	case x < 0.06:
		first, last = "", ""
	case x < 0.075:
		first, last = first+" "+last, ""
	case x < 0.09:
		first, last = last, first
	case x < 0.12:
		first = typo(r, first)
	case x < 0.15:
		last = typo(r, last)
	}
	id.first = strings.TrimSpace(recase(r, first, 0.05, 0.05))
	id.last = strings.TrimSpace(recase(r, last, 0.05, 0.04))
	if r.chance(0.02) {
		id.first += " "
	}
	id.email = w.email(distinctEmail)
	id.phone = w.phone()
	if p.company != "" && r.chance(0.7) {
		id.company = p.company
	}
	st := streets[p.ctry.locale][p.street]
	sname := st[0]
	if r.chance(0.35) {
		sname = st[1]
	}
	if r.chance(0.03) {
		sname = typo(r, sname)
	}
	if p.ctry.locale == locDE && r.chance(0.2) {
		sname = strings.ReplaceAll(sname, "ß", "ss")
	}
	switch p.ctry.locale {
	case locDE:
		id.addr1 = sname + " " + strconv.Itoa(p.houseNo)
	case locFR:
		id.addr1 = strconv.Itoa(p.houseNo) + " " + sname
		if r.chance(0.3) {
			id.addr1 = strconv.Itoa(p.houseNo) + ", " + sname
		}
	case locJP:
		id.addr1 = strconv.Itoa(1+p.houseNo%9) + "-" + strconv.Itoa(1+p.houseNo%20) + "-" + strconv.Itoa(p.houseNo) + " " + sname
	default:
		id.addr1 = strconv.Itoa(p.houseNo) + " " + sname
	}
	if p.apt != "" {
		if r.chance(0.3) {
			id.addr1 += ", " + p.apt
		} else {
			id.addr2 = p.apt
			if r.chance(0.3) {
				id.addr2 = "#" + strings.TrimPrefix(p.apt, "Apt ")
			}
		}
	}
	id.addr1 = recase(r, id.addr1, 0.03, 0.03)
	id.city = recase(r, p.city, 0.06, 0.05)
	if r.chance(0.02) {
		id.city = typo(r, id.city)
	}
	id.zip = p.zip
	switch {
	case p.ctry.code == "CA" && r.chance(0.3):
		id.zip = strings.ReplaceAll(id.zip, " ", "")
	case p.ctry.code == "GB" && r.chance(0.2):
		id.zip = strings.ToLower(id.zip)
	case p.ctry.code == "US" && r.chance(0.1):
		id.zip += "-" + strconv.Itoa(1000+r.intn(9000))
	case r.chance(0.02):
		id.zip = ""
	}
	id.countryCode = p.ctry.code
	id.country = p.ctry.name
	if r.chance(0.22) {
		id.country = p.ctry.variants[r.intn(len(p.ctry.variants))]
	}
	id.provinceCode, id.province = p.reg.code, p.reg.name
	if p.reg.code != "" && r.chance(0.2) {
		id.province = p.reg.variants[r.intn(len(p.reg.variants))]
	}
	return id
}
