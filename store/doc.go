// Package store is cohortd's local profile store: a single bbolt data file
// (by default <data-dir>/cohortd.db) holding every bucket the daemon needs.
//
// Invariants this package relies on, and that callers must not break:
//
//   - One process owns the data file. Open takes an exclusive flock on it
//     (bbolt's own lock) and gives up after Options.LockTimeout with an
//     error wrapping ErrInUse instead of hanging. A second cohortd, a
//     backup tool or a restore must go through this package (VerifyFile
//     and Restore take the same lock) and never touch the file directly.
//   - A write is acknowledged only once it is durable: Put and Delete return
//     nil only after the group commit containing them has been fsync'd, and
//     Update returns nil only after its transaction has been fsync'd. A
//     crash (even SIGKILL or power loss, given honest fsync from the disk)
//     never loses an acknowledged write; unacknowledged writes may or may
//     not be present. Options.NoSync breaks this and exists for tests and
//     benchmarks only.
//   - Many small writes share one fsync: Put/Delete are queued to a single
//     writer goroutine that commits everything queued in one bbolt
//     transaction (group commit). An error is delivered to the caller whose
//     record caused it; the other records of the batch are retried without
//     it. Close drains the queue before closing the file.
//   - No bbolt type appears in the exported API. Tx wraps a bbolt
//     transaction and is valid only inside the function it is passed to;
//     byte slices returned by Tx.Get and handed to ForEach callbacks point
//     into the memory map and are valid only inside that transaction.
//     Store.Get and Store.GetValue return copies.
//   - The file's schema is versioned (meta/schema_version). Open runs the
//     forward migrations, one write transaction each, and refuses a file
//     written by a newer cohortd. Migrations are append-only: never edit one
//     that has shipped.
//   - Values stored with PutValue/GetValue use package store/codec: one
//     format-version byte followed by deterministic CBOR.
//   - The data file, its backups and restored copies are created with mode
//     0600 (the file holds customer PII); Open tightens an existing file to
//     0600 and creates a missing parent directory with mode 0700.
//   - A write too large for one transaction (a rebuild's profiles) goes
//     through a Stage: written over many transactions into the hidden
//     "_stage" bucket and swapped in by one, so readers see either the old
//     generation or the new one, never a mix; a crash leaves the old one.
//   - Pages read through the memory map stay resident until released:
//     full scans call Tx.PageReleaser (or Store.ReleaseMappedPages) so that
//     a large data file does not count as the process's memory. The
//     mapping is never released while bbolt may move it.
package store
