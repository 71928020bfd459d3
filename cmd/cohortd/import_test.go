package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const importConfig = `data_dir: %DATA%
base_currency: GBP
http:
  listen: 127.0.0.1:0
stores:
  - id: shop
    kind: file
    path: ../../testdata/csvfile/shopify_orders_export.csv
  - id: retail
    kind: file
    path: ../../testdata/csvfile/online_retail_head.csv
    mapping:
      order_id: InvoiceNo
      customer_id: CustomerID
      date: InvoiceDate
      quantity: Quantity
      unit_price: UnitPrice
      product_id: StockCode
      title: Description
      country: Country
      default_currency: GBP
      date_layout: "2006-01-02 15:04:05"
      cancelled_prefix: C
`

func writeImportConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "cohortd.yaml")
	cfg := strings.ReplaceAll(importConfig, "%DATA%", filepath.Join(dir, "data"))
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestImportShopifyExportsMergesAndReportsBadRows(t *testing.T) {
	cfg := writeImportConfig(t)
	customers := "../../testdata/csvfile/shopify_customers_export.csv"
	orders := "../../testdata/csvfile/shopify_orders_export.csv"
	r := cohortd(t, "--config", cfg, "import", "--store", "shop", customers, orders)
	if r.code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		customers + `: row 6: column "Accepts Email Marketing": invalid marketing answer "maybe"`,
		customers + ": row 8: row has 4 fields, header has 20",
		orders + `: row 8: column "Total": invalid amount "12,3x"`,
		"stored 9 new or changed records",
		"profiles: 6 from 9 identities",
		"5 bad rows were skipped; the good rows were imported",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("import output lacks %q:\n%s", want, r.stdout)
		}
	}

	// Re-importing the same files stores nothing new.
	r = cohortd(t, "--config", cfg, "import", "--store", "shop", customers, orders)
	if r.code != 0 || !strings.Contains(r.stdout, "stored 0 new or changed records") {
		t.Errorf("re-import: exit %d\n%s", r.code, r.stdout)
	}

	// Alice's account and her two guest orders (same email) are one profile, joined by at least
	// the two audited links that connect the three records.
	r = cohortd(t, "--config", cfg, "profiles", "show", "--json", "Alice.Martin@example.com")
	if r.code != 0 {
		t.Fatalf("profiles show: exit %d: %s", r.code, r.stderr)
	}
	var p struct {
		ID        string `json:"id"`
		FirstName string `json:"first_name"`
		Sources   []struct {
			Kind string `json:"kind"`
		} `json:"sources"`
		Phones []struct {
			E164 string `json:"e164"`
		} `json:"phones"`
		Merges []struct {
			Reason string `json:"reason"`
		} `json:"merges"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatalf("decode: %v\n%s", err, r.stdout)
	}
	if p.FirstName != "Alice" || len(p.Sources) != 3 || len(p.Phones) != 1 || p.Phones[0].E164 != "+15145550101" || len(p.Merges) < 2 {
		t.Errorf("alice = %+v", p)
	}

	r = cohortd(t, "--config", cfg, "quality", "--json")
	var q struct {
		Identities int `json:"identities"`
		Profiles   int `json:"profiles"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &q); err != nil || q.Identities != 9 || q.Profiles != 6 {
		t.Errorf("quality: %+v, %v\n%s", q, err, r.stdout)
	}

	// Unmerge splits Alice; re-importing the same records keeps the split.
	r = cohortd(t, "--config", cfg, "profiles", "unmerge", p.ID)
	if r.code != 0 || !strings.Contains(r.stdout, "8 profiles now") {
		t.Fatalf("unmerge: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = cohortd(t, "--config", cfg, "import", "--store", "shop", customers, orders)
	if r.code != 0 || !strings.Contains(r.stdout, "profiles: 8 from 9 identities") {
		t.Errorf("re-import after unmerge: exit %d\n%s", r.code, r.stdout)
	}

	// Every rebuild left a report: the history shows the unmerge's effect, oldest first.
	r = cohortd(t, "--config", cfg, "quality", "--history", "10", "--json")
	var hist []struct {
		Profiles int `json:"profiles"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &hist); err != nil || len(hist) < 3 ||
		hist[0].Profiles != 6 || hist[len(hist)-1].Profiles != 8 {
		t.Errorf("quality history: %+v, %v\n%s", hist, err, r.stdout)
	}
	if r := cohortd(t, "--config", cfg, "quality", "--history", "2"); r.code != 0 ||
		!strings.Contains(r.stdout, "trend (2 reports, oldest first)") {
		t.Errorf("quality --history 2: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	if r := cohortd(t, "--config", cfg, "profiles", "show", "nobody@example.org"); r.code != 1 || !strings.Contains(r.stderr, "n***@example.org") {
		t.Errorf("unknown profile: exit %d %q (and the email must be masked)", r.code, r.stderr)
	}

	// The daemon exports the quality report as gauges.
	d := startDaemon(t, cfg)
	_, metrics := httpGet(t, "http://"+d.addr+"/metrics")
	for _, want := range []string{
		`cohortd_quality_count{what="profiles"} 8`,
		`cohortd_quality_count{what="identities"} 9`,
		`cohortd_quality_field_completeness_ratio{field="email"}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, _ := d.stop(t); code != 0 {
		t.Errorf("daemon exit %d", code)
	}
}

func TestImportMappedOrdersCSV(t *testing.T) {
	cfg := writeImportConfig(t)
	r := cohortd(t, "--config", cfg, "import", "--store", "retail")
	if r.code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"orders, 3005 rows", "bad rows", "row 3002:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("import output lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := cohortd(t, "--config", cfg, "import", "--store", "nope"); r.code != 2 || !strings.Contains(r.stderr, `no store "nope"`) {
		t.Errorf("unknown store: exit %d %q", r.code, r.stderr)
	}
}
