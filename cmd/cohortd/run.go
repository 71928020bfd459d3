package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"os/signal"
	"syscall"

	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/daemon"
)

func runCommand() *command {
	var listen string
	return &command{
		name:    "run",
		summary: "run the daemon: HTTP server (health, readiness, metrics, admin API) and scheduled jobs",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&listen, "listen", "", "listen address, overrides http.listen (e.g. 127.0.0.1:8080)")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usageErr("unexpected arguments %q", args)
			}
			return runDaemon(ctx, e, listen)
		},
	}
}

// runDaemon runs until SIGINT or SIGTERM, then shuts down in order. A second signal exits at
// once with status 1.
func runDaemon(ctx context.Context, e *env, listen string) error {
	log, err := e.logger()
	if err != nil {
		return err
	}
	cfg, source, err := e.loadConfig()
	if err != nil {
		return err
	}
	d, err := daemon.New(daemon.Options{
		Config:       cfg,
		ConfigSource: source,
		Listen:       listen,
		Logger:       log,
		Version:      version(),
	})
	if err != nil {
		if errors.Is(err, store.ErrInUse) {
			return &exitError{code: exitUsage, err: err}
		}
		return err
	}

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case s := <-sigs:
			log.Info().Str("signal", s.String()).Msg("stopping; send it again to exit at once")
			cancel()
		case <-ctx.Done():
			return
		}
		if s, ok := <-sigs; ok {
			log.Warn().Str("signal", s.String()).Msg("second signal: exiting now")
			os.Exit(exitFailure)
		}
	}()
	return d.Run(ctx)
}
