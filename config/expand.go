package config

import (
	"fmt"
	"strings"
)

// expandError is a problem found while expanding ${...} references.
type expandError struct {
	msg, hint string
}

// expand replaces ${VAR} and ${VAR:-default} in s using lookup. "$$" is a
// literal "$", and a "$" not followed by "{" or "$" is kept as is. As in the
// shell, ${VAR:-default} uses default when VAR is unset or empty. Every
// problem in s is returned, not just the first.
func expand(s string, lookup func(string) (string, bool)) (string, []expandError) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	var errs []expandError
	for i := 0; i < len(s); {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			i++
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i += 2
			continue
		case '{':
		default:
			b.WriteByte(c)
			i++
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			errs = append(errs, expandError{
				msg:  "unterminated ${",
				hint: "close it with }, or write $$ for a literal $",
			})
			b.WriteString(s[i:])
			break
		}
		ref := s[i+2 : i+2+end]
		i += 2 + end + 1
		name, def, hasDef := strings.Cut(ref, ":-")
		if !validEnvName(name) {
			errs = append(errs, expandError{
				msg:  fmt.Sprintf("invalid environment variable reference ${%s}", ref),
				hint: "use ${NAME} or ${NAME:-default}, NAME made of letters, digits and _; write $$ for a literal $",
			})
			continue
		}
		v, ok := lookup(name)
		switch {
		case hasDef && v == "":
			b.WriteString(def)
		case !ok:
			errs = append(errs, expandError{
				msg:  fmt.Sprintf("environment variable %s is not set", name),
				hint: fmt.Sprintf("set %s or use ${%s:-default}", name, name),
			})
		default:
			b.WriteString(v)
		}
	}
	return b.String(), errs
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
