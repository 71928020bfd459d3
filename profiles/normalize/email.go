package normalize

import (
	"strings"

	"golang.org/x/net/idna"
)

// EmailFlags are facts about an email address, as bit flags.
type EmailFlags uint8

// Email flags.
const (
	EmailInvalid    EmailFlags = 1 << iota // fails the syntax check
	EmailRole                              // a function mailbox: info@, sales@, noreply@ ...
	EmailDisposable                        // a throwaway-mailbox provider
	EmailTest                              // test data: test@, asdf@, @example.com, .test ...
)

var emailFlagNames = [...]string{"invalid", "role", "disposable", "test"}

// Has reports whether all bits of x are set in f.
func (f EmailFlags) Has(x EmailFlags) bool { return f&x == x }

// String lists the set flags, comma-separated ("invalid,role"); "" when none is set.
func (f EmailFlags) String() string {
	var parts []string
	for i, n := range emailFlagNames {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, ",")
}

// Email is a cleaned email address.
type Email struct {
	// Address is trimmed and lower-cased with the domain in ASCII (punycode); for an invalid
	// address it is the trimmed, lower-cased raw text.
	Address string
	// Key is the matching key: Address with provider aliases folded (sub-address tags
	// removed, googlemail.com -> gmail.com, dots removed from Gmail local parts). "" when
	// invalid.
	Key   string
	Flags EmailFlags
	Raw   string
}

// Valid reports whether the address passed the syntax check.
func (e Email) Valid() bool { return !e.Flags.Has(EmailInvalid) }

// emailProvider says how a mailbox provider aliases addresses.
type emailProvider struct {
	canonical string // domain used in the key
	tagSep    byte   // sub-address separator, 0 for none
	noDots    bool   // dots in the local part are ignored
}

var emailProviders = map[string]emailProvider{
	"gmail.com":      {"gmail.com", '+', true},
	"googlemail.com": {"gmail.com", '+', true},
	"outlook.com":    {"outlook.com", '+', false},
	"hotmail.com":    {"hotmail.com", '+', false},
	"hotmail.co.uk":  {"hotmail.co.uk", '+', false},
	"hotmail.fr":     {"hotmail.fr", '+', false},
	"live.com":       {"live.com", '+', false},
	"msn.com":        {"msn.com", '+', false},
	"icloud.com":     {"icloud.com", '+', false},
	"me.com":         {"me.com", '+', false},
	"mac.com":        {"mac.com", '+', false},
	"fastmail.com":   {"fastmail.com", '+', false},
	"fastmail.fm":    {"fastmail.fm", '+', false},
	"protonmail.com": {"protonmail.com", '+', false},
	"protonmail.ch":  {"protonmail.ch", '+', false},
	"proton.me":      {"proton.me", '+', false},
	"pm.me":          {"pm.me", '+', false},
	"yahoo.com":      {"yahoo.com", '-', false},
	"yahoo.co.uk":    {"yahoo.co.uk", '-', false},
	"yahoo.fr":       {"yahoo.fr", '-', false},
	"yahoo.de":       {"yahoo.de", '-', false},
	"yahoo.ca":       {"yahoo.ca", '-', false},
	"yahoo.com.au":   {"yahoo.com.au", '-', false},
	"ymail.com":      {"ymail.com", '-', false},
}

const emailSpecials = "!#$%&'*+-/=?^_`{|}~"

// emailIDNA maps a domain for lookup (lower-casing, width folding, NFC) and converts it to
// ASCII. idna.Profile values are safe for concurrent use.
var emailIDNA = idna.Lookup

// ParseEmail cleans and checks one email address. The syntax accepted is the common subset
// of RFC 5322 stores actually see: exactly one '@'; a local part of 1-64 ASCII atext
// characters and dots, without leading, trailing or doubled dots (no quoted strings, no
// internationalised local parts); a domain of at least two labels that is valid after IDNA
// lookup processing, each label 1-63 letters, digits or hyphens not starting or ending with a
// hyphen, at most 253 characters, and a top-level label that is not all digits.
func ParseEmail(raw string) Email {
	addr := strings.ToLower(strings.TrimSpace(raw))
	e := Email{Address: addr, Raw: raw}
	at := strings.IndexByte(addr, '@')
	if at < 0 || strings.IndexByte(addr[at+1:], '@') >= 0 {
		e.Flags = EmailInvalid
		return e
	}
	local, domain := addr[:at], addr[at+1:]
	asciiDomain, ok := emailDomain(domain)
	if !ok || !validLocalPart(local) {
		e.Flags = EmailInvalid | classify(local, domain)
		return e
	}
	e.Address = local + "@" + asciiDomain
	e.Flags = classify(local, asciiDomain)
	e.Key = emailKey(local, asciiDomain)
	return e
}

func validLocalPart(l string) bool {
	if len(l) < 1 || len(l) > 64 || l[0] == '.' || l[len(l)-1] == '.' || strings.Contains(l, "..") {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.':
		case strings.IndexByte(emailSpecials, c) >= 0:
		default:
			return false
		}
	}
	return true
}

// emailDomain converts a domain to ASCII and checks it.
func emailDomain(d string) (string, bool) {
	if d == "" || len(d) > 1000 {
		return "", false
	}
	a, err := emailIDNA.ToASCII(d)
	if err != nil {
		return "", false
	}
	a = strings.ToLower(a)
	if len(a) > 253 {
		return "", false
	}
	labels := strings.Split(a, ".")
	if len(labels) < 2 {
		return "", false
	}
	for _, l := range labels {
		if !validLabel(l) {
			return "", false
		}
	}
	if isASCIIDigits(labels[len(labels)-1]) {
		return "", false
	}
	return a, true
}

func validLabel(l string) bool {
	if len(l) < 1 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// baseLocal strips a sub-address tag for role and test matching.
func baseLocal(local string) string {
	if i := strings.IndexByte(local, '+'); i > 0 {
		return local[:i]
	}
	return local
}

func classify(local, domain string) EmailFlags {
	var f EmailFlags
	base := baseLocal(local)
	if _, ok := roleLocalParts[base]; ok {
		f |= EmailRole
	}
	if domainIn(domain, disposableDomains) {
		f |= EmailDisposable
	}
	_, testLocal := testLocalParts[base]
	_, testDomain := testDomains[domain]
	tld := domain[strings.LastIndexByte(domain, '.')+1:]
	_, testTLD := testTLDs[tld]
	if testLocal || testDomain || testTLD || domain == "bar" || domain == "test" {
		f |= EmailTest
	}
	return f
}

// domainIn reports whether domain or one of its parent domains is in set.
func domainIn(domain string, set map[string]struct{}) bool {
	for d := domain; d != ""; {
		if _, ok := set[d]; ok {
			return true
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			return false
		}
		d = d[i+1:]
	}
	return false
}

func emailKey(local, domain string) string {
	p, ok := emailProviders[domain]
	if !ok {
		return local + "@" + domain
	}
	if p.tagSep != 0 {
		// Strip the sub-address tag, unless what remains would not be a valid local part
		// ("0.-tag" would leave "0.", which ends with a dot).
		if i := strings.IndexByte(local, p.tagSep); i > 0 && !strings.HasSuffix(local[:i], ".") {
			local = local[:i]
		}
	}
	if p.noDots {
		if l := strings.ReplaceAll(local, ".", ""); l != "" {
			local = l
		}
	}
	return local + "@" + p.canonical
}
