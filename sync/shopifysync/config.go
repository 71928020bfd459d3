package shopifysync

import (
	"fmt"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/shopify"
)

// ClientFor returns the API client of a configured Shopify store: the shop's domain, or the
// configured endpoint (a proxy, the demo's fake store).
func ClientFor(sc config.Store, opts shopify.Options) (*shopify.Client, error) {
	opts.Shop = sc.Shop
	if sc.Endpoint != "" {
		opts.Shop = sc.Endpoint
	}
	opts.AccessToken = sc.AccessToken.Value()
	opts.APIVersion = sc.APIVersion
	c, err := shopify.New(opts)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", sc.ID, err)
	}
	return c, nil
}

// Secrets returns a store's webhook secrets as the webhook source takes them.
func Secrets(sc config.Store) [][]byte {
	var out [][]byte
	for _, s := range sc.WebhookSecrets {
		out = append(out, []byte(s.Value()))
	}
	return out
}
