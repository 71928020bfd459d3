package mailchimp

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cohortd/cohortd/connectors/email"
)

// pageSize is the most members one list read returns (the spec's count maximum).
const pageSize = 1000

// Suppressions lists every member of the audience that is unsubscribed or cleaned, paging
// through GET /lists/{id}/members?status=... 1000 at a time: ceil(U/1000) + ceil(C/1000)
// calls (at least one per status). Forgotten addresses and compliance states cannot be listed
// through the API; they are learned when a write is refused.
func (c *Client) Suppressions(ctx context.Context) ([]email.Suppression, error) {
	var out []email.Suppression
	for _, status := range []string{"unsubscribed", "cleaned"} {
		for offset := 0; ; {
			var page struct {
				Members []struct {
					EmailAddress      string `json:"email_address"`
					Status            string `json:"status"`
					LastChanged       string `json:"last_changed"`
					UnsubscribeReason string `json:"unsubscribe_reason"`
				} `json:"members"`
				TotalItems int `json:"total_items"`
			}
			q := url.Values{
				"status": {status}, "count": {strconv.Itoa(pageSize)}, "offset": {strconv.Itoa(offset)},
				"fields": {"members.email_address,members.status,members.last_changed,members.unsubscribe_reason,total_items"},
			}
			what := fmt.Sprintf("list %s members at offset %d", status, offset)
			if err := c.call(ctx, what, http.MethodGet, c.listPath()+"/members", q, nil, &page); err != nil {
				return nil, err
			}
			for _, m := range page.Members {
				s := email.Suppression{Email: strings.TrimSpace(m.EmailAddress), Status: statusOf(m.Status), Message: statusMessage(m.Status, m.UnsubscribeReason)}
				if t, err := time.Parse(time.RFC3339, m.LastChanged); err == nil {
					s.At = t
				}
				out = append(out, s)
			}
			offset += len(page.Members)
			if len(page.Members) == 0 || offset >= page.TotalItems {
				break
			}
		}
	}
	return out, nil
}

// statusMessage is the Outcome/Suppression message for a member Mailchimp reports with a
// suppressed status: the status and, for unsubscribes, Mailchimp's unsubscribe_reason.
func statusMessage(status, reason string) string {
	msg := "Mailchimp member status " + status
	if reason != "" {
		msg += ": " + maskAddresses(reason)
	}
	return msg
}
