// Package decode turns WooCommerce REST API v3 (wc/v3) payloads into cohortd's canonical
// records, decodes webhook deliveries into typed events and verifies their signatures. It does
// no I/O: the WooCommerce client feeds it list items and single resources, the webhook
// receiver feeds it bodies after VerifySignature.
//
//   - Customer and Order decode one resource (a list item, a GET by id, a webhook body).
//   - Webhook decodes a delivery, by its X-WC-Webhook-Topic, into a CustomerEvent,
//     OrderEvent or OrderDeleted. ParsePing recognises the unsigned creation ping.
//   - VerifySignature checks X-WC-Webhook-Signature in constant time.
//   - SegmentsMeta reads back the segments cohortd wrote into a customer's meta_data, so the
//     customer.updated webhook our own write causes can be recognised as an echo.
//
// Invariants (each has tests):
//
//   - Times are UTC and come from the *_gmt fields. WooCommerce's date_created/date_modified
//     are in the store's time zone without an offset; only the _gmt twins are unambiguous.
//   - Raw strings stay raw: emails, phones, names and addresses are passed on as WooCommerce
//     sent them; normalizing is the profiles package's job. Region is billing/shipping
//     "state" (a code in WooCommerce), Country the ISO code WooCommerce stores.
//   - A guest order (customer_id 0) has CustomerID "": its buyer is known by billing email,
//     phone and addresses, and profiles turns it into (or joins it to) a profile.
//   - Money is decimal, never float: totals are strings in WooCommerce; a line's "price" is a
//     JSON number that is read from its text, not through float64. An order's Total is
//     WooCommerce's total (unchanged by refunds); Refunded is the sum of refunds[] (their
//     totals are negative), so Total - Refunded is what the customer kept paying.
//   - Statuses map onto the canonical flags: cancelled, failed, trash and checkout-draft are
//     orders that did not result in a purchase and carry CancelledAt (date_modified_gmt,
//     WooCommerce keeps no cancellation time); refunded with no refund rows counts as fully
//     refunded.
//   - Consent: WooCommerce core records no marketing consent. Only the Mailchimp for
//     WooCommerce plugin's user meta "mailchimp_woocommerce_is_subscribed" is read (1/yes/true
//     subscribed, 0/no/false not_subscribed); without it Consent stays empty, because cohortd
//     never invents consent.
//   - No PII in errors: a *DecodeError names the topic or resource, the record id when known
//     and the field, never a value from the payload. No panics on any input (FuzzWebhook).
//
// Every function is safe for concurrent use: the package holds no mutable state.
package decode
