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

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/outbox"
)

const outboxUsage = "usage: cohortd outbox status [--json] [--planned] | retry DESTINATION [KEY...] | drop DESTINATION (KEY... | --all)"

func outboxCommand() *command {
	var (
		asJSON, planned, all bool
		limit                int
	)
	return &command{
		name:    "outbox",
		summary: "show what waits to be pushed to each destination; retry or drop dead letters",
		usage:   "status [--json] [--planned] | retry DESTINATION [KEY...] | drop DESTINATION (KEY... | --all)",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "status: print JSON")
			fs.BoolVar(&planned, "planned", false, "status: list the changes dry-run destinations would have sent")
			fs.IntVar(&limit, "limit", 50, "status: most dead letters and planned changes to list (0: all)")
			fs.BoolVar(&all, "all", false, "drop: every dead letter of the destination")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) == 0 {
				return usageErr(outboxUsage)
			}
			cfg, _, err := e.loadConfig()
			if err != nil {
				return err
			}
			sub, args := args[0], args[1:]
			switch {
			case sub == "status" && len(args) == 0:
				// Read-only, like the other inspection commands: it needs the daemon stopped.
				return withStore(cfg, true, func(st *store.Store) error {
					return outboxStatus(e.stdout, st, cfg, planned, limit, asJSON)
				})
			case sub == "retry" && len(args) >= 1:
				return withStore(cfg, false, func(st *store.Store) error {
					return outboxRetry(ctx, e.stdout, st, cfg, args[0], args[1:])
				})
			case sub == "drop" && len(args) >= 1:
				if all == (len(args) > 1) {
					return usageErr("drop: name the keys to drop or pass --all (not both)\n%s", outboxUsage)
				}
				return withStore(cfg, false, func(st *store.Store) error {
					return outboxDrop(ctx, e.stdout, st, cfg, args[0], args[1:])
				})
			}
			return usageErr(outboxUsage)
		},
	}
}

// outboxReport is the --json output of outbox status.
type outboxReport struct {
	DataFile     string                     `json:"data_file"`
	At           time.Time                  `json:"at"`
	Destinations []outbox.DestinationStatus `json:"destinations"`
	DeadLetters  []outbox.DeadLetter        `json:"dead_letters"`
	Planned      []outbox.Planned           `json:"planned,omitempty"`
}

func outboxStatus(w io.Writer, st *store.Store, cfg *config.Config, withPlanned bool, limit int, asJSON bool) error {
	now := time.Now().UTC()
	sts, err := outbox.Status(st, now)
	if err != nil {
		return err
	}
	sts = withConfigured(sts, cfg)
	dead, err := outbox.DeadLetters(st, "")
	if err != nil {
		return err
	}
	rep := outboxReport{DataFile: st.Path(), At: now, Destinations: sts, DeadLetters: head(dead, limit)}
	if withPlanned {
		plans, err := outbox.PlannedChanges(st, "")
		if err != nil {
			return err
		}
		rep.Planned = head(plans, limit)
	}
	if asJSON {
		return writeJSON(w, rep)
	}
	printOutbox(w, rep, cfg, len(dead), withPlanned)
	return nil
}

// withConfigured adds an empty row for every configured destination the outbox has nothing
// for, so that "nothing pending" is visible.
func withConfigured(sts []outbox.DestinationStatus, cfg *config.Config) []outbox.DestinationStatus {
	for _, d := range cfg.Destinations {
		if !slices.ContainsFunc(sts, func(s outbox.DestinationStatus) bool { return s.Destination == d.ID }) {
			sts = append(sts, outbox.DestinationStatus{Destination: d.ID})
		}
	}
	slices.SortFunc(sts, func(a, b outbox.DestinationStatus) int { return strings.Compare(a.Destination, b.Destination) })
	return sts
}

func head[T any](s []T, n int) []T {
	if n > 0 && len(s) > n {
		return s[:n]
	}
	return s
}

func printOutbox(w io.Writer, rep outboxReport, cfg *config.Config, deadTotal int, withPlanned bool) {
	fmt.Fprintf(w, "outbox of %s at %s\n", rep.DataFile, rep.At.Format(time.RFC3339))
	if len(rep.Destinations) == 0 {
		fmt.Fprintln(w, "no destinations configured and nothing queued")
		return
	}
	fmt.Fprintf(w, "%-16s %8s %6s %8s %6s %8s  %-10s %s\n", "destination", "pending", "due", "retrying", "dead", "planned", "oldest", "next attempt")
	for _, s := range rep.Destinations {
		name := s.Destination
		if isDryRun(cfg, name) {
			name += " (dry run)"
		}
		oldest, next := "-", "-"
		if !s.OldestEnqueued.IsZero() {
			oldest = rep.At.Sub(s.OldestEnqueued).Round(time.Second).String()
		}
		if !s.NextAttempt.IsZero() {
			next = "now"
			if d := s.NextAttempt.Sub(rep.At); d > 0 {
				next = "in " + d.Round(time.Second).String()
			}
		}
		fmt.Fprintf(w, "%-16s %8d %6d %8d %6d %8d  %-10s %s\n", name, s.Pending, s.Due, s.Retrying, s.Dead, s.Planned, oldest, next)
	}
	for _, s := range rep.Destinations {
		if s.LastError != "" {
			fmt.Fprintf(w, "last error of %s (%s): %s\n", s.Destination, s.LastErrorAt.Format(time.RFC3339), s.LastError)
		}
	}
	if deadTotal > 0 {
		fmt.Fprintf(w, "dead letters (retry: cohortd outbox retry DESTINATION [KEY...]; drop: cohortd outbox drop DESTINATION KEY...|--all):\n")
		for _, dl := range rep.DeadLetters {
			reason := dl.Reason // a give-up's reason says so
			if dl.Permanent {
				reason = fmt.Sprintf("rejected (%d earlier failures): %s", dl.Item.Attempts, dl.Reason)
			}
			fmt.Fprintf(w, "  %-12s %-32s %s %s\n", dl.Item.Destination, dl.Item.Key, dl.At.Format(time.RFC3339), reason)
		}
		if more := deadTotal - len(rep.DeadLetters); more > 0 {
			fmt.Fprintf(w, "  ... and %d more (--limit 0 lists all)\n", more)
		}
	}
	if withPlanned {
		fmt.Fprintln(w, "planned changes (dry run; nothing was sent):")
		if len(rep.Planned) == 0 {
			fmt.Fprintln(w, "  none")
		}
		for _, p := range rep.Planned {
			fmt.Fprintf(w, "  %-12s %-32s %s %s\n", p.Item.Destination, p.Item.Key, p.At.Format(time.RFC3339), p.Item.Summary)
		}
	}
}

func isDryRun(cfg *config.Config, dest string) bool {
	for _, d := range cfg.Destinations {
		if d.ID == dest {
			return d.DryRun
		}
	}
	return false
}

// knownDestination rejects a destination that neither the config nor the outbox knows, so a
// typo is not reported as "nothing to do".
func knownDestination(st *store.Store, cfg *config.Config, dest string) error {
	for _, d := range cfg.Destinations {
		if d.ID == dest {
			return nil
		}
	}
	sts, err := outbox.Status(st, time.Now())
	if err != nil {
		return err
	}
	names := make([]string, 0, len(sts)+len(cfg.Destinations))
	for _, s := range withConfigured(sts, cfg) {
		if s.Destination == dest {
			return nil
		}
		names = append(names, s.Destination)
	}
	return fmt.Errorf("unknown destination %q (known: %s)", dest, strings.Join(names, ", "))
}

func outboxRetry(ctx context.Context, w io.Writer, st *store.Store, cfg *config.Config, dest string, keys []string) error {
	if err := knownDestination(st, cfg, dest); err != nil {
		return err
	}
	res, err := outbox.Retry(ctx, st, dest, keys...)
	if err != nil {
		return retryDropError(err)
	}
	if res.Requeued+res.Superseded == 0 {
		fmt.Fprintf(w, "nothing to retry: %s has no dead letters\n", dest)
		return nil
	}
	fmt.Fprintf(w, "requeued %d dead letters of %s", res.Requeued, dest)
	if res.Superseded > 0 {
		fmt.Fprintf(w, "; deleted %d superseded by a newer pending change", res.Superseded)
	}
	fmt.Fprintln(w, "; the daemon sends them when it runs")
	return nil
}

func outboxDrop(ctx context.Context, w io.Writer, st *store.Store, cfg *config.Config, dest string, keys []string) error {
	if err := knownDestination(st, cfg, dest); err != nil {
		return err
	}
	n, err := outbox.Drop(ctx, st, dest, keys...)
	if err != nil {
		return retryDropError(err)
	}
	fmt.Fprintf(w, "dropped %d dead letters of %s\n", n, dest)
	return nil
}

// retryDropError states that nothing changed when a named key had no dead letter.
func retryDropError(err error) error {
	if errors.Is(err, outbox.ErrNoDeadLetter) {
		return fmt.Errorf("%w; nothing was changed (cohortd outbox status lists the dead letters)", err)
	}
	return err
}
