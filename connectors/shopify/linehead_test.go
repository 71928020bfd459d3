package shopify

import (
	"encoding/json"
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
