package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// `cohortd demo --for` runs the whole pipeline against the fake store and prints its figures:
// the backfilled records are cleaned, merged, segmented and tagged back, live orders arrive
// as webhooks, and our own tag writes echo back without a second push.
func TestDemoRunsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo for 20 s")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "demo", "--customers", "800", "--for", "20s", "--listen", "127.0.0.1:0",
		"--rate", "20", "--dir", t.TempDir())
	cmd.Env = append(os.Environ(), "COHORTD_CONFIG=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, out.String(), errb.String())
	}
	got := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.Contains(k, " ") {
			got[k] = v
		}
	}
	num := func(k string) int {
		n, err := strconv.Atoi(got[k])
		if err != nil {
			t.Fatalf("summary has no number %q:\n%s", k, out.String())
		}
		return n
	}
	for _, k := range []string{"store_customers", "records_read", "profiles", "merges", "segments", "tags_added",
		"customers_tagged", "webhooks_applied", "webhook_echoes_ignored", "segment.lifecycle-lost"} {
		if num(k) <= 0 {
			t.Errorf("%s = %d, want > 0\n%s", k, num(k), out.String())
		}
	}
	for _, k := range []string{"bad_records", "api_throttled", "outbox_dead_letters"} {
		if num(k) != 0 {
			t.Errorf("%s = %d, want 0\n%s", k, num(k), out.String())
		}
	}
	if num("profiles") >= num("identities") {
		t.Errorf("no identities merged: %d profiles from %d identities", num("profiles"), num("identities"))
	}
	// The three email platforms got their segments as tags and lists, counted by each fake.
	for _, k := range []string{"email.newsletter.memberships", "email.klaviyo.memberships", "email.lists.memberships",
		"list.klaviyo.cohort:churn-low", "list.lists.cohort:lifecycle-lost"} {
		if num(k) <= 0 {
			t.Errorf("%s = %d, want > 0\n%s", k, num(k), out.String())
		}
	}
	// Every name a destination receives is listed, with 0 when the platform has nobody on it.
	num("list.newsletter.cohort:rfm-champions")
	// The store's customers all got their tags in the first push.
	if num("customers_tagged") < num("store_customers")*9/10 {
		t.Errorf("%d of %d customers tagged", num("customers_tagged"), num("store_customers"))
	}
}

// One daemon with a Shopify and a WooCommerce store holding overlapping people (the
// generator puts 14% of people in both, formatted differently): they are merged into one
// profile, and their segments reach both stores (tags in Shopify, meta in WooCommerce); our
// own meta writes echo back as customer.updated and are ignored.
func TestDemoBothPlatformsMergeAndWriteBack(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo for 25 s")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "demo", "--platform", "both", "--customers", "600", "--for", "25s",
		"--listen", "127.0.0.1:0", "--rate", "10", "--dir", t.TempDir())
	cmd.Env = append(os.Environ(), "COHORTD_CONFIG=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, out.String(), errb.String())
	}
	got := map[string]int{}
	for _, line := range strings.Split(out.String(), "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.Contains(k, " ") {
			if n, err := strconv.Atoi(v); err == nil {
				got[k] = n
			}
		}
	}
	for _, k := range []string{"cross_store_profiles", "cross_store_written_both", "woo_customers", "woo_customers_written",
		"woo_webhooks_applied", "woo_webhook_echoes_ignored", "customers_tagged", "woo_guest_only_profiles"} {
		if got[k] <= 0 {
			t.Errorf("%s = %d, want > 0\n%s", k, got[k], out.String())
		}
	}
	if got["outbox_dead_letters"] != 0 || got["woo_webhooks_disabled"] != 0 {
		t.Errorf("dead letters %d, webhooks disabled %d\n%s", got["outbox_dead_letters"], got["woo_webhooks_disabled"], out.String())
	}
	// The write-back reached most WooCommerce customers (those in no segment excepted).
	if got["woo_customers_written"] < got["woo_customers"]/2 {
		t.Errorf("%d of %d WooCommerce customers written", got["woo_customers_written"], got["woo_customers"])
	}
}
