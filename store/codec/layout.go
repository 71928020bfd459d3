package codec

import (
	"fmt"
	"reflect"
	"strings"
)

// FieldLayout describes the fields of the struct v (or *v): one "Name Type \"cbor tag\"" line
// each. The hand-written encoders' tests pin it, so that a field added, removed or re-tagged
// fails them until the encoder writes it as Marshal does.
func FieldLayout(v any) string {
	rt := reflect.TypeOf(v)
	if rt.Kind() == reflect.Pointer {
		rt = rt.Elem()
	}
	var b strings.Builder
	for i := range rt.NumField() {
		f := rt.Field(i)
		fmt.Fprintf(&b, "%s %s %q\n", f.Name, f.Type, f.Tag.Get("cbor"))
	}
	return b.String()
}
