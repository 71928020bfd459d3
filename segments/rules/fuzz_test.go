package rules

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cohortd/cohortd/segments"
)

// FuzzCompile checks that Compile never panics, that it returns either a rule or an *Error
// with a position inside (or just after) the rule, and that a compiled rule runs.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"total_spent >= 1000", "orders_count >= ", "total_spent >> 3", "country > 5", "tags == 3",
		`total_spent + "x"`, "order_count > 3", "total_spent", `"vip" in tags && affinity["Shoes"] > 0.5`,
		"now() > 1", "$env.country", "let x = 1; x > 0", `all(tags, # startsWith "a")`, "1..3 == [1]",
		"orders_count >= 5 &&\n  country == \"FR\"", `country matches "["`, "(((", "tags[5] == nil",
	} {
		f.Add(s)
	}
	a, b := alice(), bob()
	f.Fuzz(func(t *testing.T, when string) {
		r, err := Compile("fuzz", when)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Compile(%q) error %T is not an *Error: %v", when, err, err)
			}
			if r != nil {
				t.Fatalf("Compile(%q) returned a rule and an error", when)
			}
			if e.Line < 1 || e.Column < 1 || e.Msg == "" {
				t.Fatalf("Compile(%q) = %#v: position or message missing", when, e)
			}
			if utf8.ValidString(when) && e.Line > 1+strings.Count(when, "\n") {
				t.Fatalf("Compile(%q): line %d is past the end", when, e.Line)
			}
			_ = e.Error()
			return
		}
		for _, f := range []*segments.Features{a, b} {
			_, _ = r.Match(f) // runtime errors are fine; panics are not
		}
	})
}
