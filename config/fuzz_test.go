package config

import (
	"os"
	"testing"
)

// FuzzParse checks that Parse never panics, and that it returns either a
// config or problems, never both or neither.
func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile(examplePath); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"http:\n  lisen: x\n",
		"stores:\n  - id: a\n    kind: shopify\n    <<: *x\n",
		"a: &a [*a]\n",
		"stores: [&s {id: a, kind: file, path: p}, *s, {<<: [*s, *s], id: b}]\n",
		"data_dir: ${X:-${Y}}\nschedule: {backup: '@every'}\n",
		"? [a]\n: b\n",
		"--- 1\n--- 2\n",
		"http:\n  admin_token_file: /nonexistent\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parse("fuzz.yaml", data,
			func(string) (string, bool) { return "", false },
			func(string) ([]byte, error) { return []byte("secret\n"), nil })
		if (cfg == nil) == (err == nil) {
			t.Fatalf("Parse returned cfg=%v err=%v", cfg != nil, err)
		}
		if err != nil {
			ps, ok := err.(Problems)
			if !ok || len(ps) == 0 {
				t.Fatalf("error %T %v is not a non-empty Problems", err, err)
			}
			_ = err.Error()
		}
	})
}
