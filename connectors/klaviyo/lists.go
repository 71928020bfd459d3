package klaviyo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"

	"github.com/cohortd/cohortd/connectors/email"
)

// errMissingList: an added-to list does not exist and CreateLists is off.
var errMissingList = email.Permanent(errors.New("list does not exist and create_lists is off"))

// listsPerFilter bounds the names in one any(name,[...]) lookup; pages hold 10 lists.
const listsPerFilter = 50

// resolveLists returns the ids of the named lists that exist, creating the missing names in
// create when CreateLists is set. Names whose lookup or creation failed are in errs, with
// errMissingList when the list does not exist and may not be created. Duplicate names at
// Klaviyo resolve to the oldest list.
func (c *Client) resolveLists(ctx context.Context, names []string, create map[string]bool) (ids map[string]string, errs map[string]error) {
	c.listMu.Lock()
	defer c.listMu.Unlock()
	ids, errs = map[string]string{}, map[string]error{}
	var missing []string
	for _, n := range names {
		if id, ok := c.listIDs[n]; ok {
			ids[n] = id
		} else if _, ok := filterString(n); !ok {
			errs[n] = email.Permanent(fmt.Errorf("list name %q cannot be expressed in a Klaviyo filter", n))
		} else {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	for start := 0; start < len(missing); start += listsPerFilter {
		chunk := missing[start:min(start+listsPerFilter, len(missing))]
		found, err := c.findLists(ctx, chunk)
		if err != nil {
			for _, n := range chunk {
				errs[n] = fmt.Errorf("look up list %q: %w", n, classify(err))
			}
			continue
		}
		for n, id := range found {
			ids[n], c.listIDs[n] = id, id
		}
	}
	for _, n := range missing {
		if _, ok := ids[n]; ok || errs[n] != nil || !create[n] {
			continue
		}
		if !c.opts.CreateLists {
			errs[n] = errMissingList
			continue
		}
		id, err := c.createList(ctx, n)
		if err != nil {
			errs[n] = fmt.Errorf("create list %q: %w", n, classify(err))
			continue
		}
		ids[n], c.listIDs[n] = id, id
		c.log.Info().Str("list", n).Str("list_id", id).Msg("created list")
	}
	return ids, errs
}

// findLists pages through GET /api/lists filtered by name.
func (c *Client) findLists(ctx context.Context, names []string) (map[string]string, error) {
	type pick struct{ id, created string }
	best := map[string]pick{}
	cursor := ""
	for {
		q := url.Values{}
		q.Set("filter", anyFilter("name", names))
		q.Set("fields[list]", "name,created")
		q.Set("page[size]", "10")
		if cursor != "" {
			q.Set("page[cursor]", cursor)
		}
		var page struct {
			Data  []listResource `json:"data"`
			Links links          `json:"links"`
		}
		if err := c.do(ctx, request{op: opGetLists, method: http.MethodGet, path: "/api/lists", query: q}, &page); err != nil {
			return nil, err
		}
		for _, l := range page.Data {
			b, ok := best[l.Attributes.Name]
			if !ok || l.Attributes.Created < b.created || (l.Attributes.Created == b.created && l.ID < b.id) {
				best[l.Attributes.Name] = pick{id: l.ID, created: l.Attributes.Created}
			}
		}
		if cursor = page.Links.nextCursor(); cursor == "" {
			break
		}
	}
	out := make(map[string]string, len(best))
	for n, b := range best {
		out[n] = b.id
	}
	return out, nil
}

// createList makes a list. A lost answer must not create it twice, so a failed attempt is
// not retried blindly: the next Apply looks the name up again first.
func (c *Client) createList(ctx context.Context, name string) (string, error) {
	body := map[string]any{"data": map[string]any{"type": "list", "attributes": map[string]any{"name": name}}}
	var doc struct {
		Data listResource `json:"data"`
	}
	err := c.do(ctx, request{op: opCreateList, method: http.MethodPost, path: "/api/lists", body: body, retryUnsafe: true}, &doc)
	if err != nil {
		return "", err
	}
	if doc.Data.ID == "" {
		return "", fmt.Errorf("create_list: answer without an id")
	}
	return doc.Data.ID, nil
}

// forgetList drops a cached list id (after Klaviyo said the list does not exist).
func (c *Client) forgetList(name string) {
	c.listMu.Lock()
	delete(c.listIDs, name)
	c.listMu.Unlock()
}

// Sizes returns how many profiles each named list holds (0 for a list that does not exist),
// from GET /api/lists/{id}?additional-fields[list]=profile_count (budget: 1/s, 15/min).
func (c *Client) Sizes(ctx context.Context, names []string) (map[string]int, error) {
	ids, errs := c.resolveLists(ctx, names, nil)
	for _, n := range names {
		err := errs[n]
		if err == nil {
			continue
		}
		return nil, fmt.Errorf("klaviyo: sizes: %s: %w", n, err)
	}
	out := make(map[string]int, len(names))
	for _, n := range names {
		id, ok := ids[n]
		if !ok {
			out[n] = 0
			continue
		}
		q := url.Values{}
		q.Set("additional-fields[list]", "profile_count")
		q.Set("fields[list]", "name")
		var doc struct {
			Data listResource `json:"data"`
		}
		err := c.do(ctx, request{op: opGetList, budget: opGetListCount, method: http.MethodGet, path: "/api/lists/" + url.PathEscape(id), query: q}, &doc)
		if statusOf(err) == http.StatusNotFound {
			c.forgetList(n)
			out[n] = 0
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("klaviyo: sizes: list %q: %w", n, classify(err))
		}
		if doc.Data.Attributes.ProfileCount == nil {
			return nil, fmt.Errorf("klaviyo: sizes: list %q: answer without profile_count", n)
		}
		out[n] = *doc.Data.Attributes.ProfileCount
	}
	return out, nil
}
