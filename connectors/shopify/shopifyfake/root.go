package shopifyfake

import (
	"strings"
)

// queryRoot resolves QueryRoot fields; called with Fake.mu read-locked.
type queryRoot struct{}

func (queryRoot) typeName() string { return "QueryRoot" }
func (queryRoot) field(ec *execCtx, name string, args map[string]any) any {
	f := ec.f
	d := &f.data
	switch name {
	case "customers":
		return listConnection(ec, d.customerLister(), "CustomerConnection", args, func(pos int) object { return custObj{pos} })
	case "orders":
		return listConnection(ec, d.orderLister(), "OrderConnection", args, func(pos int) object { return ordObj{pos} })
	case "customer", "order", "node":
		return f.nodeByGID(argString(args, "id"), name)
	case "nodes":
		ids := argStrings(args, "ids")
		if len(ids) > MaxPageSize {
			return fieldError{msg: "The maximum number of ids that can be requested is 250.", code: "BAD_REQUEST"}
		}
		out := make([]object, len(ids))
		for i, id := range ids {
			if o, ok := f.nodeByGID(id, "node").(object); ok {
				out[i] = o
			}
		}
		return out
	case "customersCount":
		return countObj(ec, d.customerLister(), args, 0)
	case "ordersCount":
		limit := 10000
		if v, present := args["limit"]; present && v == nil {
			limit = 0
		} else if n, ok := argInt(args, "limit"); ok {
			limit = n
		}
		return countObj(ec, d.orderLister(), args, limit)
	case "currentBulkOperation":
		typ := argString(args, "type")
		if typ == "" {
			typ = "QUERY"
		}
		if op := f.currentBulk(typ); op != nil {
			return bulkObj{op}
		}
		return nil
	case "shop":
		return shopObj{f}
	case "webhookSubscriptions":
		return f.hooks.subscriptionsConnection(args)
	case "webhookSubscription":
		if s := f.hooks.subscription(argString(args, "id")); s != nil {
			return subObj{*s}
		}
		return nil
	}
	return unknownField
}

func listConnection(ec *execCtx, l lister, typ string, args map[string]any, mk func(int) object) any {
	p, ferr := parsePageArgs(args, false)
	if ferr != nil {
		return *ferr
	}
	c := &connection{typ: typ, hasPrev: p.after != nil}
	c.hasNext = l.page(&p, func(pos int, cursor string) bool {
		c.nodes = append(c.nodes, mk(pos))
		c.cursors = append(c.cursors, cursor)
		return true
	})
	return c
}

func countObj(_ *execCtx, l lister, args map[string]any, limit int) any {
	flt, err := parseFilter(argString(args, "query"))
	if err != nil {
		return fieldError{msg: err.Error(), code: "BAD_REQUEST"}
	}
	n := 0
	precision := "EXACT"
	for i := 0; i < l.n; i++ {
		if l.match(i, &flt) {
			n++
			if limit > 0 && n >= limit {
				precision = "AT_LEAST"
				break
			}
		}
	}
	return mapObj{typ: "Count", m: map[string]any{"count": n, "precision": precision}}
}

// nodeByGID resolves a global id; want restricts the kind for customer(id)/order(id).
func (f *Fake) nodeByGID(id, want string) any {
	kind, n, ok := parseGID(id)
	if !ok {
		return fieldError{msg: "Invalid global id '" + id + "'", code: "argumentLiteralsIncompatible"}
	}
	if want != "node" && !strings.EqualFold(kind, want) {
		return nil
	}
	d := &f.data
	switch kind {
	case "Customer":
		if i := d.customerIndex(n); i >= 0 {
			return custObj{i}
		}
	case "Order":
		if i := d.orderIndex(n); i >= 0 {
			return ordObj{i}
		}
	case "Product":
		if p := d.products[n]; p != nil {
			return productObj{p}
		}
	case "BulkOperation":
		if op := f.bulkByID(n); op != nil {
			return bulkObj{op}
		}
	case "WebhookSubscription":
		if s := f.hooks.subscription(id); s != nil {
			return subObj{*s}
		}
	}
	return nil
}

type shopObj struct{ f *Fake }

func (shopObj) typeName() string { return "Shop" }
func (s shopObj) field(_ *execCtx, name string, _ map[string]any) any {
	o := &s.f.opts
	switch name {
	case "id":
		return gid("Shop", 60000000001)
	case "name":
		n, _, _ := strings.Cut(o.Shop, ".")
		return n
	case "myshopifyDomain":
		return o.Shop
	case "currencyCode":
		return "USD"
	case "ianaTimezone":
		return "America/New_York"
	case "timezoneAbbreviation":
		return "EST"
	case "email", "contactEmail":
		return "owner@example.com"
	case "plan":
		return mapObj{typ: "ShopPlan", m: map[string]any{"displayName": o.Plan.Name, "shopifyPlus": o.Plan.Plus, "partnerDevelopment": false}}
	}
	return unknownField
}
