// Package woosync runs one WooCommerce store: the checkpointed backfill of customers and
// orders (REST v3 pages, rows expected = rows received), the order poll by modified date,
// the periodic full customer scan (WooCommerce has no modified filter for customers: changes
// are found by date_modified_gmt, deletions by absence), webhook deliveries, the segment
// write-back into the customers' meta_data, and the store's webhook subscriptions.
//
// # Invariants
//
//   - Records are stored through sync/ingest (newer-wins by date_modified_gmt), so a replayed
//     or older delivery never overwrites newer data, and customer.created + customer.updated
//     fired by one change are applied once.
//   - A page's records and the checkpoint that moves past it commit in one transaction: a
//     restart resumes at the first page not committed.
//   - Write-back touches only our meta key (config meta_key, never "_"-prefixed), diff-only
//     against applied_state ("tags/STORE/ID", shared with sync/tagpush), <= 100 customers per
//     /customers/batch call. The customer.updated our write causes is recognised (the record
//     is unchanged but for date_modified) and changes nothing: no refresh, no second write.
//   - Guests (orders with customer_id 0) join profiles by billing email; a profile made only
//     of guest orders has no WooCommerce customer to write to: counted, shown in status.
package woosync
