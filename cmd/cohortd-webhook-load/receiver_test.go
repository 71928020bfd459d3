package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/server"
	"github.com/cohortd/cohortd/sync/webhook"
)

// shopifySource verifies like the Shopify connector does (the lead wires
// connectors/shopify's verifier into the daemon).
type shopifySource struct{ secret []byte }

func (s shopifySource) Verify(h http.Header, body []byte) bool {
	got, err := base64.StdEncoding.DecodeString(h.Get("X-Shopify-Hmac-Sha256"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, s.secret)
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), got)
}

func (shopifySource) EventID(h http.Header) string {
	if id := h.Get("X-Shopify-Event-Id"); id != "" {
		return id
	}
	return h.Get("X-Shopify-Webhook-Id")
}
func (shopifySource) Topic(h http.Header) string { return h.Get("X-Shopify-Topic") }
func (shopifySource) TriggeredAt(h http.Header) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, h.Get("X-Shopify-Triggered-At"))
	return t
}
func (shopifySource) KeptHeaders() []string {
	return []string{"X-Shopify-Shop-Domain", "X-Shopify-API-Version", "X-Shopify-Webhook-Id", "X-Shopify-Triggered-At"}
}

// target is a cohortd webhook receiver over a real, fsync'd store, served by
// the real HTTP server on loopback.
type target struct {
	url   string // .../webhooks/shopify/bench
	st    *store.Store
	inbox *webhook.Inbox
	srv   *server.Server
	done  chan error // Serve's result
	stop  context.CancelFunc
	cons  chan error // consumer's result
}

// startTarget starts the receiver on listen; with consume, a consumer marks
// entries done as the daemon's would (its Done calls share the group
// commits with the webhooks).
func startTarget(path, listen string, secret []byte, consume bool) (*target, error) {
	st, err := store.Open(path, store.Options{})
	if err != nil {
		return nil, err
	}
	in, err := webhook.OpenInbox(st, webhook.InboxOptions{})
	if err != nil {
		st.Close()
		return nil, err
	}
	rc, err := webhook.NewReceiver(in, webhook.Options{})
	if err == nil {
		err = rc.Register("shopify", "bench", shopifySource{secret: secret})
	}
	if err != nil {
		in.Close()
		st.Close()
		return nil, err
	}
	srv := server.New(server.Options{Listen: listen, Logger: zerolog.Nop()})
	rc.Mount(srv)
	if err := srv.Listen(); err != nil {
		in.Close()
		st.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &target{url: "http://" + srv.Addr().String() + "/webhooks/shopify/bench", st: st, inbox: in, srv: srv,
		done: make(chan error, 1), stop: cancel, cons: make(chan error, 1)}
	go func() { t.done <- srv.Serve() }()
	if consume {
		go func() {
			t.cons <- in.Consume(ctx, 500, func(context.Context, []webhook.Envelope) error { return nil })
		}()
	} else {
		t.cons <- nil
	}
	return t, nil
}

func (t *target) close(tb testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := t.srv.Shutdown(ctx); err != nil {
		tb.Error(err)
	}
	if err := <-t.done; err != nil {
		tb.Error(err)
	}
	t.stop()
	<-t.cons
	if err := t.inbox.Close(); err != nil {
		tb.Error(err)
	}
	if err := t.st.Close(); err != nil {
		tb.Error(err)
	}
}
