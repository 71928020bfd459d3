package listmonk

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/cohortd/cohortd/connectors/email"
)

// suppressionQuery selects the subscribers statusOf suppresses: blocklisted, or
// unsubscribed from at least one list.
const suppressionQuery = "subscribers.status = 'blocklisted' OR subscribers.id IN " +
	"(SELECT subscriber_id FROM subscriber_lists WHERE subscriber_lists.status = 'unsubscribed')"

// Suppressions pages through every blocklisted subscriber and every subscriber with an
// unsubscribed subscription (GET /api/subscribers?query=...&page=N&per_page=PageSize,
// listmonk caps per_page at 50). At is when the subscription (or, for a blocklisted one,
// the subscriber) last changed.
func (c *Client) Suppressions(ctx context.Context) ([]email.Suppression, error) {
	var (
		out  []email.Suppression
		seen = map[string]bool{}
	)
	for pageNo, pages := 1, 1; pageNo <= pages; pageNo++ {
		q := url.Values{"query": {suppressionQuery}, "page": {strconv.Itoa(pageNo)}, "per_page": {strconv.Itoa(c.opts.PageSize)}}
		var p page[subscriber]
		if err := c.do(ctx, "GET", "/api/subscribers", q, nil, &p); err != nil {
			return nil, fmt.Errorf("listmonk: suppressions page %d: %w", pageNo, err)
		}
		if pageNo == 1 {
			per := p.PerPage
			if per <= 0 {
				per = max(len(p.Results), 1)
			}
			pages = (p.Total + per - 1) / per
		}
		if len(p.Results) == 0 {
			break
		}
		for i := range p.Results {
			s := &p.Results[i]
			st, msg := statusOf(s)
			a := normAddress(s.Email)
			if !st.Suppressed() || seen[a] {
				continue
			}
			seen[a] = true
			out = append(out, email.Suppression{Email: s.Email, Status: st, Message: msg, At: changedAt(s, st)})
		}
	}
	return out, nil
}

// changedAt is when the suppressing state was last written.
func changedAt(s *subscriber, st email.Status) time.Time {
	if st == email.StatusUnsubscribed {
		var latest time.Time
		for _, r := range s.Lists {
			if r.SubscriptionStatus == rowUnsubscribed {
				if t := parseTime(r.SubscriptionUpdatedAt); t.After(latest) {
					latest = t
				}
			}
		}
		if !latest.IsZero() {
			return latest
		}
	}
	return parseTime(s.UpdatedAt)
}
