package logging

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func FuzzMaskEmail(f *testing.F) {
	for _, s := range []string{
		" Jane.Doe@Example.com ", "a@x.com", "", "no-at", "@x.com", "ab@ab.com",
		`"a@b"@x.com`, "Élodie@exämple.fr", "\xff@x", "a**@x.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := MaskEmail(in)
		trimmed := strings.TrimSpace(in)
		if trimmed == "" {
			if out != "" {
				t.Fatalf("MaskEmail(%q) = %q, want empty", in, out)
			}
			return
		}
		at := strings.LastIndexByte(trimmed, '@')
		if at < 0 {
			if out != "***" {
				t.Fatalf("MaskEmail(%q) = %q, want ***", in, out)
			}
			return
		}
		local := trimmed[:at]
		outAt := strings.LastIndexByte(out, '@')
		if outAt < 0 {
			t.Fatalf("MaskEmail(%q) = %q has no '@'", in, out)
		}
		outLocal := out[:outAt]
		// The masked local part is at most one rune followed by "***".
		if !strings.HasSuffix(outLocal, "***") || utf8.RuneCountInString(outLocal) > 4 {
			t.Fatalf("MaskEmail(%q) = %q: masked local part %q is not <rune>***", in, out, outLocal)
		}
		// The output never contains the original local part (when it has more
		// than one rune), except where the domain happens to contain it or the
		// local part is literally "<rune>*..." (all its hidden runes are '*').
		if utf8.RuneCountInString(local) > 1 {
			_, size := utf8.DecodeRuneInString(local)
			if strings.Trim(local[size:], "*") != "" && strings.Contains(outLocal, local) {
				t.Fatalf("MaskEmail(%q) = %q leaks local part %q", in, out, local)
			}
		}
	})
}

func FuzzMaskPhone(f *testing.F) {
	for _, s := range []string{
		"+441234561234", "+44 (0)1234 561234", "", "123", "n/a", "+٤٤١٢٣٤٥٦٧٨٩٠", "1234567890123456789",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := MaskPhone(in)
		if strings.TrimSpace(in) == "" {
			if out != "" {
				t.Fatalf("MaskPhone(%q) = %q, want empty", in, out)
			}
			return
		}
		inDigits := 0
		for _, r := range in {
			if unicode.IsDigit(r) {
				inDigits++
			}
		}
		outDigits := 0
		for _, r := range out {
			switch {
			case unicode.IsDigit(r):
				outDigits++
			case r == '*' || r == '+':
			default:
				t.Fatalf("MaskPhone(%q) = %q contains unexpected %q", in, out, r)
			}
		}
		if outDigits > 6 {
			t.Fatalf("MaskPhone(%q) = %q reveals %d digits (> 6)", in, out, outDigits)
		}
		if inDigits > 0 && outDigits >= inDigits {
			t.Fatalf("MaskPhone(%q) = %q reveals all %d digits", in, out, inDigits)
		}
	})
}
