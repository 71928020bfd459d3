package woocommerce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// Page is one page of a list endpoint.
type Page struct {
	// Number is the page asked for (1-based).
	Number int
	// Items are the page's resources, raw (decode them with package decode).
	Items []json.RawMessage
	// Total and TotalPages are X-WP-Total and X-WP-TotalPages, -1 when the site did not send
	// them (some caching layers strip headers).
	Total, TotalPages int
	// Next and Prev are the rel="next" / rel="prev" URLs of the Link header with every
	// oauth_* (and consumer_key/consumer_secret) parameter removed: WooCommerce repeats the
	// request's query string, signature included. "" when absent. Follow Next with ListURL,
	// which signs it anew.
	Next, Prev string
}

// ListPage fetches page page (1-based) of a list endpoint: resource is "customers", "orders",
// "orders/12/refunds", "webhooks"; q the filters (see CustomersQuery, OrdersQuery,
// OrdersModifiedSince). per_page is set from Options.PerPage; page from page.
func (c *Client) ListPage(ctx context.Context, resource string, q url.Values, page int) (Page, error) {
	r, err := resourcePath(resource)
	if err != nil {
		return Page{}, err
	}
	if page < 1 {
		return Page{}, fmt.Errorf("woocommerce: list %s: page %d: pages start at 1", r, page)
	}
	query, err := c.listQuery(q)
	if err != nil {
		return Page{}, fmt.Errorf("woocommerce: list %s: %w", r, err)
	}
	query.Set("page", strconv.Itoa(page))
	res, err := c.do(ctx, call{method: http.MethodGet, resource: r, query: query, idempotent: true})
	if err != nil {
		return Page{}, fmt.Errorf("woocommerce: list %s page %d: %w", r, page, err)
	}
	p := Page{Number: page, Total: headerInt(res.header, "X-WP-Total"), TotalPages: headerInt(res.header, "X-WP-TotalPages")}
	if err := json.Unmarshal(res.body, &p.Items); err != nil {
		return Page{}, fmt.Errorf("woocommerce: list %s page %d: the answer is not a JSON array", r, page)
	}
	for _, l := range parseLinks(res.header.Values("Link")) {
		switch l.rel {
		case "next":
			p.Next = stripAuth(l.url)
		case "prev":
			p.Prev = stripAuth(l.url)
		}
	}
	return p, nil
}

// ListURL fetches the page a Link URL (Page.Next or Page.Prev) points to, signed anew. The URL
// must point into this client's API: credentials never go anywhere else.
func (c *Client) ListURL(ctx context.Context, link string) (Page, error) {
	u, err := url.Parse(link)
	if err != nil {
		return Page{}, fmt.Errorf("woocommerce: follow link: unreadable URL")
	}
	prefix := c.site.Path + APIPath + "/"
	if !strings.EqualFold(u.Scheme, c.site.Scheme) || !strings.EqualFold(u.Host, c.site.Host) || !strings.HasPrefix(u.Path, prefix) {
		return Page{}, fmt.Errorf("woocommerce: follow link: %s://%s%s is outside %s", u.Scheme, u.Host, clipString(u.Path, 100), c.APIURL())
	}
	q := u.Query()
	for k := range q {
		if isAuthParam(k) {
			delete(q, k)
		}
	}
	page := 1
	if v := q.Get("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 {
			return Page{}, fmt.Errorf("woocommerce: follow link: page %q is not a page number", clipString(v, 20))
		}
	}
	q.Del("page")
	q.Del("per_page")
	return c.ListPage(ctx, strings.TrimPrefix(u.Path, prefix), q, page)
}

// listQuery copies q, refuses auth parameters in it and sets per_page.
func (c *Client) listQuery(q url.Values) (url.Values, error) {
	out := make(url.Values, len(q)+2)
	for k, vs := range q {
		if isAuthParam(k) {
			return nil, fmt.Errorf("query parameter %q is set by the client", clipString(k, 40))
		}
		if k == "per_page" {
			n, err := strconv.Atoi(q.Get(k))
			if err != nil || n < 1 || n > MaxPerPage {
				return nil, fmt.Errorf("per_page must be 1..%d", MaxPerPage)
			}
		}
		out[k] = append([]string(nil), vs...)
	}
	if out.Get("per_page") == "" {
		out.Set("per_page", strconv.Itoa(c.opts.PerPage))
	}
	return out, nil
}

// Walk fetches the pages of a list from page from on and calls fn with each, strictly in page
// order, in the calling goroutine. Once the first page tells X-WP-TotalPages, the other pages
// are fetched Options.Parallel at a time (each fetched once: the requests are the pages). If
// a later page reports more pages (records created during the walk), they are fetched too.
// Without the header, Walk follows rel="next" links, and without those it stops at the first
// page shorter than per_page.
//
// Offset pagination has a WooCommerce limitation the caller must account for: a record
// deleted during the walk shifts later records one place back, so one of them may be
// missed. Compare the count received with Total and the store's counts afterwards.
//
// An error from fn stops the walk (pages in flight are cancelled) and is returned as is.
func (c *Client) Walk(ctx context.Context, resource string, q url.Values, from int, fn func(p Page) error) error {
	if from < 1 {
		from = 1
	}
	first, err := c.ListPage(ctx, resource, q, from)
	if err != nil {
		return err
	}
	if err := fn(first); err != nil {
		return err
	}
	if first.TotalPages < 0 {
		return c.walkSequential(ctx, resource, q, first, fn)
	}
	return c.walkParallel(ctx, resource, q, from, first.TotalPages, fn)
}

// ForEach is Walk for callers that need only each page's number and items.
func (c *Client) ForEach(ctx context.Context, resource string, q url.Values, from int, fn func(page int, items []json.RawMessage) error) error {
	return c.Walk(ctx, resource, q, from, func(p Page) error { return fn(p.Number, p.Items) })
}

// walkParallel fetches pages from+1..last with at most Parallel in flight and hands them to fn
// in order.
func (c *Client) walkParallel(ctx context.Context, resource string, q url.Values, from, last int, fn func(Page) error) error {
	type result struct {
		page Page
		err  error
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	var window []chan result // in page order
	next := from + 1
	for {
		for len(window) < c.opts.Parallel && next <= last {
			ch := make(chan result, 1)
			window = append(window, ch)
			page := next
			next++
			wg.Go(func() {
				p, err := c.ListPage(ctx, resource, q, page)
				ch <- result{p, err}
			})
		}
		if len(window) == 0 {
			return nil
		}
		r := <-window[0]
		window = window[1:]
		if r.err != nil {
			return r.err
		}
		if err := fn(r.page); err != nil {
			return err
		}
		if r.page.TotalPages > last {
			last = r.page.TotalPages
		}
	}
}

// walkSequential follows the pages one by one when the total is unknown.
func (c *Client) walkSequential(ctx context.Context, resource string, q url.Values, p Page, fn func(Page) error) error {
	for {
		var err error
		switch {
		case p.Next != "":
			p, err = c.ListURL(ctx, p.Next)
		case len(p.Items) >= c.opts.PerPage:
			p, err = c.ListPage(ctx, resource, q, p.Number+1)
		default:
			return nil
		}
		if err != nil {
			return err
		}
		if len(p.Items) == 0 {
			return nil
		}
		if err := fn(p); err != nil {
			return err
		}
	}
}

// isAuthParam reports whether a query parameter carries credentials or a signature.
func isAuthParam(k string) bool {
	return strings.HasPrefix(k, "oauth_") || k == "consumer_key" || k == "consumer_secret"
}

// stripAuth removes credentials and signature parameters from a Link URL.
func stripAuth(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	q := u.Query()
	for k := range q {
		if isAuthParam(k) {
			delete(q, k)
		}
	}
	u.RawQuery = encodeQuery(q)
	return u.String()
}

func headerInt(h http.Header, name string) int {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return -1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

type link struct{ url, rel string }

// parseLinks reads RFC 8288 Link headers: `<url>; rel="next", <url>; rel="prev"`, in one
// header or several.
func parseLinks(values []string) []link {
	var out []link
	for _, v := range values {
		for len(v) > 0 {
			start := strings.IndexByte(v, '<')
			if start < 0 {
				break
			}
			end := strings.IndexByte(v[start:], '>')
			if end < 0 {
				break
			}
			target := v[start+1 : start+end]
			rest := v[start+end+1:]
			params := rest
			if i := strings.IndexByte(rest, '<'); i >= 0 {
				params, rest = rest[:i], rest[i:]
			} else {
				rest = ""
			}
			for _, p := range strings.Split(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(strings.TrimRight(strings.TrimSpace(p), ",")), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "rel") {
					for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(val), `"`)) {
						out = append(out, link{url: target, rel: strings.ToLower(rel)})
					}
				}
			}
			v = rest
		}
	}
	return out
}
