package klaviyofake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/rs/zerolog"
)

// maxBody is the largest request body read: bulk import accepts 5 MB, answer 413 above.
const maxBody = 5 << 20

// Server is a running (or not yet started) fake Klaviyo account.
type Server struct {
	opts Options
	log  zerolog.Logger
	spec *spec
	lim  *limiter

	mu sync.Mutex // guards st
	st state

	statsMu    sync.Mutex // guards stats, violations, faults
	stats      Stats
	violations []Violation
	faults     []Fault

	ts *httptest.Server
}

// New returns a fake with an empty account; call Start to serve it.
func New(opts Options) *Server {
	opts.withDefaults()
	return &Server{
		opts:  opts,
		log:   opts.Logger.With().Str("component", "klaviyofake").Logger(),
		lim:   newLimiter(),
		st:    newState(),
		stats: Stats{ByOperation: map[string]OpStats{}},
	}
}

// Start loads the OpenAPI document (once per process) and serves the fake on
// Options.Listener, or on a fresh 127.0.0.1 port.
func (s *Server) Start() error {
	sp, err := loadSpec()
	if err != nil {
		return err
	}
	s.spec = sp
	if s.opts.Listener != nil {
		s.ts = &httptest.Server{Listener: s.opts.Listener, Config: &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}}
		s.ts.Start()
	} else {
		s.ts = httptest.NewServer(s)
	}
	return nil
}

// URL is the base URL to give the client (http://127.0.0.1:PORT); paths start with /api/.
func (s *Server) URL() string {
	if s.ts == nil {
		return ""
	}
	return s.ts.URL
}

// Close stops serving. State stays readable.
func (s *Server) Close() {
	if s.ts != nil {
		s.ts.Close()
	}
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	out := s.stats
	out.ByOperation = make(map[string]OpStats, len(s.stats.ByOperation))
	for k, v := range s.stats.ByOperation {
		out.ByOperation[k] = v
	}
	out.Violations = len(s.violations)
	return out
}

// ResetStats zeroes the counters (not the violations).
func (s *Server) ResetStats() {
	s.statsMu.Lock()
	s.stats = Stats{ByOperation: map[string]OpStats{}}
	s.statsMu.Unlock()
}

// Violations returns every request or response seen so far that did not match the OpenAPI
// document.
func (s *Server) Violations() []Violation {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return append([]Violation(nil), s.violations...)
}

// ClearViolations forgets recorded violations (for tests that send invalid requests on
// purpose).
func (s *Server) ClearViolations() {
	s.statsMu.Lock()
	s.violations = nil
	s.statsMu.Unlock()
}

func (s *Server) count(fn func(*Stats)) {
	s.statsMu.Lock()
	fn(&s.stats)
	s.statsMu.Unlock()
}

func (s *Server) countOp(op string, fn func(*OpStats)) {
	s.statsMu.Lock()
	o := s.stats.ByOperation[op]
	fn(&o)
	s.stats.ByOperation[op] = o
	s.statsMu.Unlock()
}

func (s *Server) violation(v Violation) {
	s.statsMu.Lock()
	s.violations = append(s.violations, v)
	s.statsMu.Unlock()
	s.log.Warn().Str("kind", v.Kind).Str("op", v.Operation).Str("detail", v.Detail).Msg("spec violation")
}

// call is one request being answered.
type call struct {
	r      *http.Request
	op     string
	params map[string]string
	query  url.Values
	body   []byte
	now    time.Time
	base   string // scheme://host of the fake, for links
}

// reply is what a handler answers: a status, an optional JSON body and extra headers.
type reply struct {
	status int
	body   any
	header http.Header
}

type handler func(s *Server, c *call) reply

// ServeHTTP answers one request: authenticate, route against the spec, injected faults,
// rate limits, request validation, the handler, response validation.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.Requests++ })
	c := &call{r: r, query: r.URL.Query(), now: s.opts.Now().UTC(), base: "http://" + r.Host}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		s.write(w, c, nil, errorReply(http.StatusBadRequest, "invalid", "Invalid input.", "Could not read the request body.", "/data/"))
		return
	}
	c.body = body
	if r.Header.Get("Authorization") != "Klaviyo-API-Key "+s.opts.APIKey {
		s.write(w, c, nil, errorReply(http.StatusUnauthorized, "not_authenticated", "Authentication credentials were not provided.", "Missing or invalid private key.", "/data/"))
		return
	}
	route, params, err := s.spec.route(r)
	if err != nil {
		status, code := http.StatusNotFound, "not_found"
		if errors.Is(err, routers.ErrMethodNotAllowed) {
			status, code = http.StatusMethodNotAllowed, "method_not_allowed"
		}
		s.write(w, c, nil, errorReply(status, code, http.StatusText(status)+".", fmt.Sprintf("No endpoint %s %s.", r.Method, r.URL.Path), "/data/"))
		return
	}
	c.op, c.params = route.Operation.OperationID, params
	s.countOp(c.op, func(o *OpStats) { o.Requests++ })
	if consentOperations[c.op] {
		s.count(func(st *Stats) { st.ConsentWrites++ })
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route}
	if f, ok := s.takeFault(c.op); ok {
		s.countOp(c.op, func(o *OpStats) { o.Faults++ })
		s.write(w, c, in, f.reply(s, c))
		return
	}
	if !s.opts.DisableRateLimits {
		if key, lim, ok := s.spec.limitKey(c.op, c.query); ok {
			if allowed, wait := s.lim.allow(key, lim, c.now); !allowed {
				s.count(func(st *Stats) { st.Throttled++ })
				s.countOp(c.op, func(o *OpStats) { o.Throttled++ })
				s.write(w, c, in, throttled(wait))
				return
			}
		}
	}
	if len(body) > maxBody {
		s.write(w, c, in, errorReply(http.StatusRequestEntityTooLarge, "payload_too_large", "Payload too large.", "The request payload is larger than 5 MB.", "/data/"))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := s.spec.validateRequest(r.Context(), in); err != nil {
		s.countOp(c.op, func(o *OpStats) { o.Invalid++ })
		s.violation(Violation{Kind: "request", Operation: c.op, Method: r.Method, Path: r.URL.Path, Detail: err.Error()})
		s.write(w, c, in, invalidRequest(err))
		return
	}
	h, ok := handlers[c.op]
	if !ok {
		s.write(w, c, in, errorReply(http.StatusNotFound, "not_found", "Not found.", "The fake does not implement "+c.op+".", "/data/"))
		return
	}
	s.write(w, c, in, h(s, c))
}

// write encodes a reply, validates it against the operation's responses (when routed) and
// sends it.
func (s *Server) write(w http.ResponseWriter, c *call, in *openapi3filter.RequestValidationInput, rep reply) {
	var payload []byte
	if rep.body != nil {
		var err error
		payload, err = json.Marshal(rep.body)
		if err != nil {
			rep = errorReply(http.StatusInternalServerError, "error", "A server error occurred.", "encode response: "+err.Error(), "/data/")
			payload, _ = json.Marshal(rep.body)
		}
	}
	h := w.Header()
	for k, vs := range rep.header {
		h[k] = vs
	}
	if payload != nil {
		h.Set("Content-Type", "application/vnd.api+json")
	}
	if rep.status != http.StatusTooManyRequests && c.op != "" {
		if lim, ok := s.spec.limits[c.op]; ok {
			// Klaviyo reports the steady window on every non-429 response.
			h.Set("RateLimit-Limit", fmt.Sprint(lim.Steady))
		}
	}
	if in != nil {
		// Validate with a copy of the request whose body was already consumed.
		in.Request.Body = io.NopCloser(bytes.NewReader(c.body))
		if err := s.spec.validateResponse(context.Background(), in, rep.status, h.Clone(), payload); err != nil {
			s.violation(Violation{Kind: "response", Operation: c.op, Method: c.r.Method, Path: c.r.URL.Path, Status: rep.status, Detail: err.Error()})
		}
	}
	w.WriteHeader(rep.status)
	if payload != nil {
		_, _ = w.Write(payload)
	}
	s.log.Debug().Str("op", c.op).Int("status", rep.status).Msg("request")
}
