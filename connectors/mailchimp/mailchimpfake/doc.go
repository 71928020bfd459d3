// Package mailchimpfake is an in-process fake of the Mailchimp Marketing API v3 for tests and
// the demo: one audience (list) with members, their statuses, tags and merge fields, batch
// operations with their gzipped result archives, and the consent behaviours cohortd must never
// trip over.
//
// # Invariants
//
//   - Every request is validated against the published OpenAPI spec (testdata, embedded) before
//     it is handled, and every response after: an invalid request gets Mailchimp's 400 "Invalid
//     Resource" problem document, and any invalid request or response is recorded in
//     Violations() so tests can fail on it. Batch operations go through the same validation.
//   - Consent is the platform's, as Mailchimp enforces it: a member who unsubscribed or was
//     cleaned is never set to subscribed or pending by a write ("Member In Compliance State"),
//     an archived member who had unsubscribed cannot be re-added, and a permanently deleted
//     address cannot come back ("Forgotten Email Not Subscribed"). Tags and merge fields may
//     be written to any existing member, as at Mailchimp, so a client that writes them to an
//     unsubscribed member is caught by reading state, not by an error.
//   - Limits are Mailchimp's: more than MaxConnections simultaneous API requests are answered
//     429 "TooManyRequests" (Mailchimp sends no Retry-After), list reads page by at most 1000.
//     Batches run one at a time, in the background, in submission order, as at Mailchimp.
//   - Safe for concurrent use; state helpers (SetStatus, Member...) may be called while the
//     server is serving.
//
// The package imports no testing code, so the demo can run it as a stand-in Mailchimp.
package mailchimpfake
