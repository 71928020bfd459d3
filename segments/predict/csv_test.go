package predict

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func read(t *testing.T, in string, opts CSVOptions) ([]Transaction, Report) {
	t.Helper()
	txs, rep, err := ReadTransactions(strings.NewReader(in), opts)
	if err != nil {
		t.Fatalf("ReadTransactions: %v", err)
	}
	return txs, rep
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestReadTransactionsHeaderAndBadRows(t *testing.T) {
	in := "\ufeffOrder,Customer,Date,Amount\r\n" + // line 1, BOM, CRLF, names in another case
		"1,alice,2024-01-05,10.50\r\n" + // 2 ok
		"2,,2024-01-06,3\r\n" + // 3 empty customer
		"3,bob,2024-13-01,3\r\n" + // 4 bad date
		"\r\n" + // 5 blank: skipped, not a row
		"4,bob,20240107,abc\r\n" + // 6 bad amount
		"5,bob,2024-01-07\r\n" + // 7 too few columns
		"6,\"carol, jr\",2024-01-08T09:30:00+02:00,\" 7 \"\r\n" + // 8 ok: quoted comma, RFC 3339
		"7,dave,2024-01-09,-5\r\n" + // 9 refund
		"8,dave,2024-01-09,NaN\r\n" + // 10 not finite
		"9,er\"in,2024-01-09,1\r\n" + // 11 bare quote
		"10,frank,2024-01-10 23:59:59,0\r\n" // 12 ok, zero amount
	txs, rep := read(t, in, CSVOptions{})
	want := []Transaction{
		{Customer: "alice", At: day(2024, 1, 5), Amount: 10.5},
		{Customer: "carol, jr", At: time.Date(2024, 1, 8, 9, 30, 0, 0, time.FixedZone("", 7200)), Amount: 7},
		{Customer: "frank", At: time.Date(2024, 1, 10, 23, 59, 59, 0, time.UTC), Amount: 0},
	}
	if len(txs) != len(want) {
		t.Fatalf("got %d transactions %+v, want %d", len(txs), txs, len(want))
	}
	for i := range want {
		if txs[i].Customer != want[i].Customer || !txs[i].At.Equal(want[i].At) || txs[i].Amount != want[i].Amount {
			t.Errorf("transaction %d: %+v, want %+v", i, txs[i], want[i])
		}
	}
	var rows []int
	for _, b := range rep.Bad {
		rows = append(rows, b.Row)
	}
	if !reflect.DeepEqual(rows, []int{3, 4, 6, 7, 9, 10, 11}) || rep.BadCount != 7 || rep.Rows != 10 {
		t.Errorf("bad rows %v (count %d of %d rows): %+v", rows, rep.BadCount, rep.Rows, rep.Bad)
	}
	for i, sub := range []string{"empty customer", "2024-13-01", `amount "abc"`, "3 columns, need at least 4", "negative", "NaN", "quote"} {
		if i < len(rep.Bad) && !strings.Contains(rep.Bad[i].Err, sub) {
			t.Errorf("bad row %d: %q does not mention %q", rep.Bad[i].Row, rep.Bad[i].Err, sub)
		}
	}
}

func TestReadTransactionsColumnMapping(t *testing.T) {
	in := "id;customer_id;created;total;amount\n1;c1;05/01/2024;9.5;999\n"
	opts := CSVOptions{Comma: ';', Customer: "customer_id", Date: "created", Amount: "4", DateLayout: "02/01/2006"}
	txs, rep := read(t, in, opts)
	if rep.BadCount != 0 || len(txs) != 1 || txs[0].Customer != "c1" || !txs[0].At.Equal(day(2024, 1, 5)) || txs[0].Amount != 9.5 {
		t.Fatalf("got %+v, %+v", txs, rep)
	}
	// The date layout is used alone: ISO dates are then bad rows.
	_, rep = read(t, "customer,date,amount\nx,2024-01-05,1\n", CSVOptions{DateLayout: "02/01/2006"})
	if rep.BadCount != 1 || !strings.Contains(rep.Bad[0].Err, `layout "02/01/2006"`) {
		t.Errorf("ISO date with a layout: %+v", rep)
	}
	for _, c := range []struct {
		in     string
		opts   CSVOptions
		option string
		reason string
	}{
		{"customer,when,amount\n", CSVOptions{}, "date", `no column "date" in the header (columns: "customer", "when", "amount")`},
		{"customer,date,amount\n", CSVOptions{Amount: "7"}, "amount", "column 7 does not exist: the header has 3 columns"},
		{"customer,date,amount,Amount\n", CSVOptions{Amount: "AMOUNT"}, "amount", "appears more than once"},
		{"customer,date,amount\n", CSVOptions{Amount: "customer"}, "amount", "already the customer column"},
		{"1,2,3\n", CSVOptions{NoHeader: true, Customer: "1", Date: "date", Amount: "3"}, "date", "not a column number"},
		{"1,2,3\n", CSVOptions{NoHeader: true, Customer: "1", Date: "2"}, "amount", "needs a column number"},
		{"1,2,3\n", CSVOptions{Comma: '"'}, "comma", "cannot separate"},
		{"c1,2024-01-01,3\n", CSVOptions{Customer: "1", Date: "2", Amount: "3"}, "header", "looks like data"},
	} {
		_, _, err := ReadTransactions(strings.NewReader(c.in), c.opts)
		var oe *OptionError
		if !errors.As(err, &oe) || oe.Option != c.option || !strings.Contains(oe.Reason, c.reason) {
			t.Errorf("%q with %+v: err %v, want %s: ...%s", c.in, c.opts, err, c.option, c.reason)
		}
	}
	// Empty input is no transactions, not an error.
	if txs, rep, err := ReadTransactions(strings.NewReader(""), CSVOptions{}); err != nil || len(txs) != 0 || rep.Rows != 0 {
		t.Errorf("empty input: %v %v %v", txs, rep, err)
	}
}

func TestReadTransactionsWhitespace(t *testing.T) {
	// The CDNOW master file's layout: leading spaces, a header, CRLF.
	in := "customer_id date number_of_cds dollar_value\r\n" +
		" 00001 19970101  1   11.77\r\n" +
		"   \r\n" +
		" 00002 19970112  1\r\n" + // line 4: no dollar value
		" 00002\t19970112  5   77.00\r\n"
	txs, rep := read(t, in, CSVOptions{Whitespace: true, Customer: "customer_id", Amount: "dollar_value"})
	if len(txs) != 2 || txs[1].Customer != "00002" || txs[1].Amount != 77 || !txs[1].At.Equal(day(1997, 1, 12)) {
		t.Errorf("got %+v", txs)
	}
	if rep.Rows != 3 || rep.BadCount != 1 || rep.Bad[0].Row != 4 {
		t.Errorf("report %+v", rep)
	}
	// No header, and no final newline.
	txs, _ = read(t, "a 2020-02-02 5", CSVOptions{Whitespace: true, NoHeader: true, Customer: "1", Date: "2", Amount: "3"})
	if len(txs) != 1 || txs[0].Amount != 5 {
		t.Errorf("got %+v", txs)
	}
}

func TestReadTransactionsKeepsFewBadRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("customer,date,amount\n")
	for i := range 2500 {
		fmt.Fprintf(&b, "c%d,not-a-date,1\n", i)
	}
	b.WriteString("ok,2024-01-01,1\n")
	txs, rep := read(t, b.String(), CSVOptions{})
	if len(txs) != 1 || rep.BadCount != 2500 || len(rep.Bad) != MaxBadRowsKept || rep.Bad[MaxBadRowsKept-1].Row != MaxBadRowsKept+1 {
		t.Errorf("%d transactions, %d bad, %d kept", len(txs), rep.BadCount, len(rep.Bad))
	}
}

func TestSummarize(t *testing.T) {
	txs := []Transaction{
		{Customer: "b", At: time.Date(2024, 1, 10, 8, 0, 0, 0, time.UTC), Amount: 5},
		{Customer: "a", At: day(2024, 1, 1), Amount: 100},
		{Customer: "a", At: time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC), Amount: 10},
		{Customer: "a", At: time.Date(2024, 1, 15, 18, 0, 0, 0, time.UTC), Amount: 20}, // same day: merged
		{Customer: "a", At: day(2024, 1, 29), Amount: 60},
		{Customer: "a", At: day(2024, 2, 1), Amount: 1}, // after the calibration end: holdout
		{Customer: "a", At: day(2024, 2, 1), Amount: 1}, // same holdout day
		{Customer: "a", At: day(2024, 2, 3), Amount: 1},
		{Customer: "late", At: day(2024, 2, 2), Amount: 1},                                               // first bought after the end: left out
		{Customer: "b", At: time.Date(2024, 1, 10, 23, 0, 0, 0, time.FixedZone("", -5*3600)), Amount: 7}, // Jan 10 in its own zone
		{Customer: "b", At: day(2024, 1, 31), Amount: 3},                                                 // on the end day: calibration
	}
	end := time.Date(2024, 1, 31, 12, 0, 0, 0, time.UTC)
	got := Summarize(txs, end, 7)
	want := []Summary{
		{Customer: "b", X: 1, TX: 3, T: 3, Monetary: 3, First: day(2024, 1, 10)},
		{Customer: "a", X: 2, TX: 4, T: 30.0 / 7, Monetary: 45, HoldoutX: 2, First: day(2024, 1, 1)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	// Days as periods; a bad period falls back to weeks.
	if d := Summarize(txs, end, 1); d[1].TX != 28 || d[1].T != 30 {
		t.Errorf("daily: %+v", d[1])
	}
	if w := Summarize(txs, end, math.NaN()); !reflect.DeepEqual(w, want) {
		t.Errorf("NaN period: %+v", w)
	}
	if s := Summarize(nil, end, 7); len(s) != 0 {
		t.Errorf("no transactions: %+v", s)
	}
}
