package rules

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/conf"
	"gopkg.in/yaml.v3"

	"github.com/cohortd/cohortd/segments"
)

var update = flag.Bool("update", false, "rewrite the field table in docs/segments-rules.md")

const docPath = "../../docs/segments-rules.md"

// TestFieldsDocumented fails when a field of segments.Features has no entry in fieldDocs (add
// one), or an entry names no field (remove it).
func TestFieldsDocumented(t *testing.T) {
	fields := Fields()
	if len(fields) < 30 {
		t.Fatalf("only %d fields found: %+v", len(fields), fields)
	}
	seen := map[string]bool{}
	for _, f := range fields {
		if strings.TrimSpace(f.Doc) == "" {
			t.Errorf("field %s (%s) has no documentation: add it to fieldDocs in segments/rules/fields.go", f.Name, f.Type)
		}
		if seen[f.Name] {
			t.Errorf("field %s is listed twice", f.Name)
		}
		seen[f.Name] = true
	}
	for name := range fieldDocs {
		if !seen[name] {
			t.Errorf("fieldDocs documents %s, which segments.Features does not have", name)
		}
	}
	// The purchases behind the predictions are not visible to rules.
	if _, err := Compile("hidden", "len(orders) > 0"); err == nil || !strings.Contains(err.Error(), "unknown name orders") {
		t.Errorf("a rule can use the unexported orders: %v", err)
	}
}

// TestFieldsAsExprSeesThem checks each listed field against expr's own view of the env: the
// name resolves and has the listed type.
func TestFieldsAsExprSeesThem(t *testing.T) {
	for _, f := range Fields() {
		tree, err := checker.ParseCheck(f.Name, conf.New(segments.Features{}))
		if err != nil {
			t.Errorf("field %s: %v", f.Name, err)
			continue
		}
		if got := tree.Node.Type().String(); got != f.Type {
			t.Errorf("field %s: expr types it %s, Fields says %s", f.Name, got, f.Type)
		}
	}
}

// fieldTable is the Markdown table of Fields that docs/segments-rules.md holds.
func fieldTable() string {
	var b strings.Builder
	b.WriteString("| Field | Type | Meaning |\n| --- | --- | --- |\n")
	for _, f := range Fields() {
		b.WriteString("| `" + f.Name + "` | `" + f.Type + "` | " + strings.ReplaceAll(f.Doc, "|", `\|`) + " |\n")
	}
	return b.String()
}

var tableRE = regexp.MustCompile(`(?s)(<!-- fields:begin[^\n]*-->\n)(.*?)(<!-- fields:end -->)`)

// TestDocFieldTable keeps the field table in docs/segments-rules.md equal to Fields(); run
// `go test ./segments/rules -run TestDocFieldTable -update` to rewrite it.
func TestDocFieldTable(t *testing.T) {
	data, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	m := tableRE.FindSubmatchIndex(data)
	if m == nil {
		t.Fatalf("%s has no <!-- fields:begin --> ... <!-- fields:end --> section", docPath)
	}
	want := fieldTable()
	if got := string(data[m[4]:m[5]]); got == want {
		return
	}
	if *update {
		out := string(data[:m[4]]) + want + string(data[m[5]:])
		if err := os.WriteFile(docPath, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the field table in %s", docPath)
		return
	}
	t.Errorf("the field table in %s is out of date; run go test ./segments/rules -run TestDocFieldTable -update, or paste:\n%s", docPath, want)
}

// TestDocExamples compiles every rule in the YAML examples of docs/segments-rules.md, except in
// blocks that say they hold mistakes.
func TestDocExamples(t *testing.T) {
	data, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(data), -1)
	n := 0
	for _, b := range blocks {
		if strings.Contains(b[1], "# mistakes") {
			continue
		}
		var doc struct {
			Segments struct {
				Custom []struct{ Name, When string }
			}
		}
		if err := yaml.Unmarshal([]byte(b[1]), &doc); err != nil {
			t.Errorf("example is not valid YAML: %v\n%s", err, b[1])
			continue
		}
		for _, c := range doc.Segments.Custom {
			n++
			if _, err := Compile(c.Name, c.When); err != nil {
				t.Errorf("example %s: %q: %v", c.Name, c.When, err)
			}
		}
	}
	if n < 8 {
		t.Errorf("only %d example rules found in %s", n, docPath)
	}
}
