package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/csvfile"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/ingest"
)

func importCommand() *command {
	var storeID string
	var noRebuild bool
	return &command{
		name:    "import",
		summary: "import Shopify customer/order CSV exports or a mapped orders CSV into the store, then rebuild profiles",
		usage:   "--store NAME [FILE...]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&storeID, "store", "", "id of the configured store the records belong to (required)")
			fs.BoolVar(&noRebuild, "no-rebuild", false, "store the records without rebuilding profiles")
		},
		run: func(ctx context.Context, e *env, files []string) error {
			if storeID == "" {
				return usageErr("--store is required: the id of a store in the config")
			}
			cfg, _, err := e.loadConfig()
			if err != nil {
				return err
			}
			sc, ok := cfg.StoreByID(storeID)
			if !ok {
				return usageErr("no store %q in the config (stores: %s)", storeID, storeIDs(cfg))
			}
			if len(files) == 0 && sc.Path != "" {
				files = []string{sc.Path}
			}
			if len(files) == 0 {
				return usageErr("name the files to import")
			}
			return withStore(cfg, false, func(st *store.Store) error {
				return importFiles(ctx, e, st, cfg, sc, files, !noRebuild)
			})
		},
	}
}

// importFiles streams every file into the store, then rebuilds the profiles.
func importFiles(ctx context.Context, e *env, st *store.Store, cfg *config.Config, sc config.Store, files []string, rebuild bool) error {
	w := ingest.NewWriter(st, 2000)
	log, err := e.logger()
	if err != nil {
		return err
	}
	w.OnCommit = func(n int) {
		log.Debug().Str("store", sc.ID).Int("records_committed", n).Msg("import: batch committed")
	}
	bad := 0
	for _, f := range files {
		rep, err := importFile(ctx, e, w, sc, cfg, f)
		if err != nil {
			return err
		}
		bad += rep.BadCount
		printReport(e.stdout, f, rep)
	}
	if err := w.Flush(ctx); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "stored %d new or changed records, skipped %d older than what was stored, joined %d split orders\n", w.Written, w.Stale, w.Joined)
	if !rebuild {
		return nil
	}
	start := time.Now()
	opts, err := ingest.BuildOptions(cfg)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	res, err := ingest.Rebuild(ctx, st, opts)
	if err != nil {
		return err
	}
	q := res.Quality
	fmt.Fprintf(e.stdout, "profiles: %d from %d identities (%d links merged, %d possible duplicates) in %s\n",
		q.Profiles, q.Identities, q.MergedLinks, len(res.Possible), time.Since(start).Round(time.Millisecond))
	if bad > 0 {
		fmt.Fprintf(e.stdout, "%d bad rows were skipped; the good rows were imported\n", bad)
	}
	return nil
}

func storeIDs(cfg *config.Config) string {
	ids := make([]string, 0, len(cfg.Stores))
	for _, s := range cfg.Stores {
		ids = append(ids, s.ID)
	}
	if len(ids) == 0 {
		return "none configured"
	}
	return strings.Join(ids, ", ")
}

// importFile detects the file's format from its header and streams it into the writer.
func importFile(ctx context.Context, e *env, w *ingest.Writer, sc config.Store, cfg *config.Config, path string) (csvfile.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return csvfile.Report{}, fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return csvfile.Report{}, fmt.Errorf("import: %w", err)
	}
	var r io.Reader = f
	prog := newProgress(e.stderr, path, info.Size())
	r = io.TeeReader(r, prog)
	defer prog.done()
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return csvfile.Report{}, fmt.Errorf("import %s: %w", path, err)
		}
		defer gz.Close()
		r = gz
	}
	br := bufio.NewReaderSize(r, 1<<16)
	header, err := peekHeader(br)
	if err != nil {
		return csvfile.Report{}, fmt.Errorf("import %s: %w", path, err)
	}
	loc := cfg.Location()
	addCustomer := func(c profiles.CustomerRecord) error { return w.AddCustomer(ctx, c) }
	addOrder := func(o profiles.OrderRecord) error { return w.AddOrder(ctx, o) }
	var rep csvfile.Report
	switch format, ok := csvfile.Detect(header); {
	case ok && format == csvfile.FormatShopifyCustomers:
		rep, err = csvfile.ReadShopifyCustomers(br, sc.ID, addCustomer)
	case ok && format == csvfile.FormatShopifyOrders:
		rep, err = csvfile.ReadShopifyOrders(br, sc.ID, loc, addOrder)
	case len(sc.Mapping) > 0:
		m, merr := csvfile.MappingFromConfig(sc.Mapping)
		if merr != nil {
			return csvfile.Report{}, &exitError{code: exitUsage, err: fmt.Errorf("store %q mapping: %w", sc.ID, merr)}
		}
		rep, err = csvfile.ReadOrders(br, sc.ID, m, loc, addOrder)
	default:
		return csvfile.Report{}, usageErr("%s: not a Shopify customer or order export, and store %q has no column mapping (add stores[].mapping, see examples/cohortd.yaml)", path, sc.ID)
	}
	if err != nil {
		return rep, fmt.Errorf("import %s: %w", path, err)
	}
	return rep, nil
}

// peekHeader reads the CSV header without consuming it.
func peekHeader(br *bufio.Reader) ([]string, error) {
	line, err := br.Peek(min(br.Size(), 1<<16))
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	if i := strings.IndexByte(string(line), '\n'); i >= 0 {
		line = line[:i]
	}
	rec, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(line), "\ufeff"))).Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	return rec, nil
}

func printReport(w io.Writer, path string, rep csvfile.Report) {
	fmt.Fprintf(w, "%s: %s, %d rows, %d records", path, rep.Format, rep.Rows, rep.Records)
	for _, reason := range slices.Sorted(maps.Keys(rep.Skipped)) {
		fmt.Fprintf(w, ", %d skipped (%s)", rep.Skipped[reason], reason)
	}
	fmt.Fprintf(w, ", %d bad rows\n", rep.BadCount)
	for i, b := range rep.Bad {
		if i == 20 {
			fmt.Fprintf(w, "  ... and %d more bad rows\n", rep.BadCount-20)
			break
		}
		fmt.Fprintf(w, "  %s: %s\n", path, b.Error())
	}
}

// progress prints a one-line progress bar on a terminal, nothing otherwise.
type progress struct {
	w         io.Writer
	name      string
	total, n  int64
	last      time.Time
	tty       bool
	startedAt time.Time
}

func newProgress(w io.Writer, name string, total int64) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &progress{w: w, name: name, total: total, tty: tty, startedAt: time.Now()}
}

func (p *progress) Write(b []byte) (int, error) {
	p.n += int64(len(b))
	if p.tty && time.Since(p.last) > 200*time.Millisecond {
		p.last = time.Now()
		pct := 100.0
		if p.total > 0 {
			pct = float64(p.n) * 100 / float64(p.total)
		}
		bar := strings.Repeat("#", int(pct/5)) + strings.Repeat(".", 20-int(pct/5))
		fmt.Fprintf(p.w, "\r%s [%s] %5.1f%%", p.name, bar, pct)
	}
	return len(b), nil
}

func (p *progress) done() {
	if p.tty {
		fmt.Fprintf(p.w, "\r%s [%s] 100.0%% in %s\n", p.name, strings.Repeat("#", 20), time.Since(p.startedAt).Round(time.Millisecond))
	}
}
