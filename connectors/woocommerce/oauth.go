package woocommerce

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// OAuth 1.0a one-legged signing, as WooCommerce's WC_REST_Authentication::check_oauth_signature
// verifies it (WooCommerce 3.x to 10.x):
//
//   - the parameters are the request's query parameters (PHP's $_GET, i.e. percent-decoded,
//     "+" read as a space) and the oauth_* ones, without oauth_signature; a JSON body is not
//     part of them ($_POST stays empty for application/json);
//   - they are sorted by key with strcmp (byte order of the decoded key, before encoding:
//     RFC 5849 sorts the encoded keys, which differs for keys with reserved characters);
//   - each key and value is encoded with rawurlencode (RFC 3986: everything but
//     A-Z a-z 0-9 - . _ ~ as %XX), joined as key=value, that pair encoded once more, and the
//     pairs joined with "%26";
//   - the base string is METHOD & rawurlencode(scheme://host[:port]/path) & the pairs, the
//     URL being the site's home URL with the request path (no query);
//   - the key is consumer_secret + "&" (no token secret, and the secret is not encoded);
//     HMAC-SHA256 (or SHA1), base64.
//
// The timestamp must be within 15 minutes of the server's clock and a nonce is refused when
// used before by the same key within that window, so every attempt of a request is signed
// anew.

// oauthParam is one parameter of the signature base string.
type oauthParam struct{ key, value string }

// rawurlencode is PHP's rawurlencode: RFC 3986 percent-encoding of everything but the
// unreserved characters.
func rawurlencode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// baseURI is the URL part of the base string: scheme and host lower-cased, default ports
// dropped, the path as sent, no query or fragment.
func baseURI(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") { // an IPv6 literal
		host = "[" + host + "]"
	}
	if port := u.Port(); port != "" && !(scheme == "http" && port == "80") && !(scheme == "https" && port == "443") {
		host += ":" + port
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path
}

// signatureBase builds the signature base string. With rfcOrder false the parameters are
// sorted the way WooCommerce sorts them (decoded keys in byte order, then values); with
// rfcOrder true as RFC 5849 section 3.4.1.3.2 does (encoded keys, then encoded values).
func signatureBase(method, uri string, params []oauthParam, rfcOrder bool) string {
	enc := make([]oauthParam, len(params))
	for i, p := range params {
		enc[i] = oauthParam{rawurlencode(p.key), rawurlencode(p.value)}
	}
	idx := make([]int, len(params))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		pa, pb := params[idx[a]], params[idx[b]]
		if rfcOrder {
			pa, pb = enc[idx[a]], enc[idx[b]]
		}
		if pa.key != pb.key {
			return pa.key < pb.key
		}
		return pa.value < pb.value
	})
	pairs := make([]string, len(idx))
	for i, j := range idx {
		pairs[i] = rawurlencode(enc[j].key + "=" + enc[j].value)
	}
	return strings.ToUpper(method) + "&" + rawurlencode(uri) + "&" + strings.Join(pairs, "%26")
}

// signatureMethod is the oauth_signature_method the client sends.
const signatureMethod = "HMAC-SHA256"

// hmacSign signs a base string with key under "HMAC-SHA256" or "HMAC-SHA1".
func hmacSign(method, key, base string) string {
	var h func() hash.Hash = sha256.New
	if method == "HMAC-SHA1" {
		h = sha1.New
	}
	mac := hmac.New(h, []byte(key))
	mac.Write([]byte(base))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// signQuery returns q with the oauth_* parameters of a signed request added (any oauth_*
// already in q is dropped first: a Link header repeats the previous request's). u is the
// request URL (its query is ignored).
func signQuery(method string, u *url.URL, q url.Values, consumerKey, consumerSecret, nonce string, timestamp int64) url.Values {
	out := make(url.Values, len(q)+5)
	var params []oauthParam
	for k, vs := range q {
		if strings.HasPrefix(k, "oauth_") {
			continue
		}
		out[k] = append([]string(nil), vs...)
		for _, v := range vs {
			params = append(params, oauthParam{k, v})
		}
	}
	ts := strconv.FormatInt(timestamp, 10)
	oauth := []oauthParam{
		{"oauth_consumer_key", consumerKey},
		{"oauth_nonce", nonce},
		{"oauth_signature_method", signatureMethod},
		{"oauth_timestamp", ts},
	}
	params = append(params, oauth...)
	base := signatureBase(method, baseURI(u), params, false)
	for _, p := range oauth {
		out.Set(p.key, p.value)
	}
	out.Set("oauth_signature", hmacSign(signatureMethod, consumerSecret+"&", base))
	return out
}

// newNonce returns 32 random alphanumeric characters (WooCommerce documents the nonce as "a
// unique 32 alphanumeric string").
func newNonce() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b [32]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// encodeQuery writes a query string the way PHP decodes it back to the same values: keys
// sorted, RFC 3986 encoding (a space as %20 and "+" as %2B, so neither is mistaken for the
// other).
func encodeQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(rawurlencode(k))
			b.WriteByte('=')
			b.WriteString(rawurlencode(v))
		}
	}
	return b.String()
}
