package webhook

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/sync/server"
)

// Pattern is the route the receiver serves (Go 1.22 ServeMux syntax).
const Pattern = "POST /webhooks/{platform}/{store}"

// DefaultMaxBodyBytes is the default body limit: Shopify order payloads with
// many line items run to hundreds of KB. The HTTP server's own
// MaxBodyBytes applies too; the smaller limit wins.
const DefaultMaxBodyBytes = 5 << 20

// MaxEventIDLen bounds an event id (Shopify's are UUIDs).
const MaxEventIDLen = 256

// Options configures NewReceiver. The zero value is valid.
type Options struct {
	// MaxBodyBytes is the largest body accepted (413 above). Default 5 MiB.
	MaxBodyBytes int64
	// Registerer receives cohortd_webhooks_received_total and
	// cohortd_webhook_ack_seconds. Nil: not exported.
	Registerer prometheus.Registerer
	// Logger gets warnings (sampled) and errors; never bodies or secrets.
	Logger zerolog.Logger
	// Now is the clock for ReceivedAt; default time.Now. For tests.
	Now func() time.Time
}

// Mux is where Mount registers the route; *server.Server and
// *http.ServeMux satisfy it.
type Mux interface {
	Handle(pattern string, h http.Handler)
}

type sourceKey struct{ platform, store string }

// Receiver is the http.Handler for Pattern. It is safe for concurrent use,
// including Register and Unregister while serving (e.g. on a config reload
// that rotates secrets).
type Receiver struct {
	inbox   *Inbox
	opts    Options
	log     zerolog.Logger
	warn    zerolog.Logger // sampled: an attacker must not be able to flood the log
	metrics *receiverMetrics

	mu      sync.RWMutex
	sources map[sourceKey]Source

	bufs sync.Pool // *bytes.Buffer for request bodies
}

// NewReceiver returns a Receiver that commits verified deliveries to inbox.
func NewReceiver(inbox *Inbox, opts Options) (*Receiver, error) {
	if inbox == nil {
		return nil, errors.New("webhook: new receiver: nil inbox")
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m, err := newReceiverMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	return &Receiver{
		inbox:   inbox,
		opts:    opts,
		log:     opts.Logger,
		warn:    opts.Logger.Sample(&zerolog.BurstSampler{Burst: 10, Period: time.Minute}),
		metrics: m,
		sources: make(map[sourceKey]Source),
		bufs:    sync.Pool{New: func() any { return new(bytes.Buffer) }},
	}, nil
}

// Register makes POST /webhooks/{platform}/{store} accept deliveries
// verified by src, replacing any source registered for the pair.
func (rc *Receiver) Register(platform, store string, src Source) error {
	if platform == "" || store == "" || src == nil {
		return fmt.Errorf("webhook: register %q/%q: platform, store and source are required", platform, store)
	}
	rc.mu.Lock()
	rc.sources[sourceKey{platform, store}] = src
	rc.mu.Unlock()
	return nil
}

// Unregister stops accepting deliveries for the pair (404 afterwards).
func (rc *Receiver) Unregister(platform, store string) {
	rc.mu.Lock()
	delete(rc.sources, sourceKey{platform, store})
	rc.mu.Unlock()
}

// Mount registers the receiver on m under Pattern. ServeMux then answers
// 405 to other methods on the path.
func (rc *Receiver) Mount(m Mux) { m.Handle(Pattern, rc) }

func (rc *Receiver) source(platform, store string) Source {
	rc.mu.RLock()
	defer rc.mu.RUnlock()
	return rc.sources[sourceKey{platform, store}]
}

// ServeHTTP handles one delivery: look up the source, read the body within
// the limit, answer a ping, verify, then commit and only then answer 200.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	platform, storeID := r.PathValue("platform"), r.PathValue("store")
	src := rc.source(platform, storeID)
	if src == nil {
		http.NotFound(w, r)
		return
	}
	count := func(topic, result string) {
		rc.metrics.received.WithLabelValues(platform, topic, result).Inc()
	}

	if r.ContentLength > rc.opts.MaxBodyBytes {
		count(unverifiedTopic, ResultTooLarge)
		http.Error(w, "request body too large (limit "+strconv.FormatInt(rc.opts.MaxBodyBytes, 10)+" bytes)", http.StatusRequestEntityTooLarge)
		return
	}
	buf := rc.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 256<<10 { // don't pin the memory of rare huge bodies
			rc.bufs.Put(buf)
		}
	}()
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, rc.opts.MaxBodyBytes)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			count(unverifiedTopic, ResultTooLarge)
			http.Error(w, "request body too large (limit "+strconv.FormatInt(tooBig.Limit, 10)+" bytes)", http.StatusRequestEntityTooLarge)
			return
		}
		count(unverifiedTopic, ResultBadRequest)
		http.Error(w, "cannot read request body", http.StatusBadRequest)
		return
	}
	body := buf.Bytes()

	if p, ok := src.(Pinger); ok && p.Ping(r.Header, body) {
		count(unverifiedTopic, ResultPing)
		ok200(w)
		return
	}
	if !src.Verify(r.Header, body) {
		count(unverifiedTopic, ResultUnauthorized)
		rc.warn.Warn().Str("platform", platform).Str("store", storeID).
			Str("request_id", server.RequestID(r.Context())).
			Msg("webhook rejected: missing or invalid signature")
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	topic := src.Topic(r.Header)
	eventID := src.EventID(r.Header)
	if !validEventID(eventID) {
		count(topicLabel(topic), ResultBadRequest)
		rc.warn.Warn().Str("platform", platform).Str("store", storeID).
			Str("request_id", server.RequestID(r.Context())).
			Msg("webhook rejected: signed but without a usable event id")
		http.Error(w, "missing or invalid event id", http.StatusBadRequest)
		return
	}

	if v, ok := src.(Validator); ok {
		if err := v.Validate(r.Header, body); err != nil {
			count(topicLabel(topic), ResultBadRequest)
			rc.warn.Warn().Str("platform", platform).Str("store", storeID).
				Str("request_id", server.RequestID(r.Context())).Err(err).
				Msg("webhook rejected: signed but malformed")
			http.Error(w, "malformed delivery: "+err.Error(), http.StatusBadRequest)
			return
		}
	}

	env := Envelope{
		Platform:    platform,
		Store:       storeID,
		Topic:       topic,
		EventID:     eventID,
		TriggeredAt: src.TriggeredAt(r.Header),
		ReceivedAt:  rc.opts.Now(),
		Headers:     keptHeaders(src, r.Header),
		Body:        body, // Append encodes (copies) it before returning
		RequestID:   server.RequestID(r.Context()),
	}
	_, dup, err := rc.inbox.Append(r.Context(), env)
	if err != nil {
		count(topicLabel(topic), ResultError)
		rc.log.Error().Err(err).Str("platform", platform).Str("store", storeID).
			Str("request_id", env.RequestID).Msg("webhook not stored; the platform will retry")
		w.Header().Set("Retry-After", "5")
		http.Error(w, "cannot store the delivery, retry later", http.StatusServiceUnavailable)
		return
	}
	result := ResultAccepted
	if dup {
		result = ResultDuplicate
	}
	count(topicLabel(topic), result)
	rc.metrics.ack.Observe(time.Since(start).Seconds())
	ok200(w)
}

func ok200(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("ok\n"))
}

// validEventID accepts 1..MaxEventIDLen printable ASCII characters without
// spaces: ids become store keys and log fields.
func validEventID(id string) bool {
	if id == "" || len(id) > MaxEventIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

func keptHeaders(src Source, h http.Header) map[string]string {
	sel, ok := src.(HeaderSelector)
	if !ok {
		return nil
	}
	var out map[string]string
	for _, name := range sel.KeptHeaders() {
		if v := h.Get(name); v != "" {
			if out == nil {
				out = make(map[string]string)
			}
			out[http.CanonicalHeaderKey(name)] = v
		}
	}
	return out
}
