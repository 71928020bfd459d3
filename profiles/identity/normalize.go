package identity

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Light field normalisation, local to identity on purpose (profiles/normalize is richer).

var foldSpecial = map[rune]string{'ß': "ss", 'ø': "o", 'Ø': "o", 'æ': "ae", 'Æ': "ae", 'œ': "oe",
	'Œ': "oe", 'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d", 'þ': "th", 'ı': "i"}

// fold lower-cases, strips accents and keeps letters, digits and single spaces.
// With keepHash, '#' is kept as its own token.
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii {
		s = norm.NFD.String(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	space := true // suppress leading space
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			space = false
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + ('a' - 'A'))
			space = false
		case r < utf8.RuneSelf:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		case unicode.Is(unicode.Mn, r):
			// combining mark: dropped
		default:
			if f, ok := foldSpecial[r]; ok {
				b.WriteString(f)
				space = false
			} else if unicode.IsLetter(r) || unicode.IsDigit(r) {
				b.WriteRune(unicode.ToLower(r))
				space = false
			} else if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	out := b.String()
	return strings.TrimRight(out, " ")
}

// foldName folds and removes spaces inside hyphenated/apostrophe names ("o'brien" -> "obrien").
func foldName(s string) string {
	s = strings.ReplaceAll(s, "'", "")
	s = strings.ReplaceAll(s, "’", "")
	return fold(s)
}

func digits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

var emailDomainFix = map[string]string{
	"googlemail.com": "gmail.com", "gmial.com": "gmail.com", "gmail.con": "gmail.com",
	"gmai.com": "gmail.com", "gnail.com": "gmail.com", "gmail.co": "gmail.com", "gamil.com": "gmail.com",
	"hotmial.com": "hotmail.com", "hotmail.con": "hotmail.com", "yahoo.con": "yahoo.com",
	"yaho.com": "yahoo.com", "exmaple.com": "example.com", "example.cmo": "example.com",
}

// emailKey returns the matching key of an address: lower-case, trimmed, +tag removed, dots
// removed in gmail local parts, common domain typos fixed. "" when it is not an address.
func emailKey(s string) (key, local string) {
	s = strings.ToLower(strings.TrimSpace(s))
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return "", ""
	}
	local, domain := s[:at], strings.Trim(s[at+1:], ". ")
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	if f, ok := emailDomainFix[domain]; ok {
		domain = f
	} else {
		for _, bad := range []string{".con", ".cmo", ".ocm", ".comm"} {
			if strings.HasSuffix(domain, bad) {
				domain = domain[:len(domain)-len(bad)] + ".com"
				break
			}
		}
	}
	if domain == "gmail.com" {
		local = strings.ReplaceAll(local, ".", "")
	}
	return local + "@" + domain, local
}

// phoneKey keeps digits, drops an international prefix (00, +1 on 11 digits, +44/+49/+33/+61/+81
// on 11+ digits) and trunk zeros; fewer than 7 digits is junk.
func phoneKey(s string) string {
	d := digits(s)
	d = strings.TrimPrefix(d, "00")
	switch {
	case len(d) == 11 && d[0] == '1':
		d = d[1:]
	case len(d) >= 11 && (strings.HasPrefix(d, "44") || strings.HasPrefix(d, "49") || strings.HasPrefix(d, "33") ||
		strings.HasPrefix(d, "61") || strings.HasPrefix(d, "81")):
		d = d[2:]
	}
	d = strings.TrimLeft(d, "0")
	if len(d) < 7 {
		return ""
	}
	return d
}

// postcodeKey: lower-case alphanumerics without spaces; US ZIP+4 cut to 5 digits.
func postcodeKey(s string) string {
	f := strings.ReplaceAll(fold(s), " ", "")
	if len(f) == 9 && len(digits(f)) == 9 && strings.ContainsRune(s, '-') {
		return f[:5]
	}
	return f
}

var countryAlias = map[string]string{
	"us": "us", "usa": "us", "u s a": "us", "u s": "us", "united states": "us", "united states of america": "us", "america": "us",
	"gb": "gb", "uk": "gb", "u k": "gb", "united kingdom": "gb", "england": "gb", "great britain": "gb", "scotland": "gb", "wales": "gb",
	"de": "de", "germany": "de", "deutschland": "de",
	"ca": "ca", "canada": "ca", "au": "au", "australia": "au",
	"fr": "fr", "france": "fr", "jp": "jp", "japan": "jp", "日本": "jp", "nippon": "jp",
}

func countryKey(s string) string {
	f := fold(s)
	if c, ok := countryAlias[f]; ok {
		return c
	}
	return f
}

var addrAbbrev = map[string]string{"street": "st", "str": "st", "strasse": "st", "road": "rd",
	"avenue": "ave", "av": "ave", "drive": "dr", "lane": "ln", "court": "ct", "place": "pl",
	"boulevard": "blvd", "crescent": "cres", "terrace": "tce", "highway": "hwy", "circuit": "cct",
	"close": "cl", "square": "sq", "north": "n", "south": "s", "east": "e", "west": "w",
	"apartment": "", "apt": "", "unit": "", "suite": "", "flat": "", "no": ""}

// addressKey folds an address line and canonicalises street-type abbreviations.
func addressKey(s string) string {
	f := fold(strings.ReplaceAll(strings.ReplaceAll(s, "straße", " st"), "Straße", " st"))
	if f == "" {
		return ""
	}
	toks := strings.Fields(f)
	out := toks[:0]
	for _, t := range toks {
		if strings.HasSuffix(t, "strasse") && len(t) > 7 { // "hauptstrasse"
			out = append(out, t[:len(t)-7], "st")
			continue
		}
		if strings.HasSuffix(t, "str") && len(t) > 5 {
			out = append(out, t[:len(t)-3], "st")
			continue
		}
		if a, ok := addrAbbrev[t]; ok {
			if a != "" {
				out = append(out, a)
			}
			continue
		}
		out = append(out, t)
	}
	return strings.Join(out, " ")
}

// soundex is the American soundex of an ASCII-folded name ("" if it has no letter).
func soundex(s string) string {
	const codes = "01230120022455012623010202" // a..z
	var b [4]byte
	n := 0
	var last byte
	for i := 0; i < len(s) && n < 4; i++ {
		c := s[i]
		if c < 'a' || c > 'z' {
			continue
		}
		code := codes[c-'a']
		if n == 0 {
			b[0] = c
			n = 1
			last = code
			continue
		}
		if code != '0' && code != last {
			b[n] = code
			n++
		}
		if c != 'h' && c != 'w' {
			last = code
		}
	}
	if n == 0 {
		return ""
	}
	for n < 4 {
		b[n] = '0'
		n++
	}
	return string(b[:])
}
