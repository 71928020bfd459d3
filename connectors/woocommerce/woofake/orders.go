package woofake

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// zoneRE matches a date parameter that carries a zone.
var zoneRE = regexp.MustCompile(`([Zz]|[+-]\d{2}(:?\d{2})?)$`)

func (f *Fake) listOrders(w http.ResponseWriter, rc *reqCtx) *wpError {
	q, e := validate(orderParams, rc.get)
	if e != nil {
		if _, bad := e.Params["per_page"]; bad {
			rc.violate("per-page-over-100", e.Params["per_page"])
		}
		return e
	}
	if !rc.authed {
		return errCannotList
	}
	gmt := q.boolean("dates_are_gmt")
	if (rc.get.has("modified_after") || rc.get.has("modified_before") || rc.get.has("after") || rc.get.has("before")) && !gmt {
		rc.violate("dates-not-gmt", "date filter without dates_are_gmt=true is read in the site's time zone ("+f.opts.Location.String()+")")
	}
	if gmt && (zoneRE.MatchString(q.str("modified_after")) || zoneRE.MatchString(q.str("modified_before"))) {
		rc.violate("gmt-date-with-offset", "with dates_are_gmt=true WordPress converts a date carrying an offset to the site's time zone before comparing it with the GMT column; send GMT without a zone")
	}
	orderby := q.str("orderby")
	switch orderby {
	case "title", "slug":
		orderby = "date"
	case "include":
		orderby = "id"
	}
	if q.offset > 0 && orderby == "date" {
		rc.violate("unstable-order", "paging orders by date: orders of the same second have no defined order between pages; use orderby=id")
	}

	statuses := q.lists["status"]
	anyStatus := contains(statuses, "any")
	var after, before, mAfter, mBefore int64 = -1 << 62, 1 << 62, -1 << 62, 1 << 62
	if v := q.str("after"); v != "" {
		after = dateThreshold(v, gmt, f.opts.Location).Unix()
	}
	if v := q.str("before"); v != "" {
		before = dateThreshold(v, gmt, f.opts.Location).Unix()
	}
	if v := q.str("modified_after"); v != "" {
		mAfter = dateThreshold(v, gmt, f.opts.Location).Unix()
	}
	if v := q.str("modified_before"); v != "" {
		mBefore = dateThreshold(v, gmt, f.opts.Location).Unix()
	}
	var customer uint64
	hasCustomer := rc.get.has("customer")
	if hasCustomer {
		customer, _ = strconv.ParseUint(q.str("customer"), 10, 64)
	}
	include, exclude := idSet(q.ids["include"]), idSet(q.ids["exclude"])

	f.mu.RLock()
	all := f.data.ordersBy(orderby)
	if orderby == "modified" && mAfter > -1<<62 { // the index narrows a poll to the changed tail
		i := sort.Search(len(all), func(i int) bool { return all[i].modified > mAfter })
		all = all[i:]
	}
	var keep func(*orderRec) bool
	filtered := (anyStatus && f.data.trashed > 0) || !anyStatus || hasCustomer || include != nil || exclude != nil ||
		after > -1<<62 || before < 1<<62 || (mAfter > -1<<62 && orderby != "modified") || mBefore < 1<<62
	if filtered {
		keep = func(o *orderRec) bool {
			if anyStatus {
				if o.status == "trash" {
					return false
				}
			} else if !slices.Contains(statuses, o.status) {
				return false
			}
			switch {
			case hasCustomer && o.customerID != customer,
				include != nil && !include[o.id],
				exclude != nil && exclude[o.id],
				o.created <= after, o.created >= before,
				o.modified <= mAfter, o.modified >= mBefore:
				return false
			}
			return true
		}
	}
	items, total := pageOf(all, keep, q.str("order") == "desc", q.offset, q.perPage)
	parts := make([][]byte, len(items))
	for i, o := range items {
		parts[i] = o.raw
	}
	body := joinArray(parts)
	f.mu.RUnlock()
	f.setPaging(w, rc, "/wc/v3/orders", total, q.perPage, q.offset)
	writeJSON(w, http.StatusOK, body)
	return nil
}

func (f *Fake) getOrder(w http.ResponseWriter, rc *reqCtx, id uint64) *wpError {
	f.mu.RLock()
	o, _ := f.data.order(id)
	var raw []byte
	if o != nil {
		raw = o.raw
	}
	f.mu.RUnlock()
	if o == nil {
		return errOrderNotFound
	}
	if !rc.authed {
		return errCannotView
	}
	writeJSON(w, http.StatusOK, raw)
	return nil
}

func (f *Fake) listRefunds(w http.ResponseWriter, rc *reqCtx, orderID uint64) *wpError {
	q, e := validate(refundParams, rc.get)
	if e != nil {
		return e
	}
	if !rc.authed {
		return errCannotList
	}
	f.mu.RLock()
	o, _ := f.data.order(orderID)
	var refunds [][]byte
	if o != nil {
		refunds = f.refundsOf(o)
	}
	f.mu.RUnlock()
	if o == nil {
		return errRefundsNoOrder
	}
	// refunds[] lists the newest first, which is also the default order=desc by date.
	if q.str("order") == "asc" {
		slices.Reverse(refunds)
	}
	items, total := pageOf(refunds, nil, false, q.offset, q.perPage)
	f.setPaging(w, rc, "/wc/v3/orders/"+strconv.FormatUint(orderID, 10)+"/refunds", total, q.perPage, q.offset)
	writeJSON(w, http.StatusOK, joinArray(items))
	return nil
}

// refundsOf renders the refund objects of an order, newest first: the ones made through the
// fake as they were stored, the generator's from their refunds[] summary, dated at the
// order's last modification.
func (f *Fake) refundsOf(o *orderRec) [][]byte {
	raw, _ := getMember(o.raw, "refunds")
	var sums []refundSummaryJSON
	if len(raw) > 2 {
		_ = json.Unmarshal(raw, &sums)
	}
	mod, _ := getMember(o.raw, "date_modified")
	modGMT, _ := getMember(o.raw, "date_modified_gmt")
	out := make([][]byte, 0, len(sums))
	for _, s := range sums {
		if b, ok := f.data.refundRaw[s.ID]; ok {
			out = append(out, b)
			continue
		}
		out = append(out, f.refundJSON(o.id, s, rawString(mod), rawString(modGMT)))
	}
	return out
}

func (f *Fake) refundJSON(orderID uint64, s refundSummaryJSON, local, gmt string) []byte {
	base := f.restURL("/wc/v3/orders/" + strconv.FormatUint(orderID, 10))
	return marshalJSON(refundJSON{
		ID: s.ID, DateCreated: local, DateCreatedGMT: gmt, Amount: strings.TrimPrefix(s.Total, "-"), Reason: s.Reason,
		RefundedBy: 1, MetaData: []any{}, LineItems: []any{}, ShippingLines: []any{}, TaxLines: []any{}, FeeLines: []any{},
		Links: refundLinks{
			Self:       []selfLink{{Href: base + "/refunds/" + strconv.FormatUint(s.ID, 10), TargetHints: targetHints{Allow: []string{"GET", "DELETE"}}}},
			Collection: []hrefLink{{Href: base + "/refunds"}},
			Up:         []hrefLink{{Href: base}},
		},
	})
}
