package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// unsetenv unsets key for the duration of the test.
func unsetenv(t *testing.T, key string) {
	t.Helper()
	t.Setenv(key, "")
	if err := os.Unsetenv(key); err != nil {
		t.Fatal(err)
	}
}

// problems parses src and returns its problems, failing if it parses.
func problems(t *testing.T, src string) Problems {
	t.Helper()
	cfg, err := Parse("cohortd.yaml", []byte(src))
	if err == nil {
		t.Fatalf("Parse succeeded, want problems; got %+v", cfg)
	}
	if cfg != nil {
		t.Errorf("Parse returned a config along with an error")
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error is %T, want Problems: %v", err, err)
	}
	return ps
}

func messages(ps Problems) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Error()
	}
	return out
}

func mustParse(t *testing.T, src string) *Config {
	t.Helper()
	cfg, err := Parse("cohortd.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return cfg
}

// The acceptance case: three different mistakes give exactly three problems,
// each at the right place.
func TestThreeMistakesThreeProblems(t *testing.T) {
	src := `http:
  listen: 127.0.0.1:8080
  lisen: 127.0.0.1:9090
stores:
  - id: main
    kind: shopify
    shop: main.myshopify.com
schedule:
  backup: "*/5 * * *"
`
	got := problems(t, src)
	want := Problems{
		{File: "cohortd.yaml", Line: 3, Col: 3,
			Msg:  `unknown key "lisen" in http`,
			Hint: `did you mean "listen"? valid keys: listen, admin_token, admin_token_file, max_body_bytes, read_timeout, write_timeout, public_url`},
		{File: "cohortd.yaml", Line: 5, Col: 5,
			Msg:  `store "main": missing required access_token`,
			Hint: `set access_token or access_token_file`},
		{File: "cohortd.yaml", Line: 9, Col: 11,
			Msg:  `schedule.backup: invalid schedule "*/5 * * *": expected exactly 5 fields, found 4: [*/5 * * *]`,
			Hint: `use 5-field cron ("*/5 * * * *") or a descriptor ("@daily", "@every 5m")`},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	wantText := `cohortd.yaml:3:3: unknown key "lisen" in http (did you mean "listen"? valid keys: listen, admin_token, admin_token_file, max_body_bytes, read_timeout, write_timeout, public_url)
cohortd.yaml:5:5: store "main": missing required access_token (set access_token or access_token_file)
cohortd.yaml:9:11: schedule.backup: invalid schedule "*/5 * * *": expected exactly 5 fields, found 4: [*/5 * * *] (use 5-field cron ("*/5 * * * *") or a descriptor ("@daily", "@every 5m"))`
	if got.Error() != wantText {
		t.Errorf("Error() =\n%s\nwant\n%s", got.Error(), wantText)
	}
}

func TestProblemError(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "c.yaml", Line: 12, Col: 3, Msg: "bad", Hint: "fix it"}, "c.yaml:12:3: bad (fix it)"},
		{Problem{File: "c.yaml", Line: 12, Col: 3, Msg: "bad"}, "c.yaml:12:3: bad"},
		{Problem{File: "c.yaml", Line: 4, Msg: "bad"}, "c.yaml:4: bad"},
		{Problem{File: "c.yaml", Msg: "bad"}, "c.yaml: bad"},
	}
	for _, tt := range tests {
		if got := tt.p.Error(); got != tt.want {
			t.Errorf("%#v.Error() = %q, want %q", tt.p, got, tt.want)
		}
	}
	ps := Problems{tests[0].p, tests[3].p}
	if got, want := ps.Error(), "c.yaml:12:3: bad (fix it)\nc.yaml: bad"; got != want {
		t.Errorf("Problems.Error() = %q, want %q", got, want)
	}
	var p Problem
	if !errors.As(error(ps), &p) || p != tests[0].p {
		t.Errorf("errors.As(Problems, *Problem) = %v", p)
	}
}

func TestDefault(t *testing.T) {
	d := Default()
	checks := []struct {
		name      string
		got, want any
	}{
		{"data_dir", d.DataDir, "./data"},
		{"base_currency", d.BaseCurrency, "USD"},
		{"timezone", d.Timezone, "UTC"},
		{"http.listen", d.HTTP.Listen, "127.0.0.1:8080"},
		{"http.admin_token", d.HTTP.AdminToken, Secret("")},
		{"http.max_body_bytes", d.HTTP.MaxBodyBytes, int64(5 << 20)},
		{"http.read_timeout", d.HTTP.ReadTimeout.Duration, 10 * time.Second},
		{"http.write_timeout", d.HTTP.WriteTimeout.Duration, 30 * time.Second},
		{"stores", len(d.Stores), 0},
		{"destinations", len(d.Destinations), 0},
		{"tags.prefix", d.Tags.Prefix, "cohort:"},
		{"segments.custom", len(d.Segments.Custom), 0},
		{"schedule", d.Schedule, map[string]string{"store_stats": "@every 1m", "backup": "@daily", "segments": "@every 6h", "poll": "@every 5m", "reconcile": "@daily", "suppressions": "@hourly"}},
		{"backup.dir", d.Backup.Dir, filepath.Join("data", "backups")},
		{"backup.keep", d.Backup.Keep, 7},
		{"location", d.Location(), time.UTC},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("Default %s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	// Every known job has a default schedule, and the defaults parse.
	for _, job := range KnownJobs {
		spec, ok := d.Schedule[job]
		if !ok {
			t.Errorf("no default schedule for known job %q", job)
			continue
		}
		if _, err := ParseSchedule(spec); err != nil {
			t.Errorf("default schedule of %q: %v", job, err)
		}
	}
	// Default returns a fresh copy each time.
	d.Schedule["backup"] = "@hourly"
	if Default().Schedule["backup"] != "@daily" {
		t.Error("Default shares its schedule map between calls")
	}
}

func TestEmptyFileIsDefault(t *testing.T) {
	for _, src := range []string{"", "\n", "# only a comment\n", "---\n", "~\n", "---\n...\n"} {
		cfg := mustParse(t, src)
		if !reflect.DeepEqual(cfg, Default()) {
			t.Errorf("Parse(%q) = %+v, want Default() %+v", src, cfg, Default())
		}
	}
}

func TestDerivedDefaults(t *testing.T) {
	unsetenv(t, "COHORTD_TEST_UNSET")
	cfg := mustParse(t, `data_dir: /var/lib/cohortd
tags:
  prefix: "seg/"
stores:
  - id: main
    kind: shopify
    shop: main.myshopify.com
    access_token: t
  - id: old
    kind: shopify
    shop: old.myshopify.com
    access_token: t
    api_version: "2024-01"
destinations:
  - id: k
    kind: klaviyo
    api_key: k
  - id: k2
    kind: klaviyo
    api_key: k
    segments: one
segments:
  custom:
    - name: vip
      when: "true"
    - name: own
      when: "true"
      tag: seg/own-tag
schedule:
  backup: "@weekly"
`)
	if got, want := cfg.Backup.Dir, filepath.Join("/var/lib/cohortd", "backups"); got != want {
		t.Errorf("backup.dir = %q, want %q", got, want)
	}
	if got := cfg.Stores[0].APIVersion; got != "2025-04" {
		t.Errorf("default api_version = %q", got)
	}
	if got := cfg.Stores[1].APIVersion; got != "2024-01" {
		t.Errorf("api_version = %q", got)
	}
	if got := cfg.Destinations[0].Segments; !reflect.DeepEqual(got, []string{"all"}) {
		t.Errorf("default segments = %q", got)
	}
	if !cfg.Destinations[0].WantsSegment("anything") {
		t.Error("WantsSegment with all = false")
	}
	if got := cfg.Destinations[1].Segments; !reflect.DeepEqual(got, []string{"one"}) {
		t.Errorf("scalar segments = %q", got)
	}
	if cfg.Destinations[1].WantsSegment("two") || !cfg.Destinations[1].WantsSegment("one") {
		t.Error("WantsSegment wrong for [one]")
	}
	if got := cfg.Segments.Custom[0].Tag; got != "seg/vip" {
		t.Errorf("default tag = %q", got)
	}
	if got := cfg.Segments.Custom[1].Tag; got != "seg/own-tag" {
		t.Errorf("tag = %q", got)
	}
	if want := map[string]string{"store_stats": "@every 1m", "backup": "@weekly", "segments": "@every 6h", "poll": "@every 5m", "reconcile": "@daily", "suppressions": "@hourly"}; !reflect.DeepEqual(cfg.Schedule, want) {
		t.Errorf("schedule = %v, want %v", cfg.Schedule, want)
	}
	if cfg.Stores[0].WebhookSecrets != nil || cfg.Stores[0].URL != "" {
		t.Errorf("unset fields not empty: %+v", cfg.Stores[0])
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"A": "alpha", "EMPTY": "", "B_2": "beta"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		in, want string
		errs     []string
	}{
		{"plain", "plain", nil},
		{"${A}", "alpha", nil},
		{"x-${A}-${B_2}-y", "x-alpha-beta-y", nil},
		{"${A:-def}", "alpha", nil},
		{"${UNSET:-def}", "def", nil},
		{"${UNSET:-}", "", nil},
		{"${EMPTY:-def}", "def", nil},
		{"${EMPTY}", "", nil},
		{"${UNSET:-a b:c}", "a b:c", nil},
		{"$$", "$", nil},
		{"$${A}", "${A}", nil},
		{"price $5", "price $5", nil},
		{"trailing $", "trailing $", nil},
		{"${UNSET}", "", []string{"environment variable UNSET is not set|set UNSET or use ${UNSET:-default}"}},
		{"${U1}${U2}", "", []string{"environment variable U1 is not set|set U1 or use ${U1:-default}", "environment variable U2 is not set|set U2 or use ${U2:-default}"}},
		{"${A", "${A", []string{"unterminated ${|close it with }, or write $$ for a literal $"}},
		{"${1A}", "", []string{"invalid environment variable reference ${1A}|use ${NAME} or ${NAME:-default}, NAME made of letters, digits and _; write $$ for a literal $"}},
		{"${}", "", []string{"invalid environment variable reference ${}|use ${NAME} or ${NAME:-default}, NAME made of letters, digits and _; write $$ for a literal $"}},
	}
	for _, tt := range tests {
		got, errs := expand(tt.in, lookup)
		var gotErrs []string
		for _, e := range errs {
			gotErrs = append(gotErrs, e.msg+"|"+e.hint)
		}
		if got != tt.want || !reflect.DeepEqual(gotErrs, tt.errs) {
			t.Errorf("expand(%q) = %q, %q; want %q, %q", tt.in, got, gotErrs, tt.want, tt.errs)
		}
	}
}

func TestEnvExpansionInFile(t *testing.T) {
	t.Setenv("COHORTD_TEST_DIR", "/srv/cohortd")
	t.Setenv("COHORTD_TEST_KEEP", "3")
	t.Setenv("COHORTD_TEST_TOKEN", "tok-from-env")
	unsetenv(t, "COHORTD_TEST_UNSET")
	cfg := mustParse(t, `data_dir: ${COHORTD_TEST_DIR}/state
base_currency: ${COHORTD_TEST_UNSET:-EUR}
http:
  admin_token: ${COHORTD_TEST_TOKEN}
  listen: "${COHORTD_TEST_UNSET:-0.0.0.0}:8080"
tags:
  prefix: "$$${COHORTD_TEST_UNSET:-}:"
backup:
  keep: ${COHORTD_TEST_KEEP}
`)
	if cfg.DataDir != "/srv/cohortd/state" || cfg.BaseCurrency != "EUR" || cfg.HTTP.AdminToken.Value() != "tok-from-env" || cfg.Backup.Keep != 3 ||
		cfg.HTTP.Listen != "0.0.0.0:8080" || cfg.Tags.Prefix != "$:" {
		t.Errorf("expanded config = %+v", cfg)
	}
	if cfg.Backup.Dir != filepath.Join("/srv/cohortd/state", "backups") {
		t.Errorf("backup.dir = %q", cfg.Backup.Dir)
	}

	// Unset variables are reported at their value; keys are not expanded.
	got := messages(problems(t, `data_dir: ${COHORTD_TEST_UNSET}
http:
  listen: "x${COHORTD_TEST_UNSET}"
${COHORTD_TEST_DIR}: 1
`))
	want := []string{
		`cohortd.yaml:1:11: data_dir: environment variable COHORTD_TEST_UNSET is not set (set COHORTD_TEST_UNSET or use ${COHORTD_TEST_UNSET:-default})`,
		`cohortd.yaml:3:11: http.listen: environment variable COHORTD_TEST_UNSET is not set (set COHORTD_TEST_UNSET or use ${COHORTD_TEST_UNSET:-default})`,
		`cohortd.yaml:4:1: unknown key "${COHORTD_TEST_DIR}" in top level (valid keys: data_dir, base_currency, timezone, http, stores, destinations, tags, segments, schedule, backup, currency_rates, identity)`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	token := writeFile(t, dir, "token", "shpat_filetoken\n")
	crlf := writeFile(t, dir, "crlf", "ck_crlf\r\n")
	keep := writeFile(t, dir, "keep", "cs_twonewlines\n\n")
	hooks := writeFile(t, dir, "hooks", "hook-one\r\n\nhook-two\n")
	admin := writeFile(t, dir, "admin", "admin-secret")
	t.Setenv("COHORTD_TEST_SECRETS", dir)

	cfg := mustParse(t, fmt.Sprintf(`http:
  admin_token_file: %s
stores:
  - id: main
    kind: shopify
    shop: main.myshopify.com
    access_token_file: ${COHORTD_TEST_SECRETS}/token
    webhook_secrets_file: %s
  - id: woo
    kind: woocommerce
    url: https://shop.example.com
    consumer_key_file: %s
    consumer_secret_file: %s
`, admin, hooks, crlf, keep))
	_ = token
	checks := []struct {
		name      string
		got, want any
	}{
		{"admin_token", cfg.HTTP.AdminToken.Value(), "admin-secret"},
		{"access_token", cfg.Stores[0].AccessToken.Value(), "shpat_filetoken"},
		{"webhook_secrets", cfg.Stores[0].WebhookSecrets, []Secret{"hook-one", "hook-two"}},
		{"consumer_key", cfg.Stores[1].ConsumerKey.Value(), "ck_crlf"},
		{"consumer_secret", cfg.Stores[1].ConsumerSecret.Value(), "cs_twonewlines\n"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}

	secretContent := "do-not-leak-me"
	leaky := writeFile(t, dir, "leaky", secretContent)
	empty := writeFile(t, dir, "empty", "\n")
	missing := filepath.Join(dir, "missing")
	got := messages(problems(t, fmt.Sprintf(`http:
  admin_token: x
  admin_token_file: %s
stores:
  - id: main
    kind: shopify
    shop: main.myshopify.com
    access_token_file: %s
  - id: two
    kind: shopify
    shop: two.myshopify.com
    access_token_file: %s
    webhook_secrets_file: [a]
`, leaky, missing, empty)))
	want := []string{
		`cohortd.yaml:3:3: http: both admin_token and admin_token_file are set (use either admin_token or admin_token_file)`,
		fmt.Sprintf(`cohortd.yaml:8:24: stores[0].access_token_file: cannot read secret file: open %s: no such file or directory`, missing),
		fmt.Sprintf(`cohortd.yaml:12:24: stores[1].access_token_file: secret file %q is empty`, empty),
		`cohortd.yaml:13:27: stores[1].webhook_secrets_file must be a file name, not a list`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A file that is not a regular file (a directory) is an error at its
	// position that does not show any content.
	ps := problems(t, fmt.Sprintf("http:\n  admin_token_file: %s\n", dir))
	if len(ps) != 1 || ps[0].Line != 2 || ps[0].Col != 21 || !strings.Contains(ps[0].Msg, "cannot read secret file") {
		t.Errorf("directory as secret file: %v", ps)
	}
	for _, m := range got {
		if strings.Contains(m, secretContent) {
			t.Errorf("message leaks secret file content: %s", m)
		}
	}
}

func TestDuplicates(t *testing.T) {
	got := messages(problems(t, `stores:
  - id: a
    kind: file
    path: a.json
  - id: a
    kind: file
    path: b.json
destinations:
  - id: d
    kind: klaviyo
    api_key: k
  - id: d
    kind: klaviyo
    api_key: k
segments:
  custom:
    - name: s
      when: has_orders
    - name: s
      when: orders_count > 1
backup:
  keep: 1
  keep: 2
`))
	want := []string{
		`cohortd.yaml:5:9: duplicate store id "a" (first used at line 2)`,
		`cohortd.yaml:12:9: duplicate destination id "d" (first used at line 9)`,
		`cohortd.yaml:19:13: duplicate segment name "s" (first used at line 17)`,
		`cohortd.yaml:23:3: duplicate key "keep" in backup (first set at line 22)`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSegmentDestinationReferences(t *testing.T) {
	base := `destinations:
  - id: newsletter
    kind: klaviyo
    api_key: k
segments:
  custom:
    - name: vip
      when: has_orders
      destinations: [newsletter, newsleter, crm]
`
	got := messages(problems(t, base))
	want := []string{
		`cohortd.yaml:9:34: segment "vip": unknown destination "newsleter" (did you mean "newsletter"? configured destinations: newsletter)`,
		`cohortd.yaml:9:45: segment "vip": unknown destination "crm" (configured destinations: newsletter)`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	got = messages(problems(t, "segments:\n  custom:\n    - name: vip\n      when: has_orders\n      destinations: [a]\n"))
	want = []string{`cohortd.yaml:5:22: segment "vip": unknown destination "a" (no destinations are configured)`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	cfg := mustParse(t, strings.Replace(base, "[newsletter, newsleter, crm]", "[newsletter]", 1))
	if got := cfg.Segments.Custom[0].Destinations; !reflect.DeepEqual(got, []string{"newsletter"}) {
		t.Errorf("destinations = %q", got)
	}
}

// TestValidation checks the message and position of each kind of problem.
func TestValidation(t *testing.T) {
	unsetenv(t, "COHORTD_TEST_UNSET")
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"syntax error", "a: b\n  c: d\n",
			[]string{`cohortd.yaml:2: invalid YAML: mapping values are not allowed in this context`}},
		{"two documents", "data_dir: a\n---\ndata_dir: b\n",
			[]string{`cohortd.yaml:2:1: the file holds more than one YAML document (cohortd reads a single document; remove the extra ---)`}},
		{"top level not a mapping", "- a\n",
			[]string{`cohortd.yaml:1:1: top level must be a mapping, not a list`}},
		{"unknown top-level key", "data_dri: x\n",
			[]string{`cohortd.yaml:1:1: unknown key "data_dri" in top level (did you mean "data_dir"? valid keys: data_dir, base_currency, timezone, http, stores, destinations, tags, segments, schedule, backup, currency_rates, identity)`}},
		{"unknown key, case and separators", "http:\n  Max-Body-Bytes: 1\n",
			[]string{`cohortd.yaml:2:3: unknown key "Max-Body-Bytes" in http (did you mean "max_body_bytes"? valid keys: listen, admin_token, admin_token_file, max_body_bytes, read_timeout, write_timeout, public_url)`}},
		{"unknown key, no suggestion", "backup:\n  zzzzzzzz: 1\n",
			[]string{`cohortd.yaml:2:3: unknown key "zzzzzzzz" in backup (valid keys: dir, keep)`}},
		{"wrong node kinds", "data_dir: [a]\nhttp: x\nbackup:\n  keep: {a: 1}\n",
			[]string{
				`cohortd.yaml:1:11: data_dir must be a single value, not a list`,
				`cohortd.yaml:2:7: http must be a mapping, not a single value`,
				`cohortd.yaml:4:9: backup.keep must be a whole number, not a mapping`,
			}},
		{"empty values", "data_dir: \"\"\nbackup:\n  dir: ''\ntags:\n  prefix: \"\"\ntimezone: \"\"\n",
			[]string{
				`cohortd.yaml:1:11: data_dir must not be empty (default is ./data)`,
				`cohortd.yaml:3:8: backup.dir must not be empty (leave it out to use <data_dir>/backups)`,
				`cohortd.yaml:5:11: tags.prefix must not be empty (cohortd uses it to tell its tags from yours; default is cohort:)`,
				`cohortd.yaml:6:11: timezone must not be empty (use an IANA zone name such as UTC or Europe/Berlin)`,
			}},
		{"currency", "base_currency: eur\n",
			[]string{`cohortd.yaml:1:16: base_currency "eur" is not an ISO 4217 currency code (currency codes are upper case: EUR)`}},
		{"withdrawn currency", "base_currency: HRK\n",
			[]string{`cohortd.yaml:1:16: base_currency "HRK" is not an ISO 4217 currency code (HRK has been withdrawn; use EUR)`}},
		{"unknown currency", "base_currency: ABC\n",
			[]string{`cohortd.yaml:1:16: base_currency "ABC" is not an ISO 4217 currency code (use an active ISO 4217 code such as USD, EUR or GBP)`}},
		{"timezone", "timezone: Europe/Berln\n",
			[]string{`cohortd.yaml:1:11: unknown timezone "Europe/Berln" (use an IANA zone name such as UTC, America/New_York or Europe/Berlin)`}},
		{"http", "http:\n  listen: localhost\n  max_body_bytes: 0\n  read_timeout: 10\n  write_timeout: -1s\n",
			[]string{
				`cohortd.yaml:2:11: http.listen "localhost": not a host:port address (use host:port, e.g. 127.0.0.1:8080 or :8080)`,
				`cohortd.yaml:3:19: http.max_body_bytes must be greater than 0, not 0 (default is 5242880 (5 MiB))`,
				`cohortd.yaml:4:17: http.read_timeout: invalid duration "10": use a Go duration such as 500ms, 30s, 5m or 1h30m`,
				`cohortd.yaml:5:18: http.write_timeout must be greater than 0, not -1s`,
			}},
		{"listen port", "http:\n  listen: \":70000\"\n",
			[]string{`cohortd.yaml:2:11: http.listen ":70000": port must be a number from 0 to 65535 (use host:port, e.g. 127.0.0.1:8080 or :8080)`}},
		{"not a number", "http:\n  max_body_bytes: 5MiB\n",
			[]string{`cohortd.yaml:2:19: http.max_body_bytes must be a whole number, not "5MiB"`}},
		{"store ids and kinds", `stores:
  - kind: file
    path: x
  - id: Main
    kind: file
    path: x
  - id: a
  - id: b
    kind: magento
`, []string{
			`cohortd.yaml:2:5: stores[0]: missing required id (give every store a unique id)`,
			`cohortd.yaml:4:9: stores[1]: invalid id "Main" (ids are 1-32 characters a-z, 0-9, _ and -)`,
			`cohortd.yaml:7:5: store "a": missing required kind (kind is one of shopify, woocommerce, file)`,
			`cohortd.yaml:9:11: store "b": unknown kind "magento" (kind is one of shopify, woocommerce, file)`,
		}},
		{"shopify", `stores:
  - id: s
    kind: shopify
    shop: https://s.myshopify.com
    access_token: ""
    api_version: "2025-13"
    webhook_secrets: ["", ok]
    path: x
  - id: t
    kind: shopify
`, []string{
			`cohortd.yaml:4:11: store "s": shop "https://s.myshopify.com" is not a name.myshopify.com domain (use the bare your-store.myshopify.com domain, without https://)`,
			`cohortd.yaml:5:19: store "s": access_token must not be empty (set access_token or access_token_file)`,
			`cohortd.yaml:6:18: store "s": api_version "2025-13" is not of the form YYYY-MM (default is 2025-04)`,
			`cohortd.yaml:7:23: store "s": webhook_secrets[0] is empty`,
			`cohortd.yaml:8:5: store "s": key "path" does not apply to shopify stores (valid keys for kind shopify: id, kind, shop, access_token, access_token_file, api_version, webhook_secrets, webhook_secrets_file, endpoint, backfill, poll_overlap, write_tags, dry_run)`,
			`cohortd.yaml:9:5: store "t": missing required shop (set shop to your-store.myshopify.com)`,
			`cohortd.yaml:9:5: store "t": missing required access_token (set access_token or access_token_file)`,
		}},
		{"woocommerce", `stores:
  - id: w
    kind: woocommerce
    url: shop.example.com
    consumer_key: k
    shop: x.myshopify.com
    accesss_token: x
`, []string{
			`cohortd.yaml:2:5: store "w": missing required consumer_secret (set consumer_secret or consumer_secret_file)`,
			`cohortd.yaml:4:10: store "w": url "shop.example.com" is not an http(s) URL (e.g. https://shop.example.com)`,
			`cohortd.yaml:6:5: store "w": key "shop" does not apply to woocommerce stores (valid keys for kind woocommerce: id, kind, poll_overlap, write_tags, dry_run, url, consumer_key, consumer_key_file, consumer_secret, consumer_secret_file, webhook_secret, webhook_secret_file, meta_key)`,
			`cohortd.yaml:7:5: unknown key "accesss_token" in stores[0] (valid keys for woocommerce stores: id, kind, poll_overlap, write_tags, dry_run, url, consumer_key, consumer_key_file, consumer_secret, consumer_secret_file, webhook_secret, webhook_secret_file, meta_key)`,
		}},
		{"woocommerce meta key", `stores:
  - id: w
    kind: woocommerce
    url: https://shop.example.com
    consumer_key: k
    consumer_secret: s
    meta_key: _cohort
`, []string{
			`cohortd.yaml:7:15: store "w": meta_key "_cohort" starts with an underscore (WooCommerce silently drops meta keys starting with _ on REST writes; use e.g. cohort_segments)`,
		}},
		{"email destination options", `destinations:
  - id: kl
    kind: klaviyo
    api_key: pk_1
    audience: everyone
    properties: [rfm_group, shoe_size]
    endpoint: localhost:9
`, []string{
			`cohortd.yaml:5:15: destination "kl": audience "everyone" is not valid (use "subscribers" (people who gave marketing consent) or "all")`,
			`cohortd.yaml:6:29: destination "kl": unknown property "shoe_size" (valid properties: rfm_group, lifecycle, churn_risk, predicted_clv, p_alive, expected_orders)`,
			`cohortd.yaml:7:15: destination "kl": endpoint "localhost:9" is not an http(s) URL (e.g. http://127.0.0.1:8090, or leave it out for the platform's own address)`,
		}},
		{"file", "stores:\n  - id: f\n    kind: file\n", []string{
			`cohortd.yaml:2:5: store "f": missing required path (set path to the export file to read)`,
		}},
		{"destinations", `destinations:
  - id: mc
    kind: mailchimp
    api_key: notakey
    segments: []
  - id: kl
    kind: klaviyo
    audience_id: x
    segments: [all, vip]
  - id: lm
    kind: listmonk
    url: ftp://x
    segments: [vip, vip, Bad]
  - id: mc2
    kind: mailchimp
`, []string{
			`cohortd.yaml:2:5: destination "mc": missing required audience_id (set audience_id to the Mailchimp audience (list) id)`,
			`cohortd.yaml:4:14: destination "mc": api_key is not a Mailchimp API key (Mailchimp keys end in their data center, e.g. -us21)`,
			`cohortd.yaml:5:15: destination "mc": segments must not be empty (list segment names, or use "all")`,
			`cohortd.yaml:6:5: destination "kl": missing required api_key (set api_key or api_key_file)`,
			`cohortd.yaml:8:5: destination "kl": key "audience_id" does not apply to klaviyo destinations (valid keys for kind klaviyo: id, kind, segments, api_key, api_key_file, revision, endpoint, audience, create_lists, properties, dry_run)`,
			`cohortd.yaml:9:16: destination "kl": "all" cannot be combined with other segment names (use either "all" or a list of names)`,
			`cohortd.yaml:10:5: destination "lm": missing required username (set username to a listmonk API user)`,
			`cohortd.yaml:10:5: destination "lm": missing required token (set token or token_file)`,
			`cohortd.yaml:12:10: destination "lm": url "ftp://x" is not an http(s) URL (e.g. https://lists.example.com)`,
			`cohortd.yaml:13:21: destination "lm": segment "vip" is listed twice`,
			`cohortd.yaml:13:26: destination "lm": invalid segment name "Bad" (segment names are 1-64 characters a-z, 0-9, _ and -)`,
			`cohortd.yaml:14:5: destination "mc2": missing required api_key (set api_key or api_key_file)`,
			`cohortd.yaml:14:5: destination "mc2": missing required audience_id (set audience_id to the Mailchimp audience (list) id)`,
		}},
		{"tags", "tags:\n  prefix: \" cohort:\"\n", []string{
			`cohortd.yaml:2:11: tags.prefix " cohort:" must not start or end with a space (Shopify trims spaces around tags)`,
		}},
		{"tags comma", "tags:\n  prefix: \"a,b\"\n", []string{
			`cohortd.yaml:2:11: tags.prefix "a,b" must not contain a comma (Shopify tags are comma-separated)`,
		}},
		{"custom segments", `segments:
  custom:
    - when: has_orders
    - name: all
      when: has_orders
    - name: Big
      when: " "
    - name: ok
      when: has_orders
      tag: "a,b"
    - name: ok2
      when: has_orders
      tag: ""
  other: 1
`, []string{
			`cohortd.yaml:3:7: segments.custom[0]: missing required name (give every custom segment a unique name)`,
			`cohortd.yaml:4:13: segments.custom[1]: "all" is reserved (it means every segment in destination lists)`,
			`cohortd.yaml:6:13: segments.custom[2]: invalid segment name "Big" (segment names are 1-64 characters a-z, 0-9, _ and -)`,
			`cohortd.yaml:7:13: segments.custom[2]: when must not be empty (set when to an expression, e.g. orders_count >= 5)`,
			`cohortd.yaml:10:12: segment "ok": tag "a,b" must not contain a comma (Shopify tags are comma-separated)`,
			`cohortd.yaml:13:12: segment "ok2": tag must not be empty (leave it out to use the prefix plus the segment name)`,
			`cohortd.yaml:14:3: unknown key "other" in segments (valid keys: lifecycle, frequency, aov, risk, affinity, predict, clusters, custom)`,
		}},
		{"missing when", "segments:\n  custom:\n    - name: a\n", []string{
			`cohortd.yaml:3:7: segment "a": missing required when (set when to an expression, e.g. orders_count >= 5)`,
		}},
		{"schedule", `schedule:
  store_stats: "@every nope"
  backups: "@daily"
  backup: 61 * * * *
`, []string{
			`cohortd.yaml:2:16: schedule.store_stats: invalid schedule "@every nope": failed to parse duration @every nope: time: invalid duration "nope" (use 5-field cron ("*/5 * * * *") or a descriptor ("@daily", "@every 5m"))`,
			`cohortd.yaml:3:3: unknown job "backups" in schedule (did you mean "backup"? known jobs: store_stats, backup, segments, poll, reconcile, suppressions)`,
			`cohortd.yaml:4:11: schedule.backup: invalid schedule "61 * * * *": end of range (61) above maximum (59): 61 (use 5-field cron ("*/5 * * * *") or a descriptor ("@daily", "@every 5m"))`,
		}},
		{"schedule not a mapping", "schedule: daily\n", []string{
			`cohortd.yaml:1:11: schedule must be a mapping, not a single value`,
		}},
		{"backup", "backup:\n  keep: 0\n", []string{
			`cohortd.yaml:2:9: backup.keep must be at least 1, not 0`,
		}},
		{"env in list item", "stores:\n  - id: ${COHORTD_TEST_UNSET}\n    kind: file\n    path: x\n", []string{
			`cohortd.yaml:2:9: stores[0].id: environment variable COHORTD_TEST_UNSET is not set (set COHORTD_TEST_UNSET or use ${COHORTD_TEST_UNSET:-default})`,
		}},
		{"non-scalar key", "? [a]\n: 1\n", []string{
			`cohortd.yaml:1:3: keys in top level must be plain names, not a list`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := messages(problems(t, tt.src))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestValidValues(t *testing.T) {
	tests := []string{
		"base_currency: EUR\n",
		"base_currency: XCG\n",
		"timezone: America/Argentina/Buenos_Aires\n",
		"http:\n  listen: \":0\"\n",
		"http:\n  listen: \"[::1]:65535\"\n",
		"http:\n  max_body_bytes: 1_048_576\n",
		"schedule:\n  store_stats: \"*/5 * * * *\"\n  backup: \"@every 1h30m\"\n",
		"schedule:\n  backup: ~\n",
		"destinations:\n  - id: mc\n    kind: mailchimp\n    api_key: 0123456789abcdef-us21\n    audience_id: x\n",
	}
	for _, src := range tests {
		if _, err := Parse("cohortd.yaml", []byte(src)); err != nil {
			t.Errorf("Parse(%q): %v", src, err)
		}
	}
	cfg := mustParse(t, "timezone: Asia/Tokyo\n")
	if got := cfg.Location().String(); got != "Asia/Tokyo" {
		t.Errorf("Location() = %s", got)
	}
	cfg = mustParse(t, tests[len(tests)-1])
	if got := cfg.Destinations[0].MailchimpDC(); got != "us21" {
		t.Errorf("MailchimpDC() = %q", got)
	}
}

func TestAliasesAndMerge(t *testing.T) {
	cfg := mustParse(t, `stores:
  - &shop
    id: a
    kind: shopify
    shop: a.myshopify.com
    access_token: &tok tok
  - <<: *shop
    id: b
    shop: b.myshopify.com
  - id: c
    kind: woocommerce
    url: https://c.example.com
    consumer_key: *tok
    consumer_secret: *tok
`)
	want := []Store{
		{ID: "a", Kind: "shopify", Shop: "a.myshopify.com", AccessToken: "tok", APIVersion: "2025-04",
			Backfill: BackfillBulk, PollOverlap: Duration{DefaultPollOverlap}, WriteTags: true},
		{ID: "b", Kind: "shopify", Shop: "b.myshopify.com", AccessToken: "tok", APIVersion: "2025-04",
			Backfill: BackfillBulk, PollOverlap: Duration{DefaultPollOverlap}, WriteTags: true},
		{ID: "c", Kind: "woocommerce", URL: "https://c.example.com", ConsumerKey: "tok", ConsumerSecret: "tok",
			MetaKey: DefaultMetaKey, WriteTags: true, PollOverlap: Duration{DefaultPollOverlap}},
	}
	if !reflect.DeepEqual(cfg.Stores, want) {
		t.Errorf("stores = %+v, want %+v", cfg.Stores, want)
	}
	got := messages(problems(t, "http:\n  <<: [1]\nbackup:\n  <<: 2\n"))
	wantMsgs := []string{
		`cohortd.yaml:2:8: merge key << in http must refer to mappings`,
		`cohortd.yaml:4:7: merge key << in backup must refer to a mapping`,
	}
	if !reflect.DeepEqual(got, wantMsgs) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantMsgs, "\n"))
	}
}

func TestSecretRedaction(t *testing.T) {
	const (
		admin   = "ADMIN-SECRET-1"
		access  = "shpat_ACCESS-SECRET-2"
		hook    = "HOOK-SECRET-3"
		ck      = "ck_KEY-SECRET-4"
		cs      = "cs_SECRET-SECRET-5"
		wooHook = "WOOHOOK-SECRET-6"
		mc      = "MCKEY7-us21"
		kl      = "pk_KLAVIYO-SECRET-8"
		lm      = "LISTMONK-SECRET-9"
	)
	all := []string{admin, access, hook, ck, cs, wooHook, mc, kl, lm}
	src := fmt.Sprintf(`http:
  admin_token: %s
stores:
  - id: s
    kind: shopify
    shop: s.myshopify.com
    access_token: %s
    webhook_secrets: [%s]
  - id: w
    kind: woocommerce
    url: https://w.example.com
    consumer_key: %s
    consumer_secret: %s
    webhook_secret: %s
destinations:
  - id: mc
    kind: mailchimp
    api_key: %s
    audience_id: aud
  - id: kl
    kind: klaviyo
    api_key: %s
  - id: lm
    kind: listmonk
    url: https://lists.example.com
    username: u
    token: %s
`, admin, access, hook, ck, cs, wooHook, mc, kl, lm)
	cfg := mustParse(t, src)
	if cfg.Stores[1].ConsumerSecret.Value() != cs || cfg.Destinations[2].Token.Value() != lm {
		t.Fatal("secrets not decoded")
	}
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ym, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v":        fmt.Sprintf("%v", cfg),
		"%+v":       fmt.Sprintf("%+v", cfg),
		"%#v":       fmt.Sprintf("%#v", cfg),
		"%v*":       fmt.Sprintf("%v", *cfg),
		"%+v*":      fmt.Sprintf("%+v", *cfg),
		"%#v*":      fmt.Sprintf("%#v", *cfg),
		"%v stores": fmt.Sprintf("%v", cfg.Stores),
		"%q":        fmt.Sprintf("%q", cfg.HTTP.AdminToken),
		"%x":        fmt.Sprintf("%x", cfg.HTTP.AdminToken),
		"json":      string(js),
		"yaml":      string(ym),
	}
	for name, out := range outputs {
		for _, s := range all {
			if strings.Contains(out, s) {
				t.Errorf("%s output contains secret %q:\n%s", name, s, out)
			}
		}
		if name != "%q" && name != "%x" && !strings.Contains(out, "[redacted]") {
			t.Errorf("%s output does not show [redacted]:\n%s", name, out)
		}
	}

	// Problems never quote secrets either: break every check that concerns
	// a secret and the store around it.
	bad := strings.NewReplacer("audience_id: aud", "", "username: u", "", "shop: s.myshopify.com", "shop: "+access,
		"api_key: "+mc, "api_key: "+kl).Replace(src)
	bad += "  - id: x\n    kind: listmonk\n    username: " + lm + "\n    token: ${" + admin + "\n"
	err = problemsErr(bad)
	if err == nil {
		t.Fatal("broken config parsed")
	}
	for _, s := range []string{admin, kl, lm} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("problems contain secret %q:\n%s", s, err)
		}
	}

	var s Secret
	if fmt.Sprint(s) != "" || fmt.Sprintf("%#v", s) != "" {
		t.Error("empty secret does not print as empty")
	}
	s = "v"
	for _, got := range []string{s.String(), s.GoString(), fmt.Sprint(s), fmt.Sprintf("%#v", s)} {
		if got != "[redacted]" {
			t.Errorf("got %q, want [redacted]", got)
		}
	}
	if b, _ := s.MarshalText(); string(b) != "[redacted]" {
		t.Errorf("MarshalText = %q", b)
	}
	if b, _ := json.Marshal(s); string(b) != `"[redacted]"` {
		t.Errorf("json = %s", b)
	}
	if v, _ := s.MarshalYAML(); v != "[redacted]" {
		t.Errorf("MarshalYAML = %v", v)
	}
	if s.Value() != "v" {
		t.Error("Value lost the secret")
	}
}

func problemsErr(src string) error {
	_, err := Parse("cohortd.yaml", []byte(src))
	return err
}

func TestDurationYAML(t *testing.T) {
	var v struct {
		D Duration `yaml:"d"`
	}
	if err := yaml.Unmarshal([]byte("d: 1m30s\n"), &v); err != nil || v.D.Duration != 90*time.Second {
		t.Errorf("Unmarshal = %v, %v", v.D, err)
	}
	err := yaml.Unmarshal([]byte("\nd: soon\n"), &v)
	if err == nil || !strings.Contains(err.Error(), `line 2 col 4: invalid duration "soon"`) {
		t.Errorf("Unmarshal bad duration error = %v", err)
	}
	err = yaml.Unmarshal([]byte("d: [1s]\n"), &v)
	if err == nil || !strings.Contains(err.Error(), "line 1 col 4") {
		t.Errorf("Unmarshal list duration error = %v", err)
	}
	b, err := json.Marshal(Duration{5 * time.Second})
	if err != nil || string(b) != `"5s"` {
		t.Errorf("json = %s, %v", b, err)
	}
	var d Duration
	if err := d.UnmarshalText([]byte("2h")); err != nil || d.Duration != 2*time.Hour {
		t.Errorf("UnmarshalText = %v, %v", d, err)
	}
}

func TestParseSchedule(t *testing.T) {
	for _, spec := range []string{"*/5 * * * *", "0 3 * * 1-5", "@every 5m", "@daily", "@hourly", "@weekly", "@monthly", "@yearly"} {
		if _, err := ParseSchedule(spec); err != nil {
			t.Errorf("ParseSchedule(%q): %v", spec, err)
		}
	}
	for _, spec := range []string{"", "* * * * * *", "@often", "@every", "60 * * * *"} {
		if _, err := ParseSchedule(spec); err == nil {
			t.Errorf("ParseSchedule(%q) succeeded", spec)
		}
	}
	s, err := ParseSchedule("0 3 * * *")
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	if got, want := s.Next(from), time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Next = %v, want %v", got, want)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "cohortd.yaml", "data_dir: /x\nhttp:\n  lisen: y\n")
	_, err := Load(p)
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 1 || ps[0].File != p || ps[0].Line != 3 {
		t.Errorf("Load error = %v", err)
	}
	missing := filepath.Join(dir, "nope.yaml")
	_, err = Load(missing)
	want := fmt.Sprintf("%s: cannot read config file: open %s: no such file or directory", missing, missing)
	if !errors.As(err, &ps) || err.Error() != want {
		t.Errorf("Load(missing) = %v, want %s", err, want)
	}
	writeFile(t, dir, "ok.yaml", "data_dir: /x\n")
	cfg, err := Load(filepath.Join(dir, "ok.yaml"))
	if err != nil || cfg.DataDir != "/x" {
		t.Errorf("Load(ok) = %+v, %v", cfg, err)
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"listen", "admin_token", "max_body_bytes", "read_timeout"}
	tests := map[string]string{
		"lisen":        "listen",
		"listn":        "listen",
		"adminToken":   "admin_token",
		"admin-token":  "admin_token",
		"readtimeout":  "read_timeout",
		"read_timeot":  "read_timeout",
		"colour":       "",
		"x":            "",
		"max_body":     "",
		"MAX_BODY_BYT": "max_body_bytes",
	}
	for in, want := range tests {
		if got := suggest(in, keys); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCurrencies guards the hand-written ISO 4217 list.
func TestCurrencies(t *testing.T) {
	if n := len(isoCurrencies); n < 170 || n > 190 {
		t.Errorf("%d currencies; the active ISO 4217 list has about 180", n)
	}
	for c := range isoCurrencies {
		if len(c) != 3 || strings.ToUpper(c) != c {
			t.Errorf("bad code %q", c)
		}
	}
	for old, repl := range withdrawnCurrencies {
		if isoCurrencies[old] || !isoCurrencies[repl] {
			t.Errorf("withdrawn %s -> %s inconsistent", old, repl)
		}
	}
	for _, c := range []string{"USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF", "CNY", "INR", "BRL", "MXN", "SEK", "NZD", "ZAR", "XCG", "ZWG", "SLE", "VES"} {
		if !isoCurrencies[c] {
			t.Errorf("%s missing", c)
		}
	}
}

func TestAliasExpansionIsBounded(t *testing.T) {
	src := "stores:\n  - &s {id: a, kind: shopify, shop: a.myshopify.com, access_token: t, webhook_secrets: [" +
		strings.Repeat("s,", 3000) + "s]}\n  - " + strings.Repeat("*s, ", 3000) + "\n"
	src = strings.Replace(src, "  - "+strings.Repeat("*s, ", 3000), "  - *s"+strings.Repeat("\n  - *s", 2999), 1)
	start := time.Now()
	ps := problems(t, src)
	if time.Since(start) > 20*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
	found := false
	for _, p := range ps {
		found = found || p.Msg == "the file expands to too many values"
	}
	if !found {
		t.Errorf("no expansion problem in %d problems", len(ps))
	}
}

func TestSetDataDir(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte("data_dir: /srv/a\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.SetDataDir("/data")
	if cfg.DataDir != "/data" || cfg.Backup.Dir != filepath.Join("/data", "backups") {
		t.Errorf("default backup dir did not follow: %q %q", cfg.DataDir, cfg.Backup.Dir)
	}
	cfg, err = Parse("c.yaml", []byte("data_dir: /srv/a\nbackup:\n  dir: /mnt/backups\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.SetDataDir("/data")
	if cfg.Backup.Dir != "/mnt/backups" {
		t.Errorf("explicit backup dir moved to %q", cfg.Backup.Dir)
	}
}

// A custom segment's tag outside the prefix would make cohortd write (and later remove) a tag
// that may be the merchant's own: rejected with the tag to use.
func TestCustomTagOutsidePrefixRejected(t *testing.T) {
	got := problems(t, "segments:\n  custom:\n    - name: vip\n      when: \"true\"\n      tag: VIP\n")
	if len(got) != 1 || got[0].Line != 5 || !strings.Contains(got[0].Msg, `tag "VIP" is outside the tags prefix "cohort:"`) ||
		!strings.Contains(got[0].Hint, `"cohort:vip"`) {
		t.Fatalf("problems = %v", got)
	}
}
