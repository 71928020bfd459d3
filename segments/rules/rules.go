// Package rules compiles and runs custom segment rules: boolean expressions in the
// expr-lang language (https://expr-lang.org) over the fields of segments.Features, such as
// `orders_count >= 5 && country == "FR"`. docs/segments-rules.md documents the language and
// the fields.
//
// A rule is type-checked when it is compiled, so `cohortd config check` reports unknown
// fields, type mismatches and syntax errors with their position. Rules cannot read the clock
// or anything else outside the profile's features: a rule gives the same answer for the same
// features whenever and wherever it runs, so incremental and full recomputes agree.
package rules

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/cohortd/cohortd/segments"
)

// Rule is a compiled rule. It is safe for concurrent use.
type Rule struct {
	name string
	when string
	prog *vm.Program
	vms  sync.Pool // of *vm.VM, reused so Match does not allocate one per call
}

// Rule is what segments.Options.Custom runs.
var _ segments.Matcher = (*Rule)(nil)

// Name is the rule's name as given to Compile.
func (r *Rule) Name() string { return r.name }

// When is the rule's expression as given to Compile.
func (r *Rule) When() string { return r.when }

// String returns the rule's expression.
func (r *Rule) String() string { return r.when }

// allowedBuiltins are the expr builtins rules may call. Every other builtin is disabled
// (an allow-list, so a builtin added by a newer expr is not enabled silently):
//   - now, date, duration and timezone read the clock or the time zone database; time comes
//     from the days_since_* fields instead, so a rule's answer does not depend on when it runs;
//   - toPairs lists a map in random order (keys and values are replaced by sorted versions);
//   - toJSON, fromJSON, toBase64, fromBase64, fromPairs, type and repeat have no use in a
//     rule, and fromJSON's result escapes type checking.
var allowedBuiltins = map[string]bool{
	// Predicates over lists.
	"all": true, "none": true, "any": true, "one": true, "filter": true, "map": true,
	"find": true, "findIndex": true, "findLast": true, "findLastIndex": true, "count": true,
	"sum": true, "groupBy": true, "sortBy": true, "reduce": true,
	// Numbers.
	"abs": true, "ceil": true, "floor": true, "round": true, "int": true, "float": true,
	"max": true, "min": true, "mean": true, "median": true,
	"bitand": true, "bitor": true, "bitxor": true, "bitnand": true, "bitnot": true,
	"bitshl": true, "bitshr": true, "bitushr": true,
	// Strings.
	"len": true, "string": true, "trim": true, "trimPrefix": true, "trimSuffix": true,
	"upper": true, "lower": true, "split": true, "splitAfter": true, "replace": true,
	"join": true, "indexOf": true, "lastIndexOf": true, "hasPrefix": true, "hasSuffix": true,
	// Lists and maps.
	"first": true, "last": true, "get": true, "take": true, "reverse": true, "uniq": true,
	"concat": true, "flatten": true, "sort": true,
}

// clockBuiltins are the disabled builtins that would make a rule depend on the clock.
var clockBuiltins = map[string]bool{"now": true, "date": true, "duration": true, "timezone": true}

// options are the expr options every rule is compiled with.
var options = func() []expr.Option {
	opts := []expr.Option{
		expr.Env(segments.Features{}),
		expr.AsBool(),
		// Sorted replacements for the builtins: a Go map has no order, and a rule such as
		// first(keys(affinity)) == "Shoes" must not change its answer from run to run.
		expr.Function("keys", sortedKeys, new(func(map[string]float64) []string)),
		expr.Function("values", sortedValues, new(func(map[string]float64) []float64)),
	}
	for _, b := range builtin.Builtins {
		if !allowedBuiltins[b.Name] {
			opts = append(opts, expr.DisableBuiltin(b.Name))
		}
	}
	return opts
}()

func sortedKeys(params ...any) (any, error) {
	m, ok := params[0].(map[string]float64)
	if !ok {
		return nil, fmt.Errorf("keys: want a map, got %T", params[0])
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, nil
}

func sortedValues(params ...any) (any, error) {
	k, err := sortedKeys(params...)
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	m := params[0].(map[string]float64)
	keys := k.([]string)
	vals := make([]float64, len(keys))
	for i, key := range keys {
		vals[i] = m[key]
	}
	return vals, nil
}

// Compile parses and type-checks a rule. name only labels the rule (Match's errors name it).
// The error, if any, is an *Error giving the position of the mistake within when.
func Compile(name, when string) (r *Rule, err error) {
	defer func() {
		// expr is not known to panic on any input, but a rule comes from a config file and
		// must never crash the daemon or `cohortd config check`.
		if p := recover(); p != nil {
			r, err = nil, &Error{Line: 1, Column: 1, Msg: fmt.Sprintf("cannot compile the rule: %v", p)}
		}
	}()
	if strings.TrimSpace(when) == "" {
		return nil, &Error{Line: 1, Column: 1, Msg: "the rule is empty",
			Hint: "write an expression that is true or false, e.g. orders_count >= 5"}
	}
	prog, err := expr.Compile(when, options...)
	if err != nil {
		return nil, translate(when, err)
	}
	if e := inspect(prog); e != nil {
		return nil, e
	}
	return &Rule{name: name, when: when, prog: prog}, nil
}

// nilable are the builtins that give nil for an empty list or no match.
var nilable = map[string]bool{"first": true, "last": true, "get": true, "find": true, "findLast": true}

// inspect rejects what a rule must not use although expr compiles it, $env (its fields
// escape type checking), and works around an expr quirk: == on two strings or two ints
// compiles to an instruction that fails on nil, so first(tags) == "vip" would be an error
// for a customer without tags instead of false. When the rule can produce such a nil, the
// general equality, which treats nil as unequal to anything else, replaces it.
func inspect(prog *vm.Program) *Error {
	root := prog.Node()
	v := &inspector{}
	ast.Walk(&root, v)
	if v.env != nil {
		fe := (&file.Error{Location: v.env.Location(), Message: "$env"}).Bind(prog.Source())
		return &Error{Line: fe.Line, Column: fe.Column + 1, Msg: "$env is not available in rules",
			Hint: "name the fields directly, e.g. country == \"FR\""}
	}
	if v.nilable {
		for i, op := range prog.Bytecode {
			if op == vm.OpEqualString || op == vm.OpEqualInt {
				prog.Bytecode[i] = vm.OpEqual
			}
		}
	}
	return nil
}

type inspector struct {
	env     ast.Node // the first $env
	nilable bool     // a value may be nil: a nilable builtin or optional chaining (?.)
}

func (v *inspector) Visit(n *ast.Node) {
	switch n := (*n).(type) {
	case *ast.IdentifierNode:
		if n.Value == "$env" && v.env == nil {
			v.env = n
		}
	case *ast.BuiltinNode:
		v.nilable = v.nilable || nilable[n.Name]
	case *ast.ChainNode:
		v.nilable = true
	}
}

// Match reports whether the profile with features f is in the rule's segment. It does not
// allocate for rules that only compare fields with constants; building new values (arithmetic
// on floats, string functions, lists) allocates as in any expr program. The error is a
// runtime failure of the rule, such as an index out of range (tags[3]) or an integer division
// by zero, and names the rule; its cause is an *Error with the position in the rule.
func (r *Rule) Match(f *segments.Features) (bool, error) {
	if f == nil {
		return false, fmt.Errorf("rule %q: no features", r.name)
	}
	m, _ := r.vms.Get().(*vm.VM)
	if m == nil {
		m = &vm.VM{}
	}
	out, err := m.Run(r.prog, featuresEnv(f))
	r.vms.Put(m)
	if err != nil {
		return false, fmt.Errorf("rule %q: %w", r.name, runtimeError(err))
	}
	b, ok := out.(bool)
	if !ok { // AsBool makes this impossible; keep the promise of no panics regardless
		return false, fmt.Errorf("rule %q: result is %T, not true or false", r.name, out)
	}
	return b, nil
}

// runtimeError turns an error of expr's VM into an *Error.
func runtimeError(err error) error {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return err
	}
	return &Error{Line: max(fe.Line, 1), Column: fe.Column + 1, Msg: fe.Message}
}

// Error is a mistake in a rule: a syntax error, an unknown name, a type mismatch or a result
// that is not true or false (from Compile), or a failure while running it (Match). Line and
// Column are 1-based, counted in characters within the rule's text.
type Error struct {
	Line   int
	Column int
	Msg    string
	Hint   string // how to fix it; may be empty
}

// Error formats the error as LINE:COL: msg (hint).
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d:%d: %s", e.Line, e.Column, e.Msg)
	if e.Hint != "" {
		fmt.Fprintf(&b, " (%s)", e.Hint)
	}
	return b.String()
}

var featuresType = reflect.TypeFor[segments.Features]()
