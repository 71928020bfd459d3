package woofake

import (
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// reqCtx is one REST request as the handlers see it.
type reqCtx struct {
	f        *Fake
	r        *http.Request
	rawPath  string    // REQUEST_URI path, undecoded
	route    string    // REST route, e.g. "/wc/v3/customers/3"
	get      phpParams // $_GET
	post     phpParams // $_POST (form bodies only)
	body     []byte
	authed   bool
	endpoint string // for Stats, e.g. "GET /customers/{id}"
	events   *eventBatch
}

func (rc *reqCtx) violate(rule, detail string) {
	rc.f.viol.add(Violation{At: rc.f.opts.Now(), Method: rc.r.Method, Path: rc.rawPath, Rule: rule, Detail: detail})
}

// ServeHTTP answers like a WordPress site with WooCommerce: the REST API under /wp-json
// (or ?rest_route=), HTML for everything else.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	rawPath, rawQuery, _ := strings.Cut(r.RequestURI, "?")
	if strings.Contains(rawPath, "://") { // absolute-form request target
		rawPath = r.URL.EscapedPath()
	}
	rc := &reqCtx{f: f, r: r, rawPath: rawPath, get: parsePHPQuery(rawQuery), endpoint: "HTML"}
	defer func() { f.stats.record(rc.endpoint, sw.status) }()

	route, isREST := "", false
	if rr, ok := rc.get.get("rest_route"); ok && (rawPath == "/" || rawPath == "/index.php") {
		route, isREST = rr, true
	} else if !f.opts.PlainPermalinks && (rawPath == "/wp-json" || strings.HasPrefix(rawPath, "/wp-json/")) {
		route, isREST = strings.TrimPrefix(r.URL.Path, "/wp-json"), true
	}
	if !isREST {
		if rawPath == "/" {
			writeHTML(sw, http.StatusOK, homePage(f.opts.SiteName))
			return
		}
		rc.violate("not-rest", "request outside the REST API (wrong base URL?)")
		writeHTML(sw, http.StatusNotFound, themeNotFoundPage(f.opts.SiteName))
		return
	}
	if route == "" {
		route = "/"
	}
	rc.route = route
	rc.endpoint = r.Method + " " + endpointName(route)
	if f.applyFault(sw, r) {
		return
	}
	f.serveREST(sw, rc)
}

// endpointName replaces ids in a route with {id} and drops the namespace.
func endpointName(route string) string {
	segs := strings.Split(strings.Trim(strings.TrimPrefix(route, "/wc/v3"), "/"), "/")
	for i, s := range segs {
		if _, err := strconv.ParseUint(s, 10, 64); err == nil {
			segs[i] = "{id}"
		}
	}
	return "/" + strings.Join(segs, "/")
}

func (f *Fake) serveREST(w http.ResponseWriter, rc *reqCtx) {
	r := rc.r
	h := w.Header()
	h.Set("X-Robots-Tag", "noindex")
	h.Add("Link", "<"+f.restURL("/")+`>; rel="https://api.w.org/"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Access-Control-Expose-Headers", "X-WP-Total, X-WP-TotalPages, Link")
	h.Set("Access-Control-Allow-Headers", "Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type")

	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, errInvalidJSON.body())
			return
		}
		rc.body = b
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" && len(rc.body) > 0 {
		rc.post = parsePHPQuery(string(rc.body))
	}

	isWC := strings.HasPrefix(rc.route, "/wc/") || strings.HasPrefix(rc.route, "/wc-")
	if isWC {
		authed, authErr := f.authenticate(r, rc)
		if authErr != nil {
			f.writeErr(w, authErr)
			return
		}
		rc.authed = authed
		if authed {
			if e := f.keyPermissions(r.Method); e != nil {
				rc.violate("key-permissions", e.Message)
				f.writeErr(w, e)
				return
			}
		}
	}
	if rc.route == "/" {
		writeJSON(w, http.StatusOK, f.indexJSON())
		return
	}
	if !strings.HasPrefix(rc.route+"/", "/wc/v3/") {
		rc.violate("no-route", "route "+rc.route+" is not served (the fake models wc/v3 only)")
		f.writeErr(w, errNoRoute)
		return
	}
	rc.events = f.newEventBatch()
	defer rc.events.flush()
	if e := f.dispatch(w, rc); e != nil {
		f.writeErr(w, e)
	}
}

func (f *Fake) writeErr(w http.ResponseWriter, e *wpError) {
	writeJSON(w, e.Status, e.body())
}

// dispatch routes /wc/v3/... to a handler; a handler either writes the answer or returns
// the error to write.
func (f *Fake) dispatch(w http.ResponseWriter, rc *reqCtx) *wpError {
	segs := strings.Split(strings.Trim(strings.TrimPrefix(rc.route, "/wc/v3"), "/"), "/")
	m := rc.r.Method
	if m == http.MethodHead {
		m = http.MethodGet
	}
	editable := m == http.MethodPost || m == http.MethodPut || m == http.MethodPatch
	id := func(s string) (uint64, bool) {
		n, err := strconv.ParseUint(s, 10, 64)
		return n, err == nil
	}
	switch {
	case len(segs) == 1 && segs[0] == "customers":
		switch m {
		case http.MethodGet:
			w.Header().Set("Allow", "GET, POST")
			return f.listCustomers(w, rc)
		case http.MethodPost:
			return f.createCustomerREST(w, rc)
		}
	case len(segs) == 2 && segs[0] == "customers" && segs[1] == "batch":
		if editable {
			return f.batchCustomers(w, rc)
		}
	case len(segs) == 2 && segs[0] == "customers":
		if n, ok := id(segs[1]); ok {
			switch {
			case m == http.MethodGet:
				return f.getCustomer(w, rc, n)
			case editable:
				return f.updateCustomerREST(w, rc, n)
			case m == http.MethodDelete:
				return f.deleteCustomerREST(w, rc, n)
			}
		}
	case len(segs) == 1 && segs[0] == "orders":
		if m == http.MethodGet {
			return f.listOrders(w, rc)
		}
	case len(segs) == 2 && segs[0] == "orders":
		if n, ok := id(segs[1]); ok && m == http.MethodGet {
			return f.getOrder(w, rc, n)
		}
	case len(segs) == 3 && segs[0] == "orders" && segs[2] == "refunds":
		if n, ok := id(segs[1]); ok && m == http.MethodGet {
			return f.listRefunds(w, rc, n)
		}
	case len(segs) == 1 && segs[0] == "webhooks":
		switch {
		case m == http.MethodGet:
			return f.listWebhooks(w, rc)
		case m == http.MethodPost:
			return f.createWebhookREST(w, rc)
		}
	case len(segs) == 2 && segs[0] == "webhooks":
		if n, ok := id(segs[1]); ok {
			switch {
			case m == http.MethodGet:
				return f.getWebhookREST(w, rc, n)
			case editable:
				return f.updateWebhookREST(w, rc, n)
			case m == http.MethodDelete:
				return f.deleteWebhookREST(w, rc, n)
			}
		}
	}
	rc.violate("no-route", rc.r.Method+" "+rc.route+" is not a route the fake serves")
	return errNoRoute
}

func (f *Fake) indexJSON() []byte {
	return phpJSON([]byte(`{"name":` + string(quoteJSON(f.opts.SiteName)) + `,"description":"","url":` + string(quoteJSON(f.url)) +
		`,"home":` + string(quoteJSON(f.url)) + `,"gmt_offset":0,"timezone_string":` + string(quoteJSON(f.opts.Location.String())) +
		`,"namespaces":["oembed\/1.0","wc\/v1","wc\/v2","wc\/v3","wc\/store\/v1","wp\/v2"],"authentication":[],"routes":{}}`))
}

// decodeBody parses a JSON request body the way WordPress does (invalid JSON is a 400).
func decodeBody(rc *reqCtx, v any) *wpError {
	if len(strings.TrimSpace(string(rc.body))) == 0 {
		return nil
	}
	ct, _, _ := mime.ParseMediaType(rc.r.Header.Get("Content-Type"))
	if ct != "application/json" {
		rc.violate("body-not-json", "request body sent as "+strconvQuote(ct)+"; WooCommerce reads JSON bodies only with Content-Type: application/json")
		return nil
	}
	if err := jsonUnmarshal(rc.body, v); err != nil {
		return errInvalidJSON
	}
	return nil
}

func strconvQuote(s string) string { return strconv.Quote(s) }
