// Package decode turns Shopify payloads into cohortd's canonical records and verifies Shopify
// webhook signatures. It does no I/O: the Shopify client feeds it GraphQL nodes (paginated
// pages and bulk-export JSONL lines, selected by the documents in package shopify), the webhook
// receiver feeds it REST webhook bodies after VerifyHMAC.
//
//   - Customer and Order decode GraphQL nodes into profiles.CustomerRecord and
//     profiles.OrderRecord. A bulk export writes an order's line items as separate JSONL
//     objects with a __parentId; Order takes them as lineChildren.
//   - Webhook decodes a webhook body, by topic, into a typed Event: customer and order
//     records, a customer tombstone, a refund to apply, a privacy request, a finished bulk
//     operation.
//   - VerifyHMAC checks X-Shopify-Hmac-Sha256 against one or more secrets.
//
// Invariants (each has tests):
//
//   - Raw strings stay raw. Emails, phones, names, addresses and locales are passed on as
//     Shopify sent them; normalizing them is the profiles package's job. Only enum-like values
//     are mapped to one spelling: GraphQL's SUBSCRIBED becomes REST's "subscribed", so a
//     record reads the same whichever API it came from. Address Region and Country take the
//     code (provinceCode / province_code, countryCodeV2 / country_code) when present, else the
//     name.
//   - Ids are numeric legacy ids: a REST "id" and the number at the end of a GraphQL gid (or
//     its legacyResourceId) are the same, so a webhook and a backfill give the same record id.
//     Ids are never converted through float64 (order ids exceed 2^53).
//   - Money is presentment money: the amounts in the currency the customer saw and paid
//     (totalPriceSet.presentmentMoney, total_price_set.presentment_money), not the shop
//     currency. That is what the customer actually spent; refunds are issued in it (Shopify
//     requires refunds in the presentment currency), so Total, Refunded and line prices of
//     one order are always in one currency, Currency. The order's total and refunds are also
//     kept in the shop currency (shopMoney, as Shopify converted them when the order was
//     placed) in OrderRecord.Shop when it differs: with the shop currency as the base
//     currency, profiles count them exactly, without a rates table. Converting to a base
//     currency is the profiles package's job. Amounts are shopspring decimals, never floats.
//   - Timestamps are UTC. An order's CreatedAt is its processed time when Shopify gives one
//     (the purchase date of imported orders), else its creation time.
//   - No PII in errors. A *DecodeError names the source (webhook topic or GraphQL type), the
//     record's numeric id when known and the JSON path of the bad field, never a value from
//     the payload. encoding/json errors are rewritten so that they do not quote input either.
//   - No panics on any input (FuzzWebhook).
//
// Every function is safe for concurrent use: the package holds no mutable state.
//
// Speed: the backfill decodes millions of bulk lines, so GraphQL nodes are read by a small
// single-pass JSON reader (jsonread.go) that skips unselected fields without decoding them and
// gathers a record's strings into one allocation; REST webhook bodies, a few per second, go
// through encoding/json. See BenchmarkOrderBulk.
package decode
