// Package privacy carries out data-subject requests on the local store: the export a
// customers/data_request asks for, and the erasures of customers/redact, shop/redact and
// `cohortd erase EMAIL`.
//
// What an erasure does, in order:
//
//  1. One transaction deletes the selected source records (customer/STORE/ID and
//     order/STORE/ID in source_records) and writes a pending marker (meta
//     "privacy/pending/N") naming the source refs erased and the profiles that held them.
//  2. ingest.Rebuild recomputes every profile from the records left: a profile merged across
//     two stores keeps only the other store's data, a profile with no source left is gone,
//     and so are its index entries and merge audit lines (Rebuild rewrites them all).
//  3. One transaction removes what is still keyed by a profile that is gone (its memberships
//     m/ID, the membership events ev/TIME/ID, its applied_state rows seg/DEST/ID), the
//     cannot-link entries unmerge/A|B naming an erased record, the dead-lettered webhook
//     deliveries whose raw body holds the person (an address of theirs, in one of the erased
//     stores; every one of an erased shop), queues the deletion of the addresses no profile
//     holds any more at the email destinations (Options.OnErased), writes the audit line and
//     deletes the marker.
//
// Invariants:
//
//   - PII-free audit. The only thing an erasure keeps is one audit line in merge_audit under
//     "privacy/": the action, the store, a SHA-256 prefix of the subject (the customer id or
//     the email key, never the value itself), the request id, counts and the time. No email,
//     phone, name or address is written to it, nor logged. The pending marker holds the
//     erased profiles' addresses between steps 1 and 3 only (the caller needs them to remove
//     the person at its email destinations) and is deleted with the erasure's last step.
//   - Idempotent and crash-safe. Erasing what is already erased deletes nothing and returns
//     zero counts (it still writes an audit line saying the request was seen). A crash
//     between the steps leaves the marker behind: the next privacy call in the process
//     (or Resume at start-up) rebuilds again and finishes the cleanup.
//   - Local only. Nothing here calls a platform or destination API: the Result lists the
//     applied_state rows removed (destination, profile, segments, addresses) so that the
//     caller can schedule the removals at each destination.
//
// Concurrency: the package's operations are serialised with each other in the process. They
// rebuild profiles, so the caller must not run another rebuild (an import) at the same time:
// a rebuild that read the records before the erasure and wrote after it would bring the
// erased person back into the profiles until the next rebuild. The erasure checks for that
// after its own rebuild and rebuilds once more if it finds an erased source still indexed.
//
// bbolt does not zero freed pages: erased bytes can stay in the data file (and in backups,
// which copy its pages) until the pages are reused. Only a compaction, which copies live
// keys into a new file, removes them for certain.
package privacy
