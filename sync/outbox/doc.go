// Package outbox is the durable, per-destination queue of changes that cohortd still has to
// push to a destination (Shopify tags, Mailchimp/Klaviyo/listmonk memberships, ...). Every
// destination uses it: the caller computes what a destination must be told (for segments,
// segmenter.Diff against applied_state), enqueues one Item per remote object, and a Run loop
// per destination delivers batches through a Sender, retries transient failures with
// exponential backoff and jitter, and moves permanent failures to the dead_letters bucket with
// the platform's reason. Operators inspect and repair it with `cohortd outbox
// status|retry|drop`.
//
// # Invariants
//
//   - Nothing enqueued is lost. Enqueue returns nil only after the items are committed;
//     EnqueueTx writes them in the caller's transaction, so a diff and the items carrying it
//     commit together or not at all. An item leaves the queue only (a) in the transaction that
//     follows a nil from Sender.Send for it, (b) to the dead letters, in one transaction,
//     or (c) in a dry run, to a planned record, in one transaction.
//   - Applied state moves with delivery. After a send, ONE transaction deletes the delivered
//     items and calls RunOptions.OnApplied, where the caller records what the destination now
//     has (applied_state). If the hook fails nothing is deleted and nothing is recorded.
//   - At least once, so destinations must be idempotent. A crash (or a failed commit) between
//     a successful send and its commit sends the item again later. Payloads must therefore be
//     safe to apply twice: add/remove of our own tags, upsert of a list member.
//   - Latest desired state wins. Items are coalesced by (destination, Key): enqueueing a key
//     that is still pending replaces the pending payload in place (same queue position, first
//     enqueue time, attempt count and backoff kept, so a key that keeps changing can neither
//     jump the queue nor escape the give-up limit). A payload must therefore carry the whole
//     change for its key, not an increment on top of the pending one. If the replaced item
//     was in flight, its delivery is still reported to OnApplied but the newer item stays
//     queued (a revision number, Item.Rev, tells them apart).
//   - A dead letter is the last failure of its key and waits for an operator (Retry, Drop).
//     Delivering a newer change of the same key deletes it, and Retry does not requeue it
//     while a newer change is pending: an old payload must never overwrite a newer one.
//   - Keys are identifiers, never personal data (a profile or platform id, not an email):
//     they appear in logs, `cohortd outbox status` and metrics. Error texts stored with an
//     item have e-mail addresses masked before they are written.
//   - One Run per destination at a time per Outbox; a second one gets ErrRunning.
//   - Dry run (RunOptions.DryRun) never calls the Sender and never calls OnApplied: each due
//     item becomes a planned record (latest per key) that `cohortd outbox status --planned`
//     shows. Applied state is untouched, so once the destination goes live the next diff
//     enqueues the same changes again; a live Run therefore starts by deleting its
//     destination's planned records.
//
// # Layout
//
// In the outbox bucket (seq and revisions come from the bucket's sequence; numbers are 16
// hex digits so byte order is numeric order; destination ids never contain '/'):
//
//	q/<dest>/<seq>             -> Item, FIFO by first enqueue
//	k/<dest>/<key>             -> seq (8 bytes, big endian): coalescing index
//	t/<dest>/<due ns>/<seq>    -> empty: schedule, so Run reads only due items
//	p/<dest>/<key>             -> Planned (dry run)
//
// In the dead_letters bucket:
//
//	<dest>/<key>               -> DeadLetter (the last failure per key)
//
// # Delivery
//
// Run takes up to BatchSize due items (schedule order, then FIFO), sends them, then commits
// the outcome in one transaction: delivered items are deleted and handed to OnApplied;
// transient failures are rescheduled after Backoff.Delay (exponential with "equal jitter":
// half the step is fixed, half random, so the wait grows for sure while retries of many
// items still spread out); after Backoff.MaxAttempts failures, and at once for Permanent
// errors (userErrors, 4xx), the item goes to the dead letters with the reason. When a whole
// batch fails transiently the destination itself pauses with the same backoff, so an outage
// costs one request per step rather than one per queued item. Run sleeps until an Enqueue
// (Notify) wakes it, the earliest scheduled item is due, or PollInterval passes (the safety
// net for EnqueueTx callers that do not Notify). When ctx ends Run returns nil: items in
// flight whose send failed because of the cancellation are left untouched (no attempt
// counted), and the outcome of a send that completed is still committed.
package outbox
