package predict

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Transaction is one purchase by one customer.
type Transaction struct {
	Customer string
	// At is when the purchase happened. Only its calendar date (in its own location) matters
	// to the models: purchases on the same day are merged.
	At time.Time
	// Amount is the purchase value in the file's currency; never negative, NaN or infinite.
	Amount float64
}

// CSVOptions says how to read a transactions file.
type CSVOptions struct {
	// Customer, Date and Amount name the three columns used: a header name (matched exactly,
	// then case-insensitively), or a 1-based column number. With NoHeader they must be column
	// numbers. Empty means the header names "customer", "date" and "amount".
	Customer, Date, Amount string
	// NoHeader says the file has no header row: the first line is data.
	NoHeader bool
	// Whitespace splits lines at runs of spaces and tabs (leading and trailing space ignored)
	// instead of parsing CSV, for files like CDNOW's. Values cannot contain spaces then.
	Whitespace bool
	// Comma is the CSV field separator; 0 means ','. Ignored with Whitespace.
	Comma rune
	// DateLayout is the Go time layout of the date column (e.g. "02/01/2006"). Empty tries
	// DefaultDateLayouts in order.
	DateLayout string
}

// DefaultDateLayouts are tried in order when CSVOptions.DateLayout is empty. RFC 3339 also
// accepts fractional seconds.
var DefaultDateLayouts = []string{"2006-01-02", "20060102", time.RFC3339, "2006-01-02 15:04:05", "2006-01-02T15:04:05"}

// BadRow is an input row that was skipped.
type BadRow struct {
	// Row is the 1-based line number in the input where the record starts (the header is
	// line 1 when there is one).
	Row int
	Err string
}

// MaxBadRowsKept bounds Report.Bad; Report.BadCount counts them all.
const MaxBadRowsKept = 1000

// Report describes what ReadTransactions read.
type Report struct {
	Rows     int      // data records seen (header and blank lines not counted)
	BadCount int      // records skipped; Rows − BadCount transactions were returned
	Bad      []BadRow // the first MaxBadRowsKept skipped records, in input order
}

func (r *Report) bad(row int, format string, args ...any) {
	r.BadCount++
	if len(r.Bad) < MaxBadRowsKept {
		r.Bad = append(r.Bad, BadRow{Row: row, Err: fmt.Sprintf(format, args...)})
	}
}

// OptionError is a problem with CSVOptions or with how they match the file's header (a mapped
// column that is not there, say): the caller's configuration, not the data, is wrong.
type OptionError struct {
	Option string // "customer", "date", "amount", "comma", ...
	Reason string
}

func (e *OptionError) Error() string { return e.Option + ": " + e.Reason }

// fields in column order of a parsed row.
const (
	colCustomer = iota
	colDate
	colAmount
)

var fieldNames = [3]string{"customer", "date", "amount"}

// ReadTransactions reads purchases from r. A bad row (a missing column, an empty customer, an
// unparseable date, an amount that is not a finite non-negative number, malformed CSV quoting)
// is skipped and listed in the Report with its line number; it is never fatal. The error is for
// options that do not fit the file (*OptionError) and for read failures. Empty input gives no
// transactions and no error.
func ReadTransactions(r io.Reader, opts CSVOptions) ([]Transaction, Report, error) {
	var rep Report
	comma := opts.Comma
	if comma == 0 {
		comma = ','
	}
	if !opts.Whitespace && (comma == '"' || comma == '\r' || comma == '\n' || comma == utf8.RuneError || !utf8.ValidRune(comma)) {
		return nil, rep, &OptionError{Option: "comma", Reason: fmt.Sprintf("%q cannot separate fields", comma)}
	}
	var next func() (line int, rec []string, err error)
	if opts.Whitespace {
		next = whitespaceRecords(r)
	} else {
		next = csvRecords(r, comma)
	}
	p := rowParser{layout: opts.DateLayout}
	specs := [3]string{opts.Customer, opts.Date, opts.Amount}
	if opts.NoHeader {
		for f, s := range specs {
			n, err := columnNumber(fieldNames[f], s, -1)
			if err != nil {
				return nil, rep, err
			}
			p.idx[f] = n
		}
	} else {
		_, header, err := next()
		if err == io.EOF {
			return nil, rep, nil
		}
		if err != nil {
			return nil, rep, fmt.Errorf("header: %w", err)
		}
		for f, s := range specs {
			n, err := headerColumn(fieldNames[f], s, header)
			if err != nil {
				return nil, rep, err
			}
			p.idx[f] = n
		}
		// A header whose date column holds a date is the first data row of a file without a
		// header: reading it as one would silently drop that row.
		if d := p.idx[colDate]; d < len(header) {
			if _, err := ParseDate(header[d], opts.DateLayout); err == nil {
				return nil, rep, &OptionError{Option: "header", Reason: fmt.Sprintf(
					"the first line looks like data, not a header (column %d holds the date %q); for a file without a header say so",
					d+1, clip(strings.TrimSpace(header[d])))}
			}
		}
	}
	for a := 0; a < 3; a++ {
		for b := a + 1; b < 3; b++ {
			if p.idx[a] == p.idx[b] {
				return nil, rep, &OptionError{Option: fieldNames[b],
					Reason: fmt.Sprintf("column %d is already the %s column", p.idx[b]+1, fieldNames[a])}
			}
		}
	}
	p.need = max(p.idx[0], p.idx[1], p.idx[2]) + 1
	var txs []Transaction
	for {
		line, rec, err := next()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			rep.Rows++
			rep.bad(pe.StartLine, "%v", pe.Err)
			continue
		}
		if err != nil {
			return nil, rep, fmt.Errorf("after %d records: %w", rep.Rows, err)
		}
		rep.Rows++
		tx, err := p.parse(rec)
		if err != nil {
			rep.bad(line, "%v", err)
			continue
		}
		txs = append(txs, tx)
	}
	return txs, rep, nil
}

// csvRecords yields the non-blank records of a CSV file with their starting line numbers.
func csvRecords(r io.Reader, comma rune) func() (int, []string, error) {
	cr := csv.NewReader(r)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return func() (int, []string, error) {
		for {
			rec, err := cr.Read()
			if err != nil {
				return 0, nil, err // a *csv.ParseError carries its own line
			}
			if blank(rec) {
				continue
			}
			line, _ := cr.FieldPos(0)
			return line, rec, nil
		}
	}
}

// whitespaceRecords yields the non-blank lines of r split at runs of white space.
func whitespaceRecords(r io.Reader) func() (int, []string, error) {
	br := bufio.NewReader(r)
	line := 0
	return func() (int, []string, error) {
		for {
			s, err := br.ReadString('\n')
			if s == "" && err != nil {
				return line + 1, nil, err
			}
			line++
			if rec := strings.Fields(s); len(rec) > 0 {
				return line, rec, nil
			}
			if err != nil {
				return line + 1, nil, err
			}
		}
	}
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// columnNumber parses a 1-based column number into a 0-based index; ncols ≥ 0 bounds it.
func columnNumber(field, spec string, ncols int) (int, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return 0, &OptionError{Option: field, Reason: "a file without a header needs a column number for " + field}
	}
	n, err := strconv.Atoi(spec)
	if err != nil || n < 1 || n > 100000 {
		return 0, &OptionError{Option: field, Reason: fmt.Sprintf("%q is not a column number (1, 2, ...)", clip(spec))}
	}
	if ncols >= 0 && n > ncols {
		return 0, &OptionError{Option: field, Reason: fmt.Sprintf("column %d does not exist: the header has %d columns", n, ncols)}
	}
	return n - 1, nil
}

// headerColumn finds field's column in the header: by exact name, then case-insensitively,
// then as a column number.
func headerColumn(field, spec string, header []string) (int, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		spec = field
	}
	names := make([]string, len(header))
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		names[i] = strings.TrimSpace(h)
	}
	for _, fold := range []bool{false, true} {
		found := -1
		for i, h := range names {
			if h == spec || (fold && strings.EqualFold(h, spec)) {
				if found >= 0 {
					return 0, &OptionError{Option: field, Reason: fmt.Sprintf("column %q appears more than once in the header", clip(spec))}
				}
				found = i
			}
		}
		if found >= 0 {
			return found, nil
		}
	}
	if _, err := strconv.Atoi(spec); err == nil {
		return columnNumber(field, spec, len(names))
	}
	shown := names
	if len(shown) > 20 {
		shown = shown[:20]
	}
	for i := range shown {
		shown[i] = strconv.Quote(clip(shown[i]))
	}
	return 0, &OptionError{Option: field, Reason: fmt.Sprintf("no column %q in the header (columns: %s)", clip(spec), strings.Join(shown, ", "))}
}

// rowParser turns one record into a Transaction.
type rowParser struct {
	idx    [3]int // 0-based column of customer, date, amount
	need   int    // columns a record must have
	layout string
}

func (p *rowParser) parse(rec []string) (Transaction, error) {
	if len(rec) < p.need {
		return Transaction{}, fmt.Errorf("%d columns, need at least %d", len(rec), p.need)
	}
	cust := strings.TrimSpace(rec[p.idx[colCustomer]])
	if cust == "" {
		return Transaction{}, errors.New("empty customer")
	}
	at, err := ParseDate(rec[p.idx[colDate]], p.layout)
	if err != nil {
		return Transaction{}, err
	}
	amt, err := parseAmount(rec[p.idx[colAmount]])
	if err != nil {
		return Transaction{}, err
	}
	return Transaction{Customer: strings.Clone(cust), At: at, Amount: amt}, nil
}

// ParseDate parses s (trimmed) in layout, or in each of DefaultDateLayouts when layout is empty.
func ParseDate(s, layout string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("empty date")
	}
	if layout != "" {
		t, err := time.Parse(layout, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("date %q does not match layout %q", clip(s), layout)
		}
		return t, nil
	}
	for _, l := range DefaultDateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date %q is not YYYY-MM-DD, YYYYMMDD, RFC 3339 or \"YYYY-MM-DD hh:mm:ss\" (set a date layout)", clip(s))
}

func parseAmount(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty amount")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("amount %q is not a finite number", clip(s))
	}
	if v < 0 {
		return 0, fmt.Errorf("amount %q is negative (refunds and returns are not purchases)", clip(s))
	}
	return v, nil
}

// clip shortens s for an error message.
func clip(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
