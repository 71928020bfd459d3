package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/cohortd/cohortd/segments/predict"
)

// predictCommand fits the BG/NBD and Gamma-Gamma models to a transactions file, without a store.
func predictCommand() *command {
	var (
		file, dateFormat, calEnd, sep, out string
		maps                               multiFlag
		noHeader, asJSON                   bool
		horizonDays, discount, periodDays  float64
		minRepeat                          int
	)
	return &command{
		name:    "predict",
		summary: "fit BG/NBD and Gamma-Gamma to a transactions file: future purchases, P(alive) and CLV per customer",
		usage:   "--transactions FILE",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&file, "transactions", "", "transactions file: one purchase per row, CSV or whitespace-separated, gzip accepted (required)")
			fs.Var(&maps, "map", "FIELD=COLUMN[,FIELD=COLUMN...] with FIELD customer, date or amount and COLUMN a header name or a 1-based column number (default: columns named customer, date, amount)")
			fs.BoolVar(&noHeader, "no-header", false, "the file has no header row; --map must give column numbers")
			fs.StringVar(&sep, "separator", "auto", "field separator: comma, semicolon, tab, whitespace (runs of spaces/tabs), or auto (from the first line)")
			fs.StringVar(&dateFormat, "date-format", "", "Go time layout of the dates, e.g. 02/01/2006 (default: try 2006-01-02, 20060102, RFC 3339, \"2006-01-02 15:04:05\")")
			fs.StringVar(&calEnd, "calibration-end", "", "last day (YYYY-MM-DD, inclusive) of the history the models learn from; later purchases are the holdout (default: the last transaction date)")
			fs.Float64Var(&periodDays, "period-days", 7, "the models' time unit in days (7: alpha and T are in weeks)")
			fs.Float64Var(&horizonDays, "horizon-days", 365, "prediction horizon in days for expected_purchases and clv")
			fs.Float64Var(&discount, "discount-rate-monthly", 0.01, "monthly discount rate of the CLV")
			fs.IntVar(&minRepeat, "min-repeat-buyers", predict.DefaultMinRepeatBuyers, "refuse to fit with fewer customers who bought again")
			fs.BoolVar(&asJSON, "json", false, "print the fit as JSON")
			fs.StringVar(&out, "out", "", "write per-customer predictions to this CSV: customer,x,t_x,T,monetary,p_alive,expected_purchases,clv")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) != 0 {
				return usageErr("unexpected argument %q (the file goes in --transactions)", args[0])
			}
			if file == "" {
				return usageErr("--transactions FILE is required")
			}
			opts := predict.CSVOptions{NoHeader: noHeader, DateLayout: dateFormat}
			if err := parsePredictMap(maps, &opts); err != nil {
				return usageErr("--map: %v", err)
			}
			if !(periodDays > 0) || math.IsInf(periodDays, 0) {
				return usageErr("--period-days must be a positive number of days")
			}
			if !(horizonDays >= 0) || horizonDays > 36525 {
				return usageErr("--horizon-days must be between 0 and 36525 (a century)")
			}
			if !(discount > -1) || discount > 10 {
				return usageErr("--discount-rate-monthly must be above -1 and at most 10 (0.01 is 1%% a month)")
			}
			if minRepeat < 1 {
				return usageErr("--min-repeat-buyers must be at least 1")
			}
			var end time.Time
			if calEnd != "" {
				t, err := predict.ParseDate(calEnd, "")
				if err != nil {
					return usageErr("--calibration-end: %v", err)
				}
				end = t
			}
			txs, rep, err := readPredictFile(file, sep, &opts, e.stderr)
			if err != nil {
				return err
			}
			printBadRows(e.stderr, rep)
			if len(txs) == 0 {
				return fmt.Errorf("%s: no valid transactions in %d rows", file, rep.Rows)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			first, last := dateRange(txs)
			if calEnd == "" {
				end = last
			}
			sums := predict.Summarize(txs, end, periodDays)
			if len(sums) == 0 {
				return fmt.Errorf("no customer bought on or before the calibration end %s (the first purchase is on %s)",
					end.Format(time.DateOnly), first.Format(time.DateOnly))
			}
			if late := countCustomers(txs) - len(sums); late > 0 {
				fmt.Fprintf(e.stderr, "predict: %d customers first bought after the calibration end %s and are not scored\n", late, end.Format(time.DateOnly))
			}
			fitOpts := predict.FitOptions{MinRepeatBuyers: minRepeat}
			start := time.Now()
			bg, _ := predict.FitBGNBD(sums, fitOpts) // a refusal is reported through bg.OK and bg.Reason
			gg, _ := predict.FitGammaGamma(sums, fitOpts)
			fitTime := time.Since(start)
			res := predictResult{txs: len(txs), rep: rep, sums: sums, end: end, periodDays: periodDays, bg: bg, gg: gg, fitTime: fitTime}
			if out != "" {
				if err := writePredictionsFile(out, res, horizonDays, discount); err != nil {
					return err
				}
			}
			if asJSON {
				return writeJSON(e.stdout, res.json())
			}
			res.text(e.stdout)
			return nil
		},
	}
}

// parsePredictMap fills opts' column fields from --map values.
func parsePredictMap(specs []string, opts *predict.CSVOptions) error {
	pairs, err := parseMapPairs(specs)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, p := range pairs {
		k, v := p.field, p.column
		if seen[k] {
			return fmt.Errorf("field %q mapped twice", k)
		}
		seen[k] = true
		switch k {
		case "customer":
			opts.Customer = v
		case "date":
			opts.Date = v
		case "amount":
			opts.Amount = v
		default:
			return fmt.Errorf("unknown field %q (fields: customer, date, amount)", k)
		}
	}
	return nil
}

// readPredictFile opens path (gunzipping it when it starts with the gzip magic), settles the
// separator and reads the transactions. Problems with the options come back as usage errors.
func readPredictFile(path, sep string, opts *predict.CSVOptions, stderr io.Writer) ([]predict.Transaction, predict.Report, error) {
	switch sep {
	case "auto":
	case "comma":
		opts.Comma = ','
	case "semicolon":
		opts.Comma = ';'
	case "tab":
		opts.Comma = '\t'
	case "whitespace":
		opts.Whitespace = true
	default:
		return nil, predict.Report{}, usageErr("--separator must be auto, comma, semicolon, tab or whitespace, not %q", sep)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, predict.Report{}, err
	}
	defer f.Close()
	var r io.Reader = bufio.NewReader(f)
	if magic, _ := r.(*bufio.Reader).Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, predict.Report{}, fmt.Errorf("%s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if sep == "auto" {
		head, _ := br.Peek(64 << 10)
		name := sniffSeparator(head, opts)
		if name != "comma" {
			fmt.Fprintf(stderr, "predict: reading %s as %s-separated (--separator to change)\n", path, name)
		}
	}
	txs, rep, err := predict.ReadTransactions(br, *opts)
	var oe *predict.OptionError
	if errors.As(err, &oe) {
		hint := ""
		switch oe.Option {
		case "header":
			hint = " (--no-header)"
		case "customer", "date", "amount":
			hint = fmt.Sprintf(" (--map %s=COLUMN)", oe.Option)
		}
		return nil, rep, usageErr("%s: %v%s", path, err, hint)
	}
	if err != nil {
		return nil, rep, fmt.Errorf("%s: %w", path, err)
	}
	return txs, rep, nil
}

// sniffSeparator picks the separator from the first non-blank line: a comma, else a semicolon,
// else a tab, else runs of white space (files like CDNOW's).
func sniffSeparator(head []byte, opts *predict.CSVOptions) string {
	var line []byte
	for len(head) > 0 {
		var rest []byte
		line, rest, _ = bytes.Cut(head, []byte("\n"))
		if len(bytes.TrimSpace(line)) > 0 {
			break
		}
		head = rest
	}
	switch {
	case bytes.ContainsRune(line, ','):
		opts.Comma = ','
		return "comma"
	case bytes.ContainsRune(line, ';'):
		opts.Comma = ';'
		return "semicolon"
	case bytes.ContainsRune(line, '\t'):
		opts.Comma = '\t'
		return "tab"
	}
	opts.Whitespace = true
	return "whitespace"
}

// printBadRows lists skipped rows on stderr, the first 20 of them.
func printBadRows(w io.Writer, rep predict.Report) {
	const shown = 20
	for i, b := range rep.Bad {
		if i == shown {
			break
		}
		fmt.Fprintf(w, "predict: row %d skipped: %s\n", b.Row, b.Err)
	}
	if rep.BadCount > shown {
		fmt.Fprintf(w, "predict: ... and %d more bad rows\n", rep.BadCount-shown)
	}
}

// dateRange is the first and last calendar day of the transactions (midnight UTC).
func dateRange(txs []predict.Transaction) (first, last time.Time) {
	for i, tx := range txs {
		y, m, d := tx.At.Date()
		day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		if i == 0 || day.Before(first) {
			first = day
		}
		if i == 0 || day.After(last) {
			last = day
		}
	}
	return first, last
}

func countCustomers(txs []predict.Transaction) int {
	seen := make(map[string]struct{})
	for _, tx := range txs {
		seen[tx.Customer] = struct{}{}
	}
	return len(seen)
}

// predictResult is everything the outputs show.
type predictResult struct {
	txs        int
	rep        predict.Report
	sums       []predict.Summary
	end        time.Time
	periodDays float64
	bg         predict.BGNBDFit
	gg         predict.GammaGammaFit
	fitTime    time.Duration
}

func (r predictResult) repeatBuyers() int {
	n := 0
	for _, s := range r.sums {
		if s.X > 0 {
			n++
		}
	}
	return n
}

func (r predictResult) json() map[string]any {
	bg := map[string]any{"ok": false, "reason": r.bg.Reason}
	if r.bg.OK {
		bg = map[string]any{"ok": true, "r": r.bg.R, "alpha": r.bg.Alpha, "a": r.bg.A, "b": r.bg.B, "loglik": r.bg.LogLik}
	}
	gg := map[string]any{"ok": false, "reason": r.gg.Reason}
	if r.gg.OK {
		gg = map[string]any{"ok": true, "p": r.gg.P, "q": r.gg.Q, "gamma": r.gg.Gamma, "loglik": r.gg.LogLik,
			"customers": r.gg.Customers, "freq_monetary_corr": r.gg.FreqMonetaryCorr}
	}
	return map[string]any{
		"transactions":    r.txs,
		"bad_rows":        r.rep.BadCount,
		"customers":       len(r.sums),
		"repeat_buyers":   r.repeatBuyers(),
		"calibration_end": r.end.Format(time.DateOnly),
		"period_days":     r.periodDays,
		"bgnbd":           bg,
		"gamma_gamma":     gg,
		"fit_ms":          math.Round(float64(r.fitTime.Microseconds())/100) / 10,
	}
}

func (r predictResult) text(w io.Writer) {
	unit := fmt.Sprintf("periods of %g days", r.periodDays)
	if r.periodDays == 7 {
		unit = "weeks"
	}
	fmt.Fprintf(w, "transactions:  %d (%d bad rows skipped)\n", r.txs, r.rep.BadCount)
	fmt.Fprintf(w, "customers:     %d, %d repeat buyers; calibration end %s; time in %s\n",
		len(r.sums), r.repeatBuyers(), r.end.Format(time.DateOnly), unit)
	if r.bg.OK {
		fmt.Fprintf(w, "BG/NBD:        r=%.4f alpha=%.4f a=%.4f b=%.4f (log-likelihood %.3f)\n", r.bg.R, r.bg.Alpha, r.bg.A, r.bg.B, r.bg.LogLik)
	} else {
		fmt.Fprintf(w, "BG/NBD:        not fitted: %s\n", r.bg.Reason)
	}
	if r.gg.OK {
		fmt.Fprintf(w, "Gamma-Gamma:   p=%.4f q=%.4f gamma=%.4f (log-likelihood %.3f, %d customers, frequency-spend correlation %.2f)\n",
			r.gg.P, r.gg.Q, r.gg.Gamma, r.gg.LogLik, r.gg.Customers, r.gg.FreqMonetaryCorr)
		if math.Abs(r.gg.FreqMonetaryCorr) > 0.3 {
			fmt.Fprintln(w, "               the model assumes spend does not depend on frequency; with this correlation treat CLV with care")
		}
	} else {
		fmt.Fprintf(w, "Gamma-Gamma:   not fitted: %s\n", r.gg.Reason)
	}
	fmt.Fprintf(w, "fit time:      %s\n", r.fitTime.Round(100*time.Microsecond))
}

// writePredictionsFile writes one row per scored customer. Columns of a model that was not
// fitted are left empty.
func writePredictionsFile(path string, r predictResult, horizonDays, discount float64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := writePredictions(f, r, horizonDays, discount); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func writePredictions(w io.Writer, r predictResult, horizonDays, discount float64) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	if err := cw.Write([]string{"customer", "x", "t_x", "T", "monetary", "p_alive", "expected_purchases", "clv"}); err != nil {
		return err
	}
	horizon := horizonDays / r.periodDays
	perMonth := predict.DaysPerMonth / r.periodDays
	num := func(v float64) string {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return ""
		}
		return strconv.FormatFloat(v, 'f', 6, 64)
	}
	nan := math.NaN()
	for _, s := range r.sums {
		x := float64(s.X)
		pAlive, expected, clv := nan, nan, nan
		if r.bg.OK {
			pAlive = r.bg.PAlive(x, s.TX, s.T)
			expected = r.bg.ConditionalExpectedPurchases(horizon, x, s.TX, s.T)
			if r.gg.OK {
				clv = predict.CustomerLifetimeValue(r.bg.BGNBD, r.gg.GammaGamma, s, horizon, perMonth, discount)
			}
		}
		rec := []string{s.Customer, strconv.Itoa(s.X), num(s.TX), num(s.T), num(s.Monetary), num(pAlive), num(expected), num(clv)}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}
