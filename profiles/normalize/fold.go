package normalize

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// foldKey is the lookup key used for countries and regions: lower-cased, NFKD-decomposed with
// combining marks (Mn) removed, and everything that is not a letter or digit dropped, so
// "U.S.A.", "u s a" and "USA" all fold to "usa", and "Österreich" to "osterreich".
func foldKey(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
