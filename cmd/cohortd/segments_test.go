package main

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// segmentsConfig is the import config plus a destination and custom segments.
const segmentsConfig = importConfig + `destinations:
  - id: news
    kind: listmonk
    url: http://127.0.0.1:9
    username: u
    token: t
    segments: [lifecycle-active, big]
segments:
  custom:
    - name: big
      when: total_spent >= 1000 && country == "GB"
`

func writeSegmentsConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "cohortd.yaml")
	cfg := strings.ReplaceAll(segmentsConfig, "%DATA%", filepath.Join(dir, "data"))
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSegmentsOnOnlineRetailHead(t *testing.T) {
	cfg := writeSegmentsConfig(t)
	if r := cohortd(t, "--config", cfg, "import", "--store", "retail"); r.code != 0 {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := cohortd(t, "--config", cfg, "segments", "--now", "2011-12-10")
	if r.code != 0 {
		t.Fatalf("segments: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"segments at 2011-12-10T00:00:00Z: ",
		"predictions: not fitted: too little history to fit",
		"country-gb ",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("segments output lacks %q:\n%s", want, r.stdout)
		}
	}

	// RFM per customer, against the independent DuckDB computation over the same file.
	exp := readCSV(t, "../../testdata/segments/online_retail_head_rfm.csv")
	out := filepath.Join(t.TempDir(), "scores.csv")
	if r := cohortd(t, "--config", cfg, "segments", "export", "--now", "2011-12-10", "--out", out); r.code != 0 {
		t.Fatalf("export: exit %d\n%s", r.code, r.stderr)
	}
	got := map[string][]string{}
	rows := readCSV(t, out)
	for _, row := range rows[1:] {
		got[row[0]] = row
	}
	compareRFM(t, exp, got)

	// profiles show lists the stored segments.
	r = cohortd(t, "--config", cfg, "profiles", "show", "--json", "retail/customer/12583")
	var ps struct {
		Segments []string `json:"segments"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &ps); err != nil || !slices.Contains(ps.Segments, "country-fr") || !slices.Contains(ps.Segments, "lifecycle-lost") {
		t.Errorf("profiles show segments: %+v %v\n%s", ps, err, r.stdout)
	}

	// Preview: a rule that matches, and rules with mistakes, pointed at.
	r = cohortd(t, "--config", cfg, "segments", "preview", "--now", "2011-12-10", "--json", `orders_count >= 2 && country == "GB"`)
	var pv struct {
		Count, Profiles int
		Sample          []struct {
			Email  string `json:"email"`
			Orders int    `json:"orders"`
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &pv); err != nil || r.code != 0 || pv.Count == 0 || pv.Count >= pv.Profiles || len(pv.Sample) == 0 || pv.Sample[0].Orders < 2 {
		t.Errorf("preview: exit %d %+v %v\n%s%s", r.code, pv, err, r.stdout, r.stderr)
	}
	r = cohortd(t, "--config", cfg, "segments", "preview", "order_count > 3")
	if r.code != 2 || !strings.Contains(r.stderr, "rule:1:1: unknown name order_count") || !strings.Contains(r.stderr, "did you mean orders_count?") {
		t.Errorf("preview of a misspelt field: exit %d\n%s", r.code, r.stderr)
	}

	// History and the destination diff.
	r = cohortd(t, "--config", cfg, "segments", "history", "country-gb", "--json")
	var h struct {
		Sizes []struct{ Size int } `json:"sizes"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &h); err != nil || len(h.Sizes) != 1 || h.Sizes[0].Size == 0 {
		t.Errorf("history: %+v %v\n%s%s", h, err, r.stdout, r.stderr)
	}
	r = cohortd(t, "--config", cfg, "segments", "diff", "news")
	// An email destination: the plan a push sends; the retail file has no addresses.
	if r.code != 0 || !strings.Contains(r.stdout, "destination news (listmonk, audience subscribers), dry run: 0 contacts to update") ||
		!regexp.MustCompile(`left out: [1-9][0-9]* without a valid email`).MatchString(r.stdout) {
		t.Errorf("diff: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// The daemon exports the sizes of the last recompute.
	d := startDaemon(t, cfg)
	resp, err := http.Get("http://" + d.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`cohortd_segment_size{segment="country-gb"}`, `cohortd_segment_predictions_fitted 0`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, _ := d.stop(t); code != 0 {
		t.Errorf("daemon exit %d", code)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// compareRFM checks cohortd's export (profile_id, sources, recency_days, frequency,
// monetary, ...) against the DuckDB rows (customer_id, frequency, monetary, recency_days),
// customer by customer.
func compareRFM(t *testing.T, exp [][]string, got map[string][]string) {
	t.Helper()
	bySource := map[string][]string{}
	for _, row := range got {
		for _, src := range strings.Fields(row[1]) {
			bySource[src] = row
		}
	}
	if len(exp) < 2 || strings.Join(exp[0], ",") != "customer_id,frequency,monetary,recency_days" {
		t.Fatalf("unexpected reference header %v", exp[0])
	}
	checked := 0
	for _, e := range exp[1:] {
		row, ok := bySource["retail/customer/"+e[0]]
		if !ok {
			t.Errorf("customer %s: not in cohortd's export", e[0])
			continue
		}
		freq, mon, rec := row[3], row[4], row[2]
		if freq != e[1] || !sameMoney(mon, e[2]) || rec != e[3] {
			t.Errorf("customer %s: cohortd frequency %s monetary %s recency %s; SQL %s %s %s", e[0], freq, mon, rec, e[1], e[2], e[3])
		}
		checked++
	}
	if checked != len(got) {
		t.Errorf("SQL has %d customers, cohortd %d profiles", checked, len(got))
	}
}

// sameMoney compares amounts to the cent.
func sameMoney(a, b string) bool {
	fa, errA := strconv.ParseFloat(a, 64)
	fb, errB := strconv.ParseFloat(b, 64)
	return errA == nil && errB == nil && math.Abs(fa-fb) < 0.005
}
