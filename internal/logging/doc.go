// Package logging builds the daemon's zerolog logger and provides the
// helpers that keep personal data out of log output.
//
// cohortd processes merchants' customer records. Every log line that would
// otherwise carry personally identifiable information MUST pass it through
// one of the helpers in this package first:
//
//   - e-mail addresses: [MaskEmail]
//   - phone numbers: [MaskPhone]
//   - tokens, API keys, passwords, webhook secrets: [Secret]
//
// Never log raw customer names, addresses, request bodies or query strings.
// Log identifiers (customer ID, store ID, request ID) instead; they are
// enough to correlate a log line with the record in the store.
//
// Example:
//
//	log.Info().
//		Str("customer_id", c.ID).
//		Str("email", logging.MaskEmail(c.Email)).
//		Msg("customer synced")
package logging
