package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/connectors/woocommerce/woofake"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/sync/daemon"
	"github.com/cohortd/cohortd/sync/segmenter"
	"github.com/cohortd/cohortd/sync/tagpush"
)

const demoWooStore = "demo-woo"

// startDemoWoo serves the generated WooCommerce data from the fake store.
func startDemoWoo(genDir string, seed uint64, log zerolog.Logger) (*woofake.Fake, error) {
	berlin, err := time.LoadLocation("Europe/Berlin") // the generator's WooCommerce site zone
	if err != nil {
		berlin = time.UTC
	}
	f := woofake.New(woofake.Options{Location: berlin, Seed: seed, Logger: log.With().Str("component", "fake-woocommerce").Logger()})
	if err := f.LoadGenerated(genDir); err != nil {
		return nil, fmt.Errorf("demo: fake WooCommerce: %w", err)
	}
	if err := f.Start(); err != nil {
		return nil, fmt.Errorf("demo: fake WooCommerce: %w", err)
	}
	return f, nil
}

func wooStoreConfig(url string) string {
	return fmt.Sprintf(`  - id: %s
    kind: woocommerce
    url: %q
    consumer_key: %s
    consumer_secret: %s
    webhook_secret: %s
`, demoWooStore, url, woofake.DefaultConsumerKey, woofake.DefaultConsumerSecret, woofake.DefaultWebhookSecret)
}

// wooSummary adds the WooCommerce store's figures and the people merged across stores.
func wooSummary(d *daemon.Daemon, f *woofake.Fake, set func(string, any)) {
	if f == nil {
		return
	}
	c := f.Counts()
	set("woo_customers", c.Customers)
	set("woo_orders", c.Orders)
	var webhooks, echoes, written int64
	guestOnly := 0
	for _, s := range d.WooSyncers() {
		st := s.Stats()
		webhooks += st.Webhooks.Load()
		echoes += st.Echoes.Load()
		written += st.PushedChanges.Load()
		if state, err := s.State(); err == nil {
			guestOnly += state.GuestOnly
		}
	}
	set("woo_webhooks_applied", webhooks)
	set("woo_webhook_echoes_ignored", echoes)
	set("woo_customers_written", written)
	set("woo_guest_only_profiles", guestOnly)
	fs := f.Stats()
	set("woo_api_requests", fs.Requests)
	set("woo_webhooks_delivered", fs.DeliveriesOK)
	set("woo_webhooks_disabled", fs.WebhooksDisabled)
	// People with records in more than one store, merged into one profile, and those whose
	// segments were written back to both stores (tags in Shopify, meta in WooCommerce).
	sources, err := segmenter.SourceKeys(d.Store())
	if err != nil {
		return
	}
	shopTags, _ := tagpush.Applied(d.Store(), demoStore)
	wooMeta, _ := tagpush.Applied(d.Store(), demoWooStore)
	cross, both := 0, 0
	for _, keys := range sources {
		stores := map[string]bool{}
		inShop, inWoo := false, false
		for _, k := range keys {
			parts := strings.SplitN(k, "/", 3)
			stores[parts[0]] = true
			if len(parts) == 3 && parts[1] == profiles.KindCustomer {
				inShop = inShop || (parts[0] == demoStore && len(shopTags[parts[2]]) > 0)
				inWoo = inWoo || (parts[0] == demoWooStore && len(wooMeta[parts[2]]) > 0)
			}
		}
		if len(stores) > 1 {
			cross++
			if inShop && inWoo {
				both++
			}
		}
	}
	set("cross_store_profiles", cross)
	set("cross_store_written_both", both)
}
