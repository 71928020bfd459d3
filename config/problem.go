package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with a configuration file, with the position of
// the YAML node it concerns. Line and Col are 1-based; 0 means unknown (for
// example when the file cannot be read at all, or a YAML syntax error for
// which the parser only reports a line).
type Problem struct {
	File string
	Line int
	Col  int
	Msg  string
	Hint string
}

// Error formats the problem as FILE:LINE:COL: msg (hint). The position parts
// that are unknown (0) are left out, as is " (hint)" when there is no hint.
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Col > 0 {
			fmt.Fprintf(&b, ":%d", p.Col)
		}
	}
	b.WriteString(": ")
	b.WriteString(p.Msg)
	if p.Hint != "" {
		b.WriteString(" (")
		b.WriteString(p.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Problems is every problem found in a configuration file, in file order.
// Load and Parse return it as their error; use errors.As to get at the
// individual problems.
type Problems []Problem

// Error returns one problem per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the individual problems so errors.As(err, &Problem{}) works.
func (ps Problems) Unwrap() []error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errs
}

// sorted returns the problems ordered by position with exact duplicates
// (which aliases can produce) removed.
func (ps Problems) sorted() Problems {
	out := slices.Clone(ps)
	slices.SortStableFunc(out, func(a, b Problem) int {
		if c := cmp.Compare(a.Line, b.Line); c != 0 {
			return c
		}
		return cmp.Compare(a.Col, b.Col)
	})
	seen := make(map[Problem]bool, len(out))
	return slices.DeleteFunc(out, func(p Problem) bool {
		dup := seen[p]
		seen[p] = true
		return dup
	})
}
