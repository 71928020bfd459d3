package normalize

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// foldStripMarksSlow is foldStripMarks without its ASCII path.
func foldStripMarksSlow(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(cases.Fold().String(s)) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func randomText(rng *rand.Rand, alphabet []rune) string {
	rs := make([]rune, rng.IntN(16))
	for i := range rs {
		rs[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(rs)
}

// The shortcuts give what the full paths give: ASCII names folded without cases and NFKD,
// numbers without an 'x', 'X' or '#' not run through the extension pattern.
func TestShortcutsMatchTheFullPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var ascii []rune
	for r := rune(0); r < 128; r++ {
		ascii = append(ascii, r)
	}
	names := []string{"", "Anna", "ANNA-MARIA O'BRIEN", "van der Berg", "Zoë", "Ångström", "KELVIN \u212a", "straße", "ǅ"}
	for range 20_000 {
		names = append(names, randomText(rng, ascii), randomText(rng, []rune("AbCzZ -'éÉßſK\u212a")))
	}
	for _, s := range names {
		if got, want := foldStripMarks(s), foldStripMarksSlow(s); got != want {
			t.Fatalf("foldStripMarks(%q) = %q, want %q", s, got, want)
		}
	}
	phones := []string{"+1 555 0100 ext. 12", "555-0100 x 7", "555 0100 #99", "555 0100 EXTENSION 3",
		"555 0100 Ext 1234567", "0100 ſ 12", "555 0100", "5550100 , ext 4"}
	for range 20_000 {
		phones = append(phones, randomText(rng, []rune("0123456789 +-.,;#xXeEtTnNsSiIoOſ()")))
	}
	stripped := 0
	for _, s := range phones {
		want := phoneExtension.ReplaceAllString(s, "")
		if got := stripExtension(s); got != want {
			t.Fatalf("stripExtension(%q) = %q, want %q", s, got, want)
		}
		if want != s {
			stripped++
		}
	}
	if stripped < 100 {
		t.Fatalf("only %d numbers had an extension: the cases do not exercise the pattern", stripped)
	}
}
