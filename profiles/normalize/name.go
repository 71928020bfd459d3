package normalize

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Name is a cleaned person name.
type Name struct {
	Display string // FormatPersonName(raw)
	Key     string // case-folded, accents removed, non-letters collapsed to single spaces
}

// ParseName returns the display form and the matching key of a person name.
func ParseName(raw string) Name {
	return Name{Display: FormatPersonName(raw), Key: NameKey(raw)}
}

// NameKey is the matching key of a name: Unicode case-folded (cases.Fold: "ß" -> "ss"),
// NFKD-decomposed with combining marks (Mn) removed, and every run of non-letters replaced
// by one space, trimmed. "José  O'Brien" and "JOSE OBRIEN" differ ("jose o brien" vs
// "jose obrien"); "Zoë-Ann" gives "zoe ann"; "Straße" and "STRASSE" both give "strasse".
func NameKey(raw string) string {
	s := raw
	// Folding and decomposition can each expose work for the other (a compatibility
	// character that decomposes to upper case); iterate to a fixed point (in practice one or
	// two rounds).
	for i := 0; i < 4; i++ {
		next := foldStripMarks(s)
		if next == s {
			break
		}
		s = next
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsLetter(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		} else {
			space = true
		}
	}
	return b.String()
}

func foldStripMarks(s string) string {
	if ascii, lower := asciiLower(s); ascii {
		return lower // folding ASCII lowers A-Z; NFKD and the marks leave it as it is
	}
	// A Caser is stateful, so each call gets its own.
	folded := cases.Fold().String(s)
	var b strings.Builder
	for _, r := range norm.NFKD.String(folded) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// asciiLower reports whether s is all ASCII and, if so, returns it with A-Z lowered (s itself
// when there is none).
func asciiLower(s string) (ascii bool, lower string) {
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return false, ""
		}
		upper = upper || 'A' <= c && c <= 'Z'
	}
	if !upper {
		return true, s
	}
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return true, string(b)
}

// nameParticles are lower-cased inside a name ("Ludwig van Beethoven") unless typed in mixed
// case or first.
var nameParticles = setOf("van", "von", "de", "der", "den", "da", "di", "du", "la", "le",
	"del", "della", "dos", "das", "bin", "al")

// FormatPersonName trims and collapses whitespace and fixes the case of words typed all upper
// or all lower case, leaving mixed case as typed ("McDonald", "DiCaprio", "Dick Van Dyke").
//
// Within a word, parts separated by hyphens and apostrophes are cased separately
// ("JEAN-LUC" -> "Jean-Luc", "o'brien" -> "O'Brien"); a "d'" prefix stays lower case
// ("D'ARTAGNAN" -> "d'Artagnan", but "D'Angelo" as typed is kept); "MCDONALD"/"mcdonald"
// become "McDonald" (Mac is ambiguous and left alone: "Mack", "Macdonald"); the particles van,
// von, de, der, den, da, di, du, la, le, del, della, dos, das, bin and al are lower-cased
// except as the first word. Scripts without case (CJK, Arabic) are unchanged; other cased
// scripts (Cyrillic, Greek) are title-cased by the same rules.
func FormatPersonName(raw string) string {
	words := strings.Fields(raw)
	for i, w := range words {
		words[i] = formatWord(w, i == 0)
	}
	return strings.Join(words, " ")
}

// caseClass describes the cased letters of a string.
type caseClass int

const (
	caseNone  caseClass = iota // no cased letters
	caseLower                  // all cased letters lower
	caseUpper                  // all cased letters upper
	caseMixed
)

func classOf(s string) caseClass {
	hasU, hasL := false, false
	for _, r := range s {
		switch {
		case unicode.IsUpper(r):
			hasU = true
		case unicode.IsLower(r):
			hasL = true
		case unicode.IsTitle(r):
			hasU, hasL = true, true
		}
	}
	switch {
	case hasU && hasL:
		return caseMixed
	case hasU:
		return caseUpper
	case hasL:
		return caseLower
	}
	return caseNone
}

func isNameSep(r rune) bool { return r == '-' || r == '\'' || r == '’' || r == '‐' }

func formatWord(w string, first bool) string {
	wordClass := classOf(w)
	if wordClass == caseMixed || wordClass == caseNone {
		return w // mixed case is kept as typed
	}
	if !first {
		if _, ok := nameParticles[strings.ToLower(w)]; ok {
			return strings.ToLower(w)
		}
	}
	var b strings.Builder
	start := 0
	for i, r := range w {
		if !isNameSep(r) {
			continue
		}
		seg := w[start:i]
		if (seg == "d" || seg == "D") && r != '-' {
			b.WriteString("d")
		} else {
			b.WriteString(titleSegment(seg))
		}
		b.WriteRune(r)
		start = i + utf8.RuneLen(r)
	}
	b.WriteString(titleSegment(w[start:]))
	return b.String()
}

// titleSegment upper-cases the first cased letter of seg (unless a digit comes first) and
// lower-cases the rest, with the Mc prefix rule. Case mapping is Unicode's simple,
// language-neutral mapping ("İSTANBUL" -> "Istanbul").
func titleSegment(seg string) string {
	lower := strings.ToLower(seg)
	if strings.HasPrefix(lower, "mc") && utf8.RuneCountInString(lower) >= 4 {
		return "Mc" + titleSegment(lower[2:])
	}
	var b strings.Builder
	done := false
	for _, r := range lower {
		if unicode.IsDigit(r) {
			done = true // "2nd", not "2Nd"
		}
		if !done && (unicode.IsLower(r) || unicode.IsUpper(r) || unicode.IsTitle(r)) {
			b.WriteRune(unicode.ToTitle(r))
			done = true
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
