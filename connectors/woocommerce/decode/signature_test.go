package decode

import (
	"testing"
)

// Every signed delivery in the real samples verifies with the webhook secret "testsecret"; a
// tampered body, another secret or a garbled header do not.
func TestVerifySignatureRealDeliveries(t *testing.T) {
	n := 0
	for topic, d := range deliveries(t) {
		sig := d.Headers["X-WC-Webhook-Signature"]
		if topic == "ping" {
			if sig != "" {
				t.Error("the ping carries a signature")
			}
			continue
		}
		n++
		body := []byte(d.RawBody)
		if !VerifySignature("testsecret", body, sig) {
			t.Errorf("%s: real signature does not verify", topic)
		}
		if Sign("testsecret", body) != sig {
			t.Errorf("%s: Sign disagrees with WooCommerce", topic)
		}
		tampered := append([]byte(nil), body...)
		tampered[len(tampered)/2] ^= 1
		if VerifySignature("testsecret", tampered, sig) {
			t.Errorf("%s: tampered body verifies", topic)
		}
		if VerifySignature("testsecret", append(body, ' '), sig) {
			t.Errorf("%s: body with a trailing space verifies", topic)
		}
		if VerifySignature("othersecret", body, sig) || VerifySignature("", body, sig) {
			t.Errorf("%s: verifies under the wrong secret", topic)
		}
		if VerifySignature("testsecret", body, sig[:len(sig)-2]) || VerifySignature("testsecret", body, "") {
			t.Errorf("%s: a truncated or empty header verifies", topic)
		}
	}
	if n != 5 {
		t.Errorf("%d signed deliveries, want 5", n)
	}
}

func TestParsePing(t *testing.T) {
	d := deliveries(t)["ping"]
	id, ok := ParsePing([]byte(d.RawBody))
	if !ok || id != "1" {
		t.Fatalf("real ping: %q %v", id, ok)
	}
	for _, body := range []string{"", "webhook_id=", "webhook_id=0", "webhook_id=x", "webhook_id=1&x=2", `{"webhook_id":1}`, "id=1", "webhook_id=1&webhook_id=2"} {
		if _, ok := ParsePing([]byte(body)); ok {
			t.Errorf("%q taken for a ping", body)
		}
	}
}
