package listmonkfake

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Endpoint keys used by Stats().Requests and FailNext ("METHOD /path" with {id} for ids).
const (
	EndpointQuerySubscribers  = "GET /api/subscribers"
	EndpointGetSubscriber     = "GET /api/subscribers/{id}"
	EndpointCreateSubscriber  = "POST /api/subscribers"
	EndpointPatchSubscriber   = "PATCH /api/subscribers/{id}"
	EndpointPutSubscriber     = "PUT /api/subscribers/{id}"
	EndpointDeleteSubscriber  = "DELETE /api/subscribers/{id}"
	EndpointManageLists       = "PUT /api/subscribers/lists"
	EndpointBlocklist         = "PUT /api/subscribers/{id}/blocklist"
	EndpointGetLists          = "GET /api/lists"
	EndpointGetList           = "GET /api/lists/{id}"
	EndpointCreateList        = "POST /api/lists"
	EndpointDeleteList        = "DELETE /api/lists/{id}"
	EndpointHealth            = "GET /api/health"
	endpointUnknownForMetrics = "unknown"
)

// Server is a fake listmonk. Create it with New, then Start (or StartOn) it.
type Server struct {
	opts Options

	mu         sync.Mutex
	subs       map[int]*subscriber
	byEmail    map[string]int // lower-cased email -> id
	lists      map[int]*list
	nextSubID  int
	nextListID int
	requests   map[string]int
	total      int
	tooMany    int
	faultsSent int
	inFlight   int
	peak       int
	faults     []fault
	violations []string
	consent    []ConsentEvent
	bucket     float64
	bucketAt   time.Time
	httpServer *http.Server
	listener   net.Listener
}

type fault struct {
	endpoint   string
	remaining  int
	status     int
	retryAfter time.Duration
	message    string
}

// New returns a Server with no lists and no subscribers.
func New(opts Options) *Server {
	opts.withDefaults()
	return &Server{
		opts:       opts,
		subs:       map[int]*subscriber{},
		byEmail:    map[string]int{},
		lists:      map[int]*list{},
		nextSubID:  1,
		nextListID: 1,
		requests:   map[string]int{},
		bucket:     float64(opts.Burst),
	}
}

// Start serves on a random port of 127.0.0.1. It panics if no port can be had (tests and
// the demo cannot go on without their server); StartOn takes a listener instead.
func (s *Server) Start() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("listmonkfake: listen on 127.0.0.1: %v", err))
	}
	s.StartOn(l)
}

// StartOn serves on the given listener (the demo passes its own address).
func (s *Server) StartOn(l net.Listener) {
	s.listener = l
	s.httpServer = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.httpServer.Serve(l) }()
}

// URL is the base URL to configure the connector with (no trailing slash).
func (s *Server) URL() string {
	if s.listener == nil {
		return ""
	}
	return "http://" + s.listener.Addr().String()
}

// Close stops the server and closes its connections.
func (s *Server) Close() {
	if s.httpServer != nil {
		_ = s.httpServer.Close()
	}
}

// ServeHTTP routes a request the way listmonk's router does for the endpoints it fakes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.inFlight++
	if s.inFlight > s.peak {
		s.peak = s.inFlight
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()

	endpoint, id, known := route(r.Method, r.URL.Path)
	s.mu.Lock()
	s.total++
	if known {
		s.requests[endpoint]++
	} else {
		s.requests[endpointUnknownForMetrics]++
	}
	s.mu.Unlock()

	if !s.authorized(r) {
		writeError(w, http.StatusForbidden, "Invalid API credentials")
		return
	}
	if wait, ok := s.takeToken(); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		writeError(w, http.StatusTooManyRequests, "Too many requests")
		return
	}
	if f, ok := s.takeFault(endpoint); ok {
		if f.status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(f.retryAfter.Seconds()))))
		}
		msg := f.message
		if msg == "" {
			msg = fmt.Sprintf("injected fault %d", f.status)
		}
		writeError(w, f.status, msg)
		return
	}
	if !known {
		if endpoint != "" {
			s.violation("%s %s: method not allowed", r.Method, r.URL.Path)
			writeError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
			return
		}
		s.violation("%s %s: unknown endpoint", r.Method, r.URL.Path)
		writeError(w, http.StatusNotFound, "404 unknown endpoint")
		return
	}
	if endpoint == EndpointPatchSubscriber && s.opts.NoPatch {
		writeError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}

	switch endpoint {
	case EndpointHealth:
		writeData(w, true)
	case EndpointQuerySubscribers:
		s.querySubscribers(w, r)
	case EndpointGetSubscriber:
		s.getSubscriber(w, id)
	case EndpointCreateSubscriber:
		s.createSubscriber(w, r)
	case EndpointPatchSubscriber:
		s.updateSubscriber(w, r, id, true)
	case EndpointPutSubscriber:
		s.updateSubscriber(w, r, id, false)
	case EndpointDeleteSubscriber:
		s.deleteSubscriber(w, id)
	case EndpointManageLists:
		s.manageLists(w, r)
	case EndpointBlocklist:
		s.blocklistSubscriber(w, id)
	case EndpointGetLists:
		s.getLists(w, r)
	case EndpointGetList:
		s.getList(w, id)
	case EndpointCreateList:
		s.createList(w, r)
	case EndpointDeleteList:
		s.deleteList(w, id)
	}
}

// route maps a method and path to an endpoint key. known is false for an unknown path
// (endpoint "") or a known path with another method (endpoint set to the path).
func route(method, path string) (endpoint string, id int, known bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) < 2 || parts[0] != "api" {
		return "", 0, false
	}
	key := func(p string) (string, bool) {
		k := method + " " + p
		switch k {
		case EndpointQuerySubscribers, EndpointGetSubscriber, EndpointCreateSubscriber,
			EndpointPatchSubscriber, EndpointPutSubscriber, EndpointDeleteSubscriber,
			EndpointManageLists, EndpointBlocklist, EndpointGetLists, EndpointGetList,
			EndpointCreateList, EndpointDeleteList, EndpointHealth:
			return k, true
		}
		return p, false
	}
	switch {
	case len(parts) == 2:
		k, ok := key("/api/" + parts[1])
		if parts[1] != "subscribers" && parts[1] != "lists" && parts[1] != "health" {
			return "", 0, false
		}
		return k, 0, ok
	case len(parts) == 3 && parts[1] == "subscribers" && parts[2] == "lists":
		k, ok := key("/api/subscribers/lists")
		return k, 0, ok
	case (len(parts) == 3 || len(parts) == 4) && (parts[1] == "subscribers" || parts[1] == "lists"):
		n, err := strconv.Atoi(parts[2])
		if err != nil || n < 1 {
			return "", 0, false
		}
		p := "/api/" + parts[1] + "/{id}"
		if len(parts) == 4 {
			if parts[1] != "subscribers" || parts[3] != "blocklist" {
				return "", 0, false
			}
			p += "/blocklist"
		}
		k, ok := key(p)
		return k, n, ok
	}
	return "", 0, false
}

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	var user, pass string
	switch {
	case strings.HasPrefix(h, "token "):
		u, p, ok := strings.Cut(strings.TrimPrefix(h, "token "), ":")
		if !ok {
			return false
		}
		user, pass = u, p
	case strings.HasPrefix(h, "Basic "):
		b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Basic "))
		if err != nil {
			return false
		}
		u, p, ok := strings.Cut(string(b), ":")
		if !ok {
			return false
		}
		user, pass = u, p
	default:
		return false
	}
	return subtle.ConstantTimeCompare([]byte(user), []byte(s.opts.Username)) == 1 &&
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.opts.Token)) == 1
}

// takeToken spends one token of the optional rate limit; when none is left it returns how
// long until one is.
func (s *Server) takeToken() (time.Duration, bool) {
	if s.opts.RateLimit <= 0 {
		return 0, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	if !s.bucketAt.IsZero() {
		s.bucket += now.Sub(s.bucketAt).Seconds() * s.opts.RateLimit
		if s.bucket > float64(s.opts.Burst) {
			s.bucket = float64(s.opts.Burst)
		}
	}
	s.bucketAt = now
	if s.bucket >= 1 {
		s.bucket--
		return 0, true
	}
	s.tooMany++
	wait := s.opts.RetryAfter
	if need := time.Duration((1 - s.bucket) / s.opts.RateLimit * float64(time.Second)); need > wait {
		wait = need
	}
	return wait, false
}

func (s *Server) takeFault(endpoint string) (fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.faults {
		f := &s.faults[i]
		if f.remaining > 0 && (f.endpoint == endpoint || f.endpoint == "*") {
			f.remaining--
			s.faultsSent++
			if f.status == http.StatusTooManyRequests {
				s.tooMany++
			}
			return *f, true
		}
	}
	return fault{}, false
}

// FailNext makes the next n requests to endpoint (an Endpoint* key, or "*" for any) fail
// with status and a listmonk error body; a 429 carries Retry-After: retryAfter.
func (s *Server) FailNext(endpoint string, n, status int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{endpoint: endpoint, remaining: n, status: status, retryAfter: retryAfter})
}

// FailNextWith is FailNext with the listmonk error message to answer.
func (s *Server) FailNextWith(endpoint string, n, status int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{endpoint: endpoint, remaining: n, status: status, message: message})
}

func (s *Server) violation(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
}

// Violations lists the requests that did not follow listmonk's documented API.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// ConsentEvent is a write that upgraded or erased someone's consent state: a row moved
// away from "unsubscribed", an unsubscribed row deleted, a preconfirmed subscription or an
// opt-in mail sent to a double opt-in list.
type ConsentEvent struct {
	Kind  string // "resubscribed", "unsubscribed_row_removed", "preconfirmed", "optin_mail"
	Email string
	List  string
}

// ConsentEvents lists every consent-changing write the server applied, in order.
func (s *Server) ConsentEvents() []ConsentEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ConsentEvent(nil), s.consent...)
}

// Stats counts what the server answered.
type Stats struct {
	// Requests per endpoint key (Endpoint* constants; "unknown" for the rest).
	Requests map[string]int
	// Total requests, TooMany 429s answered (rate limit and injected), Faults injected
	// answers, PeakInFlight the most requests served at once.
	Total, TooMany, Faults, PeakInFlight int
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Requests: map[string]int{}, Total: s.total, TooMany: s.tooMany, Faults: s.faultsSent, PeakInFlight: s.peak}
	for k, v := range s.requests {
		st.Requests[k] = v
	}
	return st
}

// ResetStats zeroes the counters (state, violations and consent events stay).
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = map[string]int{}
	s.total, s.tooMany, s.faultsSent, s.peak = 0, 0, 0, 0
}
