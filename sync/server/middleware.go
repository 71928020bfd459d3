package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// RequestIDHeader carries the request id in both directions.
const RequestIDHeader = "X-Request-Id"

type requestIDKey struct{}

// RequestID returns the request id stored in ctx by the server's middleware,
// or "" if there is none.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// validRequestID reports whether an incoming id may be reused: 1 to 64
// characters of [A-Za-z0-9_-] (nothing that could forge log lines).
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// ReadBody reads the whole request body. If it exceeds the server's
// MaxBodyBytes it writes 413 Request Entity Too Large, if reading fails
// otherwise 400 Bad Request, and returns false; the handler must then return
// without writing anything else.
func ReadBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(r.Body)
	if err == nil {
		return b, true
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		http.Error(w, "request body too large (limit "+strconv.FormatInt(tooBig.Limit, 10)+" bytes)", http.StatusRequestEntityTooLarge)
	} else {
		http.Error(w, "cannot read request body", http.StatusBadRequest)
	}
	return nil, false
}

// middleware wraps every request: request id and body limit (outermost, as
// MaxBytesReader needs the server's own ResponseWriter), then observe.
func (s *Server) middleware(next http.Handler) http.Handler {
	observed := s.observe(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes) // r is our copy
		observed.ServeHTTP(w, r)
	})
}

// observe records metrics and the access log, and recovers panics. It passes
// its *http.Request unchanged to the mux, which sets r.Pattern on it: that is
// the route label (bounded cardinality), "unmatched" for 404/405s.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			p := recover()
			abort := p == http.ErrAbortHandler
			if p != nil && !abort {
				s.log.Error().
					Str("request_id", RequestID(r.Context())).
					Str("method", r.Method).
					Str("path", r.URL.Path).
					Interface("panic", p).
					Str("stack", string(debug.Stack())).
					Msg("http handler panic")
				if sw.wroteHeader {
					// The response is already under way: let net/http cut
					// the connection so the client sees a broken response
					// rather than a truncated "success".
					abort = true
				} else {
					http.Error(sw, "internal server error", http.StatusInternalServerError)
				}
			}
			s.record(r, sw, time.Since(start))
			if abort {
				panic(http.ErrAbortHandler)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

func (s *Server) record(r *http.Request, sw *statusWriter, dur time.Duration) {
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	s.metrics.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	s.metrics.duration.WithLabelValues(route).Observe(dur.Seconds())
	// Never log the query string, body or remote address: they can hold
	// customer data (emails in webhook payloads, IPs, tokens in queries).
	s.log.Debug().
		Str("method", r.Method).
		Str("path", r.URL.Path).
		Str("route", route).
		Int("status", status).
		Int64("bytes", sw.bytes).
		Dur("duration", dur).
		Str("request_id", RequestID(r.Context())).
		Msg("http request")
}

// statusWriter records the status code and body size.
type statusWriter struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader && code >= 200 { // 1xx responses are informational
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = http.StatusOK, true
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Flush supports streaming handlers; Unwrap lets http.ResponseController
// reach the underlying writer (deadlines, hijacking).
func (w *statusWriter) Flush() {
	if !w.wroteHeader {
		w.status, w.wroteHeader = http.StatusOK, true
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer, log zerolog.Logger) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "cohortd", Name: "http_requests_total",
			Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "cohortd", Name: "http_request_duration_seconds",
			Help:    "HTTP request duration by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	if reg == nil {
		return m
	}
	if err := reg.Register(m.requests); err != nil {
		var are prometheus.AlreadyRegisteredError
		if c, ok := existing[*prometheus.CounterVec](err, &are); ok {
			m.requests = c
		} else {
			log.Error().Err(err).Msg("cannot register http metrics")
		}
	}
	if err := reg.Register(m.duration); err != nil {
		var are prometheus.AlreadyRegisteredError
		if h, ok := existing[*prometheus.HistogramVec](err, &are); ok {
			m.duration = h
		} else {
			log.Error().Err(err).Msg("cannot register http metrics")
		}
	}
	return m
}

// existing returns the collector already registered under the same
// descriptor, so that two Servers can share one registry.
func existing[T prometheus.Collector](err error, are *prometheus.AlreadyRegisteredError) (T, bool) {
	var zero T
	if !errors.As(err, are) {
		return zero, false
	}
	c, ok := are.ExistingCollector.(T)
	return c, ok
}
