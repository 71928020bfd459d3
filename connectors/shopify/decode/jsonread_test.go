package decode

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

var decimalNewFromString = decimal.NewFromString

// The reader must accept exactly what encoding/json accepts and read strings the same way; the
// tests compare the two on tricky inputs and under fuzzing.

func readerStr(in []byte) (string, *readErr) {
	a := &arena{}
	r := newReader(in, a)
	s, err := r.str()
	if err == nil {
		err = r.end()
	}
	return a.text().of(s), err
}

func readerValid(in []byte) bool {
	r := newReader(in, &arena{})
	if r.skip() != nil {
		return false
	}
	return r.end() == nil
}

func TestReaderStrings(t *testing.T) {
	inputs := []string{
		`""`, `"a"`, `"0123456789abcdef0123"`, `"quote \" in the middle of a long string"`,
		`"back\\slash"`, `"\/\b\f\n\r\t"`, `"\u00e9t\u00E9"`, `"Torstraße 12"`, `"日本語テキスト"`,
		`"\ud83d\ude00 emoji pair"`, `"\ud83d lone high"`, `"\ude00 lone low"`, `"\ud83d\u0041"`,
		"\"bad utf8 \xff\xfe here\"", "\"truncated \xe6\x97\"", "\"escape then bad \\n \xff\"",
		`null`,
	}
	for n := range 20 { // a quote, a backslash escape and a bad byte at every offset of the SWAR word
		pad := strings.Repeat("x", n)
		inputs = append(inputs, `"`+pad+`\"`+pad+`"`, `"`+pad+`\\`+pad+`"`, "\""+pad+"\xc3"+pad+"\"")
	}
	for _, in := range inputs {
		var want string
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatalf("encoding/json rejects %q: %v", in, err)
		}
		got, err := readerStr([]byte(in))
		if err != nil || got != want {
			t.Errorf("str(%q) = %q, %v; encoding/json says %q", in, got, err, want)
		}
	}
}

func TestReaderRejects(t *testing.T) {
	for _, in := range []string{
		``, ` `, `"unterminated`, `"ctrl` + "\x01" + `"`, "\"tab\there\"", `"bad \x escape"`, `"\u12"`, `"\u12G4"`,
		`{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,}`, `[1,]`, `[1 2]`, `{"a":1 "b":2}`, `{1:2}`,
		`01`, `-`, `1.`, `.5`, `1e`, `1e+`, `+1`, `0x10`, `NaN`, `tru`, `nul`, `falsey`,
		`{"a":1}}`, `[] []`, strings.Repeat("[", 300) + strings.Repeat("]", 300),
	} {
		if readerValid([]byte(in)) {
			t.Errorf("reader accepts %q", in)
		}
	}
	for _, in := range []string{
		`0`, `-0.5e+10`, `1E-2`, `true`, `false`, `null`, `[]`, `{}`, ` {"a" : [1, {"b": null}, "c"] } `,
		strings.Repeat("[", 200) + strings.Repeat("]", 200),
	} {
		if !readerValid([]byte(in)) {
			t.Errorf("reader rejects %q", in)
		}
	}
}

func TestReaderErrorPaths(t *testing.T) {
	_, err := Order("s", json.RawMessage(`{"lineItems":{"edges":[{"node":{"quantity":1}},{"node":{"quantity":"2"}}]}}`), nil)
	var de *DecodeError
	if !asDecodeError(err, &de) || de.Field != "lineItems.edges[1].node.quantity" || de.Reason != "want integer, got string" {
		t.Errorf("err = %v", err)
	}
	_, err = Customer("s", json.RawMessage(`{"addresses":[{},{"city":{"name":"x"}}]}`))
	if !asDecodeError(err, &de) || de.Field != "addresses[1].city" || de.Reason != "want string, got object" {
		t.Errorf("err = %v", err)
	}
	_, err = Customer("s", json.RawMessage(`{"id":"gid://shopify/Customer/1"} trailing`))
	if !asDecodeError(err, &de) || de.Field != "" || !strings.HasPrefix(de.Reason, "malformed JSON at byte 34") {
		t.Errorf("err = %v", err)
	}
}

func asDecodeError(err error, de **DecodeError) bool {
	e, ok := err.(*DecodeError)
	*de = e
	return ok
}

func TestSmallDecimal(t *testing.T) {
	for _, s := range []string{"0", "0.0", "-0.50", "129.40", "283.47", "100", "007.10", "999999999999999999",
		"12345678901234567.8", "1234567890123456789", "1e3", "5.", ".5", "+1", "-", "", "1.2.3", "12,5"} {
		want, werr := decimalNewFromString(s)
		got, ok := parseMoney(s)
		if (werr == nil) != ok {
			t.Errorf("parseMoney(%q) ok = %v, NewFromString err = %v", s, ok, werr)
			continue
		}
		if ok && (!got.Equal(want) || got.Exponent() != want.Exponent() || got.String() != want.String()) {
			t.Errorf("parseMoney(%q) = %s (exp %d), NewFromString = %s (exp %d)", s, got, got.Exponent(), want, want.Exponent())
		}
	}
}

// FuzzReader: the reader accepts exactly the inputs encoding/json accepts, and reads a string
// as encoding/json does.
func FuzzReader(f *testing.F) {
	for _, s := range []string{`"a\"b"`, `{"a":[1,2,{"b":null}]}`, "\"\xff\"", `"\ud83d\ude00"`, `-1.5e3`, `[`, `{"a":1,}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if got, want := readerValid(in), json.Valid(in); got != want {
			t.Fatalf("reader valid = %v, encoding/json = %v for %q", got, want, in)
		}
		var want string
		if json.Unmarshal(in, &want) == nil && len(in) > 0 && in[0] == '"' {
			if got, err := readerStr(in); err != nil || got != want {
				t.Fatalf("str(%q) = %q, %v; encoding/json %q", in, got, err, want)
			}
		}
	})
}
