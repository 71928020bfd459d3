package shopify

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

func TestLineHeadAgreesWithEncodingJSON(t *testing.T) {
	for _, line := range []string{
		`{"id":"gid://shopify/Order/1","name":"#1001","lineItems":{"x":[1,2,{"id":"nested"}]}}`,
		`{"id":"gid://shopify/LineItem/9","title":"a \"quoted\" \\ title, {with} [brackets]","__parentId":"gid://shopify/Order/1"}`,
		`{"title":"\"__parentId\":\"gid://x\"","id":"gid://shopify/Customer/\u0031"}`,
		` {"__parentId":"gid://shopify/Order/2","id":"gid://shopify/LineItem/3"} `,
		`{"n":null,"b":true,"f":1.5e3,"id":"x"}`,
	} {
		var want struct {
			ID       string `json:"id"`
			ParentID string `json:"__parentId"`
		}
		if err := json.Unmarshal([]byte(line), &want); err != nil {
			t.Fatal(err)
		}
		id, parent, err := lineHead([]byte(line))
		if err != nil || id != want.ID || parent != want.ParentID {
			t.Errorf("%s: got %q %q %v, want %q %q", line, id, parent, err, want.ID, want.ParentID)
		}
	}
	for _, bad := range []string{``, `[]`, `{"id":"x"`, `{"id":"x}`, `{"id":"x"}}`, `{"id":"x"} x`, `"id"`} {
		if _, _, err := lineHead([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzLineHead(f *testing.F) {
	f.Add([]byte(`{"id":"a","__parentId":"b"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		id, parent, err := lineHead(b)
		// A map decodes keys exactly (a struct would match them case-insensitively) and keeps
		// the last of duplicate keys, as lineHead does.
		var m map[string]any
		if json.Unmarshal(b, &m) != nil || err != nil {
			return
		}
		wantID, _ := m["id"].(string)
		wantParent, _ := m["__parentId"].(string)
		if _, isString := m["id"].(string); !isString && m["id"] != nil {
			return // a non-string id: the record decoder reports it
		}
		if id != wantID || parent != wantParent {
			t.Fatalf("%q: got %q %q, want %q %q", b, id, parent, wantID, wantParent)
		}
	})
}

// stringEnd's shortcut (the next quote, when no backslash comes first) finds the same closing
// quote as the byte-by-byte scan, escapes included.
func TestStringEndFindsTheClosingQuote(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int // index of the closing quote; -1 for none
	}{
		{`"abc"`, 4},
		{`""`, 1},
		{`"a\"b"`, 5},
		{`"a\\"b"`, 4},
		{`"a\\\"b"`, 7},
		{`"\u00e9"`, 7},
		{`"abc`, -1},
		{`"a\"`, -1},
		{`"a\`, -1},
		{`"x","y"`, 2},
	} {
		got, ok := stringEnd([]byte(tc.in), 0)
		if !ok {
			got = -1
		}
		if got != tc.want {
			t.Errorf("stringEnd(%s) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// quickHead reads every line of a real bulk export (orders with their line-item children), and
// gives lineHead's answer on them; it refuses the layouts it does not know, which lineHead
// then reads.
func TestQuickHeadAgreesWithLineHead(t *testing.T) {
	data, err := os.ReadFile("decode/testdata/graphql/orders_bulk.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	children := 0
	for _, line := range lines {
		id, parent, ok := quickHead(line)
		if !ok {
			t.Fatalf("quickHead refused a real bulk line: %s", line)
		}
		wantID, wantParent, err := lineHead(line)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(line[id.start:id.end]); got != wantID {
			t.Errorf("id %q, want %q", got, wantID)
		}
		if got := string(line[parent.start:parent.end]); got != wantParent {
			t.Errorf("parent %q, want %q", got, wantParent)
		}
		if wantParent != "" {
			children++
		}
	}
	if len(lines) != 6 || children != 4 {
		t.Fatalf("testdata: %d lines, %d children", len(lines), children)
	}
	for _, tc := range []struct{ line, id, parent string }{
		{`{"id":"gid://shopify/LineItem/9","title":"x","__parentId":"gid://shopify/Order/1"}`, "gid://shopify/LineItem/9", "gid://shopify/Order/1"},
		{`{"id":"gid://shopify/Customer/1"}`, "gid://shopify/Customer/1", ""},
		{`{"id":"a","__parentId":""}`, "a", ""},
	} {
		id, parent, ok := quickHead([]byte(tc.line))
		if !ok || tc.line[id.start:id.end] != tc.id || tc.line[parent.start:parent.end] != tc.parent {
			t.Errorf("%s: got %v %v %v, want %q %q", tc.line, id, parent, ok, tc.id, tc.parent)
		}
	}
	for _, other := range []string{
		` {"id":"a"}`,                           // leading space
		`{"title":"t","id":"a"}`,                // id not first
		`{"id":"a\"b"}`,                         // escaped id
		`{"id":"a","__parentId":"b","x":1}`,     // parent not last
		`{"id":"a","x":{"__parentId":"b"}}`,     // nested parent
		`{"id":"a","__parentId":"b\u0031"}`,     // escaped parent
		`{"id":"a","__parentId":"b"} `,          // trailing space
		`{"id":"a","t":"x","__parentId":"b"`,    // unclosed
		`{"id":"a"`,                             // unclosed
		`{"id":"a","t":"\"","__parentId":"b\"}`, // parent's value holds a quote
	} {
		if _, _, ok := quickHead([]byte(other)); ok {
			t.Errorf("quickHead read %s; lineHead should", other)
		}
	}
}

func FuzzQuickHead(f *testing.F) {
	f.Add([]byte(`{"id":"a","__parentId":"b"}`))
	f.Add([]byte(`{"id":"a","x":{"y":[1,"__parentId"]},"__parentId":"b"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		id, parent, ok := quickHead(b)
		wantID, wantParent, err := lineHead(b)
		// The record decoder, not quickHead, rejects what is not JSON; Shopify writes each key
		// once.
		if !ok || err != nil || !json.Valid(b) || bytes.Count(b, []byte(`"id"`)) > 1 {
			return
		}
		if string(b[id.start:id.end]) != wantID || string(b[parent.start:parent.end]) != wantParent {
			t.Fatalf("%q: got %q %q, want %q %q", b, b[id.start:id.end], b[parent.start:parent.end], wantID, wantParent)
		}
	})
}

// BenchmarkLineHead reads the heads of a real bulk export's lines both ways.
func BenchmarkLineHead(b *testing.B) {
	data, err := os.ReadFile("decode/testdata/graphql/orders_bulk.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	b.SetBytes(int64(len(data)))
	b.Run("lineHead", func(b *testing.B) {
		for b.Loop() {
			for _, l := range lines {
				if _, _, err := lineHead(l); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("quickHead", func(b *testing.B) {
		for b.Loop() {
			for _, l := range lines {
				if _, _, ok := quickHead(l); !ok {
					b.Fatal("refused")
				}
			}
		}
	})
}
