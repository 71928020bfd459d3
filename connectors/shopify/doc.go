// Package shopify is cohortd's client of the Shopify Admin GraphQL API: paginated reads,
// bulk exports streamed from their JSONL files, customer tag write-back (single and bulk
// mutations) and webhook subscriptions. It hands out raw node JSON; decoding to canonical
// records is connectors/shopify/decode's job, and shopifyfake is the server tests run against.
//
// Requests go through go-shopify's client (github.com/bold-commerce/go-shopify/v4), with its
// own retries disabled and the API version always set explicitly. The invariants:
//
//   - One request in flight per Client. go-shopify's client writes shared state on every
//     call, and the cost bucket is one per app and shop, so a Client serialises its GraphQL
//     calls through a single slot. A Client is safe for concurrent use; concurrency beyond one
//     request would only spend the same bucket faster.
//   - Stay under the cost limit rather than react to THROTTLED. The client mirrors the shop's
//     bucket from every answer's extensions.cost and waits, before each request, until the
//     mirror holds the document's requested cost (learned per document and page size; 1000,
//     Shopify's per-query maximum, before the first answer). The plan's limits (Standard,
//     Advanced, Plus) are learned, not configured. THROTTLED answers are still retried after
//     the computed wait and counted (Stats.Throttled; the goal is zero).
//   - Every wait ends with its context: limiter, retry backoff, bulk polling, downloads.
//     Transient failures (5xx, 429, timeouts, broken connections) are retried with bounded
//     exponential backoff and jitter; 401, 403, 404 and userErrors are permanent.
//   - The access token goes only to the shop's GraphQL endpoint: never to bulk result or
//     staged upload storage, never into logs or error text (errors are redacted, and
//     go-shopify's own body logging is switched off because bodies hold customer PII).
//   - A bulk file is never held in memory: it is read line by line and one root (with its
//     __parentId children, which follow it) is handed out at a time.
//   - Rows expected = rows received. A bulk query's file must have exactly objectCount lines;
//     a truncated download or a shortfall is an error, never a success. Root.Line is a
//     checkpoint: DownloadBulk skips what a caller already committed and resumes broken or
//     expired downloads from the last root delivered.
package shopify
