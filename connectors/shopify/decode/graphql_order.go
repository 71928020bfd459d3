package decode

import (
	"encoding/json"
	"strconv"

	"github.com/cohortd/cohortd/profiles"
)

const sourceGQLOrder = "graphql Order"

// gqlOrder is an Order node as orderFields (documents.go) selects it, plus the inline
// lineItems connection of paginated queries. name, test, sourceName, currencyCode, refunds and
// customerJourneySummary are selected but have no place in OrderRecord and are skipped.
type gqlOrder struct {
	ID, LegacyResourceID                           span
	Email, Phone                                   span
	CreatedAt, UpdatedAt, ProcessedAt, CancelledAt span
	PresentmentCurrencyCode                        span
	CustomerLocale, ClientIP                       span
	CustomerID                                     span // the customer's gid, empty for a guest
	TotalPriceSet, TotalRefundedSet                gqlMoneyBag
	BillingAddress, ShippingAddress                gqlAddress
	Lines                                          []gqlLineItem
}

// gqlLineItem is a LineItem as lineItemFields selects it; ParentID is set on the separate
// JSONL lines of a bulk export.
type gqlLineItem struct {
	ID, Title, SKU, Vendor span
	Quantity               int
	ProductID, ProductType span
	OriginalUnitPriceSet   gqlMoneyBag
	ParentID               span
	viaEdge                bool // read from lineItems.edges[].node, not lineItems.nodes[]
}

// order reads an Order node into o.
func (r *reader) order(o *gqlOrder) *readErr {
	_, err := r.object(func(key []byte) *readErr {
		var err *readErr
		switch string(key) {
		case "id":
			o.ID, err = r.str()
		case "legacyResourceId":
			o.LegacyResourceID, err = r.str()
		case "email":
			o.Email, err = r.str()
		case "phone":
			o.Phone, err = r.str()
		case "createdAt":
			o.CreatedAt, err = r.str()
		case "updatedAt":
			o.UpdatedAt, err = r.str()
		case "processedAt":
			o.ProcessedAt, err = r.str()
		case "cancelledAt":
			o.CancelledAt, err = r.str()
		case "presentmentCurrencyCode":
			o.PresentmentCurrencyCode, err = r.str()
		case "customerLocale":
			o.CustomerLocale, err = r.str()
		case "clientIp":
			o.ClientIP, err = r.str()
		case "customer":
			o.CustomerID, err = r.nodeID()
		case "totalPriceSet":
			err = r.moneyBag(&o.TotalPriceSet)
		case "totalRefundedSet":
			err = r.moneyBag(&o.TotalRefundedSet)
		case "billingAddress":
			err = r.address(&o.BillingAddress)
		case "shippingAddress":
			err = r.address(&o.ShippingAddress)
		case "lineItems":
			_, err = r.object(func(key []byte) *readErr {
				switch string(key) {
				case "nodes":
					_, err := r.array(func(int) *readErr {
						o.Lines = append(o.Lines, gqlLineItem{})
						return r.lineItem(&o.Lines[len(o.Lines)-1])
					})
					return err
				case "edges":
					_, err := r.array(func(int) *readErr {
						_, err := r.object(func(key []byte) *readErr {
							if string(key) != "node" {
								return r.skip()
							}
							o.Lines = append(o.Lines, gqlLineItem{viaEdge: true})
							return r.lineItem(&o.Lines[len(o.Lines)-1])
						})
						return err
					})
					return err
				}
				return r.skip()
			})
		default:
			err = r.skip()
		}
		return err
	})
	return err
}

// lineItem reads a LineItem node into li.
func (r *reader) lineItem(li *gqlLineItem) *readErr {
	_, err := r.object(func(key []byte) *readErr {
		var err *readErr
		switch string(key) {
		case "id":
			li.ID, err = r.str()
		case "title":
			li.Title, err = r.str()
		case "sku":
			li.SKU, err = r.str()
		case "vendor":
			li.Vendor, err = r.str()
		case "quantity":
			li.Quantity, err = r.int()
		case "product":
			_, err = r.object(func(key []byte) *readErr {
				var err *readErr
				switch string(key) {
				case "id":
					li.ProductID, err = r.str()
				case "productType":
					li.ProductType, err = r.str()
				default:
					err = r.skip()
				}
				return err
			})
		case "originalUnitPriceSet":
			err = r.moneyBag(&li.OriginalUnitPriceSet)
		case "__parentId":
			li.ParentID, err = r.str()
		default:
			err = r.skip()
		}
		return err
	})
	return err
}

// Order decodes one GraphQL Order node selected with documents.go's orderFields, with its line
// items: inline under lineItems.nodes (or lineItems.edges) for paginated queries, and/or as
// lineChildren, the separate JSONL objects a bulk export writes for each line (their
// __parentId must be this order's gid). Further pages of lines read with OrderLineItems can be
// passed as lineChildren too. Inline lines come first, then lineChildren, in the given order.
// Whether all pages of lines were read is the caller's business (lineItems.pageInfo).
//
//   - ID is the numeric legacy id; CustomerID is the customer's, "" for a guest order.
//   - Total, Refunded, Currency and line prices are presentment money: what the customer paid,
//     in the currency they paid in. Total is totalPriceSet, Refunded totalRefundedSet (zero when
//     null), a line's Price its originalUnitPriceSet (the unit price before discounts).
//   - CreatedAt is processedAt when present (the purchase date Shopify's reports use, which
//     differs from createdAt for imported orders), else createdAt.
//   - UserAgent stays empty: GraphQL's Order has none (only REST and webhook payloads carry
//     client_details.user_agent). BrowserIP is clientIp, Locale customerLocale.
//   - ProductType is product.productType; ProductID is "" when the product was deleted.
func Order(storeID string, node json.RawMessage, lineChildren []json.RawMessage) (profiles.OrderRecord, error) {
	var o gqlOrder
	a := getArena()
	defer a.release()
	if err := readNode(sourceGQLOrder, node, a, func(r *reader) *readErr { return r.order(&o) }); err != nil {
		return profiles.OrderRecord{}, err
	}
	// Bulk children are read into the same arena before its text is taken, so that the whole
	// record costs one string allocation.
	children := make([]gqlLineItem, len(lineChildren))
	for i, raw := range lineChildren {
		if err := readNode(sourceGQLOrder, raw, a, func(r *reader) *readErr { return r.lineItem(&children[i]) }); err != nil {
			err.Field = "lineChildren[" + strconv.Itoa(i) + "]" + dotted(err.Field)
			t := a.text()
			err.ID, _ = gqlID(sourceGQLOrder, t.of(o.ID), t.of(o.LegacyResourceID), "Order")
			return profiles.OrderRecord{}, err
		}
	}
	t := a.text()
	gid := t.of(o.ID)
	id, derr := gqlID(sourceGQLOrder, gid, t.of(o.LegacyResourceID), "Order")
	if derr != nil {
		return profiles.OrderRecord{}, derr
	}
	bad := func(field, reason string) (profiles.OrderRecord, error) {
		return profiles.OrderRecord{}, fieldErr(sourceGQLOrder, id, field, reason)
	}
	r := profiles.OrderRecord{
		Store:     storeID,
		ID:        id,
		Email:     t.of(o.Email),
		Phone:     t.of(o.Phone),
		BrowserIP: t.of(o.ClientIP),
		Locale:    t.of(o.CustomerLocale),
		Billing:   o.BillingAddress.record(t),
		Shipping:  o.ShippingAddress.record(t),
	}
	if customer := t.of(o.CustomerID); customer != "" {
		cid, ok := numericID(customer, "Customer")
		if !ok {
			return bad("customer.id", "not a gid://shopify/Customer/ id")
		}
		r.CustomerID = cid
	}

	created, ok := parseTime(t.of(o.CreatedAt))
	if !ok {
		return bad("createdAt", "not an ISO 8601 time")
	}
	processed, ok := parseTime(t.of(o.ProcessedAt))
	if !ok {
		return bad("processedAt", "not an ISO 8601 time")
	}
	if r.CreatedAt = processed; r.CreatedAt.IsZero() {
		r.CreatedAt = created
	}
	if r.CreatedAt.IsZero() {
		return bad("createdAt", "missing")
	}
	if r.UpdatedAt, ok = parseTime(t.of(o.UpdatedAt)); !ok {
		return bad("updatedAt", "not an ISO 8601 time")
	}
	if r.CancelledAt, ok = parseTime(t.of(o.CancelledAt)); !ok {
		return bad("cancelledAt", "not an ISO 8601 time")
	}

	total, cur, present, ok := o.TotalPriceSet.presentment(t)
	switch {
	case !present:
		return bad("totalPriceSet.presentmentMoney", "missing")
	case !ok:
		return bad("totalPriceSet.presentmentMoney.amount", "not a decimal")
	}
	presentmentCode := t.of(o.PresentmentCurrencyCode)
	r.Total, r.Currency = total, or(cur, presentmentCode)
	if r.Currency == "" {
		return bad("totalPriceSet.presentmentMoney.currencyCode", "missing")
	}
	if presentmentCode != "" && presentmentCode != r.Currency {
		return bad("presentmentCurrencyCode", "differs from totalPriceSet's presentment currency")
	}
	refunded, rcur, present, ok := o.TotalRefundedSet.presentment(t)
	switch {
	case !ok:
		return bad("totalRefundedSet.presentmentMoney.amount", "not a decimal")
	case present && rcur != "" && rcur != r.Currency:
		return bad("totalRefundedSet.presentmentMoney.currencyCode", "differs from the order's presentment currency")
	}
	r.Refunded = refunded
	shopTotal, shopCur, present, ok := o.TotalPriceSet.shop(t)
	if !ok {
		return bad("totalPriceSet.shopMoney.amount", "not a decimal")
	}
	if present {
		shopRefunded, refCur, refPresent, ok := o.TotalRefundedSet.shop(t)
		if !ok {
			return bad("totalRefundedSet.shopMoney.amount", "not a decimal")
		}
		if refPresent && refCur != "" && refCur != shopCur {
			return bad("totalRefundedSet.shopMoney.currencyCode", "differs from the order's shop currency")
		}
		r.Shop = shopMoney(&r, shopTotal, shopCur, shopRefunded, refPresent)
	}

	if n := len(o.Lines) + len(lineChildren); n > 0 {
		r.Lines = make([]profiles.LineItem, 0, n)
	}
	var nodes, edges int
	for i := range o.Lines {
		var path string
		if o.Lines[i].viaEdge {
			path = "lineItems.edges[" + strconv.Itoa(edges) + "].node"
			edges++
		} else {
			path = "lineItems.nodes[" + strconv.Itoa(nodes) + "]"
			nodes++
		}
		li, err := o.Lines[i].record(t, id, r.Currency, path)
		if err != nil {
			return profiles.OrderRecord{}, err
		}
		r.Lines = append(r.Lines, li)
	}
	for i := range children {
		li := &children[i]
		path := "lineChildren[" + strconv.Itoa(i) + "]"
		if parent := t.of(li.ParentID); parent != "" && parent != gid {
			return bad(path+".__parentId", "is not this order")
		}
		line, err := li.record(t, id, r.Currency, path)
		if err != nil {
			return profiles.OrderRecord{}, err
		}
		r.Lines = append(r.Lines, line)
	}
	return r, nil
}

// record turns a line item into a profiles.LineItem; path names it in errors.
func (li *gqlLineItem) record(t text, orderID, currency, path string) (profiles.LineItem, error) {
	bad := func(field, reason string) (profiles.LineItem, error) {
		return profiles.LineItem{}, fieldErr(sourceGQLOrder, orderID, path+"."+field, reason)
	}
	if lid := t.of(li.ID); lid != "" {
		if _, ok := numericID(lid, "LineItem"); !ok {
			return bad("id", "not a gid://shopify/LineItem/ id")
		}
	}
	out := profiles.LineItem{
		SKU:         t.of(li.SKU),
		Title:       t.of(li.Title),
		Vendor:      t.of(li.Vendor),
		Quantity:    li.Quantity,
		ProductType: t.of(li.ProductType),
	}
	if product := t.of(li.ProductID); product != "" {
		pid, ok := numericID(product, "Product")
		if !ok {
			return bad("product.id", "not a gid://shopify/Product/ id")
		}
		out.ProductID = pid
	}
	price, cur, present, ok := li.OriginalUnitPriceSet.presentment(t)
	switch {
	case !present:
		return bad("originalUnitPriceSet.presentmentMoney", "missing")
	case !ok:
		return bad("originalUnitPriceSet.presentmentMoney.amount", "not a decimal")
	case cur != "" && cur != currency:
		return bad("originalUnitPriceSet.presentmentMoney.currencyCode", "differs from the order's presentment currency")
	}
	out.Price = price
	return out, nil
}

// dotted prefixes a non-empty JSON path with a dot.
func dotted(field string) string {
	if field == "" {
		return ""
	}
	return "." + field
}
