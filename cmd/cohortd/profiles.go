package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/internal/logging"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/ingest"
	"github.com/cohortd/cohortd/sync/segmenter"
)

func profilesCommand() *command {
	var asJSON bool
	return &command{
		name:    "profiles",
		summary: "profiles show EMAIL|ID | duplicates | unmerge ID: inspect profiles, list possible duplicates, split a merge",
		usage:   "show EMAIL|ID | duplicates | unmerge ID",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print JSON (show, duplicates)")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) == 0 {
				return usageErr("usage: cohortd profiles show EMAIL|ID | duplicates | unmerge ID")
			}
			cfg, _, err := e.loadConfig()
			if err != nil {
				return err
			}
			switch {
			case args[0] == "show" && len(args) == 2:
				return withStore(cfg, true, func(st *store.Store) error { return showProfile(e.stdout, st, args[1], asJSON) })
			case args[0] == "duplicates" && len(args) == 1:
				return withStore(cfg, true, func(st *store.Store) error { return showDuplicates(e.stdout, st, asJSON) })
			case args[0] == "unmerge" && len(args) == 2:
				return withStore(cfg, false, func(st *store.Store) error { return unmerge(ctx, e.stdout, cfg, st, args[1]) })
			}
			return usageErr("usage: cohortd profiles show EMAIL|ID | duplicates | unmerge ID")
		},
	}
}

// withStore opens the data file for a command that runs while no daemon holds it.
func withStore(cfg *config.Config, readOnly bool, fn func(*store.Store) error) error {
	st, err := store.Open(store.DefaultPath(cfg.DataDir), store.Options{ReadOnly: readOnly})
	if err != nil {
		if errors.Is(err, store.ErrInUse) {
			return fmt.Errorf("%w (stop the daemon first)", err)
		}
		return err
	}
	defer st.Close()
	return fn(st)
}

func showProfile(w io.Writer, st *store.Store, q string, asJSON bool) error {
	p, err := ingest.Lookup(st, q)
	if errors.Is(err, ingest.ErrNoProfile) {
		return fmt.Errorf("no profile matches %s", logging.MaskEmail(q))
	}
	if err != nil {
		return err
	}
	audit, err := ingest.Audit(st, p.ID)
	if err != nil {
		return err
	}
	segs, _, err := segmenter.ProfileSegments(st, p.ID)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(w, struct {
			profiles.Profile
			Merges   []profiles.MergeAudit `json:"merges"`
			Segments []string              `json:"segments"`
		}{p, audit, segs.Segments})
	}
	fmt.Fprintf(w, "profile %s\n", p.ID)
	fmt.Fprintf(w, "  name:       %s %s\n", p.FirstName, p.LastName)
	for i, em := range p.Emails {
		label := "email:     "
		if i > 0 {
			label = "also:      "
		}
		flags := ""
		if em.Flags != "" {
			flags = " [" + em.Flags + "]"
		}
		fmt.Fprintf(w, "  %s %s%s\n", label, em.Address, flags)
	}
	for _, ph := range p.Phones {
		if ph.Valid {
			fmt.Fprintf(w, "  phone:      %s\n", ph.E164)
		} else {
			fmt.Fprintf(w, "  phone:      %s [invalid, kept as typed]\n", ph.Raw)
		}
	}
	for _, a := range p.Addresses {
		fmt.Fprintf(w, "  address:    %s\n", strings.Join(nonEmpty(a.Address1, a.Address2, a.City, a.Region, a.Postcode, a.CountryCode), ", "))
	}
	if !p.FirstSeen.IsZero() {
		fmt.Fprintf(w, "  first seen: %s\n", p.FirstSeen.Format("2006-01-02"))
	}
	s := p.Summary
	fmt.Fprintf(w, "  orders:     %d (%d cancelled, %d refunded), %d items\n", s.Orders, s.Cancellations, s.Refunds, s.Items)
	if s.Orders > 0 {
		fmt.Fprintf(w, "  first/last: %s / %s\n", s.FirstOrder.Format("2006-01-02"), s.LastOrder.Format("2006-01-02"))
		fmt.Fprintf(w, "  spent:      %s %s (net of refunds)", s.TotalBase.StringFixed(2), s.BaseCurrency)
		if s.Unconverted > 0 {
			fmt.Fprintf(w, ", %d orders without an exchange rate", s.Unconverted)
		}
		fmt.Fprintln(w)
		for _, cur := range slices.Sorted(maps.Keys(s.Totals)) {
			note := ""
			if b, ok := s.ConvertedBase[cur]; ok {
				note = fmt.Sprintf(" = %s %s", b.StringFixed(2), s.BaseCurrency)
			}
			fmt.Fprintf(w, "              %s %s%s\n", s.Totals[cur].String(), cur, note)
		}
		if s.ZeroValue > 0 {
			fmt.Fprintf(w, "  free:       %d orders that bought nothing (not counted)\n", s.ZeroValue)
		}
	}
	fmt.Fprintf(w, "  sources (%d):\n", len(p.Sources))
	for _, src := range p.Sources {
		fmt.Fprintf(w, "    %s\n", src.Key())
	}
	if len(p.FieldSources) > 0 {
		fmt.Fprintln(w, "  field sources:")
		keys := make([]string, 0, len(p.FieldSources))
		for k := range p.FieldSources {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "    %-11s %s\n", k, p.FieldSources[k])
		}
	}
	if len(segs.Segments) > 0 {
		fmt.Fprintf(w, "  segments:   %s (since %s)\n", strings.Join(segs.Segments, " "), segs.Since.Format("2006-01-02 15:04Z"))
	}
	if len(audit) > 0 {
		fmt.Fprintln(w, "  merges:")
		for _, a := range audit {
			fmt.Fprintf(w, "    %s + %s: %s, p=%.4f, weight %.1f, decided by %s\n", a.A.Key(), a.B.Key(), a.Reason, a.Probability, a.Score, strings.Join(a.Decisive, ","))
		}
	}
	return nil
}

func nonEmpty(vals ...string) []string {
	var out []string
	for _, v := range vals {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func showDuplicates(w io.Writer, st *store.Store, asJSON bool) error {
	dups, err := ingest.Possible(st)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(w, dups)
	}
	if len(dups) == 0 {
		fmt.Fprintln(w, "no possible duplicates")
		return nil
	}
	sort.Slice(dups, func(i, j int) bool { return dups[i].Probability > dups[j].Probability })
	fmt.Fprintf(w, "%d possible duplicates (scored between the thresholds, not merged):\n", len(dups))
	for _, d := range dups {
		fmt.Fprintf(w, "  %.4f  %s (%s)  ~  %s (%s)\n", d.Probability, d.A, d.ARef.Key(), d.B, d.BRef.Key())
	}
	return nil
}

func unmerge(ctx context.Context, w io.Writer, cfg *config.Config, st *store.Store, id string) error {
	n, err := ingest.Unmerge(ctx, st, id)
	if err != nil {
		return err
	}
	opts, err := ingest.BuildOptions(cfg)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	res, err := ingest.Rebuild(ctx, st, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "unmerged %s: %d source pairs will stay apart; %d profiles now\n", id, n, res.Quality.Profiles)
	return nil
}

func qualityCommand() *command {
	var (
		asJSON  bool
		history int
	)
	return &command{
		name:    "quality",
		summary: "show the data-quality report of the last profile rebuild (completeness, validity, duplicates)",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print JSON")
			fs.IntVar(&history, "history", 0, "also show the trend over the last N reports (one per rebuild), oldest first")
		},
		run: func(_ context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usageErr("unexpected arguments %q", args)
			}
			cfg, _, err := e.loadConfig()
			if err != nil {
				return err
			}
			if history < 0 {
				return usageErr("--history must be a positive number of reports")
			}
			return withStore(cfg, true, func(st *store.Store) error {
				if history > 0 {
					h, err := ingest.QualityHistory(st, history)
					if err != nil {
						return err
					}
					if asJSON {
						return writeJSON(e.stdout, h)
					}
					printQuality(e.stdout, h[len(h)-1])
					printQualityTrend(e.stdout, h)
					return nil
				}
				q, err := ingest.LatestQuality(st)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(e.stdout, q)
				}
				printQuality(e.stdout, q)
				return nil
			})
		},
	}
}

func printQuality(w io.Writer, q profiles.Quality) {
	fmt.Fprintf(w, "data quality at %s\n", q.At.Format("2006-01-02 15:04:05Z"))
	fmt.Fprintf(w, "  identities (customer records + guest buyers): %d\n", q.Identities)
	fmt.Fprintf(w, "  profiles: %d (%d with orders); duplicates folded: %.2f%% (%d links)\n", q.Profiles, q.WithOrders, q.DuplicatesRate, q.MergedLinks)
	fmt.Fprintf(w, "  emails: %d invalid, %d role, %d disposable, %d test; phones: %d invalid (kept as typed)\n",
		q.InvalidEmails, q.RoleEmails, q.Disposable, q.TestEmails, q.InvalidPhones)
	fmt.Fprintf(w, "  fields filled from orders: %d; orders without an exchange rate: %d\n", q.FilledFromOrds, q.Unconverted)
	fmt.Fprintf(w, "  %-11s %12s %10s\n", "field", "complete", "valid")
	names := make([]string, 0, len(q.Fields))
	for n := range q.Fields {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f := q.Fields[n]
		fmt.Fprintf(w, "  %-11s %11.2f%% %9.2f%%\n", n, f.Completeness, f.Validity)
	}
}

// printQualityTrend prints one line per report: how the headline figures moved.
func printQualityTrend(w io.Writer, h []profiles.Quality) {
	fmt.Fprintf(w, "\ntrend (%d reports, oldest first)\n", len(h))
	fmt.Fprintf(w, "  %-20s %9s %9s %7s %13s %13s %9s %9s\n",
		"at", "profiles", "identities", "dup%", "email ok/all%", "phone ok/all%", "bad email", "bad phone")
	for _, q := range h {
		e, p := q.Fields["email"], q.Fields["phone"]
		fmt.Fprintf(w, "  %-20s %9d %9d %7.2f %6.1f/%5.1f %6.1f/%5.1f %9d %9d\n",
			q.At.UTC().Format("2006-01-02 15:04:05Z"), q.Profiles, q.Identities, q.DuplicatesRate,
			e.Validity, e.Completeness, p.Validity, p.Completeness, q.InvalidEmails, q.InvalidPhones)
	}
}
