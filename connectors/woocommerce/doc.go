// Package woocommerce is cohortd's client of the WooCommerce REST API v3 (wc/v3): backfill and
// polling of customers, orders and refunds, segment write-back into customer meta_data,
// webhook subscriptions, and the webhook source the daemon's receiver verifies deliveries
// with. Payloads are decoded into canonical records by the decode subpackage; a fake
// WooCommerce for tests and the demo lives in woofake.
//
// Invariants (each has tests):
//
//   - Authentication follows the URL's scheme, as WooCommerce does: HTTP Basic with the
//     consumer key and secret over https, OAuth 1.0a one-legged signatures (HMAC-SHA256, the
//     oauth_* parameters in the query string) over plain http, built exactly as
//     WC_REST_Authentication verifies them (see oauth.go). Every attempt is signed anew (a
//     nonce is accepted once).
//   - Secrets stay secret: the consumer secret, the oauth_signature and query strings never
//     appear in logs or errors (errors carry the URL path only); redirects are not followed,
//     so credentials never go to another URL; a Link URL is followed only inside this API and
//     only after its oauth_* parameters are stripped and the request signed anew.
//   - WooCommerce's limits are respected, never discovered: per_page <= 100, batches <= 100
//     items, meta keys without a leading underscore (WooCommerce silently drops those).
//   - A walk over a list makes one request per page: the first page tells X-WP-TotalPages,
//     the rest are fetched at most Options.Parallel at a time and handed over strictly in page
//     order.
//   - Failures are classified: 429, 503 and other 5xx and network failures are retried with
//     backoff (honouring Retry-After), and a request that is not idempotent (creating a
//     webhook) only when it certainly was not processed; 401 is ErrUnauthorized; 404 is
//     ErrNotFound with the reason (no wc/v3 route versus no WordPress REST API at that URL)
//     or ErrRecordNotFound for a missing record; an HTML answer is ErrNotJSON saying what it
//     was (a login page, a maintenance page, a firewall challenge).
//
// A Client is safe for concurrent use. WebhookSource holds no state.
package woocommerce
