package woofake

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// authenticate is WC_REST_Authentication::authenticate for one request: over TLS Basic
// authentication first (consumer_key/consumer_secret from the query string, else the
// Authorization: Basic header), then OAuth 1.0a. It returns whether the request carries a
// valid key, and the authentication error WordPress would answer before routing (nil when
// no credentials were sent at all: the route's permission callback refuses it later).
func (f *Fake) authenticate(r *http.Request, rc *reqCtx) (bool, *wpError) {
	var authErr *wpError
	authed := false
	if f.opts.TLS {
		key, secret := "", ""
		if k, _ := rc.get.get("consumer_key"); k != "" {
			if s, _ := rc.get.get("consumer_secret"); s != "" {
				key, secret = k, s
				rc.violate("credentials-in-query", "consumer_secret sent in the query string (it ends up in access logs); use the Authorization header")
			}
		}
		if key == "" {
			if u, p, ok := r.BasicAuth(); ok && u != "" && p != "" {
				key, secret = u, p
			}
		}
		if key != "" && secret != "" && key == f.opts.ConsumerKey {
			if subtle.ConstantTimeCompare([]byte(secret), []byte(f.opts.ConsumerSecret)) == 1 {
				authed = true
			} else {
				authErr = newErr(http.StatusUnauthorized, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
			}
		}
	} else {
		if strings.HasPrefix(r.Header.Get("Authorization"), "Basic ") {
			rc.violate("basic-over-http", "Basic authentication over plain HTTP: WooCommerce ignores it (only OAuth 1.0a authenticates without TLS) and the secret travels in clear")
		}
		if rc.get.has("consumer_secret") {
			rc.violate("credentials-in-query", "consumer_secret in the query string over plain HTTP: ignored by WooCommerce and readable on the wire")
		}
	}
	if !authed {
		res := f.verifyOAuth(oauthRequest{
			method: r.Method, home: f.url, path: rc.rawPath,
			get: rc.get, post: rc.post, authz: r.Header.Get("Authorization"),
		})
		if res.nonceReuse {
			rc.violate("nonce-reuse", "oauth_nonce already used within the last 15 minutes")
		}
		if res.err != nil {
			authErr = res.err
		} else if res.attempted {
			authed = true
		}
	}
	if authErr != nil {
		rc.violate("auth-refused", authErr.Message)
		return false, authErr
	}
	return authed, nil
}

// keyPermissions is check_user_permissions: the key's read/write scope.
func (f *Fake) keyPermissions(method string) *wpError {
	p := f.opts.Permissions
	switch method {
	case http.MethodGet, http.MethodHead:
		if p != PermRead && p != PermReadWrite {
			return newErr(http.StatusUnauthorized, "woocommerce_rest_authentication_error", "The API key provided does not have read permissions.")
		}
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		if p != PermWrite && p != PermReadWrite {
			return newErr(http.StatusUnauthorized, "woocommerce_rest_authentication_error", "The API key provided does not have write permissions.")
		}
	case http.MethodOptions:
	default:
		return newErr(http.StatusUnauthorized, "woocommerce_rest_authentication_error", "Unknown request method.")
	}
	return nil
}
