package woofake

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// delivery is one queued webhook delivery; its body is built when it is sent.
type delivery struct {
	hookID     uint64
	topic      string
	resourceID uint64
}

// Sign returns the X-WC-Webhook-Signature of body: base64(HMAC-SHA256(body, secret)).
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func (f *Fake) userAgent() string {
	return "WooCommerce/" + WooVersion + " Hookshot (WordPress/" + WPVersion + ")"
}

// deliveryID is WC_Webhook::get_new_delivery_id: wp_hash( webhook id . time() ), an
// HMAC-MD5 under the site's salt. Two deliveries of one webhook within the same second get
// the same id.
func (f *Fake) deliveryID(hookID uint64) string {
	if f.opts.Webhooks.UniqueDeliveryIDs {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	}
	m := hmac.New(md5.New, f.salt)
	m.Write([]byte(strconv.FormatUint(hookID, 10) + strconv.FormatInt(f.opts.Now().Unix(), 10)))
	return hex.EncodeToString(m.Sum(nil))
}

// payload is build_payload: {"id":N} for deleted resources, otherwise what GET
// /wc/v3/{resource}s/{id} answers now (an error body if the resource is gone).
func (f *Fake) payload(topic string, id uint64) []byte {
	res, ev, _ := strings.Cut(topic, ".")
	if ev == "deleted" {
		return []byte(`{"id":` + strconv.FormatUint(id, 10) + `}`)
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	switch res {
	case "customer":
		if c, _ := f.data.customer(id); c != nil {
			return phpJSON(c.raw)
		}
		return errCustomerNotFound.body()
	case "order":
		if o, _ := f.data.order(id); o != nil {
			return phpJSON(o.raw)
		}
		return errOrderNotFound.body()
	}
	return []byte("[]")
}

// deliver is WC_Webhook::deliver followed by log_delivery's failure accounting.
func (f *Fake) deliver(d delivery) {
	knobs := f.opts.Webhooks
	if err := f.sleepCtx(knobs.Delay); err != nil {
		return
	}
	copies := 1
	f.hooks.mu.Lock()
	if knobs.DuplicateProb > 0 && f.hooks.rng.Float64() < knobs.DuplicateProb {
		copies = 2
	}
	f.hooks.mu.Unlock()
	for i := range copies {
		if i > 0 {
			f.stats.dups.Add(1)
		}
		f.deliverOnce(d)
	}
}

func (f *Fake) deliverOnce(d delivery) {
	h := f.hooks
	h.mu.Lock()
	x := h.find(d.hookID)
	if x == nil {
		h.mu.Unlock()
		return
	}
	target, secret, topic := x.DeliveryURL, x.Secret, x.Topic
	drop := f.opts.Webhooks.DropProb > 0 && h.rng.Float64() < f.opts.Webhooks.DropProb
	h.mu.Unlock()

	body := f.payload(topic, d.resourceID)
	res, ev, _ := strings.Cut(topic, ".")
	headers := http.Header{}
	headers.Set("User-Agent", f.userAgent())
	headers.Set("Accept", "*/*")
	headers.Set("Accept-Encoding", "deflate, gzip, br, zstd")
	headers.Set("Content-Type", "application/json")
	headers.Set("X-WC-Webhook-Source", f.url+"/")
	headers.Set("X-WC-Webhook-Topic", topic)
	headers.Set("X-WC-Webhook-Resource", res)
	headers.Set("X-WC-Webhook-Event", ev)
	headers.Set("X-WC-Webhook-Signature", Sign(secret, body))
	headers.Set("X-WC-Webhook-ID", strconv.FormatUint(d.hookID, 10))
	headers.Set("X-WC-Webhook-Delivery-ID", f.deliveryID(d.hookID))

	var status int
	var err error
	switch {
	case f.opts.Webhooks.Disabled:
		status = http.StatusOK
	case drop:
		err = fmt.Errorf("delivery dropped (DropProb)")
	default:
		status, err = f.post(target, headers, body)
	}
	ok := err == nil && status >= 200 && status < 303
	if ok {
		f.stats.delivOK.Add(1)
	} else {
		f.stats.delivFailed.Add(1)
		f.log.Debug().Uint64("webhook", d.hookID).Str("topic", topic).Int("status", status).AnErr("error", err).Msg("webhook delivery failed")
	}
	f.logDelivery(d.hookID, ok)
}

// logDelivery keeps WooCommerce's failure count: success (2xx, 300-302) resets it; a
// failure increments it, and a failure when it is already above 5 disables the webhook.
func (f *Fake) logDelivery(hookID uint64, ok bool) {
	h := f.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	x := h.find(hookID)
	if x == nil {
		return
	}
	x.Modified = f.opts.Now()
	if ok {
		x.FailureCount = 0
		return
	}
	if x.FailureCount > maxFailures {
		if x.Status != StatusDisabled {
			f.stats.disabled.Add(1)
			f.log.Warn().Uint64("webhook", hookID).Msg("webhook disabled after consecutive delivery failures")
		}
		x.Status = StatusDisabled
		return
	}
	x.FailureCount++
}

func (f *Fake) post(target string, headers http.Header, body []byte) (int, error) {
	ctx, cancel := f.requestCtx()
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header = headers
	req.Close = true // WordPress sends Connection: close
	resp, err := f.hooks.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// deliverPing is WC_Webhook::deliver_ping: a form POST "webhook_id=N" without any X-WC
// header. Only an answer of exactly 200 counts (a 204 fails).
func (f *Fake) deliverPing(id uint64, target string) error {
	f.stats.pings.Add(1)
	if f.opts.Webhooks.Disabled {
		return nil
	}
	headers := http.Header{}
	headers.Set("User-Agent", f.userAgent())
	headers.Set("Accept", "*/*")
	headers.Set("Accept-Encoding", "deflate, gzip, br, zstd")
	headers.Set("Content-Type", "application/x-www-form-urlencoded")
	status, err := f.post(target, headers, []byte("webhook_id="+strconv.FormatUint(id, 10)))
	if err != nil {
		f.stats.pingsFailed.Add(1)
		return fmt.Errorf("ping: delivery URL cannot be reached: %w", err)
	}
	if status != http.StatusOK {
		f.stats.pingsFailed.Add(1)
		return fmt.Errorf("ping: delivery URL returned response code: %d", status)
	}
	return nil
}

func joinArray(parts [][]byte) []byte {
	n := 2
	for _, p := range parts {
		n += len(p) + 1
	}
	out := make([]byte, 0, n)
	out = append(out, '[')
	for i, p := range parts {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, p...)
	}
	return append(out, ']')
}
