package mailchimp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/cohortd/cohortd/internal/logging"
)

// Delete erases the address from the audience for good (POST
// .../members/{hash}/actions/delete-permanent, one call). Mailchimp then refuses the address
// ("Forgotten Email Not Subscribed") until the person signs up again. An address the audience
// does not have (404) is not an error.
func (c *Client) Delete(ctx context.Context, address string) error {
	what := "delete member " + logging.MaskEmail(address) + " permanently"
	err := c.call(ctx, what, http.MethodPost, c.memberPath(SubscriberHash(address))+"/actions/delete-permanent", nil, nil, nil)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
		return nil
	}
	return err
}

// Sizes returns how many contacts carry each tag, from the audience's static segments (a tag
// is a static segment at Mailchimp): ceil(T/1000) calls for T tags. Every status counts
// (include_cleaned, include_transactional, include_unsubscribed), archived members do not.
// A name the audience has no tag for is 0.
func (c *Client) Sizes(ctx context.Context, names []string) (map[string]int, error) {
	out := make(map[string]int, len(names))
	want := map[string]bool{}
	for _, n := range names {
		out[n] = 0
		want[n] = true
	}
	for offset := 0; ; {
		var page struct {
			Segments []struct {
				Name        string `json:"name"`
				MemberCount int    `json:"member_count"`
			} `json:"segments"`
			TotalItems int `json:"total_items"`
		}
		q := url.Values{
			"type": {"static"}, "count": {strconv.Itoa(pageSize)}, "offset": {strconv.Itoa(offset)},
			"include_cleaned": {"true"}, "include_transactional": {"true"}, "include_unsubscribed": {"true"},
			"fields": {"segments.name,segments.member_count,total_items"},
		}
		if err := c.call(ctx, fmt.Sprintf("list tags at offset %d", offset), http.MethodGet, c.listPath()+"/segments", q, nil, &page); err != nil {
			return nil, err
		}
		for _, s := range page.Segments {
			if want[s.Name] {
				out[s.Name] = s.MemberCount
			}
		}
		offset += len(page.Segments)
		if len(page.Segments) == 0 || offset >= page.TotalItems {
			return out, nil
		}
	}
}
