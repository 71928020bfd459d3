// Package server is cohortd's HTTP server. Webhooks, the admin API and
// /metrics hang off it.
//
// Every request goes through the same middleware: a request id (accepted from
// X-Request-Id when well-formed, generated otherwise), a request body limit,
// panic recovery, a debug-level access log and Prometheus metrics labelled with
// the matched route pattern. Built-in routes: GET /healthz, GET /readyz and
// GET /metrics.
package server

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
)

// Defaults for zero Options fields.
const (
	DefaultMaxBodyBytes      = 5 << 20
	DefaultReadTimeout       = 10 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultCheckTimeout      = 2 * time.Second
)

// Check is a readiness check run by GET /readyz. Fn must honour ctx.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
	// Degraded marks a check whose failure does not make the process unready (an email
	// destination that keeps failing must not stop webhook intake): /readyz still answers
	// 200, with status "degraded" and the check's message.
	Degraded bool
}

// Options configures a Server. Zero durations and sizes take the defaults
// above.
type Options struct {
	// Listen is the TCP address to bind, e.g. ":8080" or "127.0.0.1:0".
	// Required.
	Listen            string
	MaxBodyBytes      int64
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	ReadHeaderTimeout time.Duration
	// CheckTimeout bounds each readiness check. Default 2s.
	CheckTimeout time.Duration
	// AdminToken protects routes added with HandleAdmin. When empty, admin
	// routes only answer requests from loopback addresses.
	AdminToken string
	Logger     zerolog.Logger
	// Gatherer is exposed on GET /metrics. When nil, a private registry with
	// the Go and process collectors (and the HTTP metrics) is used.
	Gatherer prometheus.Gatherer
	// Registerer receives the cohortd_http_* metrics. When nil they go to
	// the private registry if Gatherer is nil as well, and are not exported
	// otherwise.
	Registerer prometheus.Registerer
	Checks     []Check
}

// Server is cohortd's HTTP server. Create it with New.
type Server struct {
	opts    Options
	log     zerolog.Logger
	mux     *http.ServeMux
	srv     *http.Server
	metrics *httpMetrics

	mu           sync.Mutex
	ln           net.Listener
	serving      bool
	closed       bool
	shutdownOnce sync.Once
	shutdownDone chan struct{} // closed when Shutdown has returned
}

// New returns a Server with the built-in routes registered. It does not bind;
// call Listen (optional) and Serve.
func New(opts Options) *Server {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = DefaultReadTimeout
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.ReadHeaderTimeout <= 0 {
		opts.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if opts.CheckTimeout <= 0 {
		opts.CheckTimeout = DefaultCheckTimeout
	}
	if opts.Gatherer == nil {
		reg := prometheus.NewRegistry()
		reg.MustRegister(
			collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		)
		opts.Gatherer = reg
		if opts.Registerer == nil {
			opts.Registerer = reg
		}
	}

	s := &Server{
		opts:         opts,
		log:          opts.Logger,
		mux:          http.NewServeMux(),
		metrics:      newHTTPMetrics(opts.Registerer, opts.Logger),
		shutdownDone: make(chan struct{}),
	}
	s.srv = &http.Server{
		Handler:           s.middleware(s.mux),
		ReadTimeout:       opts.ReadTimeout,
		WriteTimeout:      opts.WriteTimeout,
		IdleTimeout:       opts.IdleTimeout,
		ReadHeaderTimeout: opts.ReadHeaderTimeout,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          log.New(errorLogWriter{opts.Logger}, "", 0),
	}

	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte("ok\n"))
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{
		ErrorLog:      promLogger{opts.Logger},
		ErrorHandling: promhttp.ContinueOnError,
	}))
	return s
}

// Handle registers a public route. pattern is a net/http.ServeMux pattern
// ("POST /webhooks/shopify/{store}"); like ServeMux.Handle it panics on an
// invalid or conflicting pattern. The pattern is the "route" metric label.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
}

// HandleAdmin registers an admin route. With Options.AdminToken set, requests
// need "Authorization: Bearer <token>" (401 otherwise); without it, only
// requests from loopback addresses are served (403 otherwise).
func (s *Server) HandleAdmin(pattern string, h http.Handler) {
	s.mux.Handle(pattern, s.requireAdmin(h))
}

// Handler returns the server's complete handler (middleware and routes),
// e.g. for httptest.
func (s *Server) Handler() http.Handler { return s.srv.Handler }

// Listen binds Options.Listen, so that bind errors are reported before Serve.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.listenLocked()
	return err
}

func (s *Server) listenLocked() (net.Listener, error) {
	switch {
	case s.closed:
		return nil, http.ErrServerClosed
	case s.ln != nil:
		return nil, errors.New("server: already listening")
	case s.opts.Listen == "":
		return nil, errors.New("server: Options.Listen is empty")
	}
	ln, err := net.Listen("tcp", s.opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("server: listen %s: %w", s.opts.Listen, err)
	}
	s.ln = ln
	return ln, nil
}

// Addr is the bound address, or nil before Listen.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Serve serves HTTP on the listener, calling Listen first if needed. It
// blocks until Shutdown has been called and has finished draining (or given
// up), then returns nil; any other error is returned as is. Serve after
// Shutdown returns nil at once.
func (s *Server) Serve() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	if s.serving {
		s.mu.Unlock()
		return errors.New("server: Serve already called")
	}
	ln := s.ln
	if ln == nil {
		var err error
		if ln, err = s.listenLocked(); err != nil {
			s.mu.Unlock()
			return err
		}
	}
	s.serving = true
	s.mu.Unlock()

	s.log.Info().Str("addr", ln.Addr().String()).Msg("http server listening")
	err := s.srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		<-s.shutdownDone
		return nil
	}
	return err
}

// Shutdown stops accepting connections, closes idle ones and waits for
// in-flight requests to finish, or for ctx to be done (then it returns
// ctx.Err() and the remaining connections are left to finish on their own).
// Serve returns once Shutdown has. Further calls wait for the first one and
// return nil.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	s.shutdownOnce.Do(func() {
		defer close(s.shutdownDone)
		s.mu.Lock()
		s.closed = true
		ln := s.ln
		s.mu.Unlock()
		s.log.Info().Msg("http server shutting down")
		err = s.srv.Shutdown(ctx)
		// A listener bound by Listen but never served is not closed by
		// http.Server.Shutdown; closing a served one again is harmless.
		if ln != nil {
			_ = ln.Close()
		}
		if err != nil {
			s.log.Warn().Err(err).Msg("http server shutdown incomplete")
		}
	})
	return err
}

// errorLogWriter routes http.Server's own log lines (TLS errors, panics it
// recovered, ...) to zerolog.
type errorLogWriter struct{ l zerolog.Logger }

func (w errorLogWriter) Write(p []byte) (int, error) {
	msg := string(p)
	if n := len(msg); n > 0 && msg[n-1] == '\n' {
		msg = msg[:n-1]
	}
	w.l.Warn().Str("source", "net/http").Msg(msg)
	return len(p), nil
}

type promLogger struct{ l zerolog.Logger }

func (p promLogger) Println(v ...interface{}) {
	p.l.Error().Str("source", "promhttp").Msg(fmt.Sprint(v...))
}
