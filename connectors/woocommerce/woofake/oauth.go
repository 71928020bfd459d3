package woofake

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file re-implements WC_REST_Authentication's OAuth 1.0a one-legged verification from
// its PHP source (woocommerce/includes/class-wc-rest-authentication.php), step by step:
//
//	params   = array_merge($_GET, $_POST) + oauth_* from an "Authorization: OAuth" header
//	base URI = rawurlencode(home_url + request path)            (scheme of the site)
//	sig      = rawurldecode(str_replace(' ', '+', oauth_signature)); unset oauth_signature
//	uksort(params, 'strcmp'); keys and values rawurlencode()d
//	string   = METHOD & base URI & implode('%26', rawurlencode(key=value) ...)
//	key      = consumer_secret . '&'    (no token secret: one-legged)
//	valid    = hash_equals(base64(hmac(sha1|sha256, string, key)), sig)
//	then     |timestamp - now| <= 15 min, nonce not among the stored ones
//
// It differs from RFC 5849 where WooCommerce does: repeated parameter names collapse to the
// last value (PHP arrays), keys are sorted before encoding and values are not sorted.

// oauthWindow is the accepted clock skew of oauth_timestamp.
const oauthWindow = 15 * 60

var requiredOAuth = []string{"oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature", "oauth_signature_method"}

// oauthRequest is what the verifier sees of an HTTP request.
type oauthRequest struct {
	method string
	home   string // site URL, scheme://host[:port], no trailing slash
	path   string // raw request path (REQUEST_URI without the query)
	get    phpParams
	post   phpParams
	authz  string // Authorization header
}

// nonceStore is the per-key "nonces" column of woocommerce_api_keys: a map from timestamp
// to the last nonce used with it, pruned to the window. Because it is keyed by timestamp, a
// nonce whose entry was overwritten by a later request with the same timestamp can be
// replayed: WooCommerce accepts that, the fake does too (and reports it as a violation).
type nonceStore struct {
	mu   sync.Mutex
	used map[int64]string
	seen map[string]int64 // every nonce within the window, to report reuse
}

func newNonceStore() *nonceStore {
	return &nonceStore{used: map[int64]string{}, seen: map[string]int64{}}
}

// oauthHeaderRE is the pattern parse_header uses.
var oauthHeaderRE = regexp.MustCompile(`(oauth_[a-z_-]*)=(:?"([^"]*)"|([^,]*))`)

// oauthParameters is get_oauth_parameters: nil, nil when no OAuth is attempted at all.
func oauthParameters(r oauthRequest) (phpParams, *wpError) {
	params := r.get.merge(r.post)
	if h := strings.TrimSpace(r.authz); strings.HasPrefix(h, "OAuth ") {
		var hp phpParams
		for _, m := range oauthHeaderRE.FindAllStringSubmatch(h, -1) {
			v := m[3]
			if v == "" {
				v = m[4]
			}
			hp = hp.put(phpParam{key: m[1], val: phpURLDecode(v)})
		}
		params = params.merge(hp)
	}
	var missing []string
	haveOne := false
	for _, name := range requiredOAuth {
		v, ok := params.get(name)
		if !ok || phpEmpty(v) {
			missing = append(missing, name)
		} else {
			haveOne = true
		}
	}
	if !haveOne {
		return nil, nil
	}
	if len(missing) > 0 {
		word := "parameter"
		if len(missing) > 1 {
			word = "parameters"
		}
		return nil, newErr(http.StatusUnauthorized, "woocommerce_rest_authentication_missing_parameter", "Missing OAuth "+word+" "+strings.Join(missing, ", "))
	}
	return params, nil
}

// phpEmpty is PHP's empty() for a request string.
func phpEmpty(s string) bool { return s == "" || s == "0" }

// signatureBaseString builds check_oauth_signature's string to sign from the parameters
// (oauth_signature already removed).
func signatureBaseString(method, baseURL string, params phpParams) string {
	ps := append(phpParams(nil), params...)
	sort.Slice(ps, func(i, j int) bool { return ps[i].key < ps[j].key }) // strcmp on bytes
	var pairs []string
	for _, p := range ps {
		k := phpRawURLEncode(p.key)
		if !p.isArr {
			pairs = append(pairs, phpRawURLEncode(k+"="+phpRawURLEncode(p.val)))
			continue
		}
		for _, sub := range p.arr {
			pairs = append(pairs, phpRawURLEncode(k+"%5B"+sub.key+"%5D="+phpRawURLEncode(sub.val)))
		}
	}
	return strings.ToUpper(method) + "&" + phpRawURLEncode(baseURL) + "&" + strings.Join(pairs, "%26")
}

// oauthSign computes the signature WooCommerce expects for a base string.
func oauthSign(signatureMethod, consumerSecret, base string) (string, bool) {
	var h func() hash.Hash
	switch signatureMethod {
	case "HMAC-SHA1":
		h = sha1.New
	case "HMAC-SHA256":
		h = sha256.New
	default:
		return "", false
	}
	m := hmac.New(h, []byte(consumerSecret+"&"))
	m.Write([]byte(base))
	return base64.StdEncoding.EncodeToString(m.Sum(nil)), true
}

// oauthResult is the outcome of one verification, with what Violations wants to know.
type oauthResult struct {
	err        *wpError
	attempted  bool
	nonceReuse bool // the nonce was seen within the window (accepted or not)
}

// verifyOAuth runs perform_oauth_authentication for the single configured key.
func (f *Fake) verifyOAuth(r oauthRequest) oauthResult {
	params, perr := oauthParameters(r)
	if perr != nil {
		return oauthResult{err: perr, attempted: true}
	}
	if params == nil {
		return oauthResult{}
	}
	res := oauthResult{attempted: true}
	ck, _ := params.get("oauth_consumer_key")
	if !hmac.Equal([]byte(ck), []byte(f.opts.ConsumerKey)) {
		res.err = newErr(http.StatusUnauthorized, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
		return res
	}
	sigParam, _ := params.get("oauth_signature")
	given := phpRawURLDecode(strings.ReplaceAll(sigParam, " ", "+"))
	rest := params.without("oauth_signature")
	method, _ := rest.get("oauth_signature_method")
	base := signatureBaseString(r.method, r.home+"/"+strings.TrimLeft(r.path, "/"), rest)
	want, ok := oauthSign(method, f.opts.ConsumerSecret, base)
	if !ok {
		res.err = newErr(http.StatusUnauthorized, "woocommerce_rest_authentication_error", "Invalid signature - signature method is invalid.")
		return res
	}
	if !hmac.Equal([]byte(want), []byte(given)) {
		res.err = newErr(http.StatusUnauthorized, "woocommerce_rest_authentication_error", "Invalid signature - provided signature does not match.")
		return res
	}
	tsRaw, _ := params.get("oauth_timestamp")
	nonce, _ := params.get("oauth_nonce")
	res.err, res.nonceReuse = f.nonces.check(tsRaw, nonce, f.opts.Now())
	return res
}

// check is check_oauth_timestamp_and_nonce.
func (s *nonceStore) check(tsRaw, nonce string, now time.Time) (*wpError, bool) {
	ts, err := strconv.ParseInt(strings.TrimSpace(tsRaw), 10, 64)
	t := now.Unix()
	if err != nil || ts < t-oauthWindow || ts > t+oauthWindow {
		return newErr(http.StatusUnauthorized, "woocommerce_rest_authentication_error", "Invalid timestamp."), false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, at := range s.seen {
		if at < t-oauthWindow {
			delete(s.seen, k)
		}
	}
	_, reuse := s.seen[nonce]
	s.seen[nonce] = t
	for _, n := range s.used {
		if n == nonce {
			return newErr(http.StatusUnauthorized, "woocommerce_rest_authentication_error", "Invalid nonce - nonce has already been used."), true
		}
	}
	s.used[ts] = nonce
	for k := range s.used {
		if k < t-oauthWindow {
			delete(s.used, k)
		}
	}
	return nil, reuse
}
