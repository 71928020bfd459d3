package woofake

import (
	"net/http"
	"strconv"
	"strings"
)

// setPaging writes X-WP-Total, X-WP-TotalPages and the prev/next Link headers the way the
// WooCommerce controllers build them:
//
//	$base = add_query_arg( $request->get_query_params(), rest_url( '/wc/v3/customers' ) );
//	$next = add_query_arg( 'page', $page + 1, $base );
//
// The first call inserts the PHP-decoded query values without encoding; the second parses
// that URL again (decoding a second time: "+" becomes a space) and urlencode()s every value.
// So the links repeat the whole query string, oauth_* included, with values re-encoded, and
// a value that contained "+" (an un-encoded "+02:00" offset, a base64 signature) comes back
// changed. A client must build its next request itself (or strip oauth_* and re-sign).
func (f *Fake) setPaging(w http.ResponseWriter, rc *reqCtx, restPath string, total, perPage, offset int) {
	maxPages := 0
	if perPage > 0 {
		maxPages = (total + perPage - 1) / perPage
	}
	page := 1
	if perPage > 0 {
		page = offset/perPage + 1
		if offset%perPage != 0 {
			page++ // ceil( offset / per_page + 1 )
		}
	}
	h := w.Header()
	h.Set("X-WP-Total", strconv.Itoa(total))
	h.Set("X-WP-TotalPages", strconv.Itoa(maxPages))
	var base string
	if f.opts.PlainPermalinks {
		base = f.url + "/?" + buildRawQuery(phpParams{{key: "rest_route", val: restPath}}.merge(rc.get))
	} else {
		base = f.restURL(restPath)
		if len(rc.get) > 0 {
			base += "?" + buildRawQuery(rc.get)
		}
	}
	if page > 1 {
		prev := min(page-1, maxPages)
		h.Add("Link", "<"+addQueryArg(base, "page", strconv.Itoa(prev))+`>; rel="prev"`)
	}
	if maxPages > page {
		h.Add("Link", "<"+addQueryArg(base, "page", strconv.Itoa(page+1))+`>; rel="next"`)
	}
	if page > maxPages && total > 0 {
		rc.violate("page-past-end", "page "+strconv.Itoa(page)+" requested but X-WP-TotalPages is "+strconv.Itoa(maxPages))
	}
}

// buildRawQuery is WordPress's build_query(): key=value joined by "&", nothing encoded,
// arrays as key[sub]=value, and "=" dropped after empty values.
func buildRawQuery(p phpParams) string {
	var parts []string
	for _, e := range p {
		if !e.isArr {
			parts = append(parts, e.key+"="+e.val)
			continue
		}
		for _, s := range e.arr {
			parts = append(parts, e.key+"["+s.key+"]="+s.val)
		}
	}
	return stripEmptyEquals(strings.Join(parts, "&"))
}

// addQueryArg is add_query_arg( key, value, url ) for a URL with a query string.
func addQueryArg(url, key, value string) string {
	base, query, _ := strings.Cut(url, "?")
	qs := parsePHPQuery(query)
	for i := range qs { // urlencode_deep: re-encode what was already in the query string
		if qs[i].isArr {
			for j := range qs[i].arr {
				qs[i].arr[j].val = phpURLEncode(qs[i].arr[j].val)
			}
			continue
		}
		qs[i].val = phpURLEncode(qs[i].val)
	}
	qs = qs.put(phpParam{key: key, val: value})
	return base + "?" + buildRawQuery(qs)
}

func stripEmptyEquals(s string) string {
	// preg_replace( '#=(&|$)#', '$1', $ret )
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '=' && (i+1 == len(s) || s[i+1] == '&') {
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// restURL is rest_url( path ) for this site.
func (f *Fake) restURL(path string) string {
	if f.opts.PlainPermalinks {
		return f.url + "/?rest_route=" + path
	}
	return f.url + "/wp-json" + path
}
