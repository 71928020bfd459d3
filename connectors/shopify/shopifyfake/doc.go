// Package shopifyfake is a faithful in-process fake of the Shopify Admin GraphQL API, used by
// cohortd's tests, benchmarks and `cohortd demo`.
//
// It serves POST /admin/api/{version}/graphql.json on a loopback listener, validates every
// document against the real 2025-04 Admin schema (embedded), executes it by projecting data
// kept as compact structs through the parsed selection set, charges Shopify's calculated query
// cost against a leaky bucket, runs bulk queries and bulk mutations with Shopify's JSONL
// output, and delivers REST-shaped, HMAC-signed webhooks with configurable misbehaviour.
//
// Invariants:
//   - Data is only read or written under Fake.mu; projection of a page happens under the read
//     lock, so a response never mixes two states of one record.
//   - Bulk output is streamed to a file under Options.Dir, never held whole in memory; bulk
//     work takes the read lock per chunk of nodes, so tag writes interleave with exports.
//   - Every response carries extensions.cost, including throttled ones; bulk operations do
//     not consume the bucket.
//   - Webhook payloads are the REST resource JSON: records loaded from the generator keep a
//     pointer (offset, length) to their original JSONL line, which is patched with the fields
//     that changed since; records created later are rendered from their structs.
//   - Time comes from Options.Now only (rate limits, timestamps, URL expiry); webhook retry
//     and delay timers use real time scaled by the Webhooks knobs.
//
// A Fake is safe for concurrent use by any number of HTTP clients and Go callers.
package shopifyfake
