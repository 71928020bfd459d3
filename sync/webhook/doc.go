// Package webhook is cohortd's generic webhook receiver and its durable
// inbox. It serves POST /webhooks/{platform}/{store} for every registered
// Source (Shopify, WooCommerce, ...) and hands the raw deliveries to the
// daemon's inbox consumer. It never parses a payload: that is the
// connectors' job once the consumer has an Envelope.
//
// Invariants (DESIGN.md invariants 1 and 2):
//
//   - Nothing acknowledged is lost. A delivery is answered 200 only after
//     its raw body and metadata have been committed to the store's inbox
//     bucket and fsync'd. Any failure before that answers non-2xx, so the
//     platform retries.
//   - Nothing unverified is stored. The body is read (within the size limit)
//     and its signature checked by the Source before anything is written; a
//     bad or missing signature answers 401 and leaves no trace but a metric.
//   - One entry per event. The dedupe check and the insert happen in the
//     same bbolt transaction, so concurrent or retried deliveries of one
//     event id (per platform and store) yield exactly one inbox entry; the
//     others answer 200 and count as duplicates. Event ids stay in the
//     dedupe index after their entry is consumed, until Prune drops those
//     received more than Retention ago (Shopify retries for up to 48 hours;
//     the default retention is 7 days). Ids of entries still in the inbox
//     are never pruned.
//   - At-least-once delivery to the consumer. Entries are removed only by
//     Done or Reject, so a crash between processing and Done re-delivers
//     them after restart. Consumers must therefore be idempotent: by event
//     id, and for the records inside by (store, kind, id, updated_at), so
//     an older payload never overwrites a newer one.
//   - Arrival order. Each entry gets the next value of the inbox bucket's
//     sequence inside its insert transaction; Next returns entries in that
//     order (Envelope.Seq).
//   - Group commit. Inserts, Done, Reject and Prune are queued to one writer
//     goroutine that commits everything queued in one transaction and one
//     fsync; while it commits, new requests accumulate for the next one, so
//     the batch size follows the load and a lone request is never delayed.
//   - Bodies and secrets are never logged, and unverified header values
//     never become metric labels.
//
// Layout of the inbox bucket, which this package owns:
//
//	e/<seq:8 big-endian>                     -> codec(Envelope) (Seq is the key)
//	d/<platform>\x00<store>\x00<event id>    -> state(1) received-at-ns(8) seq(8)
//	t/<received-at-ns:8><platform>\x00<store>\x00<event id> -> "" (finished ids, for Prune)
//
// Rejected entries are written to the dead_letters bucket under
// "webhook/<seq:8>".
package webhook
