package woocommerce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// wpError is the JSON error body of the WordPress REST API:
// {"code":"...","message":"...","data":{"status":N,"params":{...}}}.
type wpError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Data    struct {
		Status  int               `json:"status"`
		Params  map[string]string `json:"params"`
		Details json.RawMessage   `json:"details"`
	} `json:"data"`
}

// statusError turns a non-2xx answer into an *APIError with the sentinel that fits.
func (c *Client) statusError(cl call, path string, resp *http.Response, body []byte) error {
	e := &APIError{Method: cl.method, Path: path, Status: resp.StatusCode}
	var we wpError
	raw, _, isJSON := jsonBody(body)
	if isJSON && json.Unmarshal(raw, &we) == nil && we.Code != "" {
		e.Code = clipString(we.Code, 100)
		e.Message = clipString(we.Message, 300)
		if len(we.Data.Params) > 0 {
			keys := make([]string, 0, len(we.Data.Params))
			for k := range we.Data.Params {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var parts []string
			for _, k := range keys {
				parts = append(parts, clipString(we.Data.Params[k], 200))
			}
			e.Message += " (" + strings.Join(parts, "; ") + ")"
		}
	} else {
		isJSON = false
	}
	switch s := resp.StatusCode; {
	case s >= 300 && s < 400:
		e.kind = ErrRedirected
		e.Message = redirectAdvice(c.site, resp.Header.Get("Location"))
	case s == http.StatusUnauthorized:
		e.kind = ErrUnauthorized
		if !isJSON {
			e.Message = describeNonJSON(resp.Header.Get("Content-Type"), body)
		}
	case s == http.StatusForbidden:
		if isJSON {
			e.kind = ErrUnauthorized
		} else {
			e.kind = ErrNotJSON
			e.Message = describeNonJSON(resp.Header.Get("Content-Type"), body) + "; a firewall or security plugin refused the request"
		}
	case s == http.StatusNotFound:
		switch {
		case isJSON && isInvalidID(e.Code):
			e.kind = ErrRecordNotFound
		case isJSON && e.Code == "rest_no_route":
			e.kind = ErrNotFound
			e.Message = "the site runs the WordPress REST API but has no route " + APIPath + "/" + firstSegment(cl.resource) +
				": WooCommerce is not active, is too old, or its REST API is disabled"
		case isJSON:
			e.kind = ErrNotFound
		default:
			e.kind = ErrNotFound
			e.Message = "no WordPress REST API at " + c.site.String() + "/wp-json (" + describeNonJSON(resp.Header.Get("Content-Type"), body) +
				"): the URL is wrong, or the site uses plain permalinks (choose any other structure under Settings > Permalinks)"
		}
	case s == http.StatusBadRequest:
		e.kind = ErrBadRequest
	case s == http.StatusRequestEntityTooLarge:
		e.kind = ErrTooLarge
	case s == http.StatusTooManyRequests:
		e.kind = ErrRateLimited
	case s >= 500:
		e.kind = ErrServer
		if !isJSON {
			e.Message = describeNonJSON(resp.Header.Get("Content-Type"), body)
		}
	default:
		e.kind = ErrBadRequest
	}
	return e
}

// isInvalidID reports whether a WooCommerce error code says the record id does not exist
// (woocommerce_rest_invalid_id, woocommerce_rest_customer_invalid_id, ..._order_invalid_id).
func isInvalidID(code string) bool {
	return strings.HasPrefix(code, "woocommerce_rest_") && strings.HasSuffix(code, "invalid_id")
}

func firstSegment(resource string) string {
	s, _, _ := strings.Cut(resource, "/")
	return s
}

// redirectAdvice tells what to configure when the site redirects (http to https, www to the
// bare domain, a trailing slash). The Location's query (it may repeat the signature) is
// dropped.
func redirectAdvice(site *url.URL, location string) string {
	if location == "" {
		return "a redirect without a Location"
	}
	u, err := url.Parse(location)
	if err != nil {
		return "a redirect to an unreadable Location"
	}
	u.RawQuery, u.Fragment = "", ""
	target := u.String()
	if i := strings.Index(target, "/wp-json"); i >= 0 && u.Host != "" {
		return fmt.Sprintf("redirected to %s: set the url option to %s", clipString(target, 200), clipString(target[:i], 200))
	}
	return fmt.Sprintf("redirected to %s: set the url option to the site's home URL as WordPress knows it (now %s)", clipString(target, 200), site.String())
}

// jsonBody returns the JSON of an answer. WordPress sites with display_errors on print PHP
// warnings ("<br />\n<b>Warning</b>: ...") before the JSON: those are cut off (salvaged
// true). ok is false when no JSON value is there.
func jsonBody(body []byte) (raw []byte, salvaged, ok bool) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') && json.Valid(trimmed) {
		return trimmed, false, true
	}
	rest := trimmed
	for bytes.HasPrefix(rest, []byte("<br")) || bytes.HasPrefix(rest, []byte("<b>")) {
		end := bytes.Index(rest, []byte("<br />"))
		if end == 0 {
			rest = bytes.TrimSpace(rest[len("<br />"):])
			continue
		}
		if end < 0 {
			return nil, false, false
		}
		rest = bytes.TrimSpace(rest[end+len("<br />"):])
	}
	if len(rest) < len(trimmed) && len(rest) > 0 && (rest[0] == '{' || rest[0] == '[') && json.Valid(rest) {
		return rest, true, true
	}
	return nil, false, false
}

var titleRe = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

// describeNonJSON says in a few words what a non-JSON answer is, for an error message. It
// quotes at most a page title.
func describeNonJSON(contentType string, body []byte) string {
	b := bytes.TrimSpace(body)
	if len(b) == 0 {
		return "an empty answer"
	}
	lower := bytes.ToLower(b[:min(len(b), 64<<10)])
	has := func(s string) bool { return bytes.Contains(lower, []byte(s)) }
	switch {
	case has("wp-login.php") || has(`name="log"`) || has("user_login"):
		return "a WordPress login page (a security plugin or the host puts a login in front of /wp-json)"
	case has("briefly unavailable for scheduled maintenance") || has("maintenance mode") || has("under maintenance"):
		return "a maintenance page (the site is in maintenance mode)"
	case has("cf-chl") || has("challenge-platform") || has("attention required! | cloudflare") || has("just a moment..."):
		return "a Cloudflare challenge page (allow this server, or /wp-json/, in the firewall)"
	case has("wordfence"):
		return "a Wordfence block page (allow this server in Wordfence)"
	case has("<b>fatal error</b>") || has("there has been a critical error"):
		return "a PHP fatal error page (the site is broken; see its PHP error log)"
	}
	if m := titleRe.FindSubmatch(b[:min(len(b), 64<<10)]); m != nil {
		title := strings.Join(strings.Fields(html.UnescapeString(string(m[1]))), " ")
		return fmt.Sprintf("an HTML page titled %q", clipString(printable(title), 80))
	}
	if has("<html") || has("<!doctype html") || has("<body") {
		return "an HTML page"
	}
	ct, _, _ := strings.Cut(contentType, ";")
	if ct = strings.TrimSpace(ct); ct != "" {
		return "a " + clipString(printable(ct), 60) + " answer that is not JSON"
	}
	return "an answer that is not JSON"
}

func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
