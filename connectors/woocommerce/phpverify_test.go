package woocommerce

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// phpVerifier checks OAuth 1.0a requests the way WooCommerce's PHP does, transcribed step by
// step from WC_REST_Authentication (perform_oauth_authentication, check_oauth_signature,
// normalize_parameters, join_with_equals_sign, check_oauth_timestamp_and_nonce) and written
// apart from the client's signer: it reads the query the way PHP fills $_GET, encodes with
// url.QueryEscape the way wc_rest_urlencode_rfc3986 post-processes rawurlencode, and sorts
// with uksort(strcmp).
type phpVerifier struct {
	home   string // get_home_url(): scheme://host[:port], no trailing slash
	key    string
	secret string
	now    func() time.Time

	mu     sync.Mutex
	nonces map[string]int64 // nonce -> timestamp
}

// wcError is a WordPress REST error: code, message, status.
type wcError struct {
	code, message string
	status        int
}

// phpRawurlencode: rawurlencode, then str_replace('+',' ') and '%7E' -> '~' as
// wc_rest_urlencode_rfc3986 does (both no-ops on rawurlencode output).
func phpRawurlencode(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

func (v *phpVerifier) verify(r *http.Request) *wcError {
	// $params = array_merge($_GET, $_POST): a JSON body leaves $_POST empty. PHP keeps the
	// last value of a repeated key.
	get, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return &wcError{"rest_invalid_param", "bad query", 400}
	}
	params := map[string]string{}
	for k, vs := range get {
		params[k] = vs[len(vs)-1]
	}
	var missing []string
	have := false
	for _, name := range []string{"oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature", "oauth_signature_method"} {
		if params[name] == "" {
			missing = append(missing, name)
		} else {
			have = true
		}
	}
	if !have {
		return &wcError{"woocommerce_rest_cannot_view", "Sorry, you cannot list resources.", 401}
	}
	if len(missing) > 0 {
		return &wcError{"woocommerce_rest_authentication_missing_parameter", "Missing OAuth parameter " + strings.Join(missing, ", "), 401}
	}
	if params["oauth_consumer_key"] != v.key {
		return &wcError{"woocommerce_rest_authentication_error", "Consumer key is invalid.", 401}
	}
	// check_oauth_signature
	requestPath, _, _ := strings.Cut(r.RequestURI, "?")
	baseRequestURI := phpRawurlencode(v.home + requestPath)
	consumerSignature, _ := url.PathUnescape(strings.ReplaceAll(params["oauth_signature"], " ", "+"))
	delete(params, "oauth_signature")
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys) // uksort($params, 'strcmp')
	pairs := make([]string, 0, len(keys))
	for _, k := range keys {
		pairs = append(pairs, phpRawurlencode(phpRawurlencode(k)+"="+phpRawurlencode(params[k])))
	}
	stringToSign := strings.ToUpper(r.Method) + "&" + baseRequestURI + "&" + strings.Join(pairs, "%26")
	var h func() hash.Hash
	switch params["oauth_signature_method"] {
	case "HMAC-SHA1":
		h = sha1.New
	case "HMAC-SHA256":
		h = sha256.New
	default:
		return &wcError{"woocommerce_rest_authentication_error", "Invalid signature - signature method is invalid.", 401}
	}
	mac := hmac.New(h, []byte(v.secret+"&"))
	mac.Write([]byte(stringToSign))
	signature := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(signature), []byte(consumerSignature)) {
		return &wcError{"woocommerce_rest_authentication_error", "Invalid signature - provided signature does not match.", 401}
	}
	// check_oauth_timestamp_and_nonce
	ts, _ := strconv.ParseInt(params["oauth_timestamp"], 10, 64)
	now := v.now().Unix()
	const window = 15 * 60
	if ts < now-window || ts > now+window {
		return &wcError{"woocommerce_rest_authentication_error", "Invalid timestamp.", 401}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.nonces == nil {
		v.nonces = map[string]int64{}
	}
	if _, used := v.nonces[params["oauth_nonce"]]; used {
		return &wcError{"woocommerce_rest_authentication_error", "Invalid nonce - nonce has already been used.", 401}
	}
	v.nonces[params["oauth_nonce"]] = ts
	return nil
}
