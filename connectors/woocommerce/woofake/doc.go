// Package woofake is a faithful in-process fake of a WooCommerce 10 store's REST API
// (wp-json/wc/v3), for cohortd's tests, benchmarks and `cohortd demo`.
//
// It reproduces what a real store does, including the parts a client gets wrong: OAuth 1.0a
// one-legged verification exactly as WC_REST_Authentication performs it (PHP parameter
// parsing, rawurlencode normalisation, strcmp key sort, key = consumer_secret + "&",
// 15-minute timestamp window, nonce replay refusal keyed by timestamp), Basic auth only over
// TLS, WordPress REST parameter validation (rest_invalid_param with params/details),
// X-WP-Total/X-WP-TotalPages and Link headers rebuilt the way add_query_arg rebuilds them
// (query string repeated, oauth_* included, values re-encoded), batch limits (413), meta keys
// with a leading underscore silently dropped, and webhooks delivered with the real header set,
// PHP json_encode bodies, time-based delivery ids, the creation ping and the
// disable-after-failures rule of WC_Webhook.
//
// Invariants:
//   - Record data is read and written only under Fake.mu. A record's JSON is kept as raw
//     bytes (a slice of the loaded file until the record is first changed), so pages are
//     built by concatenation and a page never mixes two states of one record.
//   - Customers and orders are kept sorted by id; derived orderings (by date, by modified
//     date) are cached and rebuilt lazily after a change, so listing stays O(page) + O(log n).
//   - A webhook body is built when the delivery is sent, from the state at that moment, as
//     WooCommerce's asynchronous delivery does; within one request or Go call a webhook fires
//     at most once per resource (WC_Webhook::is_already_processed).
//   - Time comes from Options.Now (dates, OAuth window, delivery ids); delivery timeouts and
//     delays are real time.
//   - The fake never reaches beyond the URLs it is given: it listens on 127.0.0.1 and posts
//     webhooks only to registered delivery URLs.
//
// A Fake is safe for concurrent use by any number of HTTP clients and Go callers.
package woofake
