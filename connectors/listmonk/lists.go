package listmonk

import (
	"context"
	"fmt"
	"net/url"
	"sync"
)

// listInfo is what the connector needs of a list.
type listInfo struct {
	ID    int
	Name  string
	Optin string // single, double
}

// listCache maps list names to lists. listmonk allows two lists with one name; the lowest
// id wins, so every Client picks the same one.
type listCache struct {
	mu     sync.Mutex
	byName map[string]listInfo
}

func (lc *listCache) get(names []string) (found map[string]listInfo, missing []string) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	found = make(map[string]listInfo, len(names))
	for _, n := range names {
		if l, ok := lc.byName[n]; ok {
			found[n] = l
		} else {
			missing = append(missing, n)
		}
	}
	return found, missing
}

func (lc *listCache) set(all []listJSON) {
	m := make(map[string]listInfo, len(all))
	for _, l := range all {
		if cur, ok := m[l.Name]; !ok || l.ID < cur.ID {
			m[l.Name] = listInfo{ID: l.ID, Name: l.Name, Optin: l.Optin}
		}
	}
	lc.mu.Lock()
	lc.byName = m
	lc.mu.Unlock()
}

func (lc *listCache) add(l listInfo) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.byName == nil {
		lc.byName = map[string]listInfo{}
	}
	if cur, ok := lc.byName[l.Name]; !ok || l.ID < cur.ID {
		lc.byName[l.Name] = l
	}
}

// invalidate forgets every list (a list call failed: one may have been deleted).
func (lc *listCache) invalidate() {
	lc.mu.Lock()
	lc.byName = nil
	lc.mu.Unlock()
}

// fetchLists reads every list (GET /api/lists?per_page=all) and refreshes the cache.
func (c *Client) fetchLists(ctx context.Context) ([]listJSON, error) {
	var p page[listJSON]
	if err := c.do(ctx, "GET", "/api/lists", url.Values{"per_page": {"all"}}, nil, &p); err != nil {
		return nil, fmt.Errorf("listmonk: read lists: %w", err)
	}
	c.lists.set(p.Results)
	return p.Results, nil
}

// resolveLists maps names to lists, reading the lists when a name is not cached and, with
// create, creating the lists still missing. missing are the names without a list.
func (c *Client) resolveLists(ctx context.Context, names []string, create bool) (map[string]listInfo, []string, error) {
	if len(names) == 0 {
		return map[string]listInfo{}, nil, nil
	}
	found, missing := c.lists.get(names)
	if len(missing) == 0 {
		return found, nil, nil
	}
	if !create {
		if _, err := c.fetchLists(ctx); err != nil {
			return nil, nil, err
		}
		found, missing = c.lists.get(names)
		return found, missing, nil
	}
	// Serialise creation and re-read under the lock: another Apply may have created the
	// list meanwhile, and listmonk would accept a duplicate name.
	c.createMu.Lock()
	defer c.createMu.Unlock()
	if _, err := c.fetchLists(ctx); err != nil {
		return nil, nil, err
	}
	found, missing = c.lists.get(names)
	for _, name := range missing {
		l, err := c.createList(ctx, name)
		if err != nil {
			return nil, nil, err
		}
		found[name] = l
	}
	return found, nil, nil
}

// createList creates a private list (kept off public subscription forms) with
// Options.NewListOptin: "double" by default, so that members without a confirmed
// subscription get no regular campaign.
func (c *Client) createList(ctx context.Context, name string) (listInfo, error) {
	body := createListBody{Name: name, Type: "private", Optin: c.opts.NewListOptin, Tags: []string{"cohortd"},
		Description: "Segment list managed by cohortd: memberships are synced from the segment."}
	var l listJSON
	if err := c.do(ctx, "POST", "/api/lists", nil, body, &l); err != nil {
		return listInfo{}, fmt.Errorf("listmonk: create list %q: %w", name, err)
	}
	info := listInfo{ID: l.ID, Name: l.Name, Optin: l.Optin}
	if info.Optin == "" {
		info.Optin = c.opts.NewListOptin
	}
	c.lists.add(info)
	c.log.Info().Int("list_id", l.ID).Str("list", name).Str("optin", info.Optin).Msg("created list")
	return info, nil
}

// Sizes returns, per name, how many subscribers the list holds without counting
// unsubscribed rows (subscriber_statuses; subscriber_count on servers that do not send
// it). A name without a list counts 0.
func (c *Client) Sizes(ctx context.Context, names []string) (map[string]int, error) {
	all, err := c.fetchLists(ctx)
	if err != nil {
		return nil, err
	}
	byName := map[string]listJSON{}
	for _, l := range all {
		if cur, ok := byName[l.Name]; !ok || l.ID < cur.ID {
			byName[l.Name] = l
		}
	}
	out := make(map[string]int, len(names))
	for _, n := range names {
		l, ok := byName[n]
		switch {
		case !ok:
			out[n] = 0
		case l.SubscriberStatuses != nil:
			out[n] = l.SubscriberStatuses[rowUnconfirmed] + l.SubscriberStatuses[rowConfirmed]
		default:
			out[n] = l.SubscriberCount
		}
	}
	return out, nil
}
