// Package klaviyo writes cohortd's segments to Klaviyo as list memberships and profile
// properties, through the JSON:API REST API (revision 2026-07-15 by default).
//
// The sync engine decides what should change; Client.Apply decides how to apply a batch of
// changes cheaply and without ever touching consent.
//
// # Invariants
//
//   - Consent is never written. The client calls profile import, bulk profile import, list
//     creation and the list relationships endpoints only; it never calls the subscription or
//     suppression job endpoints, so a profile it creates is a plain profile (email marketing
//     consent NEVER_SUBSCRIBED) even when the change carries Consent: Klaviyo only records
//     consent through those endpoints, which belong to sign-up forms, not to a segment sync.
//   - Read before write. Every Apply reads the subscriptions of every address it touches
//     (GET /api/profiles filtered by email, additional-fields[profile]=subscriptions) before
//     it writes anything for it. An address that is unsubscribed, carries a global suppression
//     (bounce, invalid, spam complaint, manual) or a list suppression on a list it would join
//     gets no write at all, and its Outcome says why.
//   - Idempotent. Profile import upserts by email; properties are written only when they
//     differ from what the read returned; list additions and removals are set operations at
//     Klaviyo. Applying a batch twice leaves the account as applying it once.
//   - Within the published limits. Each endpoint has its own burst (per second) and steady
//     (per minute) budget; the client paces every call to stay inside both and honours
//     Retry-After when Klaviyo answers 429 anyway.
//   - Addresses are personal data: errors and logs carry masked addresses only, and the API
//     key never appears in either.
//
// A Client is safe for concurrent use; its caches (list ids by name) are guarded and only
// ever save calls: a fresh Client resolves everything again.
package klaviyo
