package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/connectors/shopify"
	"github.com/cohortd/cohortd/connectors/shopify/shopifyfake"
)

// TestShopifyWebhooksCommand drives `cohortd shopify webhooks` through the binary against the
// fake Shopify: list, repair, a second repair that changes nothing, and the exit codes.
func TestShopifyWebhooksCommand(t *testing.T) {
	const (
		shop      = "hooks-shop.myshopify.com"
		token     = "shpat_hooks_token"
		publicURL = "https://cohortd.example.test"
		callback  = publicURL + "/webhooks/shopify/main"
		stale     = publicURL + "/old/webhooks/main"       // an older cohortd callback: repair removes it
		foreign   = "https://other-app.example.test/hooks" // another app: never touched
	)
	dir := t.TempDir()
	fake, err := shopifyfake.New(shopifyfake.Options{Shop: shop, AccessToken: token, Dir: filepath.Join(dir, "fake"),
		Webhooks: shopifyfake.WebhookKnobs{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	seed, err := shopify.New(shopify.Options{Shop: fake.URL(), AccessToken: token, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, s := range []struct {
		url    string
		topics []string
	}{{stale, []string{shopify.TopicOrdersCreate}}, {foreign, []string{shopify.TopicOrdersCreate, shopify.TopicCustomersUpdate}}} {
		if _, _, err := seed.EnsureWebhooks(ctx, s.url, s.topics); err != nil {
			t.Fatal(err)
		}
	}

	withURL := writeShopifyConfig(t, dir, "with-url.yaml", publicURL, fake.URL(), token)
	noURL := writeShopifyConfig(t, dir, "no-url.yaml", "", fake.URL(), token)

	// List: nothing points here yet; the stale and the foreign subscriptions are shown as such.
	r := cohortd(t, "--config", withURL, "shopify", "webhooks")
	if r.code != 0 {
		t.Fatalf("list: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"store main", "callback: " + callback, stale, "stale", foreign, "other",
		"ORDERS_PAID", "missing", fmt.Sprintf("%d of %d topics missing", len(shopify.DefaultTopics), len(shopify.DefaultTopics))} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("list output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout+r.stderr, token) {
		t.Error("the access token appears in the output")
	}
	rep := webhooksJSON(t, withURL)
	if got := targets(rep.Subscriptions); !slices.Equal(got, []string{"stale", "other", "other"}) {
		t.Errorf("list --json targets %v, want [stale other other]", got)
	}
	if len(rep.Missing) != len(shopify.DefaultTopics) || rep.Repaired {
		t.Errorf("list --json: missing %v, repaired %v", rep.Missing, rep.Repaired)
	}

	// Repair: every topic subscribed to the callback, the stale one removed, the foreign kept.
	r = cohortd(t, "--config", withURL, "shopify", "webhooks", "--repair")
	if r.code != 0 {
		t.Fatalf("repair: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	wantRepair := fmt.Sprintf("repaired: %d created, 1 removed", len(shopify.DefaultTopics))
	if !strings.Contains(r.stdout, wantRepair) || !strings.Contains(r.stdout, "ok: all") {
		t.Errorf("repair output lacks %q and ok:\n%s", wantRepair, r.stdout)
	}
	subs := fake.Subscriptions()
	var here, foreigners int
	for _, s := range subs {
		switch s[1] {
		case callback:
			here++
		case foreign:
			foreigners++
		case stale:
			t.Errorf("stale subscription %s survived the repair", s[0])
		}
	}
	if here != len(shopify.DefaultTopics) || foreigners != 2 || len(subs) != here+2 {
		t.Errorf("after repair the fake holds %v; want %d to the callback and the 2 foreign ones", subs, len(shopify.DefaultTopics))
	}

	// A second repair changes nothing.
	rep = webhooksJSON(t, withURL, "--repair", "--store", "main")
	if !rep.Repaired || rep.Created != 0 || rep.Removed != 0 || len(rep.Missing) != 0 {
		t.Errorf("second repair: created %d, removed %d, missing %v", rep.Created, rep.Removed, rep.Missing)
	}
	if n := strings.Count(strings.Join(targets(rep.Subscriptions), ","), "this daemon"); n != len(shopify.DefaultTopics) {
		t.Errorf("second repair lists %d subscriptions to this daemon, want %d", n, len(shopify.DefaultTopics))
	}
	if got := len(fake.Subscriptions()); got != len(subs) {
		t.Errorf("second repair changed the subscriptions: %d, was %d", got, len(subs))
	}

	// Without http.public_url: listing works and says why nothing is repaired; --repair is a
	// configuration error that changes nothing.
	r = cohortd(t, "--config", noURL, "shopify", "webhooks")
	if r.code != 0 || !strings.Contains(r.stdout, "http.public_url is not set") || !strings.Contains(r.stdout, "nothing can be repaired") {
		t.Errorf("list without public_url: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = cohortd(t, "--config", noURL, "shopify", "webhooks", "--repair")
	if r.code != 2 || !strings.Contains(r.stderr, "nothing can be repaired") || !strings.Contains(r.stderr, "http.public_url") {
		t.Errorf("repair without public_url: exit %d, stderr %q", r.code, r.stderr)
	}
	if got := len(fake.Subscriptions()); got != len(subs) {
		t.Errorf("repair without public_url changed the subscriptions: %d, was %d", got, len(subs))
	}

	// Usage errors exit 2; an API failure (wrong token) exits 1 and names the store.
	for _, args := range [][]string{{"shopify"}, {"shopify", "frobnicate"}, {"shopify", "webhooks", "--store", "nope"}} {
		if r := cohortd(t, append([]string{"--config", withURL}, args...)...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2; stderr %q", args, r.code, r.stderr)
		}
	}
	badToken := writeShopifyConfig(t, dir, "bad-token.yaml", publicURL, fake.URL(), "shpat_wrong")
	r = cohortd(t, "--config", badToken, "shopify", "webhooks")
	if r.code != 1 || !strings.Contains(r.stderr, "store main") {
		t.Errorf("wrong token: exit %d, want 1; stderr %q", r.code, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "shpat_wrong") {
		t.Error("the access token appears in the output")
	}
}

func writeShopifyConfig(t *testing.T, dir, name, publicURL, endpoint, token string) string {
	t.Helper()
	public := ""
	if publicURL != "" {
		public = fmt.Sprintf("  public_url: %q\n", publicURL)
	}
	cfg := fmt.Sprintf(`data_dir: %q
http:
  listen: 127.0.0.1:0
%sstores:
  - id: main
    kind: shopify
    shop: hooks-shop.myshopify.com
    endpoint: %q
    access_token: %s
`, filepath.Join(dir, "data"), public, endpoint, token)
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// webhooksJSON runs `shopify webhooks --json` and returns the one store's report.
func webhooksJSON(t *testing.T, cfg string, args ...string) storeWebhooks {
	t.Helper()
	r := cohortd(t, append([]string{"--config", cfg, "shopify", "webhooks", "--json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("shopify webhooks --json %v: exit %d\n%s", args, r.code, r.stderr)
	}
	var reps []storeWebhooks
	if err := json.Unmarshal([]byte(r.stdout), &reps); err != nil || len(reps) != 1 {
		t.Fatalf("shopify webhooks --json: %v, %d stores\n%s", err, len(reps), r.stdout)
	}
	return reps[0]
}

func targets(rows []webhookRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Target
	}
	return out
}
