package emailsync

import (
	"context"

	"github.com/cohortd/cohortd/connectors/email"
)

// Platform is one email platform, as the connectors (connectors/mailchimp, /klaviyo,
// /listmonk) implement it.
type Platform interface {
	// Apply applies up to BatchSize() changes and returns one Outcome per change, in order.
	// An address the platform holds as suppressed gets nothing written and its status in
	// the Outcome.
	Apply(ctx context.Context, changes []email.Change) []email.Outcome
	// Suppressions lists every address the platform holds as suppressed.
	Suppressions(ctx context.Context) ([]email.Suppression, error)
	// Delete erases the contact with this address for good; an unknown address is not an
	// error.
	Delete(ctx context.Context, address string) error
	// Sizes returns how many contacts carry each of the given remote names.
	Sizes(ctx context.Context, names []string) (map[string]int, error)
	// BatchSize is the most changes one Apply takes.
	BatchSize() int
}
