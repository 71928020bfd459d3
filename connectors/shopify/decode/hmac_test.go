package decode

import (
	"os"
	"testing"
)

// go-shopify v4.7.0, oauth_test.go TestVerifyWebhookRequest with app.ApiSecret "hush"
// (goshopify_test.go). Its request body is json.Marshal("my secret message"): the message in
// JSON quotes.
const (
	goShopifySecret = "hush"
	goShopifyBody   = `"my secret message"`
	goShopifyHMAC   = "hMTq0K2x7oyOjoBwGYeTj5oxfnaVYXzbanUG9aajpKI="
)

// Computed once with OpenSSL 3.0.19 (commands in testdata/SOURCE.md), not with Go.
const (
	ownSecret   = "cohortd-webhook-secret-2026"
	ownBody     = `{"id":706405506930370084,"admin_graphql_api_id":"gid://shopify/Customer/706405506930370084"}`
	ownHMAC     = "N4IfV86m213F5dgYZPyNKn8EDfsc9ZahvSeyj+DtC9c="
	ownFileHMAC = "gmNtH0UVIJXBLRdBiZOUy94QBsbVE2sd6ZQJGmN8kFY=" // over testdata/webhooks/orders_create.json
)

func secrets(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i := range s {
		out[i] = []byte(s[i])
	}
	return out
}

func TestVerifyHMAC(t *testing.T) {
	file, err := os.ReadFile("testdata/webhooks/orders_create.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		body    []byte
		header  string
		secrets [][]byte
		want    bool
	}{
		{"go-shopify vector", []byte(goShopifyBody), goShopifyHMAC, secrets(goShopifySecret), true},
		{"go-shopify vector, unquoted body", []byte("my secret message"), goShopifyHMAC, secrets(goShopifySecret), false},
		{"go-shopify vector, other message", []byte(`"my invalid message"`), goShopifyHMAC, secrets(goShopifySecret), false},
		{"own vector", []byte(ownBody), ownHMAC, secrets(ownSecret), true},
		{"own vector over a whole payload file", file, ownFileHMAC, secrets(ownSecret), true},
		{"tampered body", []byte(ownBody[:len(ownBody)-2] + `5"}`), ownHMAC, secrets(ownSecret), false},
		{"trailing newline added", []byte(ownBody + "\n"), ownHMAC, secrets(ownSecret), false},
		{"wrong secret", []byte(ownBody), ownHMAC, secrets(goShopifySecret), false},
		{"rotation: second secret matches", []byte(ownBody), ownHMAC, secrets("old-secret", ownSecret), true},
		{"rotation: first secret matches", []byte(goShopifyBody), goShopifyHMAC, secrets(goShopifySecret, ownSecret), true},
		{"empty header", []byte(ownBody), "", secrets(ownSecret), false},
		{"garbled header", []byte(ownBody), "not base64!!", secrets(ownSecret), false},
		{"short header", []byte(ownBody), "YmxhaGJsYWgK", secrets(ownSecret), false},
		{"header too long", []byte(ownBody), ownHMAC + ownHMAC, secrets(ownSecret), false},
		{"hex instead of base64", []byte(ownBody), "37821f57cea6db5dc5e5d81864fc8d2a7f040dfb1cf596a1bd27b28fe0ed0bd7", secrets(ownSecret), false},
		{"no secrets", []byte(ownBody), ownHMAC, nil, false},
		{"empty secret is skipped", []byte(ownBody), ownHMAC, secrets(""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifyHMAC(tt.body, tt.header, tt.secrets); got != tt.want {
				t.Errorf("VerifyHMAC = %v, want %v", got, tt.want)
			}
		})
	}
}

// An empty key is a key anyone can use: a digest made with it must never verify, even when
// the configured secret list contains an empty entry by mistake.
func TestVerifyHMACEmptySecretDigest(t *testing.T) {
	// printf '%s' '"my secret message"' | openssl dgst -sha256 -hmac '' -binary | base64
	const emptyKeyHMAC = "rdnbhQ+0rjsNE5CkW17wO76vCAMAl4KkqRnsei1rHeg="
	if VerifyHMAC([]byte(goShopifyBody), emptyKeyHMAC, secrets("", goShopifySecret)) {
		t.Fatal("a digest made with an empty key verified")
	}
}
