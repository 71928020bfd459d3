package shopify

import (
	"context"
	"encoding/json"
	"fmt"
)

// MaxPageSize is the largest "first" Shopify accepts for a connection.
const MaxPageSize = 250

// ShopInfo is what the connector needs to know about the shop.
type ShopInfo struct {
	Name            string `json:"name"`
	MyshopifyDomain string `json:"myshopifyDomain"`
	CurrencyCode    string `json:"currencyCode"`
	IanaTimezone    string `json:"ianaTimezone"`
	Plan            struct {
		DisplayName string `json:"displayName"`
		ShopifyPlus bool   `json:"shopifyPlus"`
	} `json:"plan"`
}

// Shop reads the shop's name, domain, currency, time zone and plan.
func (c *Client) Shop(ctx context.Context) (ShopInfo, error) {
	var out struct {
		Shop ShopInfo `json:"shop"`
	}
	if err := c.Do(ctx, QueryShop, nil, &out); err != nil {
		return ShopInfo{}, fmt.Errorf("shopify: read shop: %w", err)
	}
	return out.Shop, nil
}

// Count is a count and its precision: "EXACT", or "AT_LEAST" when Shopify stopped counting.
type Count struct {
	Count     int64  `json:"count"`
	Precision string `json:"precision"`
}

// Counts is how many customers and orders the filters match: the rows a backfill expects.
type Counts struct {
	Customers Count `json:"customersCount"`
	Orders    Count `json:"ordersCount"`
}

// Counts reads how many customers and orders match the search filters ("" for all).
func (c *Client) Counts(ctx context.Context, customerFilter, orderFilter string) (Counts, error) {
	var out Counts
	if err := c.Do(ctx, QueryCounts, map[string]any{"customers": nullable(customerFilter), "orders": nullable(orderFilter)}, &out); err != nil {
		return Counts{}, fmt.Errorf("shopify: count customers and orders: %w", err)
	}
	return out, nil
}

// Page is one page of a connection: each node as Shopify sent it (decoding to canonical
// records is connectors/shopify/decode's job), and where the next page starts.
type Page struct {
	Nodes       []json.RawMessage
	HasNextPage bool
	EndCursor   string
}

type pageInfo struct {
	HasNextPage bool   `json:"hasNextPage"`
	EndCursor   string `json:"endCursor"`
}

type connection struct {
	PageInfo pageInfo          `json:"pageInfo"`
	Nodes    []json.RawMessage `json:"nodes"`
}

func pageVars(filter, after string, first int) map[string]any {
	if first <= 0 || first > MaxPageSize {
		first = MaxPageSize
	}
	return map[string]any{"first": first, "after": nullable(after), "query": nullable(filter)}
}

// nullable sends "" as GraphQL null (no cursor, no filter).
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CustomersPage reads one page of customers in updated_at order. filter is a Shopify search
// query ("updated_at:>='2026-01-01T00:00:00Z'" or ""), after the previous page's EndCursor
// ("" for the first page), first the page size (<= 0 or > 250 means 250).
func (c *Client) CustomersPage(ctx context.Context, filter, after string, first int) (Page, error) {
	var out struct {
		Customers connection `json:"customers"`
	}
	if err := c.Do(ctx, QueryCustomersPage, pageVars(filter, after, first), &out); err != nil {
		return Page{}, fmt.Errorf("shopify: customers page after %q: %w", after, err)
	}
	return Page{Nodes: out.Customers.Nodes, HasNextPage: out.Customers.PageInfo.HasNextPage, EndCursor: out.Customers.PageInfo.EndCursor}, nil
}

// OrdersPage reads one page of orders like CustomersPage. An order with more than 20 line
// items has the rest fetched (QueryOrderLineItems) and appended to its lineItems.nodes, whose
// pageInfo then says hasNextPage false: every node handed out is complete.
func (c *Client) OrdersPage(ctx context.Context, filter, after string, first int) (Page, error) {
	var out struct {
		Orders connection `json:"orders"`
	}
	if err := c.Do(ctx, QueryOrdersPage, pageVars(filter, after, first), &out); err != nil {
		return Page{}, fmt.Errorf("shopify: orders page after %q: %w", after, err)
	}
	for i, node := range out.Orders.Nodes {
		full, err := c.completeLineItems(ctx, node)
		if err != nil {
			return Page{}, err
		}
		out.Orders.Nodes[i] = full
	}
	return Page{Nodes: out.Orders.Nodes, HasNextPage: out.Orders.PageInfo.HasNextPage, EndCursor: out.Orders.PageInfo.EndCursor}, nil
}

// completeLineItems returns the order node with all its line items.
func (c *Client) completeLineItems(ctx context.Context, node json.RawMessage) (json.RawMessage, error) {
	var head struct {
		ID        string     `json:"id"`
		LineItems connection `json:"lineItems"`
	}
	if err := json.Unmarshal(node, &head); err != nil {
		return nil, fmt.Errorf("shopify: decode order node: %w", err)
	}
	if !head.LineItems.PageInfo.HasNextPage {
		return node, nil
	}
	items := head.LineItems.Nodes
	cursor := head.LineItems.PageInfo.EndCursor
	for more := true; more; {
		var out struct {
			Order *struct {
				LineItems connection `json:"lineItems"`
			} `json:"order"`
		}
		if err := c.Do(ctx, QueryOrderLineItems, map[string]any{"id": head.ID, "after": cursor}, &out); err != nil {
			return nil, fmt.Errorf("shopify: line items of %s after %q: %w", head.ID, cursor, err)
		}
		if out.Order == nil {
			return nil, fmt.Errorf("shopify: line items of %s: order vanished while reading its lines", head.ID)
		}
		items = append(items, out.Order.LineItems.Nodes...)
		more = out.Order.LineItems.PageInfo.HasNextPage
		if more && out.Order.LineItems.PageInfo.EndCursor == cursor {
			return nil, fmt.Errorf("shopify: line items of %s: cursor %q does not advance", head.ID, cursor)
		}
		cursor = out.Order.LineItems.PageInfo.EndCursor
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(node, &fields); err != nil {
		return nil, fmt.Errorf("shopify: decode order node: %w", err)
	}
	li, err := json.Marshal(connection{PageInfo: pageInfo{EndCursor: cursor}, Nodes: items})
	if err != nil {
		return nil, fmt.Errorf("shopify: encode line items of %s: %w", head.ID, err)
	}
	fields["lineItems"] = li
	full, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("shopify: encode order %s: %w", head.ID, err)
	}
	return full, nil
}
