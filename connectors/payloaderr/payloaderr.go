// Package payloaderr is the error the platform decoders (connectors/shopify/decode,
// connectors/woocommerce/decode) return for a payload they cannot turn into a record. It
// names where the payload came from and the field at fault, never a value: payloads carry
// emails, phones and addresses, and these errors end up in logs, dead letters and HTTP
// responses.
package payloaderr

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// DecodeError reports a payload that cannot be decoded.
type DecodeError struct {
	// Platform names the decoder in the message ("shopify", "woocommerce").
	Platform string
	// Source is the webhook topic ("orders/create", "order.updated"), the GraphQL type
	// ("graphql Order") or the REST resource ("customer").
	Source string
	// ID is the record's id when it was already known, else "".
	ID string
	// Field is the JSON path of the offending field ("line_items[2].price"), or "" when the
	// payload as a whole is unreadable.
	Field string
	// Reason says what is wrong, in words that never quote the payload.
	Reason string
}

// Error implements error: "PLATFORM decode: SOURCE [ID]: field FIELD: REASON".
func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString(e.Platform)
	b.WriteString(" decode: ")
	b.WriteString(e.Source)
	if e.ID != "" {
		b.WriteString(" ")
		b.WriteString(e.ID)
	}
	if e.Field != "" {
		b.WriteString(": field ")
		if strings.Contains(e.Field, "@") {
			// A key taken from the payload may be an address: never quoted.
			b.WriteString("(withheld: a key that may hold an address)")
		} else {
			b.WriteString(e.Field)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// FromJSON turns an encoding/json error into a DecodeError that does not echo the input: a
// json.UnmarshalTypeError quotes the offending value ("number 1e400"), and a phone number is a
// number, so only the kind of the value is kept.
func FromJSON(platform, source string, err error) *DecodeError {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		kind, _, _ := strings.Cut(te.Value, " ")
		want := "a value of another type"
		if te.Type != nil {
			want = jsonKind(te.Type.Kind().String())
		}
		return &DecodeError{Platform: platform, Source: source, Field: te.Field, Reason: fmt.Sprintf("want %s, got %s", want, kind)}
	case errors.As(err, &se):
		return &DecodeError{Platform: platform, Source: source, Reason: fmt.Sprintf("malformed JSON at byte %d", se.Offset)}
	}
	return &DecodeError{Platform: platform, Source: source, Reason: "malformed JSON"}
}

// jsonKind names a Go kind the way a JSON payload author thinks of it.
func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "integer"
	case "float32", "float64":
		return "number"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "struct", "map", "ptr", "interface":
		return "object"
	}
	return "a value of another type"
}
