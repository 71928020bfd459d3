package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cohortd/cohortd/connectors/shopify/shopifyfake"
	"github.com/cohortd/cohortd/internal/gen"
)

// `cohortd backfill` reads a Shopify store through bulk operations (rows expected = rows
// received), builds profiles, segments and the tag plan; status then shows the store as
// backfilled with its tag changes queued, and a second run does not read the store again.
func TestBackfillCommand(t *testing.T) {
	const token = "shpat_backfill"
	dir := t.TempDir()
	g := gen.DefaultConfig()
	g.Customers, g.Orders, g.OutDir, g.Seed = 300, 900, filepath.Join(dir, "gen"), 5
	g.Formats = gen.Formats{Shopify: true}
	if _, err := gen.Generate(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	fake, err := shopifyfake.New(shopifyfake.Options{Shop: "hooks-shop.myshopify.com", AccessToken: token,
		Dir: filepath.Join(dir, "fake"), Webhooks: shopifyfake.WebhookKnobs{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	if err := fake.LoadGenerated(g.OutDir); err != nil {
		t.Fatal(err)
	}
	nc, no := fake.Counts()
	cfg := writeShopifyConfig(t, dir, "cohortd.yaml", "", fake.URL(), token)

	r := cohortd(t, "--config", cfg, "backfill")
	if r.code != 0 {
		t.Fatalf("backfill: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, phase := range []string{"customers", "orders"} {
		m := regexp.MustCompile(`main ` + phase + ` \(bulk\): expected (\d+), received (\d+), records (\d+), bad 0, resumed false`).FindStringSubmatch(r.stdout)
		if m == nil || m[1] != m[2] {
			t.Fatalf("%s phase not reported with expected = received:\n%s", phase, r.stdout)
		}
		want := nc
		if phase == "orders" {
			want = no
		}
		if got, _ := strconv.Atoi(m[3]); got != want {
			t.Errorf("%s: %d records, the store has %d", phase, got, want)
		}
	}
	m := regexp.MustCompile(`profiles: (\d+) from (\d+) identities \((\d+) merged\)`).FindStringSubmatch(r.stdout)
	if m == nil || m[3] == "0" {
		t.Fatalf("no merged profiles reported:\n%s", r.stdout)
	}
	m = regexp.MustCompile(`main tags: (\d+) customers to change`).FindStringSubmatch(r.stdout)
	if m == nil || m[1] == "0" {
		t.Fatalf("no tag plan reported:\n%s", r.stdout)
	}
	planned := m[1]

	r = cohortd(t, "--config", cfg, "status")
	if r.code != 0 || !strings.Contains(r.stdout, "store main: backfill done") ||
		!strings.Contains(r.stdout, "outbox tags-main: "+planned+" pending") {
		t.Fatalf("status: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	r = cohortd(t, "--config", cfg, "backfill")
	if r.code != 0 || !strings.Contains(r.stdout, "main: backfilled before") {
		t.Fatalf("second backfill: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
