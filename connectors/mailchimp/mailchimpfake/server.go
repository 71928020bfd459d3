package mailchimpfake

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// DefaultListID and DefaultAPIKey are the audience id and API key a zero Options gets.
const (
	DefaultListID = "c0h0rtd001"
	DefaultAPIKey = "fakekey0000000000000000000000000-us1"
)

// resultsPrefix is where the gzipped batch result archives are served. At Mailchimp they live
// on another host (a pre-signed storage URL) that takes no API key; here they are on the same
// loopback server but outside /3.0, so they are not API calls: not validated, not counted in
// the connection limit, and answered without authentication.
const resultsPrefix = "/batch-results/"

// Options configure a Server. The zero value is a working fake.
type Options struct {
	// APIKey is the key clients must send (HTTP basic auth password, or "apikey KEY");
	// default DefaultAPIKey.
	APIKey string
	// ListID and ListName name the one audience the fake starts with; default DefaultListID
	// and "cohortd demo".
	ListID, ListName string
	// MaxConnections is how many API requests may be in flight at once before the fake
	// answers 429 TooManyRequests; default 10, Mailchimp's limit per API key.
	MaxConnections int
	// Latency is added to every API request (not to batch operations), so tests can make
	// requests overlap the way real round trips do.
	Latency time.Duration
	// OperationDelay is added to every batch operation, on top of its real work.
	OperationDelay time.Duration
	// Listener, if set, is where Start serves (the demo passes its own); default a new
	// 127.0.0.1 port.
	Listener net.Listener
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Server is the fake Mailchimp. Create it with New, then Start it.
type Server struct {
	opts Options
	spec *spec
	err  error // a spec that failed to load; Start reports it

	http    *httptest.Server
	started bool

	mu         sync.Mutex
	lists      map[string]*list
	batches    map[string]*batch
	results    map[string][]byte // archive name -> tar.gz
	nextBatch  int
	faults     []fault // injected answers for the next API requests
	opFaults   []fault // injected answers for the next batch operations
	violations []string
	stats      Stats
	inFlight   int

	queue    chan *batch
	stop     chan struct{}
	workerWG sync.WaitGroup
}

// New returns a fake with one empty audience (default merge fields FNAME, LNAME, ADDRESS,
// PHONE, BIRTHDAY, as a new Mailchimp audience has). It does not listen until Start.
func New(opts Options) *Server {
	if opts.APIKey == "" {
		opts.APIKey = DefaultAPIKey
	}
	if opts.ListID == "" {
		opts.ListID = DefaultListID
	}
	if opts.ListName == "" {
		opts.ListName = "cohortd demo"
	}
	if opts.MaxConnections <= 0 {
		opts.MaxConnections = 10
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	sp, err := loadSpec()
	s := &Server{
		opts:    opts,
		spec:    sp,
		err:     err,
		lists:   map[string]*list{},
		batches: map[string]*batch{},
		results: map[string][]byte{},
		queue:   make(chan *batch, 1<<16),
		stop:    make(chan struct{}),
		stats:   newStats(),
	}
	s.lists[opts.ListID] = newList(opts.ListID, opts.ListName, opts.Now())
	return s
}

// Start serves on Options.Listener or a new 127.0.0.1 port and starts the batch worker.
func (s *Server) Start() error {
	if s.err != nil {
		return s.err
	}
	if s.started {
		return errors.New("mailchimpfake: already started")
	}
	h := http.HandlerFunc(s.serveHTTP)
	if s.opts.Listener != nil {
		s.http = &httptest.Server{Listener: s.opts.Listener, Config: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
		s.http.Start()
	} else {
		s.http = httptest.NewServer(h)
	}
	s.started = true
	s.workerWG.Add(1)
	go s.runBatches()
	return nil
}

// URL is the API base URL to give a client (ends in /3.0, as https://usX.api.mailchimp.com/3.0).
func (s *Server) URL() string {
	if s.http == nil {
		return ""
	}
	return s.http.URL + specBase
}

// Close stops the batch worker and the listener. Batches not run yet stay pending.
func (s *Server) Close() {
	if !s.started {
		return
	}
	close(s.stop)
	s.workerWG.Wait()
	s.http.Close()
	s.started = false
}

// response is one HTTP answer, kept whole so it can be validated before it is sent and so
// batch operations can store it in their result archive.
type response struct {
	status      int
	contentType string
	body        []byte
	header      http.Header
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if name, ok := strings.CutPrefix(r.URL.Path, resultsPrefix); ok && r.Method == http.MethodGet {
		s.serveResults(w, name)
		return
	}
	s.mu.Lock()
	s.stats.Calls++
	s.inFlight++
	if s.inFlight > s.stats.MaxInFlight {
		s.stats.MaxInFlight = s.inFlight
	}
	over := s.inFlight > s.opts.MaxConnections
	if over {
		s.stats.TooManyRequests++
	}
	var injected *fault
	if !over && len(s.faults) > 0 {
		f := s.faults[0]
		s.faults = s.faults[1:]
		s.stats.Injected++
		injected = &f
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	if s.opts.Latency > 0 {
		time.Sleep(s.opts.Latency)
	}
	var resp response
	switch {
	case over:
		resp = problem(http.StatusTooManyRequests, "TooManyRequests",
			fmt.Sprintf("You have exceeded the limit of %d simultaneous connections.", s.opts.MaxConnections))
	case injected != nil:
		resp = injected.response()
	case !s.authorized(r):
		resp = problem(http.StatusUnauthorized, "API Key Invalid",
			"Your API key may be invalid, or you've attempted to access the wrong datacenter.")
	default:
		body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
		if err != nil {
			resp = jsonParseError()
			break
		}
		resp = s.serveAPI(r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), body, true)
	}
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	if resp.contentType != "" {
		w.Header().Set("Content-Type", resp.contentType)
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// authorized accepts the key as a basic-auth password (any user name), or as
// "Authorization: apikey KEY" / "Bearer KEY", the forms Mailchimp documents.
func (s *Server) authorized(r *http.Request) bool {
	if _, pass, ok := r.BasicAuth(); ok {
		return pass == s.opts.APIKey
	}
	a := r.Header.Get("Authorization")
	for _, p := range []string{"apikey ", "Bearer "} {
		if k, ok := strings.CutPrefix(a, p); ok {
			return k == s.opts.APIKey
		}
	}
	return false
}

func (s *Server) serveResults(w http.ResponseWriter, name string) {
	s.mu.Lock()
	data, ok := s.results[name]
	if ok {
		s.stats.Downloads++
	}
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, nil)
		return
	}
	w.Header().Set("Content-Type", "application/x-gzip")
	_, _ = w.Write(data)
}

// recordViolation keeps a request or response that does not match the spec.
func (s *Server) recordViolation(format string, args ...any) {
	s.mu.Lock()
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

// Violations returns every request and response that did not match the spec so far.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}
