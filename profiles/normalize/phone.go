package normalize

import (
	"regexp"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// Phone is a cleaned phone number.
type Phone struct {
	E164   string // "+14155550132"; "" when invalid
	Raw    string
	Valid  bool
	Region string // ISO 3166-1 alpha-2 of the number ("" when invalid or not geographic)
	Last4  string // last four digits of the raw number (extension excluded); "" if fewer
}

// maxPhoneLen bounds the input handed to libphonenumber; real numbers are far shorter.
const maxPhoneLen = 64

// phoneExtension matches a trailing extension: "ext. 12", "x12", "#12", "extension 12".
var phoneExtension = regexp.MustCompile(`(?i)\s*(?:,|;)?\s*(?:ext\.?|extension|x|#)\s*\d{1,7}\s*$`)

// stripExtension removes a trailing extension (phoneExtension). Every extension the pattern
// matches has an 'x', 'X' or '#' ("ext", "extension", "x", "#"; no other rune folds to x), so
// a number without one is returned as it is, without running the pattern: it was a third of
// the cost of a phone number.
func stripExtension(s string) string {
	if !strings.ContainsAny(s, "xX#") {
		return s
	}
	return phoneExtension.ReplaceAllString(s, "")
}

// ParsePhone parses a phone number as typed at checkout. defaultRegion is the alpha-2 country
// of the customer's address (longer values go through ParseCountry, so "USA" works) and is
// used for numbers written without a country code; when it is "" (or unknown) only numbers
// written with "+" or "00" parse. A leading
// "00" is read as the international prefix, "(0)" trunk notation after a country code is
// dropped ("+44 (0)20 ..."), and extensions are dropped.
//
// Valid is phonenumbers.IsValidNumber, or IsPossibleNumber for numbers in ranges reserved for
// fiction and testing (NANP 555-0100..555-0199, Ofcom drama ranges such as UK 07700 900xxx,
// ACMA fictitious ranges). Such numbers are what test orders and demo data contain, and
// cohortd would rather match them to each other than drop them; they are still recognisable
// with IsFictional. Invalid numbers keep Raw and have Valid false; they are never dropped.
//
// Results are remembered (a bounded, process-wide cache): libphonenumber costs tens of
// microseconds a number, and every profile rebuild parses the same numbers again.
func ParsePhone(raw, defaultRegion string) Phone {
	// The cache is keyed by the number's significant characters, so one person's number
	// typed as "(415) 555-0132" in one order and "415.555.0132" in the next is parsed once.
	// Raw and Last4 belong to this spelling and are set afresh.
	key := phoneKey{significant(raw), defaultRegion}
	p, ok := phoneCache.get(key)
	if !ok {
		p = parsePhone(key.raw, defaultRegion)
		phoneCache.put(key, p)
	}
	p.Raw = raw
	p.Last4 = last4Digits(stripExtension(strings.TrimSpace(raw)))
	return p
}

// significant drops the separators people type between digit groups (space, '-', '.', '/',
// parentheses other than a "(0)" trunk marker) and keeps everything else as typed; a space is
// kept where it separates a digit from a letter ("ext", vanity numbers).
func significant(raw string) string {
	var b strings.Builder
	b.Grow(len(raw))
	prevDigit := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '(' && i+2 < len(raw) && raw[i+1] == '0' && raw[i+2] == ')':
			b.WriteString("(0)")
			i += 2
			prevDigit = false
		case c == ' ' || c == '-' || c == '.' || c == '/' || c == '(' || c == ')':
			if prevDigit && i+1 < len(raw) && !(raw[i+1] >= '0' && raw[i+1] <= '9') {
				b.WriteByte(' ')
				prevDigit = false
			}
		default:
			b.WriteByte(c)
			prevDigit = c >= '0' && c <= '9'
		}
	}
	return b.String()
}

func parsePhone(raw, defaultRegion string) (p Phone) {
	p = Phone{Raw: raw}
	s := strings.TrimSpace(raw)
	s = stripExtension(s)
	p.Last4 = last4Digits(s)
	if s == "" || len(s) > maxPhoneLen {
		return p
	}
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	if strings.HasPrefix(s, "+") {
		s = strings.Replace(s, "(0)", "", 1)
	}
	region := strings.ToUpper(strings.TrimSpace(defaultRegion))
	if len(region) > 2 {
		// Accept anything ParseCountry does ("USA", "Deutschland") as the address country.
		c, _ := ParseCountry(region)
		region = c.Code
	}
	if region == "" {
		region = "ZZ"
	}
	num, ok := parsePhoneSafe(s, region)
	if !ok {
		return p
	}
	valid := phonenumbers.IsValidNumber(num) || (phonenumbers.IsPossibleNumber(num) && isFictional(num))
	if !valid {
		return p
	}
	num.Extension = nil
	p.Valid = true
	p.E164 = phonenumbers.Format(num, phonenumbers.E164)
	p.Region = phonenumbers.GetRegionCodeForNumber(num)
	if p.Region == "" || p.Region == "ZZ" || p.Region == "001" {
		p.Region = phonenumbers.GetRegionCodeForCountryCode(int(num.GetCountryCode()))
	}
	if p.Region == "ZZ" || p.Region == "001" {
		p.Region = ""
	}
	return p
}

// parsePhoneSafe calls phonenumbers.Parse, turning a panic inside the library into a parse
// failure: a malformed number typed by a shopper must not take down a sync.
func parsePhoneSafe(s, region string) (num *phonenumbers.PhoneNumber, ok bool) {
	defer func() {
		if recover() != nil {
			num, ok = nil, false
		}
	}()
	n, err := phonenumbers.Parse(s, region)
	if err != nil || n == nil {
		return nil, false
	}
	return n, true
}

func last4Digits(s string) string {
	var d []byte
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			d = append(d, s[i])
		}
	}
	if len(d) < 4 {
		return ""
	}
	return string(d[len(d)-4:])
}

// fictionalRanges lists national-number prefixes (after the country code) reserved for
// drama, documentation or testing. Each entry is the country calling code and a prefix; the
// NANP 555-01XX range is checked separately because the area code varies.
var fictionalRanges = []struct {
	cc     int32
	prefix string
}{
	// Ofcom (UK) numbers reserved for TV and radio drama.
	{44, "7700900"}, {44, "2079460"}, {44, "1134960"}, {44, "1144960"}, {44, "1154960"},
	{44, "1164960"}, {44, "1174960"}, {44, "1184960"}, {44, "1214960"}, {44, "1314960"},
	{44, "1414960"}, {44, "1514960"}, {44, "1614960"}, {44, "1914980"}, {44, "2896496"},
	{44, "2920180"}, {44, "1632960"}, {44, "8081570"}, {44, "9098790"}, {44, "3069990"},
	// ACMA (Australia) numbers for creative works.
	{61, "491570"}, {61, "491571"}, {61, "491572"}, {61, "491573"}, {61, "491574"},
	{61, "491575"}, {61, "491576"}, {61, "491577"}, {61, "491578"}, {61, "491579"},
	{61, "255550"}, {61, "270100"}, {61, "355550"}, {61, "370100"}, {61, "755550"},
	{61, "770100"}, {61, "855550"}, {61, "870100"},
}

// IsFictional reports whether an E.164 number lies in a range reserved for fiction or
// testing (see ParsePhone).
func IsFictional(e164 string) bool {
	n, ok := parsePhoneSafe(e164, "ZZ")
	return ok && isFictional(n)
}

func isFictional(n *phonenumbers.PhoneNumber) bool {
	nsn := phonenumbers.GetNationalSignificantNumber(n)
	cc := n.GetCountryCode()
	if cc == 1 && len(nsn) == 10 && nsn[3:7] == "5550" && nsn[7] == '1' {
		return true
	}
	for _, r := range fictionalRanges {
		if cc == r.cc && strings.HasPrefix(nsn, r.prefix) {
			return true
		}
	}
	return false
}

// phoneCacheSize bounds the cache; at the bound it starts again (a rebuild re-fills it).
const phoneCacheSize = 1 << 19

var phoneCache = &parsedPhones{m: map[phoneKey]Phone{}}

type phoneKey struct{ raw, region string }

// parsedPhones is a concurrency-safe map of parse results, emptied when it reaches
// phoneCacheSize entries.
type parsedPhones struct {
	mu sync.RWMutex
	m  map[phoneKey]Phone
}

func (c *parsedPhones) get(k phoneKey) (Phone, bool) {
	c.mu.RLock()
	p, ok := c.m[k]
	c.mu.RUnlock()
	return p, ok
}

func (c *parsedPhones) put(k phoneKey, p Phone) {
	c.mu.Lock()
	if len(c.m) >= phoneCacheSize {
		c.m = make(map[phoneKey]Phone, 1024)
	}
	c.m[k] = p
	c.mu.Unlock()
}
