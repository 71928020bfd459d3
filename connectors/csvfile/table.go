package csvfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Format names a CSV layout.
type Format string

// The formats this package reads.
const (
	FormatShopifyCustomers Format = "shopify_customers"
	FormatShopifyOrders    Format = "shopify_orders"
	// FormatOrders is a generic orders file; it needs a Mapping.
	FormatOrders Format = "orders"
)

// maxBad is how many RowErrors a Report keeps; the rest are only counted.
const maxBad = 1000

// RowError is one bad row: its 1-based row number (the header is row 1), the column at fault
// (empty when the whole row is at fault) and why.
type RowError struct {
	Row    int
	Column string
	Err    error
	// Line is the 1-based line of the file where the row starts. It differs from Row when
	// earlier rows hold quoted line breaks or the file has blank lines.
	Line int
}

func (e RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("row %d: %v", e.Row, e.Err)
	}
	return fmt.Sprintf("row %d: column %q: %v", e.Row, e.Column, e.Err)
}

// Unwrap returns the underlying error.
func (e RowError) Unwrap() error { return e.Err }

// Report says what a read did.
type Report struct {
	Format Format
	// Rows is the number of data rows read (the header excluded), bad ones included.
	Rows int
	// Records is the number of records passed to the callback.
	Records int
	// Bad holds the first 1000 bad rows, in file order; BadCount counts them all.
	Bad      []RowError
	BadCount int
	// Skipped counts, by reason, rows that were left out without being errors, such as
	// "no customer identity".
	Skipped map[string]int
}

func (r *Report) bad(e RowError) {
	r.BadCount++
	if len(r.Bad) < maxBad {
		r.Bad = append(r.Bad, e)
	}
}

func (r *Report) skip(reason string, n int) {
	if n > 0 {
		r.Skipped[reason] += n
	}
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// table is a CSV file being read row by row.
type table struct {
	cr     *csv.Reader
	header []string
	col    map[string]int // folded header name -> first index
	row    int            // number of the row last read (header = 1)
	line   int            // line where that row starts
	rep    *Report
}

func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func newTable(r io.Reader, rep *Report) (*table, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(len(utf8BOM)); err == nil && bytes.Equal(b, utf8BOM) {
		if _, err := br.Discard(len(utf8BOM)); err != nil {
			return nil, err
		}
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = false
	h, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("empty file: no header row")
	}
	if err != nil {
		return nil, fmt.Errorf("header row: %w", err)
	}
	t := &table{cr: cr, header: make([]string, len(h)), col: make(map[string]int, len(h)), row: 1, line: 1, rep: rep}
	for i, name := range h {
		name = strings.TrimSpace(strings.TrimPrefix(name, "\ufeff"))
		t.header[i] = name
		if _, dup := t.col[fold(name)]; !dup && name != "" {
			t.col[fold(name)] = i
		}
	}
	return t, nil
}

// index returns the position of the first of names present in the header, or -1.
func (t *table) index(names ...string) int {
	for _, n := range names {
		if i, ok := t.col[fold(n)]; ok {
			return i
		}
	}
	return -1
}

// next returns the next data row with as many fields as the header. Rows that cannot be parsed
// or have another number of fields are reported as bad and passed over. It returns io.EOF at
// the end and any other error when the underlying reader fails.
func (t *table) next() ([]string, error) {
	for {
		rec, err := t.cr.Read()
		if err == io.EOF {
			return nil, io.EOF
		}
		t.row++
		t.rep.Rows++
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				t.line = pe.StartLine
				t.bad("", pe)
				continue
			}
			return nil, fmt.Errorf("row %d: %w", t.row, err)
		}
		t.line, _ = t.cr.FieldPos(0)
		if len(rec) != len(t.header) {
			t.bad("", fmt.Errorf("row has %d fields, header has %d", len(rec), len(t.header)))
			continue
		}
		return rec, nil
	}
}

// bad reports the current row as bad.
func (t *table) bad(column string, err error) {
	t.rep.bad(RowError{Row: t.row, Column: column, Err: err, Line: t.line})
}

// get returns field i of rec, trimmed; "" when i < 0.
func get(rec []string, i int) string {
	if i < 0 {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// Detect recognises a Shopify export by its header row. Header names are compared without
// case and surrounding spaces (and without a UTF-8 BOM on the first one). The generic
// FormatOrders is never detected: it needs a Mapping.
func Detect(header []string) (Format, bool) {
	has := make(map[string]bool, len(header))
	for _, h := range header {
		has[fold(strings.TrimPrefix(h, "\ufeff"))] = true
	}
	switch {
	case has["name"] && has["lineitem quantity"] && has["lineitem name"] && has["created at"] && has["total"]:
		return FormatShopifyOrders, true
	case has["email"] && has["total orders"] && (has["accepts email marketing"] || has["accepts marketing"]):
		return FormatShopifyCustomers, true
	}
	return "", false
}
