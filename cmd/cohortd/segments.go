package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/internal/logging"
	"github.com/cohortd/cohortd/segments"
	"github.com/cohortd/cohortd/segments/rules"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/emailsync"
	"github.com/cohortd/cohortd/sync/ingest"
	"github.com/cohortd/cohortd/sync/segmenter"
)

const segmentsUsage = "usage: cohortd segments [recompute] | preview 'RULE' | history NAME | diff DESTINATION | export [--out FILE]"

func segmentsCommand() *command {
	var (
		asJSON bool
		nowStr string
		sample int
		out    string
	)
	return &command{
		name:    "segments",
		summary: "recompute segments and show their sizes; preview a rule, a segment's history, a destination's diff, export scores",
		usage:   "[recompute] | preview 'RULE' | history NAME | diff DESTINATION | export [--out FILE]",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print JSON")
			fs.StringVar(&nowStr, "now", "", "compute as of this time (RFC 3339 or YYYY-MM-DD; default: now), e.g. for a historical dataset")
			fs.IntVar(&sample, "sample", 10, "preview: how many matching profiles to show; diff: how many profiles to list")
			fs.StringVar(&out, "out", "", "export: write the CSV to this file instead of stdout")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			now := time.Now().UTC()
			if nowStr != "" {
				t, err := parseNow(nowStr)
				if err != nil {
					return usageErr("--now: %v", err)
				}
				now = t
			}
			cfg, _, err := e.loadConfig()
			if err != nil {
				return err
			}
			opts, err := segmenter.BuildOptions(cfg)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			sub := "recompute"
			if len(args) > 0 {
				sub, args = args[0], args[1:]
			}
			switch {
			case sub == "recompute" && len(args) == 0:
				return withStore(cfg, false, func(st *store.Store) error { return recomputeSegments(ctx, e, st, opts, now, asJSON) })
			case sub == "preview" && len(args) == 1:
				rule, err := rules.Compile("preview", args[0])
				if err != nil {
					return &exitError{code: exitUsage, err: previewError(args[0], err)}
				}
				return withStore(cfg, true, func(st *store.Store) error {
					return previewRule(ctx, e, st, opts, rule, now, sample, asJSON)
				})
			case sub == "history" && len(args) == 1:
				return withStore(cfg, true, func(st *store.Store) error { return segmentHistory(e.stdout, st, args[0], asJSON) })
			case sub == "diff" && len(args) == 1:
				return withStore(cfg, true, func(st *store.Store) error { return segmentDiff(e.stdout, st, cfg, args[0], sample, asJSON) })
			case sub == "export" && len(args) == 0:
				return withStore(cfg, true, func(st *store.Store) error { return exportScores(ctx, e, st, opts, now, out) })
			}
			return usageErr(segmentsUsage)
		},
	}
}

func parseNow(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use RFC 3339 (2011-12-10T00:00:00Z) or a date (2011-12-10)", s)
}

func recomputeSegments(ctx context.Context, e *env, st *store.Store, opts segments.Options, now time.Time, asJSON bool) error {
	rep, err := segmenter.Recompute(ctx, st, opts, now)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(e.stdout, rep)
	}
	m := rep.Model
	fmt.Fprintf(e.stdout, "segments at %s: %d profiles, %d customers with orders; %d profiles changed segments\n",
		now.Format(time.RFC3339), m.Profiles, m.Customers, rep.Changed)
	fmt.Fprintf(e.stdout, "took %s (load %s, compute %s, store %s)\n", m.Took.Round(time.Millisecond),
		m.Timings["load"].Round(time.Millisecond), m.Timings["compute"].Round(time.Millisecond), m.Timings["store"].Round(time.Millisecond))
	printPrediction(e.stdout, m.Prediction)
	for i, c := range m.Clusters {
		fmt.Fprintf(e.stdout, "cluster-%d: %d customers, centroid %.0f days since last order, %.1f orders, %.2f spent\n", i+1, c.Size, c.RecencyDays, c.Orders, c.Spend)
	}
	printSizes(e.stdout, rep.Snapshot.Sizes, m.Profiles)
	return nil
}

func printPrediction(w io.Writer, p segments.Prediction) {
	if !p.OK {
		fmt.Fprintf(w, "predictions: not fitted: %s\n", p.Reason)
		return
	}
	b := p.BGNBD
	fmt.Fprintf(w, "predictions: BG/NBD on %d customers (%d repeat buyers): r=%.4g alpha=%.4g a=%.4g b=%.4g loglik=%.1f\n",
		p.Customers, p.RepeatBuyers, b.R, b.Alpha, b.A, b.B, b.LogLik)
	if p.SpendOK {
		g := p.GammaGamma
		fmt.Fprintf(w, "             Gamma-Gamma: p=%.4g q=%.4g gamma=%.4g\n", g.P, g.Q, g.Gamma)
	} else {
		fmt.Fprintf(w, "             Gamma-Gamma not fitted: %s\n", p.SpendNote)
	}
}

// printSizes prints segment sizes grouped by family, families in a fixed order.
func printSizes(w io.Writer, sizes map[string]int, profiles int) {
	names := make([]string, 0, len(sizes))
	for n := range sizes {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		if c := strings.Compare(segments.Family(a, false), segments.Family(b, false)); c != 0 {
			return c
		}
		if sizes[a] != sizes[b] {
			return sizes[b] - sizes[a]
		}
		return strings.Compare(a, b)
	})
	fmt.Fprintf(w, "%-36s %9s %7s\n", "segment", "profiles", "share")
	for _, n := range names {
		fmt.Fprintf(w, "%-36s %9d %6.1f%%\n", n, sizes[n], 100*float64(sizes[n])/float64(max(profiles, 1)))
	}
}

// previewError shows where a rule is wrong, with a caret under the position.
func previewError(when string, err error) error {
	var re *rules.Error
	if !errors.As(err, &re) {
		return err
	}
	lines := strings.Split(when, "\n")
	line := ""
	if re.Line >= 1 && re.Line <= len(lines) {
		line = lines[re.Line-1]
	}
	msg := fmt.Sprintf("rule:%d:%d: %s", re.Line, re.Column, re.Msg)
	if re.Hint != "" {
		msg += " (" + re.Hint + ")"
	}
	return fmt.Errorf("%s\n  %s\n  %s^", msg, line, strings.Repeat(" ", max(re.Column-1, 0)))
}

type previewRow struct {
	ProfileID string  `json:"profile_id"`
	Email     string  `json:"email"` // masked
	Orders    int     `json:"orders"`
	Spent     float64 `json:"total_spent"`
	RFMGroup  string  `json:"rfm_group,omitempty"`
	Lifecycle string  `json:"lifecycle"`
}

func previewRule(ctx context.Context, e *env, st *store.Store, opts segments.Options, rule *rules.Rule, now time.Time, sample int, asJSON bool) error {
	start := time.Now()
	feats, err := segmenter.LoadFeatures(st, opts)
	if err != nil {
		return err
	}
	m := segments.Fit(feats, now, opts)
	if _, err := m.ScoreAll(ctx, feats, now); err != nil {
		return err
	}
	var matched []*segments.Features
	for i := range feats {
		ok, err := rule.Match(&feats[i])
		if err != nil {
			return fmt.Errorf("rule on profile %s: %w", feats[i].ProfileID, err)
		}
		if ok {
			matched = append(matched, &feats[i])
		}
	}
	slices.SortFunc(matched, func(a, b *segments.Features) int { return strings.Compare(a.ProfileID, b.ProfileID) })
	rows := make([]previewRow, 0, min(sample, len(matched)))
	for _, f := range matched[:min(sample, len(matched))] {
		email := ""
		if p, err := ingest.Lookup(st, f.ProfileID); err == nil && len(p.Emails) > 0 {
			email = logging.MaskEmail(p.Emails[0].Address)
		}
		rows = append(rows, previewRow{ProfileID: f.ProfileID, Email: email, Orders: f.OrdersCount, Spent: f.TotalSpent, RFMGroup: f.RFMGroup, Lifecycle: f.Lifecycle})
	}
	share := 0.0
	if len(feats) > 0 {
		share = float64(len(matched)) / float64(len(feats))
	}
	if asJSON {
		return writeJSON(e.stdout, struct {
			Rule     string       `json:"rule"`
			Count    int          `json:"count"`
			Profiles int          `json:"profiles"`
			Share    float64      `json:"share"`
			Sample   []previewRow `json:"sample"`
		}{rule.When(), len(matched), len(feats), share, rows})
	}
	fmt.Fprintf(e.stdout, "%d of %d profiles match (%.1f%%) at %s, in %s; nothing was saved\n",
		len(matched), len(feats), 100*share, now.Format("2006-01-02"), time.Since(start).Round(time.Millisecond))
	for _, r := range rows {
		fmt.Fprintf(e.stdout, "  %-28s %-28s %4d orders %12.2f spent  %-20s %s\n", r.ProfileID, r.Email, r.Orders, r.Spent, r.RFMGroup, r.Lifecycle)
	}
	return nil
}

func segmentHistory(w io.Writer, st *store.Store, name string, asJSON bool) error {
	snaps, mv, err := segmenter.History(st, name)
	if err != nil {
		return err
	}
	if len(snaps) == 0 {
		return errors.New("no segments computed yet: run cohortd segments first")
	}
	type point struct {
		At   time.Time `json:"at"`
		Size int       `json:"size"`
	}
	pts := make([]point, len(snaps))
	for i, s := range snaps {
		pts[i] = point{s.At, s.Sizes[name]}
	}
	if asJSON {
		return writeJSON(w, struct {
			Segment  string             `json:"segment"`
			Sizes    []point            `json:"sizes"`
			Movement segmenter.Movement `json:"movement"`
		}{name, pts, mv})
	}
	fmt.Fprintf(w, "segment %s: size at each recompute\n", name)
	for _, p := range pts {
		fmt.Fprintf(w, "  %s  %d\n", p.At.Format("2006-01-02 15:04:05Z"), p.Size)
	}
	printMoves := func(label string, m map[string]int) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int {
			if m[a] != m[b] {
				return m[b] - m[a]
			}
			return strings.Compare(a, b)
		})
		for _, k := range keys {
			fmt.Fprintf(w, "  %s %-32s %d\n", label, k, m[k])
		}
	}
	fmt.Fprintln(w, "movement since the baseline (from / to the segment of the same family):")
	printMoves("in from", mv.In)
	printMoves("out to ", mv.Out)
	return nil
}

func segmentDiff(w io.Writer, st *store.Store, cfg *config.Config, dest string, limit int, asJSON bool) error {
	if d, ok := cfg.DestinationByID(dest); ok && emailsync.IsEmail(d.Kind) {
		return emailDiff(w, st, cfg, d, limit, asJSON)
	}
	rep, err := segmenter.Diff(st, cfg, dest)
	if err != nil {
		return err
	}
	if asJSON {
		for i := range rep.Profiles {
			rep.Profiles[i].Email = logging.MaskEmail(rep.Profiles[i].Email)
		}
		return writeJSON(w, rep)
	}
	adds, removes := 0, 0
	for _, n := range rep.Adds {
		adds += n
	}
	for _, n := range rep.Removes {
		removes += n
	}
	fmt.Fprintf(w, "destination %s (%s), dry run: %d profiles to update, %d memberships to add, %d to remove, %d with changed properties; %d members skipped without a valid email\n",
		rep.Destination, rep.Kind, len(rep.Profiles), adds, removes, rep.PropUpdates, rep.Skipped)
	for _, s := range rep.Segments {
		fmt.Fprintf(w, "  %-36s +%d -%d\n", s, rep.Adds[s], rep.Removes[s])
	}
	for _, p := range rep.Profiles[:min(limit, len(rep.Profiles))] {
		fmt.Fprintf(w, "  %s %s add %v remove %v\n", p.ProfileID, logging.MaskEmail(p.Email), p.Add, p.Remove)
	}
	return nil
}

// emailDiff prints what an email destination's next push sends: emailsync.Plan, the same
// plan the daemon queues.
func emailDiff(w io.Writer, st *store.Store, cfg *config.Config, d config.Destination, limit int, asJSON bool) error {
	plan, err := emailsync.Compute(st, cfg, d)
	if err != nil {
		return err
	}
	for i := range plan.Changes {
		plan.Changes[i].Change.Email = logging.MaskEmail(plan.Changes[i].Change.Email)
		plan.Changes[i].Change.FirstName, plan.Changes[i].Change.LastName = "", ""
	}
	if asJSON {
		return writeJSON(w, plan)
	}
	adds, removes := 0, 0
	for _, n := range plan.Adds {
		adds += n
	}
	for _, n := range plan.Removes {
		removes += n
	}
	fmt.Fprintf(w, "destination %s (%s, audience %s), dry run: %d contacts to update, %d memberships to add, %d to remove, %d with changed properties\n",
		plan.Destination, plan.Kind, plan.Audience, len(plan.Changes), adds, removes, plan.PropUpdates)
	fmt.Fprintf(w, "left out: %d without a valid email, %d without marketing consent, %d suppressed at the destination\n",
		plan.SkippedNoEmail, plan.SkippedNoConsent, plan.Suppressed)
	for _, n := range plan.Names {
		fmt.Fprintf(w, "  %-36s +%d -%d\n", n, plan.Adds[n], plan.Removes[n])
	}
	for _, e := range plan.Changes[:min(limit, len(plan.Changes))] {
		c := e.Change
		fmt.Fprintf(w, "  %s %s add %v remove %v\n", c.ProfileID, c.Email, c.Add, c.Remove)
	}
	return nil
}

// exportScores writes every profile's RFM values, scores and predictions as CSV.
func exportScores(ctx context.Context, e *env, st *store.Store, opts segments.Options, now time.Time, out string) error {
	feats, err := segmenter.LoadFeatures(st, opts)
	if err != nil {
		return err
	}
	m := segments.Fit(feats, now, opts)
	members, err := m.ScoreAll(ctx, feats, now)
	if err != nil {
		return err
	}
	sources, err := segmenter.SourceKeys(st)
	if err != nil {
		return err
	}
	w := e.stdout
	if out != "" {
		f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"profile_id", "sources", "recency_days", "frequency", "monetary", "r", "f", "m", "rfm_group", "lifecycle",
		"p_alive", "expected_orders", "predicted_clv", "churn_risk", "segments"})
	ff := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for i := range feats {
		f := &feats[i]
		rec := ""
		if f.HasOrders {
			rec = strconv.Itoa(f.DaysSinceLastOrder)
		}
		if err := cw.Write([]string{f.ProfileID, strings.Join(sources[f.ProfileID], " "), rec, strconv.Itoa(f.OrdersCount), ff(f.TotalSpent),
			strconv.Itoa(f.RecencyScore), strconv.Itoa(f.FrequencyScore), strconv.Itoa(f.MonetaryScore), f.RFMGroup, f.Lifecycle,
			ff(f.PAlive), ff(f.ExpectedOrders), ff(f.PredictedCLV), f.ChurnRisk, strings.Join(members[i].Segments, " ")}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
