package logging

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

const mask = "***"

// MaskEmail masks an e-mail address for logging: the first character of the
// local part (lower-cased), "***", then "@" and the lower-cased domain.
//
//	" Jane.Doe@Example.com " -> "j***@example.com"
//	"a@x.com"                -> "a***@x.com"
//	"@x.com"                 -> "***@x.com"
//	"not-an-email"           -> "***"
//	""                       -> ""
//
// The address is split at the last '@', so quoted local parts containing '@'
// are masked too. Input that is not valid UTF-8 is masked, never echoed.
func MaskEmail(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return mask
	}
	local, domain := s[:at], strings.ToLower(s[at+1:])
	if local == "" {
		return mask + "@" + domain
	}
	r, _ := utf8.DecodeRuneInString(local) // utf8.RuneError for invalid input
	return string(unicode.ToLower(r)) + mask + "@" + domain
}

// MaskPhone masks a phone number for logging. Formatting characters
// (spaces, brackets, dashes, dots, ...) are dropped first; a leading '+' is
// kept. Of the remaining digits the first 2 and the last 4 are kept and every
// digit in between becomes '*':
//
//	"+441234561234"      -> "+44******1234"
//	"+44 (0)1234 561234" -> "+44*******1234"
//
// Numbers with fewer than 7 digits are masked except for the last 2 digits
// ("12345" -> "***45"); numbers of 1 or 2 digits are masked completely. Input
// without any digit yields "***"; empty input yields "". The result never
// holds more than 6 digits of the input.
func MaskPhone(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	plus := strings.HasPrefix(s, "+")
	var digits []rune
	for _, r := range s {
		if unicode.IsDigit(r) {
			digits = append(digits, r)
		}
	}
	n := len(digits)
	if n == 0 {
		return mask
	}
	var head, tail int
	switch {
	case n >= 7:
		head, tail = 2, 4
	case n > 2:
		head, tail = 0, 2
	default:
		head, tail = 0, 0
	}
	var b strings.Builder
	if plus {
		b.WriteByte('+')
	}
	for i, r := range digits {
		if i < head || i >= n-tail {
			b.WriteRune(r)
		} else {
			b.WriteByte('*')
		}
	}
	return b.String()
}

// Secret hides a credential: "" stays "" (so "not configured" remains
// visible in logs), anything else becomes "[redacted]".
func Secret(s string) string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// emailInTextRE finds things that look like e-mail addresses inside free text (platform
// error messages).
var emailInTextRE = regexp.MustCompile(`[^\s@"'<>()\[\],;:]+@[^\s@"'<>()\[\],;:]+`)

// MaskEmailsIn masks every e-mail address found in free text, such as a platform's error
// message, with MaskEmail.
func MaskEmailsIn(s string) string {
	return emailInTextRE.ReplaceAllStringFunc(s, MaskEmail)
}
