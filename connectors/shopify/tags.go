package shopify

import (
	"context"
	"encoding/json"
	"fmt"
)

// TagsAdd adds tags to one customer (tagsAdd: every other tag stays as it is). Refused input
// comes back as *UserErrors.
func (c *Client) TagsAdd(ctx context.Context, customerGID string, tags []string) error {
	return c.tagsMutation(ctx, MutationTagsAdd, "tagsAdd", customerGID, tags)
}

// TagsRemove removes tags from one customer (tagsRemove: every other tag stays as it is).
func (c *Client) TagsRemove(ctx context.Context, customerGID string, tags []string) error {
	return c.tagsMutation(ctx, MutationTagsRemove, "tagsRemove", customerGID, tags)
}

func (c *Client) tagsMutation(ctx context.Context, doc, field, gid string, tags []string) error {
	if len(tags) == 0 {
		return nil
	}
	var out map[string]struct {
		UserErrors []UserError `json:"userErrors"`
	}
	if err := c.Do(ctx, doc, map[string]any{"id": gid, "tags": tags}, &out); err != nil {
		return fmt.Errorf("shopify: %s %s: %w", field, gid, err)
	}
	if err := userErrors(field, out[field].UserErrors); err != nil {
		return fmt.Errorf("shopify: %s %s: %w", field, gid, err)
	}
	return nil
}

// CustomerTags reads the current tags of customers, 250 ids per request. Customers that no
// longer exist are absent from the map.
func (c *Client) CustomerTags(ctx context.Context, gids []string) (map[string][]string, error) {
	res := make(map[string][]string, len(gids))
	for start := 0; start < len(gids); start += MaxPageSize {
		chunk := gids[start:min(start+MaxPageSize, len(gids))]
		var out struct {
			Nodes []json.RawMessage `json:"nodes"`
		}
		if err := c.Do(ctx, QueryCustomerTags, map[string]any{"ids": chunk}, &out); err != nil {
			return nil, fmt.Errorf("shopify: customer tags (ids %d-%d of %d): %w", start+1, start+len(chunk), len(gids), err)
		}
		for _, n := range out.Nodes {
			if isNull(n) {
				continue
			}
			var node struct {
				ID   string   `json:"id"`
				Tags []string `json:"tags"`
			}
			if err := json.Unmarshal(n, &node); err != nil {
				return nil, fmt.Errorf("shopify: customer tags: decode node: %w", err)
			}
			if node.ID != "" {
				if node.Tags == nil {
					node.Tags = []string{}
				}
				res[node.ID] = node.Tags
			}
		}
	}
	return res, nil
}
