// Package daemon wires the long-running cohortd process together: it opens the store, registers
// the scheduled jobs, mounts the HTTP routes (health, readiness, metrics, admin API) and runs
// them until its context is cancelled, then shuts them down in order.
//
// Shutdown order matters for invariant 1 (nothing acknowledged is lost): the HTTP server stops
// accepting first and drains in-flight requests (a webhook gets its 2xx only after its commit),
// then the scheduler cancels running jobs and waits for them to finish their current
// transaction, and only then is the store closed, which flushes any queued group commit.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/scheduler"
	"github.com/cohortd/cohortd/sync/segmenter"
	"github.com/cohortd/cohortd/sync/server"
)

// Options configure a Daemon.
type Options struct {
	// Config is the validated configuration. Required.
	Config *config.Config
	// ConfigSource names where the configuration came from, for status output.
	ConfigSource string
	// Listen overrides Config.HTTP.Listen when non-empty (run --listen).
	Listen string
	// Logger receives every log line; PII must be masked by the caller (internal/logging).
	Logger zerolog.Logger
	// Version is reported by /admin/status and the cohortd_build_info metric.
	Version string
	// ShutdownTimeout bounds the whole shutdown sequence. Default 8s, inside the 10s that
	// Docker and Kubernetes give a container between SIGTERM and SIGKILL.
	ShutdownTimeout time.Duration
}

// Daemon is one running cohortd: store, scheduler and HTTP server.
type Daemon struct {
	opts      Options
	cfg       *config.Config
	log       zerolog.Logger
	store     *store.Store
	registry  *prometheus.Registry
	scheduler *scheduler.Scheduler
	server    *server.Server
	quality   *qualityMetrics
	segmentsM *segmentMetrics
	segmenter *segmenter.Segmenter // created by the first segments job (one job runs at a time)
	platforms *platforms           // webhooks, outbox and platform stores
	started   time.Time
}

// New opens the data file and prepares every component, without serving yet. An error wrapping
// store.ErrInUse means another cohortd process holds the data file.
func New(opts Options) (*Daemon, error) {
	if opts.Config == nil {
		return nil, errors.New("daemon: no configuration")
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 8 * time.Second
	}
	cfg := opts.Config
	d := &Daemon{opts: opts, cfg: cfg, log: opts.Logger, started: time.Now()}

	st, err := store.Open(store.DefaultPath(cfg.DataDir), store.Options{})
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	d.store = st
	ok := false
	defer func() {
		if !ok {
			_ = st.Close()
		}
	}()

	d.registry = prometheus.NewRegistry()
	d.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo(opts.Version),
		st.Collector(),
	)
	d.quality = newQualityMetrics(d.registry)
	d.segmentsM = newSegmentMetrics(d.registry)
	if err := d.loadSegmentMetrics(); err != nil {
		d.log.Warn().Err(err).Msg("segment sizes of the last recompute could not be read")
	}

	d.scheduler, err = scheduler.New(scheduler.Options{
		Location:   cfg.Location(),
		Logger:     d.log.With().Str("component", "scheduler").Logger(),
		Registerer: d.registry,
		Parse:      config.ParseSchedule,
	})
	if err != nil {
		return nil, fmt.Errorf("daemon: scheduler: %w", err)
	}
	if err := d.registerJobs(); err != nil {
		return nil, err
	}

	listen := cfg.HTTP.Listen
	if opts.Listen != "" {
		listen = opts.Listen
	}
	d.server = server.New(server.Options{
		Listen:       listen,
		MaxBodyBytes: cfg.HTTP.MaxBodyBytes,
		ReadTimeout:  cfg.HTTP.ReadTimeout.Duration,
		WriteTimeout: cfg.HTTP.WriteTimeout.Duration,
		AdminToken:   cfg.HTTP.AdminToken.Value(),
		Logger:       d.log.With().Str("component", "http").Logger(),
		Gatherer:     d.registry,
		Registerer:   d.registry,
		Checks: []server.Check{
			{Name: "store", Fn: d.checkStore},
			{Name: "jobs", Fn: func(context.Context) error { return d.scheduler.Healthy() }},
			{Name: "destinations", Fn: d.checkDestinations, Degraded: true},
		},
	})
	if err := d.setupPlatforms(); err != nil {
		return nil, err
	}
	d.mountAdmin()
	ok = true
	return d, nil
}

// Run listens, serves and runs the scheduler until ctx is cancelled, then shuts down in order
// and closes the store. It returns nil after a clean shutdown.
func (d *Daemon) Run(ctx context.Context) error {
	if err := d.server.Listen(); err != nil {
		_ = d.store.Close()
		return fmt.Errorf("daemon: listen: %w", err)
	}
	d.log.Info().
		Str("addr", d.server.Addr().String()).
		Str("data_file", d.store.Path()).
		Str("config", d.opts.ConfigSource).
		Int("stores", len(d.cfg.Stores)).
		Int("destinations", len(d.cfg.Destinations)).
		Msg("cohortd started")

	// Refresh the store gauges once before the first scrape.
	if err := d.refreshStoreStats(ctx); err != nil {
		d.log.Warn().Err(err).Msg("store stats")
	}

	jobCtx, cancelJobs := context.WithCancel(context.Background())
	defer cancelJobs()
	d.scheduler.Start(jobCtx)
	d.startPlatforms(jobCtx)

	serveErr := make(chan error, 1)
	go func() { serveErr <- d.server.Serve() }()

	var runErr error
	select {
	case <-ctx.Done():
		d.log.Info().Msg("shutting down")
	case err := <-serveErr:
		runErr = fmt.Errorf("daemon: http server: %w", err)
		serveErr = nil
	}
	return errors.Join(runErr, d.shutdown(serveErr, cancelJobs))
}

// shutdown stops accepting requests, drains them, stops the jobs and closes the store, all
// within ShutdownTimeout.
func (d *Daemon) shutdown(serveErr <-chan error, cancelJobs context.CancelFunc) error {
	ctx, cancel := context.WithTimeout(context.Background(), d.opts.ShutdownTimeout)
	defer cancel()
	var errs []error
	if err := d.server.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("daemon: http shutdown: %w", err))
	}
	if serveErr != nil {
		if err := <-serveErr; err != nil {
			errs = append(errs, fmt.Errorf("daemon: http server: %w", err))
		}
	}
	cancelJobs()
	if err := d.scheduler.Stop(ctx); err != nil {
		errs = append(errs, fmt.Errorf("daemon: jobs did not finish in time: %w", err))
	}
	d.stopPlatforms(ctx)
	if err := d.store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("daemon: close store: %w", err))
	}
	if len(errs) == 0 {
		d.log.Info().Msg("cohortd stopped")
	}
	return errors.Join(errs...)
}

// Addr is the address the HTTP server listens on, valid once Run has started listening.
func (d *Daemon) Addr() string {
	if a := d.server.Addr(); a != nil {
		return a.String()
	}
	return ""
}

func (d *Daemon) checkStore(ctx context.Context) error {
	_, err := d.store.SchemaVersion()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return ctx.Err()
}

func buildInfo(version string) prometheus.Collector {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: "cohortd",
		Name:      "build_info",
		Help:      "Always 1; the version label says which cohortd is running.",
	}, []string{"version"})
	g.WithLabelValues(version).Set(1)
	return g
}
