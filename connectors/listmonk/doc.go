// Package listmonk is cohortd's connector for a self-hosted listmonk (REST API, v4+ API
// users; attribs need v6.1+): it puts segment members on listmonk lists, keeps the chosen
// profile properties in the subscriber's attribs, reports who is suppressed there, and
// erases a subscriber for a privacy request. listmonkfake is the server its tests and the
// demo run against.
//
// listmonk has two layers of state: a subscriber's account status (enabled, disabled,
// blocklisted) and, per list, a subscription status (unconfirmed, confirmed,
// unsubscribed). A regular campaign mails confirmed members of double opt-in lists and
// every non-unsubscribed member of single opt-in lists. The invariants follow from that:
//
//   - Read before write. Every Apply reads the status and subscriptions of every address
//     it touches before writing anything (cached ids cannot stand in: someone may have
//     unsubscribed since the last sync). Only list ids by name are cached.
//   - Suppressed is the whole address. A blocklisted subscriber (email.StatusCompliance)
//     or one with any unsubscribed subscription (email.StatusUnsubscribed) gets no write
//     at all: no list added, none removed (removing deletes the row that records the
//     opt-out), no attribs.
//   - Consent is never upgraded. Subscribers are created enabled, without lists and
//     without preconfirm_subscriptions (a create that names a double opt-in list mails an
//     opt-in request). Memberships are added by PUT /api/subscribers/lists with action
//     "add" and no status, which inserts missing rows as unconfirmed and leaves existing
//     rows as they are; any status there would overwrite existing rows, unsubscribed ones
//     included. Nothing is ever confirmed, so Change.Consent does not make anyone
//     "subscribed" here; it only allows adding a contact to a single opt-in list, which
//     listmonk mails unconfirmed members of (without consent such a change is refused).
//   - PATCH, never PUT, for a subscriber. PUT /api/subscribers/{id} replaces the list set
//     (lists not sent are deleted) and has re-subscribed unsubscribed rows (listmonk issue
//     #2515); PATCH (v6.1.0+) changes only the attribs sent. Against an older listmonk the
//     properties are skipped, not written by PUT.
//   - Diff only, idempotent. Rows already there are not added, rows not there are not
//     removed, equal attribs are not sent: a replayed batch costs its lookups and writes
//     nothing.
//   - Lists the connector creates (Options.CreateLists) are private and double opt-in by
//     default: members it adds receive no regular campaign until they confirm.
//   - Addresses and the token stay out of errors and logs (addresses masked with
//     internal/logging.MaskEmail; lookups carry addresses in the query string, which no
//     error repeats).
//
// A Client is safe for concurrent use: its requests share one token bucket (listmonk
// publishes no rate limit; a 429 from a proxy pauses every request for its Retry-After)
// and at most MaxConcurrency requests are in flight.
package listmonk
