package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/daemon"
)

func statusCommand() *command {
	var (
		asJSON bool
		addr   string
	)
	return &command{
		name:    "status",
		summary: "show the running daemon's state (jobs, store, readiness), or the data file's when no daemon runs",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print JSON")
			fs.StringVar(&addr, "addr", "", "admin address of the daemon, overrides http.listen")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usageErr("unexpected arguments %q", args)
			}
			cfg, source, err := e.loadConfig()
			if err != nil {
				return err
			}
			var st daemon.Status
			err = newAdminClient(cfg, addr).getJSON(ctx, "/admin/status", &st)
			if errors.Is(err, errNoDaemon) {
				st, err = offlineStatus(store.DefaultPath(cfg.DataDir), cfg)
				st.Config = source
			}
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, st)
			}
			printStatus(e.stdout, st)
			return nil
		},
	}
}

// offlineStatus reads the data file directly; it works only while no daemon holds it.
func offlineStatus(path string, cfg *config.Config) (daemon.Status, error) {
	st := daemon.Status{Version: version(), DataFile: path}
	s, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		return st, fmt.Errorf("no daemon answered and the data file cannot be read: %w", err)
	}
	defer s.Close()
	if st.SchemaVersion, err = s.SchemaVersion(); err != nil {
		return st, err
	}
	stats, err := s.Stats()
	if err != nil {
		return st, err
	}
	st.FileBytes = stats.FileSize
	st.Buckets = stats.Buckets
	st.Sync, st.Queues, err = daemon.SyncStatus(s, cfg, time.Now())
	if err != nil {
		return st, err
	}
	if st.Woo, err = daemon.WooStatus(s, cfg); err != nil {
		return st, err
	}
	st.Email, err = daemon.EmailStatuses(s, cfg)
	return st, err
}

func printStatus(w io.Writer, st daemon.Status) {
	state := "not running (read from the data file)"
	if st.Running {
		state = fmt.Sprintf("running since %s (%s), listening on %s", st.StartedAt.Format(time.RFC3339), st.Uptime, st.Listen)
	}
	fmt.Fprintf(w, "cohortd %s: %s\n", st.Version, state)
	if st.Config != "" {
		fmt.Fprintf(w, "config:    %s\n", st.Config)
	}
	fmt.Fprintf(w, "data file: %s (schema v%d, %d bytes)\n", st.DataFile, st.SchemaVersion, st.FileBytes)
	if st.MemoryLimit > 0 {
		fmt.Fprintf(w, "memory:    soft limit %d MiB (GOMEMLIMIT, or 90%% of the container's limit)\n", st.MemoryLimit>>20)
	}
	if st.Running {
		ready := "ready"
		if !st.Ready {
			ready = "NOT READY: " + strings.Join(st.Problems, "; ")
		} else if len(st.Problems) > 0 {
			ready = "ready, degraded: " + strings.Join(st.Problems, "; ")
		}
		fmt.Fprintf(w, "readiness: %s\n", ready)
	}
	names := make([]string, 0, len(st.Buckets))
	for b := range st.Buckets {
		names = append(names, b)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "buckets:")
	for _, b := range names {
		fmt.Fprintf(w, "  %-16s %d\n", b, st.Buckets[b])
	}
	if len(st.Stores)+len(st.Destinations) > 0 {
		fmt.Fprintln(w, "endpoints:")
		for _, s := range st.Stores {
			fmt.Fprintf(w, "  store %s (%s)\n", s.ID, s.Kind)
		}
		for _, d := range st.Destinations {
			fmt.Fprintf(w, "  destination %s (%s)\n", d.ID, d.Kind)
		}
	}
	for _, s := range st.Sync {
		state := s.Backfill
		switch s.Backfill {
		case "":
			state = "not started"
		case "customers", "orders":
			state = fmt.Sprintf("reading %s (operation %s, %d lines committed)", s.Backfill, s.BulkOperation, s.BulkLine)
		}
		fmt.Fprintf(w, "store %s: backfill %s", s.Store, state)
		for _, k := range []string{"customers", "orders"} {
			if t, ok := s.PolledUntil[k]; ok {
				fmt.Fprintf(w, "; %s polled up to %s", k, t.Format(time.RFC3339))
			}
		}
		fmt.Fprintln(w)
	}
	for _, s := range st.Woo {
		state := s.Backfill
		switch s.Backfill {
		case "":
			state = "not started"
		case "customers", "orders":
			state = fmt.Sprintf("reading %s (page %d, %d of %d records)", s.Backfill, s.Page, s.Received, s.Expected)
		}
		line := fmt.Sprintf("store %s: backfill %s", s.Store, state)
		if !s.PolledUntil.IsZero() {
			line += "; orders polled up to " + s.PolledUntil.Format(time.RFC3339)
		}
		line += fmt.Sprintf("; %d guest-only profiles (no WooCommerce customer to write segments to)", s.GuestOnly)
		if w := s.Webhooks; w != nil {
			line += fmt.Sprintf("; webhooks: %d active, %d created, %d re-enabled, %d paused", w.Active, w.Created, w.Reenabled, w.Paused)
		}
		fmt.Fprintln(w, line)
	}
	if q := st.Queues; q != nil {
		fmt.Fprintf(w, "inbox: %d webhook deliveries waiting\n", q.Inbox)
		for _, o := range q.Outbox {
			line := fmt.Sprintf("outbox %s: %d pending (%d retrying), %d dead letters", o.Destination, o.Pending, o.Retrying, o.Dead)
			if o.Planned > 0 {
				line += fmt.Sprintf(", %d planned (dry run)", o.Planned)
			}
			if o.LastError != "" {
				line += ", last error: " + o.LastError
			}
			fmt.Fprintln(w, line)
		}
	}
	for _, e := range st.Email {
		kinds := make([]string, 0, len(e.Suppressions))
		for k := range e.Suppressions {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		var sup []string
		for _, k := range kinds {
			sup = append(sup, fmt.Sprintf("%d %s", e.Suppressions[k], k))
		}
		if len(sup) == 0 {
			sup = []string{"none"}
		}
		line := fmt.Sprintf("destination %s (%s): suppressed addresses: %s", e.ID, e.Kind, strings.Join(sup, ", "))
		if h := e.Health; h != nil {
			line += fmt.Sprintf("; delivered %d, deleted %d", h.Delivered, h.Deleted)
			if h.Failing {
				line += fmt.Sprintf("; FAILING: %d sends in a row failed, last error: %s", h.FailedSends, h.LastError)
			}
		}
		fmt.Fprintln(w, line)
	}
	if r := st.Refresh; r != nil {
		fmt.Fprintf(w, "last refresh: %s, %d profiles from %d identities, %d changed segments, %d tag changes planned, took %s\n",
			r.At.Format(time.RFC3339), r.Profiles, r.Identities, r.Segments, r.TagChanges, r.Took.Round(time.Millisecond))
	}
	if st.Running {
		fmt.Fprintln(w, "jobs:")
		for _, j := range st.Jobs {
			last := "never run"
			if !j.LastStart.IsZero() {
				last = fmt.Sprintf("last %s took %s", j.LastStart.Format(time.RFC3339), j.LastDuration)
			}
			errText := ""
			if j.LastError != "" {
				errText = fmt.Sprintf(", last error: %s (%d in a row)", j.LastError, j.ConsecutiveFailures)
			}
			fmt.Fprintf(w, "  %-12s %-12s %s, runs %d, failures %d, next %s%s\n", j.Name, j.Schedule, last,
				j.Runs, j.Failures, j.Next.Format(time.RFC3339), errText)
		}
	}
}
