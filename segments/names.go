package segments

import (
	"strings"
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
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	if out, _, err := transform.String(t, s); err == nil {
		s = out
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
