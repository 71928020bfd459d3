package rules

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/file"
	"github.com/hbollon/go-edlib"
)

var (
	unknownNameRE = regexp.MustCompile(`^unknown name (\S+)$`)
	mismatchRE    = regexp.MustCompile(`^invalid operation: (\S+) \(mismatched types (.+) and (.+)\)$`)
	unexpectedRE  = regexp.MustCompile(`^unexpected token ([A-Za-z]+)(?:\((.*)\))?$`)
	expectedRE    = regexp.MustCompile(`^expected bool, but got (.+)$`)
)

// translate turns an error of expr.Compile into an *Error with a 1-based position and, where
// it can, a hint on how to fix the rule.
func translate(when string, err error) *Error {
	var fe *file.Error
	if !errors.As(err, &fe) {
		// Errors without a position concern the whole rule; expr reports a result of the
		// wrong type this way.
		e := &Error{Line: 1, Column: 1, Msg: err.Error()}
		if m := expectedRE.FindStringSubmatch(err.Error()); m != nil {
			e.Msg = fmt.Sprintf("the rule must be true or false, but it is %s", describeType(m[1]))
			e.Hint = "compare it with something, e.g. total_spent >= 1000"
		}
		return e
	}
	e := &Error{Line: max(fe.Line, 1), Column: fe.Column + 1, Msg: fe.Message}
	switch msg := fe.Message; {
	case unknownNameRE.MatchString(msg):
		unknownName(e, unknownNameRE.FindStringSubmatch(msg)[1], isCall(when, fe.To))
	case mismatchRE.MatchString(msg):
		m := mismatchRE.FindStringSubmatch(msg)
		e.Msg = fmt.Sprintf("mismatched types %s and %s for %s", m[2], m[3], m[1])
		e.Hint = mismatchHint(m[1], m[2], m[3])
	case unexpectedRE.MatchString(msg):
		m := unexpectedRE.FindStringSubmatch(msg)
		unexpected(e, m[1], m[2])
		if m[1] == "EOF" {
			e.Line, e.Column = endOfText(when)
		}
	case strings.HasPrefix(msg, "literal not terminated"):
		e.Msg = "text is not closed"
		e.Hint = `end it with the quote it starts with, e.g. country == "FR"`
	}
	return e
}

// endOfText is the position just after the last character of when that is not blank, where
// something is missing when the rule ends too early.
func endOfText(when string) (line, col int) {
	line, col = 1, 1
	for _, r := range strings.TrimRight(when, " \t\r\n") {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// isCall reports whether the name ending at rune offset to in when is followed by "(".
func isCall(when string, to int) bool {
	r := []rune(when)
	if to < 0 || to > len(r) {
		return false
	}
	return strings.HasPrefix(strings.TrimLeft(string(r[to:]), " \t\r\n"), "(")
}

// unknownName explains an unknown identifier: a disabled builtin, a misspelt field or
// function, or a name that is not a field at all.
func unknownName(e *Error, name string, call bool) {
	switch {
	case clockBuiltins[name]:
		e.Msg = fmt.Sprintf("%s() is not available in rules", name)
		e.Hint = "a rule must not depend on the clock; use days_since_last_order, days_since_first_order or days_since_first_seen"
		return
	case call && isBuiltin(name):
		e.Msg = fmt.Sprintf("%s() is not available in rules", name)
		e.Hint = "docs/segments-rules.md lists the functions rules can use"
		return
	case call:
		e.Msg = fmt.Sprintf("unknown function %s", name)
		if s := suggest(name, functionNames()); s != "" {
			e.Hint = fmt.Sprintf("did you mean %s?", s)
		} else {
			e.Hint = "docs/segments-rules.md lists the functions rules can use"
		}
		return
	}
	if s := suggest(name, fieldNames()); s != "" {
		e.Hint = fmt.Sprintf("did you mean %s?", s)
		return
	}
	names := fieldNames()
	e.Hint = fmt.Sprintf("fields include %s, ...; docs/segments-rules.md lists all %d",
		strings.Join(names[:min(6, len(names))], ", "), len(names))
	if strings.ContainsAny(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") || !strings.Contains(name, "_") {
		e.Hint += `; quote text values, e.g. country == "FR"`
	}
}

// mismatchHint explains an operator applied to values of types it does not accept.
func mismatchHint(op, left, right string) string {
	isList := func(t string) bool { return strings.HasPrefix(t, "[]") }
	isMap := func(t string) bool { return strings.HasPrefix(t, "map[") }
	isNum := func(t string) bool { return t == "int" || t == "float64" }
	isText := func(t string) bool { return t == "string" }
	either := func(f func(string) bool) bool { return f(left) || f(right) }
	switch {
	case either(isList):
		return `tags, stores and top_affinity are lists: test membership with "vip" in tags, count with len(tags)`
	case either(isMap):
		return `affinity is a map: look up one product type with affinity["Shoes"]`
	case either(isText) && either(isNum):
		if op == "+" {
			return "+ adds two numbers or joins two texts; use string(x) or float(x) to convert"
		}
		return `compare text with quoted text, e.g. country == "FR", and numbers with numbers, e.g. orders_count > 5`
	case left == "bool" || right == "bool":
		return "true/false fields stand on their own, e.g. has_email or not has_email"
	}
	return ""
}

// unexpected rewrites the parser's "unexpected token Kind("value")" in a rule author's terms.
func unexpected(e *Error, kind, value string) {
	if kind == "EOF" {
		e.Msg = "the rule ends too early"
		e.Hint = "something is missing after the last operator, e.g. orders_count >= 5"
		return
	}
	if v, err := strconv.Unquote(value); err == nil {
		e.Msg = fmt.Sprintf("unexpected %q", v)
		value = v
	}
	switch {
	case kind == "Identifier" || kind == "Number" || kind == "String":
		e.Hint = `join conditions with and or or, e.g. country == "FR" and orders_count > 3`
	case value == "=":
		e.Hint = `compare with ==, e.g. country == "FR"`
	case value == ">" || value == "<" || value == "&" || value == "|":
		e.Hint = "operators are ==, !=, <, <=, >, >=, and, or, not, in, +, -, *, /, %"
	}
}

// describeType names an expr type for a rule author.
func describeType(t string) string {
	switch t {
	case "int", "float64":
		return fmt.Sprintf("a number (%s)", t)
	case "string":
		return "text (string)"
	case "unknown", "nil":
		return "nil"
	}
	if strings.HasPrefix(t, "[]") {
		return fmt.Sprintf("a list (%s)", t)
	}
	if strings.HasPrefix(t, "map[") {
		return fmt.Sprintf("a map (%s)", t)
	}
	return t
}

var normalizer = strings.NewReplacer("_", "", "-", "", ".", "")

// suggest returns the candidate closest to s if it is close enough to be a likely typo: the
// same name up to case and separators (TotalSpent, total-spent), or within a small edit
// distance.
func suggest(s string, candidates []string) string {
	norm := func(x string) string { return normalizer.Replace(strings.ToLower(x)) }
	best, bestDist := "", -1
	for _, c := range candidates {
		if norm(c) == norm(s) {
			return c
		}
		d := edlib.LevenshteinDistance(strings.ToLower(s), c)
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	n := len([]rune(s))
	if bestDist < 0 || bestDist*2 >= n || bestDist > 2 && bestDist*3 > n {
		return ""
	}
	return best
}

func isBuiltin(name string) bool {
	_, ok := builtin.Index[name]
	return ok
}

// functionNames are the functions rules can call, sorted.
func functionNames() []string {
	var out []string
	for name := range allowedBuiltins {
		out = append(out, name)
	}
	out = append(out, "keys", "values")
	slices.Sort(out)
	return out
}
