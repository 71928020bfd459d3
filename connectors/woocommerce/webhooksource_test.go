package woocommerce

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cohortd/cohortd/connectors/woocommerce/decode"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/webhook"
)

// The source satisfies every interface the receiver looks for.
var (
	_ webhook.Source         = WebhookSource{}
	_ webhook.Pinger         = WebhookSource{}
	_ webhook.HeaderSelector = WebhookSource{}
	_ webhook.Validator      = WebhookSource{}
)

type realDelivery struct {
	Headers map[string]string `json:"headers"`
	RawBody string            `json:"raw_body"`
}

func realDeliveries(t *testing.T) map[string]realDelivery {
	t.Helper()
	b, err := os.ReadFile("testdata/webhook-deliveries.json")
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]realDelivery
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d realDelivery) header() http.Header {
	h := http.Header{}
	for k, v := range d.Headers {
		h.Set(k, v)
	}
	return h
}

func TestWebhookSourceRealDeliveries(t *testing.T) {
	src := WebhookSource{Secrets: []string{"rotated-out", "testsecret"}}
	for topic, d := range realDeliveries(t) {
		h, body := d.header(), []byte(d.RawBody)
		if topic == "ping" {
			if !src.Ping(h, body) || src.Verify(h, body) {
				t.Error("the real ping is not recognised (or verifies)")
			}
			continue
		}
		if src.Ping(h, body) {
			t.Errorf("%s taken for a ping", topic)
		}
		if !src.Verify(h, body) {
			t.Errorf("%s does not verify", topic)
		}
		if (WebhookSource{Secrets: []string{"other"}}).Verify(h, body) || (WebhookSource{}).Verify(h, body) {
			t.Errorf("%s verifies without its secret", topic)
		}
		if src.Verify(h, append([]byte(nil), bytes.Replace(body, []byte(`"id":`), []byte(`"id": `), 1)...)) {
			t.Errorf("%s: tampered body verifies", topic)
		}
		if src.Topic(h) != topic || !strings.HasPrefix(src.EventID(h), d.Headers["X-WC-Webhook-Delivery-ID"]+"-") || len(src.EventID(h)) != len(d.Headers["X-WC-Webhook-Delivery-ID"])+17 {
			t.Errorf("%s: topic %q event %q", topic, src.Topic(h), src.EventID(h))
		}
		if !src.TriggeredAt(h).IsZero() {
			t.Errorf("%s: triggered at %v", topic, src.TriggeredAt(h))
		}
		if err := src.Validate(h, body); err != nil {
			t.Errorf("%s: %v", topic, err)
		}
	}
	if slices.Contains(WebhookSource{}.KeptHeaders(), "X-WC-Webhook-Signature") {
		t.Error("the signature is kept")
	}
	h := http.Header{"X-Wc-Webhook-Topic": {"product.updated"}}
	if err := (WebhookSource{}).Validate(h, []byte(`{"id":1}`)); err == nil {
		t.Error("unknown topic validated")
	}
	h.Set("X-WC-Webhook-Topic", "order.updated")
	if err := (WebhookSource{}).Validate(h, []byte(`[1]`)); err == nil {
		t.Error("an array body validated")
	}
	// A "ping" carrying WooCommerce's delivery headers is not a ping.
	ping := realDeliveries(t)["ping"]
	ph := ping.header()
	ph.Set("X-WC-Webhook-Delivery-ID", "abc")
	if (WebhookSource{}).Ping(ph, []byte(ping.RawBody)) {
		t.Error("a ping with delivery headers skipped verification")
	}
	ph = ping.header()
	ph.Set("Content-Type", "application/json")
	if (WebhookSource{}).Ping(ph, []byte(ping.RawBody)) {
		t.Error("a JSON-typed ping was accepted")
	}
}

// Through the daemon's real receiver: the ping is answered 200 and stores nothing, every
// real delivery is committed once (a replay is a duplicate), a tampered one gets 401, and the
// stored envelopes decode to their records.
func TestWebhookSourceWithReceiver(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "cohortd.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	inbox, err := webhook.OpenInbox(st, webhook.InboxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer inbox.Close()
	rc, err := webhook.NewReceiver(inbox, webhook.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Register("woocommerce", "woo", WebhookSource{Secrets: []string{"testsecret"}}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	rc.Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	post := func(d realDelivery, body string) int {
		req, _ := http.NewRequest("POST", srv.URL+"/webhooks/woocommerce/woo", bytes.NewBufferString(body))
		for k, v := range d.Headers {
			if k != "Host" && k != "Content-Length" && k != "Connection" {
				req.Header.Set(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ds := realDeliveries(t)
	if code := post(ds["ping"], ds["ping"].RawBody); code != 200 {
		t.Errorf("ping answered %d", code)
	}
	signed := 0
	for topic, d := range ds {
		if topic == "ping" {
			continue
		}
		signed++
		if code := post(d, d.RawBody); code != 200 {
			t.Errorf("%s answered %d", topic, code)
		}
		if code := post(d, d.RawBody); code != 200 {
			t.Errorf("%s replay answered %d", topic, code)
		}
		if code := post(d, d.RawBody+" "); code != 401 {
			t.Errorf("%s tampered answered %d", topic, code)
		}
	}
	if inbox.Depth() != signed {
		t.Fatalf("inbox depth %d, want %d (no ping, no duplicates)", inbox.Depth(), signed)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	envs, err := inbox.Next(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	customers := map[string]int{}
	for _, env := range envs {
		if env.Headers["X-Wc-Webhook-Resource"] == "" || env.Headers["X-Wc-Webhook-Signature"] != "" {
			t.Errorf("kept headers %v", env.Headers)
		}
		ev, err := decode.Webhook(env.Store, env.Topic, env.ReceivedAt, env.Body)
		if err != nil {
			t.Fatalf("%s: %v", env.Topic, err)
		}
		if ce, ok := ev.(decode.CustomerEvent); ok {
			customers[ce.Customer.ID]++
		}
	}
	if len(envs) != signed || customers["2"] != 2 || customers["6"] != 1 {
		t.Errorf("%d envelopes, customers %v", len(envs), customers)
	}
}

// WooCommerce's delivery id is wp_hash(webhook id . time()): two events of one webhook in
// the same second share it. They must not be deduplicated as one; a replay must.
func TestEventIDSeparatesEventsSharingADeliveryID(t *testing.T) {
	src := WebhookSource{}
	h := func(sig string) http.Header {
		return http.Header{"X-Wc-Webhook-Delivery-Id": {"d41d8cd98f00b204e9800998ecf8427e"}, "X-Wc-Webhook-Signature": {sig}}
	}
	a, b, replay := src.EventID(h("c2lnLWE=")), src.EventID(h("c2lnLWI=")), src.EventID(h("c2lnLWE="))
	if a == b || a != replay || a == "" {
		t.Fatalf("event ids: %q %q replay %q", a, b, replay)
	}
	if src.EventID(http.Header{"X-Wc-Webhook-Signature": {"c2lnLWE="}}) != "" {
		t.Fatal("a delivery without an id got an event id")
	}
}
