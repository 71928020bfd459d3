// Package shopifysync runs one Shopify store for the daemon: the first full read (bulk
// operations, or paginated queries), incremental polls, reconciliation, the application of
// verified webhook deliveries from the inbox (records, privacy requests, bulk-operation wake
// ups), and the push of segment tags through the outbox.
//
// Invariants:
//   - A checkpoint or poll cursor is committed in the transaction that stores the records it
//     covers (ingest.Writer.Checkpoint), so a restart resumes exactly after the last committed
//     record; a bulk download resumes by skipping the lines already committed.
//   - Rows expected equal rows received: a bulk file whose line count differs from the
//     operation's objectCount fails the backfill (connectors/shopify checks it); records that
//     fail to decode are counted and logged by line, the others go in.
//   - Records are newer-wins by updated_at (ingest), so replays, duplicate webhooks and poll
//     overlaps never overwrite newer data.
//   - Tags are written only inside the prefix, with tagsAdd/tagsRemove (or their bulk
//     mutation), never customerUpdate; the customers/update webhook our own write causes is
//     recognised (the stored customer differs only in our tags) and marks nothing dirty.
//
// Payloads are parsed by connectors/shopify/decode; this package only moves records.
package shopifysync
