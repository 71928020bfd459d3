package klaviyo

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// emailsPerLookup is how many addresses one GET /api/profiles asks for: a page holds at most
// 100 profiles, so 100 addresses always fit in one page.
const emailsPerLookup = 100

// maxFilterBytes bounds the escaped length of one email filter, so that the request line
// stays well under the 8 KB many servers and proxies accept, even for long addresses.
const maxFilterBytes = 6000

// lookupChunks cuts contacts into groups of at most 100 whose email filter fits
// maxFilterBytes once escaped.
func lookupChunks(cts []*contact) [][]*contact {
	var out [][]*contact
	var cur []*contact
	size := 0
	for _, ct := range cts {
		n := len(url.QueryEscape(ct.email)) + 7 // quotes and comma, escaped
		if len(cur) == emailsPerLookup || (len(cur) > 0 && size+n > maxFilterBytes) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, ct)
		size += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// remoteProfile is what a read returns for one address.
type remoteProfile struct {
	id    string
	props map[string]any
	subs  *subscriptions
}

// lookup reads the profiles with these addresses (with subscriptions and properties),
// keyed by lower-cased address. Addresses must have passed filterString. Absent addresses
// are simply missing from the map.
func (c *Client) lookup(ctx context.Context, emails []string) (map[string]remoteProfile, error) {
	out := make(map[string]remoteProfile, len(emails))
	q := url.Values{}
	q.Set("filter", anyFilter("email", emails))
	q.Set("additional-fields[profile]", "subscriptions")
	q.Set("fields[profile]", "email,properties,subscriptions")
	q.Set("page[size]", "100")
	for {
		var page profilePage
		if err := c.do(ctx, request{op: opGetProfiles, method: http.MethodGet, path: "/api/profiles", query: q}, &page); err != nil {
			return nil, err
		}
		for _, p := range page.Data {
			out[strings.ToLower(p.Attributes.Email)] = remoteProfile{id: p.ID, props: p.Attributes.Properties, subs: p.Attributes.Subscriptions}
		}
		cur := page.Links.nextCursor()
		if cur == "" {
			return out, nil
		}
		q.Set("page[cursor]", cur)
	}
}
