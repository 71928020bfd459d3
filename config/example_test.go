package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

const examplePath = "../examples/cohortd.yaml"

// exampleEnv lists every variable examples/cohortd.yaml references.
var exampleEnv = []string{
	"COHORTD_DATA_DIR", "COHORTD_LISTEN", "COHORTD_BASE_CURRENCY", "COHORTD_ADMIN_TOKEN",
	"SHOPIFY_ACCESS_TOKEN", "SHOPIFY_WEBHOOK_SECRET",
	"WOO_CONSUMER_KEY", "WOO_CONSUMER_SECRET", "WOO_WEBHOOK_SECRET",
	"MAILCHIMP_API_KEY", "KLAVIYO_API_KEY", "LISTMONK_TOKEN",
}

func TestExampleEnvListComplete(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(string(data), -1) {
		found := m[1] == "VAR" // the syntax explanation at the top
		for _, e := range exampleEnv {
			found = found || e == m[1]
		}
		if !found {
			t.Errorf("example references %s, which exampleEnv does not list", m[1])
		}
	}
}

// TestExampleFile loads the example as shipped, with an empty environment.
func TestExampleFile(t *testing.T) {
	for _, k := range exampleEnv {
		unsetenv(t, k)
	}
	cfg, err := Load(examplePath)
	if err != nil {
		t.Fatalf("Load(%s): %v", examplePath, err)
	}
	want := &Config{
		DataDir:      "./data",
		BaseCurrency: "USD",
		Timezone:     "UTC",
		HTTP: HTTP{
			Listen:       "127.0.0.1:8080",
			AdminToken:   "",
			MaxBodyBytes: 5242880,
			ReadTimeout:  Duration{10 * time.Second},
			WriteTimeout: Duration{30 * time.Second},
		},
		Tags: Tags{Prefix: "cohort:"},
		Segments: func() Segments {
			s := DefaultSegments()
			s.Custom = []CustomSegment{{Name: "big_spenders", When: "total_spent >= 1000", Tag: "cohort:big-spender"}}
			return s
		}(),
		Schedule: map[string]string{"store_stats": "@every 1m", "backup": "@daily", "segments": "@every 6h",
			"poll": "@every 5m", "reconcile": "@daily", "suppressions": "@hourly"},
		Backup:   Backup{Dir: filepath.Join("data", "backups"), Keep: 7},
		Identity: Identity{MatchThreshold: 0.9, PossibleThreshold: 0.5, PhoneIsIdentity: true},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("example decoded to\n%+v\nwant\n%+v", cfg, want)
	}

	// The shipped values are the defaults (the example documents them).
	def := Default()
	def.Segments = cfg.Segments
	def.Backup.Dir = cfg.Backup.Dir
	if !reflect.DeepEqual(cfg, def) {
		t.Errorf("example differs from Default() in more than segments and backup.dir:\n%+v\n%+v", cfg, def)
	}

	t.Setenv("COHORTD_ADMIN_TOKEN", "admin-tok")
	t.Setenv("COHORTD_BASE_CURRENCY", "EUR")
	cfg, err = Load(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.AdminToken.Value() != "admin-tok" || cfg.BaseCurrency != "EUR" {
		t.Errorf("env not applied: %+v", cfg)
	}
}

var exampleMarker = regexp.MustCompile(`^\s*# --- (end )?example: ([a-z]+) ---$`)

// uncommentExamples uncomments the lines between "# --- example: NAME ---"
// and "# --- end example: NAME ---" markers: the first "# " after the
// indentation is removed, so "##" documentation lines stay comments.
func uncommentExamples(t *testing.T, src string) (string, []string) {
	t.Helper()
	var out, names []string
	open := ""
	for i, line := range strings.Split(src, "\n") {
		if m := exampleMarker.FindStringSubmatch(line); m != nil {
			switch {
			case m[1] == "" && open == "":
				open = m[2]
				names = append(names, open)
			case m[1] != "" && open == m[2]:
				open = ""
			default:
				t.Fatalf("line %d: unbalanced example marker %q", i+1, line)
			}
			out = append(out, line)
			continue
		}
		if open != "" {
			indent := len(line) - len(strings.TrimLeft(line, " "))
			rest := line[indent:]
			switch {
			case rest == "#":
				line = ""
			case strings.HasPrefix(rest, "# "):
				line = line[:indent] + rest[2:]
			default:
				t.Fatalf("line %d in example %q is not commented: %q", i+1, open, line)
			}
		}
		out = append(out, line)
	}
	if open != "" {
		t.Fatalf("example %q is not closed", open)
	}
	return strings.Join(out, "\n"), names
}

// TestExampleBlocks uncomments the commented-out examples and checks they
// decode to what they document, so the documentation cannot rot.
func TestExampleBlocks(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	src, names := uncommentExamples(t, string(data))
	if want := []string{"stores", "destinations", "segments"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("example blocks = %q, want %q", names, want)
	}
	env := map[string]string{
		"COHORTD_ADMIN_TOKEN":    "admin-tok",
		"SHOPIFY_ACCESS_TOKEN":   "shpat_123",
		"SHOPIFY_WEBHOOK_SECRET": "whsec",
		"WOO_CONSUMER_KEY":       "ck_123",
		"WOO_CONSUMER_SECRET":    "cs_123",
		"WOO_WEBHOOK_SECRET":     "woo-hook",
		"MAILCHIMP_API_KEY":      "0123456789abcdef-us21",
		"KLAVIYO_API_KEY":        "pk_123",
		"LISTMONK_TOKEN":         "lm-token",
	}
	for _, k := range exampleEnv {
		unsetenv(t, k)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := Parse(examplePath, []byte(src))
	if err != nil {
		t.Fatalf("uncommented example: %v\n%s", err, src)
	}
	wantStores := []Store{
		{ID: "main", Kind: KindShopify, Shop: "my-store.myshopify.com", AccessToken: "shpat_123",
			APIVersion: "2025-04", WebhookSecrets: []Secret{"whsec"}, Backfill: BackfillBulk,
			PollOverlap: Duration{DefaultPollOverlap}, WriteTags: true},
		{ID: "woo", Kind: KindWooCommerce, URL: "https://shop.example.com", ConsumerKey: "ck_123",
			ConsumerSecret: "cs_123", WebhookSecret: "woo-hook", MetaKey: DefaultMetaKey, WriteTags: true,
			PollOverlap: Duration{DefaultPollOverlap}},
		{ID: "retail", Kind: KindFile, Path: "./online_retail.csv", Mapping: map[string]string{
			"order_id": "InvoiceNo", "customer_id": "CustomerID", "date": "InvoiceDate", "quantity": "Quantity",
			"unit_price": "UnitPrice", "product_id": "StockCode", "title": "Description", "country": "Country",
			"default_currency": "GBP", "date_layout": "2006-01-02 15:04:05", "cancelled_prefix": "C"}},
	}
	if !reflect.DeepEqual(cfg.Stores, wantStores) {
		t.Errorf("stores =\n%#v\nwant\n%#v", valuesOf(cfg.Stores), valuesOf(wantStores))
	}
	wantDests := []Destination{
		{ID: "newsletter", Kind: KindMailchimp, APIKey: "0123456789abcdef-us21", AudienceID: "a1b2c3d4e5",
			Segments: []string{"big_spenders"}, Audience: AudienceSubscribers, Properties: DefaultProperties},
		{ID: "klaviyo", Kind: KindKlaviyo, APIKey: "pk_123", Segments: []string{"all"}, Audience: AudienceSubscribers,
			CreateLists: true, Properties: DefaultProperties},
		{ID: "lists", Kind: KindListmonk, URL: "https://lists.example.com", Username: "cohortd", Token: "lm-token",
			Segments: []string{"all"}, Audience: AudienceSubscribers, CreateLists: true, Properties: DefaultProperties},
	}
	if !reflect.DeepEqual(cfg.Destinations, wantDests) {
		t.Errorf("destinations =\n%#v\nwant\n%#v", valuesOf(cfg.Destinations), valuesOf(wantDests))
	}
	wantCustom := []CustomSegment{
		{Name: "big_spenders", When: "total_spent >= 1000", Tag: "cohort:big-spender"},
		{Name: "lapsed", When: "days_since_last_order > 180", Tag: "cohort:lapsed", Destinations: []string{"newsletter"}},
	}
	if !reflect.DeepEqual(cfg.Segments.Custom, wantCustom) {
		t.Errorf("custom segments =\n%+v\nwant\n%+v", cfg.Segments.Custom, wantCustom)
	}
	if cfg.HTTP.AdminToken.Value() != "admin-tok" {
		t.Errorf("admin token not expanded")
	}
	if got := cfg.Destinations[0].MailchimpDC(); got != "us21" {
		t.Errorf("MailchimpDC = %q", got)
	}
}

// valuesOf prints secrets in failure messages of tests that use fake ones.
func valuesOf(v any) string {
	var b strings.Builder
	rv := reflect.ValueOf(v)
	for i := range rv.Len() {
		e := rv.Index(i)
		b.WriteString("{")
		for j := range e.NumField() {
			f := e.Field(j)
			if f.IsZero() {
				continue
			}
			b.WriteString(e.Type().Field(j).Name + ":")
			switch x := f.Interface().(type) {
			case Secret:
				b.WriteString(x.Value())
			default:
				b.WriteString(strings.TrimSpace(strings.ReplaceAll(reflect.ValueOf(x).String(), "\n", " ")))
				if f.Kind() == reflect.Slice {
					for k := range f.Len() {
						b.WriteString(" " + reflect.ValueOf(f.Index(k).Interface()).String())
					}
				}
			}
			b.WriteString(" ")
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// yamlKeys returns every key the type accepts, as dotted paths ("http.listen"),
// including x_file for every secret x.
func yamlKeys(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == durationType {
		return nil
	}
	var keys []string
	for _, f := range structFields(t) {
		p := prefix + f.name
		keys = append(keys, p)
		if f.secret {
			keys = append(keys, p+"_file")
		}
		keys = append(keys, yamlKeys(t.Field(f.index).Type, p+".")...)
	}
	return keys
}

// TestExampleDocumentsEveryKey checks that every key Config accepts (and
// every known schedule job) appears in the example, commented or not.
func TestExampleDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	keys := yamlKeys(reflect.TypeFor[Config](), "")
	if len(keys) < 40 {
		t.Fatalf("only %d keys found by reflection: %q", len(keys), keys)
	}
	for _, job := range KnownJobs {
		keys = append(keys, "schedule."+job)
	}
	for _, k := range keys {
		name := k[strings.LastIndex(k, ".")+1:]
		re := regexp.MustCompile(`(?m)(^|[\s#-])` + regexp.QuoteMeta(name) + `:`)
		if !re.MatchString(text) {
			t.Errorf("examples/cohortd.yaml does not document %s (no %q)", k, name+":")
		}
	}
}

// TestEveryExampleLoads keeps every shipped example valid.
func TestEveryExampleLoads(t *testing.T) {
	files, err := filepath.Glob("../examples/*.yaml")
	if err != nil || len(files) < 2 {
		t.Fatalf("examples: %v %v", files, err)
	}
	for _, f := range files {
		cfg, err := Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if filepath.Base(f) == "online-retail.yaml" {
			s, ok := cfg.StoreByID("retail")
			if !ok || s.Mapping["customer_id"] != "CustomerID" || cfg.BaseCurrency != "GBP" {
				t.Errorf("online-retail example: %+v", s)
			}
		}
	}
}
