package decode

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// VerifyHMAC reports whether header (X-Shopify-Hmac-Sha256) is the base64 HMAC-SHA256 of the
// raw request body under one of secrets. Several secrets allow rotating the app's client
// secret: deliveries signed with the old one keep verifying until it is removed. The digest
// comparison is constant-time (hmac.Equal). A missing, garbled or wrong-length header, an
// empty secret list and empty secrets (which anyone could sign with) all verify nothing.
//
// The body must be the bytes as received: any re-encoding (parsed and re-marshalled JSON,
// trimmed whitespace) changes the digest.
func VerifyHMAC(body []byte, header string, secrets [][]byte) bool {
	if header == "" || len(header) > base64.StdEncoding.EncodedLen(sha256.Size) {
		return false
	}
	want, err := base64.StdEncoding.DecodeString(header)
	if err != nil || len(want) != sha256.Size {
		return false
	}
	for _, secret := range secrets {
		if len(secret) == 0 {
			continue
		}
		mac := hmac.New(sha256.New, secret)
		mac.Write(body)
		if hmac.Equal(mac.Sum(nil), want) {
			return true
		}
	}
	return false
}
