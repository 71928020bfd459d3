package segments

import (
	"strings"
	"sync"
	"sync/atomic"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Slug makes a segment name part: lowercase ASCII letters, digits and single dashes, accents
// removed ("Café Crème" → "cafe-creme"), at most 48 characters. It returns "" when nothing
// is left (a name in a non-Latin script, say).
func Slug(s string) string {
	if s == "" {
		return ""
	}
	if simple(s) {
		return s
	}
	if !ascii(s) {
		t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
		if out, _, err := transform.String(t, s); err == nil {
			s = out
		}
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
		if b.Len() >= 48 {
			break
		}
	}
	return strings.TrimRight(b.String(), "-")
}

// Tag is the store tag of a segment: the configured prefix and the segment name
// ("cohort:" + "rfm-champions").
func Tag(prefix, segment string) string { return prefix + segment }

// Family is the part of a segment name before the first dash ("rfm" of "rfm-champions"); a
// custom segment's family is "custom".
func Family(segment string, custom bool) string {
	if custom {
		return "custom"
	}
	if i := strings.IndexByte(segment, '-'); i > 0 {
		return segment[:i]
	}
	return segment
}

// simple reports whether s is already a slug: a-z and 0-9 in dash-separated runs, at most 48
// bytes (most values: "gb", "mobile", "champions").
func simple(s string) bool {
	if len(s) > 48 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' && s[i-1] != '-') {
			return false
		}
	}
	return true
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// nameCache maps (family, value) to the segment name without locking or allocating once a
// value has been seen: values repeat across millions of profiles (countries, devices, tiers),
// so reads go to an immutable snapshot and the rare new value copies it.
type nameCache struct {
	mu   sync.Mutex                         // serializes writers
	snap atomic.Pointer[map[nameKey]string] // "" when the value has no slug
}

type nameKey struct{ family, value string }

func (c *nameCache) name(family, value string) string {
	k := nameKey{family, value}
	if m := c.snap.Load(); m != nil {
		if n, ok := (*m)[k]; ok {
			return n
		}
	}
	n := ""
	if v := Slug(value); v != "" {
		n = family + "-" + v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.snap.Load()
	next := make(map[nameKey]string, 1)
	if old != nil {
		if len(*old) > 100000 { // values without end (free-text product types): start over
			old = nil
		} else {
			next = make(map[nameKey]string, len(*old)+1)
			for kk, vv := range *old {
				next[kk] = vv
			}
		}
	}
	next[k] = n
	c.snap.Store(&next)
	return n
}
