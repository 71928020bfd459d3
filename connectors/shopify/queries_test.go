package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func lineItems(from, to int) string {
	var l []string
	for i := from; i <= to; i++ {
		l = append(l, fmt.Sprintf(`{"id":"gid://shopify/LineItem/%d","title":"Item %d","quantity":1}`, i, i))
	}
	return strings.Join(l, ",")
}

func TestOrdersPageFetchesRemainingLineItems(t *testing.T) {
	s := newTestShop(t)
	s.handle("OrdersPage", func(v map[string]any) answer {
		if v["first"] != float64(50) || v["query"] != "updated_at:>='2026-01-01T00:00:00Z'" || v["after"] != nil {
			t.Errorf("vars = %v", v)
		}
		return ok(`{"orders":{"pageInfo":{"hasNextPage":true,"endCursor":"c2"},"nodes":[` +
			`{"id":"gid://shopify/Order/1","name":"#1001","lineItems":{"pageInfo":{"hasNextPage":true,"endCursor":"l100"},"nodes":[` + lineItems(1, 100) + `]}},` +
			`{"id":"gid://shopify/Order/2","name":"#1002","lineItems":{"pageInfo":{"hasNextPage":false,"endCursor":"x"},"nodes":[` + lineItems(1, 1) + `]}}]}}`)
	})
	s.handle("OrderLineItems", func(v map[string]any) answer {
		if v["id"] != "gid://shopify/Order/1" {
			t.Errorf("vars = %v", v)
		}
		if v["after"] == "l100" {
			return ok(`{"order":{"id":"gid://shopify/Order/1","lineItems":{"pageInfo":{"hasNextPage":true,"endCursor":"l350"},"nodes":[` + lineItems(101, 350) + `]}}}`)
		}
		return ok(`{"order":{"id":"gid://shopify/Order/1","lineItems":{"pageInfo":{"hasNextPage":false,"endCursor":"l360"},"nodes":[` + lineItems(351, 360) + `]}}}`)
	})
	c := newTestClient(t, s)
	page, err := c.OrdersPage(context.Background(), "updated_at:>='2026-01-01T00:00:00Z'", "", 50)
	if err != nil {
		t.Fatal(err)
	}
	if !page.HasNextPage || page.EndCursor != "c2" || len(page.Nodes) != 2 {
		t.Fatalf("page = %v %q %d nodes", page.HasNextPage, page.EndCursor, len(page.Nodes))
	}
	var o struct {
		Name      string
		LineItems struct {
			PageInfo pageInfo
			Nodes    []struct{ ID string }
		}
	}
	if err := json.Unmarshal(page.Nodes[0], &o); err != nil {
		t.Fatal(err)
	}
	if o.Name != "#1001" || len(o.LineItems.Nodes) != 360 || o.LineItems.PageInfo.HasNextPage || o.LineItems.Nodes[359].ID != "gid://shopify/LineItem/360" {
		t.Errorf("order 1: %s, %d lines, hasNext %v", o.Name, len(o.LineItems.Nodes), o.LineItems.PageInfo.HasNextPage)
	}
	if s.count("OrderLineItems") != 2 {
		t.Errorf("%d line item requests, want 2", s.count("OrderLineItems"))
	}
}

func TestCustomersPageAndCounts(t *testing.T) {
	s := newTestShop(t)
	s.handle("CustomersPage", func(v map[string]any) answer {
		if v["first"] != float64(250) || v["after"] != "abc" || v["query"] != nil {
			t.Errorf("vars = %v", v)
		}
		return ok(`{"customers":{"pageInfo":{"hasNextPage":false,"endCursor":"def"},"nodes":[{"id":"gid://shopify/Customer/1","email":"a@example.com"}]}}`)
	})
	s.handle("Counts", func(v map[string]any) answer {
		return ok(`{"customersCount":{"count":1234,"precision":"EXACT"},"ordersCount":{"count":10000,"precision":"AT_LEAST"}}`)
	})
	c := newTestClient(t, s)
	page, err := c.CustomersPage(context.Background(), "", "abc", 0)
	if err != nil || page.HasNextPage || page.EndCursor != "def" || len(page.Nodes) != 1 || !strings.Contains(string(page.Nodes[0]), "a@example.com") {
		t.Fatalf("page %+v, %v", page, err)
	}
	n, err := c.Counts(context.Background(), "", "")
	if err != nil || n.Customers.Count != 1234 || n.Orders.Precision != "AT_LEAST" {
		t.Errorf("counts %+v, %v", n, err)
	}
}
