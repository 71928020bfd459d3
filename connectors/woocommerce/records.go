package woocommerce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// CustomersQuery is the backfill's customer filter: every role (role=all: a customer who is
// also an editor or a shop manager is still a customer), in id order so that pages are
// stable while new customers are added at the end. WooCommerce has no modified filter for
// customers: changes are found by a periodic full scan comparing date_modified_gmt.
func CustomersQuery() url.Values {
	return url.Values{"role": {"all"}, "orderby": {"id"}, "order": {"asc"}}
}

// OrdersQuery is the backfill's order filter: every status (status=any), in id order.
func OrdersQuery() url.Values {
	return url.Values{"status": {"any"}, "orderby": {"id"}, "order": {"asc"}}
}

// OrdersModifiedSince is the poll's order filter: every status, modified after since,
// oldest change first. The time is sent in UTC without a zone, with dates_are_gmt=true so
// WooCommerce compares it with date_modified_gmt: WordPress moves a value that carries a zone
// ("...Z") into the site's time zone before that comparison, so on a Berlin site "Z" would
// shift the filter by one or two hours (and a poll would miss what changed in between).
func OrdersModifiedSince(since time.Time) url.Values {
	return url.Values{
		"status":         {"any"},
		"modified_after": {since.UTC().Format("2006-01-02T15:04:05")},
		"dates_are_gmt":  {"true"},
		"orderby":        {"modified"},
		"order":          {"asc"},
	}
}

// Customer fetches one customer (GET /customers/{id}). A deleted customer gives an error
// wrapping ErrRecordNotFound.
func (c *Client) Customer(ctx context.Context, id int64) (json.RawMessage, error) {
	return c.getOne(ctx, "customers", id)
}

// Order fetches one order (GET /orders/{id}).
func (c *Client) Order(ctx context.Context, id int64) (json.RawMessage, error) {
	return c.getOne(ctx, "orders", id)
}

// Refunds fetches every refund of an order (GET /orders/{id}/refunds, all pages).
func (c *Client) Refunds(ctx context.Context, orderID int64) ([]json.RawMessage, error) {
	if orderID <= 0 {
		return nil, fmt.Errorf("woocommerce: refunds of order %d: not an order id", orderID)
	}
	var out []json.RawMessage
	err := c.Walk(ctx, "orders/"+strconv.FormatInt(orderID, 10)+"/refunds", nil, 1, func(p Page) error {
		out = append(out, p.Items...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *Client) getOne(ctx context.Context, kind string, id int64) (json.RawMessage, error) {
	if id <= 0 {
		return nil, fmt.Errorf("woocommerce: get %s %d: not an id", kind, id)
	}
	res, err := c.do(ctx, call{method: http.MethodGet, resource: kind + "/" + strconv.FormatInt(id, 10), idempotent: true})
	if err != nil {
		return nil, fmt.Errorf("woocommerce: get %s %d: %w", kind, id, err)
	}
	if len(res.body) == 0 || res.body[0] != '{' {
		return nil, fmt.Errorf("woocommerce: get %s %d: the answer is not a JSON object", kind, id)
	}
	return json.RawMessage(res.body), nil
}
