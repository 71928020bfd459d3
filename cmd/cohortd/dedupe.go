package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cohortd/cohortd/profiles/identity"
)

// dedupeCommand clusters the people of a CSV file without a store.
func dedupeCommand() *command {
	var maps multiFlag
	var idCol string
	var match, possible float64
	var noDet bool
	return &command{
		name:    "dedupe",
		summary: "cluster the people in a CSV file (probabilistic identity resolution); writes id,cluster_id,score",
		usage:   "FILE.csv",
		flags: func(fs *flag.FlagSet) {
			fs.Var(&maps, "map", "FIELD=COLUMN[,FIELD=COLUMN...] column mapping (repeatable; other_id may repeat); fields: "+fieldList())
			fs.StringVar(&idCol, "id", "", "column holding the record id (default: column \"id\" if present, else the row number)")
			fs.Float64Var(&match, "match-threshold", 0.9, "posterior match probability to merge a pair")
			fs.Float64Var(&possible, "possible-threshold", 0.5, "probability from which a pair is reported as a possible duplicate")
			fs.BoolVar(&noDet, "no-deterministic", false, "skip the deterministic pass (shared e-mail, phone, other_id); score every pair")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) != 1 {
				return usageErr("usage: cohortd dedupe [--map FIELD=COLUMN,...] [--id COLUMN] [--match-threshold P] [--no-deterministic] FILE.csv")
			}
			if match <= 0 || match > 1 || possible <= 0 || possible > 1 {
				return usageErr("--match-threshold and --possible-threshold must be in (0, 1]")
			}
			mapping, err := parseFieldMap(maps)
			if err != nil {
				return usageErr("--map: %v", err)
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			start := time.Now()
			recs, err := readDedupeCSV(f, mapping, idCol, e.stderr)
			if err != nil {
				var ue *exitError
				if errors.As(err, &ue) {
					return err
				}
				return fmt.Errorf("%s: %w", args[0], err)
			}
			// Only the record IDs are written afterwards: Resolve may free the field values.
			// For large files, run with a soft memory limit (GOMEMLIMIT=1800MiB, say) to keep
			// the Go heap's GC headroom in check.
			res, err := identity.Resolve(recs, identity.Options{MatchThreshold: match, PossibleThreshold: possible,
				NoDeterministic: noDet, ReleaseInput: true})
			if err != nil {
				return err
			}
			if err := writeDedupe(e.stdout, recs, res); err != nil {
				return err
			}
			clusters := 0
			for i, c := range res.ClusterOf {
				if c == i {
					clusters++
				}
			}
			fmt.Fprintf(e.stderr, "dedupe: %d records, %d candidate pairs, %d clusters, %d merged pairs, %d possible duplicates, %s\n",
				len(recs), res.CandidatePairs, clusters, len(res.Merged), len(res.Possible), time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func fieldList() string {
	names := make([]string, len(identity.AllFields))
	for i, f := range identity.AllFields {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// fieldMapping maps a CSV column name to the fields it feeds.
type fieldMapping map[string][]identity.Field

func parseFieldMap(specs []string) (fieldMapping, error) {
	known := map[identity.Field]bool{}
	for _, f := range identity.AllFields {
		known[f] = true
	}
	m := fieldMapping{}
	used := map[identity.Field]bool{}
	pairs, err := parseMapPairs(specs)
	if err != nil {
		return nil, err
	}
	for _, p := range pairs {
		k, v := p.field, p.column
		f := identity.Field(k)
		if !known[f] {
			return nil, fmt.Errorf("unknown field %q (known: %s)", k, fieldList())
		}
		if used[f] && f != identity.OtherID {
			return nil, fmt.Errorf("field %q mapped twice", k)
		}
		used[f] = true
		m[v] = append(m[v], f)
	}
	return m, nil
}

// readDedupeCSV reads people from a CSV with a header row. Headers and values are trimmed.
// Rows with the wrong number of columns are reported to stderr and skipped.
func readDedupeCSV(r io.Reader, mapping fieldMapping, idCol string, stderr io.Writer) ([]identity.Record, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	header = append([]string(nil), header...)
	type col struct {
		idx    int
		fields []identity.Field
	}
	var cols []col
	idIdx := -1
	mapped := map[identity.Field]bool{}
	for _, fs := range mapping {
		for _, f := range fs {
			mapped[f] = true
		}
	}
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		header[i] = h
		seen[h] = true
		if h == idCol || (idCol == "" && h == "id") {
			idIdx = i
		}
		if fs, ok := mapping[h]; ok {
			cols = append(cols, col{i, fs})
		} else if f := identity.Field(h); !mapped[f] && isField(f) {
			cols = append(cols, col{i, []identity.Field{f}})
		}
	}
	if idCol != "" && idIdx < 0 {
		return nil, usageErr("--id: no column %q in the header", idCol)
	}
	for c := range mapping {
		if !seen[c] {
			return nil, usageErr("--map: no column %q in the header", c)
		}
	}
	var recs []identity.Record
	row := 1
	for {
		rec, err := cr.Read()
		row++
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				fmt.Fprintf(stderr, "dedupe: row %d skipped: %v\n", row, err)
				continue
			}
			return nil, err
		}
		if len(rec) != len(header) {
			fmt.Fprintf(stderr, "dedupe: row %d skipped: %d columns, header has %d\n", row, len(rec), len(header))
			continue
		}
		r := identity.Record{ID: strconv.Itoa(row - 1), Fields: make(map[identity.Field][]string, len(cols))}
		if idIdx >= 0 {
			r.ID = strings.TrimSpace(rec[idIdx])
		}
		for _, c := range cols {
			v := strings.TrimSpace(rec[c.idx])
			if v == "" {
				continue
			}
			for _, f := range c.fields {
				r.Fields[f] = append(r.Fields[f], v)
			}
		}
		recs = append(recs, r)
	}
	return recs, nil
}

func isField(f identity.Field) bool {
	for _, g := range identity.AllFields {
		if g == f {
			return true
		}
	}
	return false
}

// dedupeScores gives each record the best probability linking it into its cluster: 1 for a
// deterministic link, 0 for a singleton.
func dedupeScores(n int, res *identity.Result) []float64 {
	score := make([]float64, n)
	for _, p := range res.Merged {
		pr := p.Probability
		if strings.HasPrefix(p.Reason, "deterministic:") {
			pr = 1
		}
		score[p.A] = max(score[p.A], pr)
		score[p.B] = max(score[p.B], pr)
	}
	return score
}

func writeDedupe(w io.Writer, recs []identity.Record, res *identity.Result) error {
	cw := csv.NewWriter(w)
	score := dedupeScores(len(recs), res)
	if err := cw.Write([]string{"id", "cluster_id", "score"}); err != nil {
		return err
	}
	for i, r := range recs {
		if err := cw.Write([]string{r.ID, recs[res.ClusterOf[i]].ID, strconv.FormatFloat(score[i], 'f', 4, 64)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
