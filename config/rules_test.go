package config

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// A type error in one rule and a syntax error in another are both reported, each at the
// mistake's own line and column in the file.
func TestRuleProblems(t *testing.T) {
	src := `segments:
  custom:
    - name: big_spenders
      when: total_spent >= 1000
    - name: french
      when: country > 5
    - name: vip
      when: orders_count >= 5 && total_spent >> 3
    - name: lapsed
      when: order_count > 3
    - name: spenders
      when: total_spent
`
	got := messages(problems(t, src))
	want := []string{
		`cohortd.yaml:6:21: segment "french": when: mismatched types string and int for > (compare text with quoted text, e.g. country == "FR", and numbers with numbers, e.g. orders_count > 5)`,
		`cohortd.yaml:8:47: segment "vip": when: unexpected ">" (operators are ==, !=, <, <=, >, >=, and, or, not, in, +, -, *, /, %)`,
		`cohortd.yaml:10:13: segment "lapsed": when: unknown name order_count (did you mean orders_count?)`,
		`cohortd.yaml:12:13: segment "spenders": when: the rule must be true or false, but it is a number (float64) (compare it with something, e.g. total_spent >= 1000)`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRulePositions checks the position of a mistake for each way YAML can write the rule.
func TestRulePositions(t *testing.T) {
	t.Setenv("COHORTD_TEST_RULE", "orders_count >= 5 && country > 5")
	tests := []struct {
		name, when, want string
	}{
		{"plain", `when: orders_count >= `,
			`cohortd.yaml:4:28: segment "s": when: the rule ends too early (something is missing after the last operator, e.g. orders_count >= 5)`},
		{"double quoted", `when: "orders_count >= 5 && country > 5"`,
			`cohortd.yaml:4:43: segment "s": when: mismatched types string and int for > (compare text with quoted text, e.g. country == "FR", and numbers with numbers, e.g. orders_count > 5)`},
		// Each \" is two characters in the file and one in the rule.
		{"double quoted escapes", `when: "country == \"FR\" && tags == 3"`,
			`cohortd.yaml:4:40: segment "s": when: mismatched types []string and int for == (tags, stores and top_affinity are lists: test membership with "vip" in tags, count with len(tags))`},
		{"single quoted", `when: 'country == ''FR'' && tags == 3'`,
			`cohortd.yaml:4:40: segment "s": when: mismatched types []string and int for == (tags, stores and top_affinity are lists: test membership with "vip" in tags, count with len(tags))`},
		{"literal block, first line", "when: |\n        contry == \"FR\"",
			`cohortd.yaml:5:9: segment "s": when: unknown name contry (did you mean country?)`},
		{"literal block, later line", "when: |\n        orders_count >= 5\n          && country > 5\n",
			`cohortd.yaml:6:22: segment "s": when: mismatched types string and int for > (compare text with quoted text, e.g. country == "FR", and numbers with numbers, e.g. orders_count > 5)`},
		{"literal block, ends too early", "when: |-\n        orders_count >= 5 &&\n          country ==\n",
			`cohortd.yaml:6:21: segment "s": when: the rule ends too early (something is missing after the last operator, e.g. orders_count >= 5)`},
		// After ${VAR} expansion the file no longer holds the rule: report at the value.
		{"expanded", `when: ${COHORTD_TEST_RULE}`,
			`cohortd.yaml:4:13: segment "s": when: mismatched types string and int for > (compare text with quoted text, e.g. country == "FR", and numbers with numbers, e.g. orders_count > 5)`},
		{"tagged", `when: !!str country > 5`,
			`cohortd.yaml:4:13: segment "s": when: mismatched types string and int for > (compare text with quoted text, e.g. country == "FR", and numbers with numbers, e.g. orders_count > 5)`},
		{"clock", `when: days_since_last_order > 3 || now() > 3`,
			`cohortd.yaml:4:42: segment "s": when: now() is not available in rules (a rule must not depend on the clock; use days_since_last_order, days_since_first_order or days_since_first_seen)`},
		{"followed by another key", "when: country > 5\n      tag: cohort:x",
			`cohortd.yaml:4:21: segment "s": when: mismatched types string and int for > (compare text with quoted text, e.g. country == "FR", and numbers with numbers, e.g. orders_count > 5)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "segments:\n  custom:\n    - name: s\n      " + tt.when + "\n"
			got := messages(problems(t, src))
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("got\n%s\nwant\n%s\nfor\n%s", strings.Join(got, "\n"), tt.want, src)
			}
		})
	}
}

func TestValidRules(t *testing.T) {
	cfg := mustParse(t, `segments:
  custom:
    - name: tagged_vip
      when: |
        "vip" in tags
    - name: fr
      when: 'language == "fr" && device == "mobile"'
    - name: shoes
      when: affinity["Shoes"] > 0.5
    - name: always
      when: true
`)
	var whens []string
	for _, c := range cfg.Segments.Custom {
		whens = append(whens, c.When)
	}
	want := []string{"\"vip\" in tags\n", `language == "fr" && device == "mobile"`, `affinity["Shoes"] > 0.5`, "true"}
	if !reflect.DeepEqual(whens, want) {
		t.Errorf("when = %q, want %q", whens, want)
	}
}

// TestRulesDocMistakes keeps the config check output shown in docs/segments-rules.md true.
func TestRulesDocMistakes(t *testing.T) {
	data, err := os.ReadFile("../docs/segments-rules.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(# mistakes[^\n]*\n.*?)```\n\n```text\n(.*?)```").FindStringSubmatch(string(data))
	if m == nil {
		t.Fatal("docs/segments-rules.md has no # mistakes example followed by its output")
	}
	got := problems(t, m[1]).Error() + "\n"
	if got != m[2] {
		t.Errorf("config check says\n%s\nthe doc says\n%s", got, m[2])
	}
}
