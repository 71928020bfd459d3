package klaviyo

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/cohortd/cohortd/connectors/email"
)

// suppressedFilter selects every profile with a global email suppression: Klaviyo records an
// unsubscribe, a hard bounce, an invalid address, a spam complaint and a manual suppression
// as one (reasons UNSUBSCRIBE, HARD_BOUNCE, INVALID_EMAIL, SPAM_COMPLAINT, USER_SUPPRESSED).
const suppressedFilter = "greater-than(subscriptions.email.marketing.suppression.timestamp,1970-01-01T00:00:00Z)"

// Suppressions lists every address Klaviyo holds as suppressed (the periodic status pass),
// paging through GET /api/profiles filtered on the suppression timestamp, 100 per page.
// List-level suppressions are not included: they are honoured per list in Apply.
func (c *Client) Suppressions(ctx context.Context) ([]email.Suppression, error) {
	q := url.Values{}
	q.Set("filter", suppressedFilter)
	q.Set("additional-fields[profile]", "subscriptions")
	q.Set("fields[profile]", "email,subscriptions")
	q.Set("page[size]", "100")
	var out []email.Suppression
	for page := 1; ; page++ {
		var doc profilePage
		if err := c.do(ctx, request{op: opGetProfiles, method: http.MethodGet, path: "/api/profiles", query: q}, &doc); err != nil {
			return nil, fmt.Errorf("klaviyo: suppressions page %d: %w", page, classify(err))
		}
		for _, p := range doc.Data {
			l, ok := statusFromSubscriptions(p.Attributes.Subscriptions, nil)
			if !ok || !l.status.Suppressed() || p.Attributes.Email == "" {
				continue
			}
			out = append(out, email.Suppression{Email: p.Attributes.Email, Status: l.status, Message: l.message, At: l.at})
		}
		cur := doc.Links.nextCursor()
		if cur == "" {
			return out, nil
		}
		q.Set("page[cursor]", cur)
	}
}
