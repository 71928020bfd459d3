package csvfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
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
//
// Rows are read either whole by the csv.Reader (next) or, by nextFields, straight from the
// buffered input when a row is a single line without quotes (the common case), which is split
// on commas without copying. The csv.Reader reads through a lineFeeder that hands it one line
// at a time, so it never buffers beyond the rows it returns and both ways can be mixed.
type table struct {
	br     *bufio.Reader
	feed   *lineFeeder
	cr     *csv.Reader
	header []string
	col    map[string]int // folded header name -> first index
	row    int            // number of the row last read (header = 1)
	line   int            // line where that row starts
	rep    *Report

	// fast counts the lines nextFields split itself: the csv.Reader, which never sees them,
	// numbers its lines fast fewer than the file does.
	fast    int
	fields  [][]byte // nextFields' row
	scratch []byte   // nextFields' copy of a row read by the csv.Reader
}

func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func newTable(r io.Reader, rep *Report) (*table, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(len(utf8BOM)); err == nil && bytes.Equal(b, utf8BOM) {
		if _, err := br.Discard(len(utf8BOM)); err != nil {
			return nil, err
		}
	}
	feed := &lineFeeder{br: br}
	cr := csv.NewReader(feed)
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
	t := &table{br: br, feed: feed, cr: cr, header: make([]string, len(h)), col: make(map[string]int, len(h)), row: 1, line: 1, rep: rep}
	for i, name := range h {
		name = strings.TrimSpace(strings.TrimPrefix(name, "\ufeff"))
		t.header[i] = name
		if _, dup := t.col[fold(name)]; !dup && name != "" {
			t.col[fold(name)] = i
		}
	}
	return t, nil
}

// lineFeeder gives the csv.Reader the input at most one line per Read, so that the csv.Reader's
// own buffer never holds more than the line it is reading: what it has not asked for stays in
// br for nextFields. It counts the lines it handed out.
type lineFeeder struct {
	br    *bufio.Reader
	lines int   // line ends handed out
	err   error // a read error met by nextFields' look-ahead, to report in its turn
}

func (f *lineFeeder) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if f.br.Buffered() == 0 {
		if f.err != nil {
			err := f.err
			f.err = nil
			return 0, err
		}
		if _, err := f.br.Peek(1); err != nil {
			return 0, err
		}
	}
	b, _ := f.br.Peek(f.br.Buffered())
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i+1]
	}
	n := copy(p, b)
	if p[n-1] == '\n' {
		f.lines++
	}
	_, _ = f.br.Discard(n)
	return n, nil
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
				if t.fast > 0 { // number the lines as the file does
					adj := *pe
					adj.StartLine += t.fast
					adj.Line += t.fast
					pe = &adj
				}
				t.line = pe.StartLine
				t.bad("", pe)
				continue
			}
			return nil, fmt.Errorf("row %d: %w", t.row, err)
		}
		t.line, _ = t.cr.FieldPos(0)
		t.line += t.fast
		if len(rec) != len(t.header) {
			t.bad("", fmt.Errorf("row has %d fields, header has %d", len(rec), len(t.header)))
			continue
		}
		if i := invalidUTF8(rec); i >= 0 {
			t.bad(t.header[i], errNotUTF8)
			continue
		}
		return rec, nil
	}
}

// nextFields is next with the fields as bytes, each valid only until the following call. A
// row that is one line without quotes (and ends with a line break) is split here on commas,
// exactly as the csv.Reader would split it; any other row is read by next.
func (t *table) nextFields() ([][]byte, error) {
	for {
		line, ok := t.plainLine()
		if !ok {
			rec, err := t.next()
			if err != nil {
				return nil, err
			}
			t.scratch = t.scratch[:0]
			for _, f := range rec {
				t.scratch = append(t.scratch, f...)
			}
			t.fields = t.fields[:0]
			off := 0
			for _, f := range rec {
				t.fields = append(t.fields, t.scratch[off:off+len(f):off+len(f)])
				off += len(f)
			}
			return t.fields, nil
		}
		t.fast++
		if len(line) == 0 {
			continue // the csv.Reader skips empty lines too
		}
		t.row++
		t.rep.Rows++
		t.line = t.feed.lines + t.fast
		valid := utf8.Valid(line)
		t.fields = t.fields[:0]
		for {
			i := bytes.IndexByte(line, ',')
			if i < 0 {
				t.fields = append(t.fields, line)
				break
			}
			t.fields = append(t.fields, line[:i:i])
			line = line[i+1:]
		}
		if len(t.fields) != len(t.header) {
			t.bad("", fmt.Errorf("row has %d fields, header has %d", len(t.fields), len(t.header)))
			continue
		}
		if !valid {
			for i, f := range t.fields {
				if !utf8.Valid(f) {
					t.bad(t.header[i], errNotUTF8)
					break
				}
			}
			continue
		}
		return t.fields, nil
	}
}

// plainLine consumes and returns the next line, without its line break ("\n" or "\r\n"), if
// it holds no quote and a line break ends it within the buffer; otherwise it consumes nothing
// and reports false.
func (t *table) plainLine() ([]byte, bool) {
	b, _ := t.br.Peek(t.br.Buffered())
	i := bytes.IndexByte(b, '\n')
	if i < 0 && t.feed.err == nil {
		var err error
		b, err = t.br.Peek(t.br.Size())
		if err != nil && err != bufio.ErrBufferFull {
			t.feed.err = err // Peek hands an error out once: keep it for the csv.Reader
		}
		i = bytes.IndexByte(b, '\n')
	}
	if i < 0 {
		return nil, false
	}
	line := b[:i]
	if bytes.IndexByte(line, '"') >= 0 {
		return nil, false
	}
	_, _ = t.br.Discard(i + 1)
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, true
}

// errNotUTF8: the store keeps text as UTF-8, and a row in another encoding (Latin-1, say)
// could be stored but not read back.
var errNotUTF8 = errors.New("not valid UTF-8 text (save the file as UTF-8)")

// invalidUTF8 is the index of the first field that is not valid UTF-8, or -1.
func invalidUTF8(rec []string) int {
	for i, f := range rec {
		if !utf8.ValidString(f) {
			return i
		}
	}
	return -1
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

// field returns field i of rec, trimmed; nil when i < 0.
func field(rec [][]byte, i int) []byte {
	if i < 0 {
		return nil
	}
	b := rec[i]
	// Most fields have nothing to trim: an ASCII byte above the space at both ends.
	if len(b) == 0 || b[0] > ' ' && b[0] < utf8.RuneSelf && b[len(b)-1] > ' ' && b[len(b)-1] < utf8.RuneSelf {
		return b
	}
	return bytes.TrimSpace(b)
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
