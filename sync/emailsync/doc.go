// Package emailsync drives one email-platform destination (Mailchimp, Klaviyo, listmonk):
// it plans, per contact address, what the platform must be told so that its tags or list
// memberships and properties match the segments the destination receives, queues those
// changes in the outbox, delivers them through the platform connector, learns suppressions
// and cascades erasures.
//
// # Invariants
//
//   - Consent is never upgraded (issue 6's one unforgivable bug). Plans carry memberships,
//     tags and properties only; a change carries Consent=true only when the store recorded
//     marketing consent, and connectors create new contacts with the weakest status unless
//     it is set. An address suppressed at the destination (unsubscribed, cleaned, compliance,
//     forgotten, learned from a write's response or the status pass) is never planned again:
//     no add, no removal, no property, by any path (full resync, a segment exit and
//     re-entry, a store consent change, a profile merge, a restart with an empty outbox),
//     because the suppression is checked when planning and again when sending.
//   - Keyed by address, not by profile. The remote object is a contact, so the applied state
//     (applied_state "em/DEST/HASH") and the outbox key ("c/HASH", HASH a SHA-256 prefix of
//     the address) are per address: a merge or an email change becomes one whole change per
//     address, never an add for one profile racing a removal for another.
//   - Diff-only and idempotent. A plan holds the difference between what a contact should
//     have and what the destination was last told; a recompute that changes nothing queues
//     nothing. The applied state moves in the transaction that deletes delivered items.
//   - `cohortd segments diff DEST` prints Plan: exactly what a push then sends.
//   - Erasure cascade. privacy.Options.OnErased queues a deletion per erased address in the
//     erasure's own transaction (replacing any pending change of that address); once the
//     platform confirms it, the applied row goes and a PII-free audit line stays.
package emailsync
