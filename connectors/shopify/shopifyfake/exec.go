package shopifyfake

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// object is anything the projector can select fields from. field returns a value the
// projector understands (nil, string, bool, int, int64, float64, []string, object,
// []object, json.RawMessage, fieldError) or unknownField for a valid field the fake does not
// model, which becomes the zero of the field's declared type.
type object interface {
	typeName() string
	field(ec *execCtx, name string, args map[string]any) any
}

type unknownFieldT struct{}

var unknownField = unknownFieldT{}

// fieldError makes the field null and adds a GraphQL error with the field's path.
type fieldError struct {
	msg  string
	code string
}

// execCtx carries one execution: variables, collected errors, the actual cost and, for
// bulk queries, the sink that turns nested connections into __parentId lines.
type execCtx struct {
	f      *Fake
	vars   map[string]any
	errs   []gqlError
	actual int
	bulk   *bulkLines // non-nil while projecting a bulk query node
}

// bulkLines collects the child lines of the node being written.
type bulkLines struct {
	pending []pendingConn
}

type pendingConn struct {
	conn *connection
	sel  ast.SelectionSet
}

type collected struct {
	key    string
	fields []*ast.Field
}

func (ec *execCtx) skipped(f *ast.Field) bool {
	for _, d := range f.Directives {
		switch d.Name {
		case "skip", "include":
			v, _ := d.ArgumentMap(ec.vars)["if"].(bool)
			if (d.Name == "skip") == v {
				return true
			}
		}
	}
	return false
}

// matches reports whether an object of type typ satisfies a fragment's type condition.
func (ec *execCtx) matches(cond, typ string) bool {
	if cond == "" || cond == typ {
		return true
	}
	s := adminSchema()
	def := s.Types[cond]
	if def == nil || (def.Kind != ast.Interface && def.Kind != ast.Union) {
		return false
	}
	for _, p := range s.GetPossibleTypes(def) {
		if p.Name == typ {
			return true
		}
	}
	return false
}

func (ec *execCtx) collect(sel ast.SelectionSet, typ string, out []collected) []collected {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if ec.skipped(s) {
				continue
			}
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			found := false
			for i := range out {
				if out[i].key == key {
					out[i].fields = append(out[i].fields, s)
					found = true
					break
				}
			}
			if !found {
				out = append(out, collected{key: key, fields: []*ast.Field{s}})
			}
		case *ast.InlineFragment:
			if ec.matches(s.TypeCondition, typ) {
				out = ec.collect(s.SelectionSet, typ, out)
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && ec.matches(s.Definition.TypeCondition, typ) {
				out = ec.collect(s.Definition.SelectionSet, typ, out)
			}
		}
	}
	return out
}

func mergedSelection(fields []*ast.Field) ast.SelectionSet {
	if len(fields) == 1 {
		return fields[0].SelectionSet
	}
	var sel ast.SelectionSet
	for _, f := range fields {
		sel = append(sel, f.SelectionSet...)
	}
	return sel
}

// writeObject projects o through sel. parentID, when set, is appended as "__parentId"
// (bulk child lines).
func (ec *execCtx) writeObject(b []byte, o object, sel ast.SelectionSet, path []any, parentID string) []byte {
	switch o.(type) {
	case *connection:
		ec.actual += 2
	case pageInfoObj, edgeObj:
	default:
		ec.actual++
	}
	typ := o.typeName()
	b = append(b, '{')
	first := true
	for _, c := range ec.collect(sel, typ, nil) {
		fld := c.fields[0]
		var v any
		if fld.Name == "__typename" {
			v = typ
		} else {
			v = o.field(ec, fld.Name, fld.ArgumentMap(ec.vars))
		}
		if conn, ok := v.(*connection); ok && ec.bulk != nil {
			// Bulk output: a nested connection becomes separate lines after the parent.
			ec.bulk.pending = append(ec.bulk.pending, pendingConn{conn: conn, sel: bulkNodeSelection(mergedSelection(c.fields))})
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, c.key)
		b = append(b, ':')
		b = ec.writeValue(b, v, fld, mergedSelection(c.fields), append(path, c.key))
	}
	if parentID != "" {
		if !first {
			b = append(b, ',')
		}
		b = append(b, `"__parentId":`...)
		b = appendJSONString(b, parentID)
	}
	return append(b, '}')
}

func (ec *execCtx) writeValue(b []byte, v any, fld *ast.Field, sel ast.SelectionSet, path []any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case unknownFieldT:
		return ec.writeValue(b, zeroOf(fld.Definition.Type), fld, sel, path)
	case fieldError:
		ec.errs = append(ec.errs, gqlError{Message: v.msg, Locations: []gqlLocation{{fld.Position.Line, fld.Position.Column}}, Path: append([]any(nil), path...), Extensions: map[string]any{"code": v.code}})
		return append(b, "null"...)
	case string:
		return appendJSONString(b, v)
	case bool:
		return strconv.AppendBool(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case float64:
		return strconv.AppendFloat(b, v, 'f', -1, 64)
	case json.RawMessage:
		return append(b, v...)
	case []string:
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		return append(b, ']')
	case []object:
		b = append(b, '[')
		for i, o := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if o == nil {
				b = append(b, "null"...)
				continue
			}
			b = ec.writeObject(b, o, sel, append(path, i), "")
		}
		return append(b, ']')
	case []any:
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = ec.writeValue(b, x, fld, sel, append(path, i))
		}
		return append(b, ']')
	case object:
		return ec.writeObject(b, v, sel, path, "")
	}
	return append(b, "null"...)
}

// zeroOf is the value of a field the fake does not model: null when nullable, otherwise an
// empty list, a zero scalar or an object whose fields are all zero.
func zeroOf(t *ast.Type) any {
	if !t.NonNull {
		return nil
	}
	if t.Elem != nil {
		return []any{}
	}
	def := adminSchema().Types[t.NamedType]
	if def == nil {
		return nil
	}
	switch def.Kind {
	case ast.Enum:
		if len(def.EnumValues) > 0 {
			return def.EnumValues[0].Name
		}
		return ""
	case ast.Object:
		return zeroObject(t.NamedType)
	case ast.Interface, ast.Union:
		return nil
	}
	switch t.NamedType {
	case "Int":
		return 0
	case "Float":
		return 0.0
	case "Boolean":
		return false
	case "DateTime":
		return "1970-01-01T00:00:00Z"
	case "Decimal", "Money":
		return "0.0"
	case "UnsignedInt64":
		return "0"
	}
	return ""
}

type zeroObject string

func (z zeroObject) typeName() string                           { return string(z) }
func (z zeroObject) field(*execCtx, string, map[string]any) any { return unknownField }

// bulkNodeSelection returns the node selection of a connection selection
// (edges { node { … } } or nodes { … }).
func bulkNodeSelection(sel ast.SelectionSet) ast.SelectionSet {
	var out ast.SelectionSet
	for _, s := range sel {
		f, ok := s.(*ast.Field)
		if !ok {
			continue
		}
		switch f.Name {
		case "nodes":
			out = append(out, f.SelectionSet...)
		case "edges":
			for _, e := range f.SelectionSet {
				if n, ok := e.(*ast.Field); ok && n.Name == "node" {
					out = append(out, n.SelectionSet...)
				}
			}
		}
	}
	return out
}

func appendJSONString(b []byte, s string) []byte {
	simple := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 || c == '<' || c == '>' || c == '&' {
			simple = false
			break
		}
	}
	if simple {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// mapObj is a small object given as a map (payloads, user errors, counts).
type mapObj struct {
	typ string
	m   map[string]any
}

func (m mapObj) typeName() string { return m.typ }
func (m mapObj) field(_ *execCtx, name string, _ map[string]any) any {
	if v, ok := m.m[name]; ok {
		return v
	}
	return unknownField
}

// userErrors builds a list of user errors of type typ.
func userErrors(typ string, errs ...map[string]any) []object {
	out := make([]object, 0, len(errs))
	for _, e := range errs {
		out = append(out, mapObj{typ: typ, m: e})
	}
	return out
}

func argString(args map[string]any, name string) string {
	s, _ := args[name].(string)
	return s
}

func argInt(args map[string]any, name string) (int, bool) {
	switch v := args[name].(type) {
	case int:
		return v, true
	case int64:
		return int(v), true
	case float64:
		return int(v), true
	case json.Number:
		n, err := v.Int64()
		return int(n), err == nil
	case string:
		n, err := strconv.Atoi(v)
		return n, err == nil
	}
	return 0, false
}

func argStrings(args map[string]any, name string) []string {
	switch v := args[name].(type) {
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return v
	case string:
		return strings.Split(v, ",")
	}
	return nil
}
