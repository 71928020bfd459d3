// Package mailchimp pushes cohortd's segments to one Mailchimp audience as member tags (and
// selected profile properties as merge fields), through the Marketing API v3. Client
// implements the sync engine's email platform interface (Apply, Suppressions, Delete, Sizes,
// BatchSize); mailchimpfake is the fake Mailchimp its tests and the demo run against.
//
// # Invariants
//
//   - Consent is never written. No request body the client builds carries "status": members
//     are upserted with PUT and status_if_new only ("subscribed" only for a change with
//     recorded consent, else "transactional"), which sets a status for a new member and none
//     for an existing one. Nothing is archived, re-added, confirmed or subscribed.
//   - Read before write. The upsert (or a GET, for removals) is the read: its answer gives the
//     member's status, tags and merge fields before anything else is written. An unsubscribed
//     or cleaned member, "Member In Compliance State" and "Forgotten Email Not Subscribed" are
//     reported as suppressed and get no tag and no merge field write; those answers are never
//     retried.
//   - Two batches per Apply at most, diff-only: the write batch carries only the tag and merge
//     field changes the read shows are missing, so replaying a batch writes nothing and costs
//     one batch. Every operation is idempotent, so a batch whose outcome is unknown (a failed
//     poll, a timeout) can be replayed whole.
//   - At most Options.MaxConnections (<= 10, Mailchimp's limit per key) requests in flight per
//     Client, paced by a token bucket; a 429 pauses every request of the Client.
//   - The API key goes only to the API (never to batch result URLs); errors and logs carry
//     masked addresses only (Mailchimp's messages name the address; it is masked).
//   - Correctness does not depend on the Client's caches (merge field tags, batch timing):
//     a fresh Client reads what it needs.
//
// Client is safe for concurrent use. Share one per API key: the connection limit is per key.
package mailchimp
