package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/internal/logging"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/daemon"
	"github.com/cohortd/cohortd/sync/emailsync"
	"github.com/cohortd/cohortd/sync/ingest"
	"github.com/cohortd/cohortd/sync/outbox"
	"github.com/cohortd/cohortd/sync/privacy"
)

const eraseUsage = "usage: cohortd erase [--no-push] [--timeout 2m] EMAIL"

// eraseCommand erases a person by address: locally (every record, profile, membership that
// holds it) and at every email destination (queued in the erasure's own transaction). With a
// daemon running, it asks the daemon (POST /admin/erase), which delivers the deletions;
// without, it erases the data file itself and delivers them now unless --no-push (the daemon
// delivers what is left on its next start).
func eraseCommand() *command {
	var (
		noPush  bool
		timeout time.Duration
	)
	return &command{
		name:    "erase",
		summary: "erase a person by email address, here and at every email destination (GDPR)",
		usage:   "[--no-push] [--timeout 2m] EMAIL",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&noPush, "no-push", false, "queue the deletions at the destinations without sending them now")
			fs.DurationVar(&timeout, "timeout", 2*time.Minute, "how long to try the destinations before leaving the rest queued")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) != 1 {
				return usageErr(eraseUsage)
			}
			cfg, _, err := e.loadConfig()
			if err != nil {
				return err
			}
			// A running daemon erases itself (it holds the data file); else do it here.
			var res daemon.EraseResult
			err = newAdminClient(cfg, "").postJSON(ctx, "/admin/erase", map[string]string{"email": args[0]}, &res)
			if err == nil {
				fmt.Fprintf(e.stdout, "erased %s through the running daemon: %d customer records, %d orders, %d profiles removed, %d dead-lettered deliveries; deletion queued at %d email destinations (%s), delivered by the daemon\n",
					logging.MaskEmail(args[0]), res.Customers, res.Orders, res.ProfilesRemoved, res.DeadLetters, len(res.Destinations), strings.Join(res.Destinations, ", "))
				return nil
			}
			if !errors.Is(err, errNoDaemon) {
				return err
			}
			return withStore(cfg, false, func(st *store.Store) error {
				return erase(ctx, e.stdout, st, cfg, args[0], !noPush, timeout)
			})
		},
	}
}

func erase(ctx context.Context, w io.Writer, st *store.Store, cfg *config.Config, address string, push bool, timeout time.Duration) error {
	build, err := ingest.BuildOptions(cfg)
	if err != nil {
		return err
	}
	ob := outbox.New(st, outbox.Options{})
	var syncers []*emailsync.Syncer
	for _, d := range cfg.Destinations {
		if !emailsync.IsEmail(d.Kind) {
			continue
		}
		var pl emailsync.Platform
		if push {
			if pl, err = emailsync.PlatformFor(d, zerolog.Nop()); err != nil {
				return err
			}
		}
		syncers = append(syncers, emailsync.New(emailsync.Options{DB: st, Config: cfg, Dest: d, Platform: pl, Outbox: ob}))
	}
	opts := privacy.Options{Build: build, OnErased: func(tx *store.Tx, addrs []string) error {
		for _, s := range syncers {
			if err := s.QueueErase(tx, addrs); err != nil {
				return err
			}
		}
		return nil
	}}
	res, err := privacy.EraseEmail(ctx, st, opts, address)
	if err != nil {
		return err
	}
	// The address itself goes too, even when no local profile held it any more (the
	// destinations may still have it from an earlier push).
	if !slices.ContainsFunc(res.Erased, func(a string) bool { return strings.EqualFold(a, strings.TrimSpace(address)) }) {
		if err := st.Update(ctx, func(tx *store.Tx) error { return opts.OnErased(tx, []string{strings.TrimSpace(address)}) }); err != nil {
			return fmt.Errorf("erase: queue deletions: %w", err)
		}
	}
	fmt.Fprintf(w, "erased %s: %d customer records, %d orders, %d profiles removed; deletion queued at %d email destinations\n",
		logging.MaskEmail(address), res.Customers, res.Orders, len(res.ProfilesRemoved), len(syncers))
	if !push || len(syncers) == 0 {
		return nil
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, s := range syncers {
		left, err := s.Drain(pctx)
		switch {
		case err != nil:
			fmt.Fprintf(w, "  %s: %v (the deletion stays queued; the daemon retries it)\n", s.ID(), err)
		case left > 0:
			fmt.Fprintf(w, "  %s: %d changes still queued (retrying; see cohortd outbox status)\n", s.ID(), left)
		default:
			fmt.Fprintf(w, "  %s: deleted\n", s.ID())
		}
	}
	return nil
}
