package decode

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
)

// VerifySignature reports whether header (X-WC-Webhook-Signature) is base64(HMAC-SHA256(raw
// body, secret)), as WooCommerce's WC_Webhook::generate_signature computes it. The comparison
// is constant-time (hmac.Equal). An empty secret (anyone could sign with it), a missing,
// garbled or wrong-length header verify nothing.
//
// body must be the bytes as received: any re-encoding changes the digest.
func VerifySignature(secret string, body []byte, header string) bool {
	if secret == "" || header == "" || len(header) > base64.StdEncoding.EncodedLen(sha256.Size) {
		return false
	}
	want, err := base64.StdEncoding.DecodeString(header)
	if err != nil || len(want) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), want)
}

// Sign returns the X-WC-Webhook-Signature WooCommerce sends for body under secret (for tests
// and fakes).
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// ParsePing recognises the body of the ping WooCommerce posts when a webhook is created
// (form-encoded "webhook_id=N", unsigned) and returns N. Anything else — another field, a
// non-numeric id, JSON — is not a ping.
func ParsePing(body []byte) (webhookID string, ok bool) {
	if len(body) == 0 || len(body) > 64 {
		return "", false
	}
	vals, err := url.ParseQuery(strings.TrimSpace(string(body)))
	if err != nil || len(vals) != 1 || len(vals["webhook_id"]) != 1 {
		return "", false
	}
	id := vals.Get("webhook_id")
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil || n == 0 {
		return "", false
	}
	return strconv.FormatUint(n, 10), true
}
