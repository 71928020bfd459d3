package predict

import (
	"bytes"
	"encoding/csv"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// FuzzReadTransactions feeds arbitrary bytes through ReadTransactions under options picked by
// mode, then through Summarize: no panics, the report adds up, every transaction and summary is
// well-formed.
func FuzzReadTransactions(f *testing.F) {
	f.Add([]byte(" 00004 0001 19970101  2   29.33\r\n 00004 0001 19970118  2   29.73\r\n"), uint8(3))
	f.Add([]byte("customer,date,amount\nalice,2024-01-05,10.50\nbob,2024-13-01,x\n\"un,terminated\n"), uint8(0))
	f.Add([]byte("\ufeffCustomer;Date;Amount\r\nc;05/01/2024;1e3\r\nc;06/01/2024;-1\r\n"), uint8(4|16))
	f.Add([]byte("a,b\n\"x\"\"y\",2024-01-01T10:00:00Z,3\n,,\n"), uint8(8))
	f.Add([]byte("c\t2024-02-29 23:59:59\t0\nc\t2023-02-29\tInf\n"), uint8(2|32))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		opts := CSVOptions{Whitespace: mode&1 != 0, NoHeader: mode&2 != 0}
		switch mode >> 2 & 3 {
		case 1:
			opts.Comma = ';'
		case 2:
			opts.Comma = '\t'
		}
		if mode&16 != 0 {
			opts.DateLayout = "02/01/2006"
		}
		if opts.NoHeader || mode&32 != 0 {
			opts.Customer, opts.Date, opts.Amount = "1", "2", "3"
		}
		if mode&64 != 0 {
			opts.Customer, opts.Date, opts.Amount = "2", "3", "5"
		}
		txs, rep, err := ReadTransactions(bytes.NewReader(data), opts)
		if err != nil {
			var oe *OptionError
			var pe *csv.ParseError
			if !errors.As(err, &oe) && !errors.As(err, &pe) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		if len(txs) != rep.Rows-rep.BadCount || len(rep.Bad) != min(rep.BadCount, MaxBadRowsKept) {
			t.Fatalf("%d transactions, report %d rows %d bad (%d kept)", len(txs), rep.Rows, rep.BadCount, len(rep.Bad))
		}
		prev := 0
		for _, b := range rep.Bad {
			if b.Row < 1 || b.Row < prev || b.Err == "" {
				t.Fatalf("bad row %+v after row %d", b, prev)
			}
			prev = b.Row
		}
		for _, tx := range txs {
			if tx.Customer == "" || strings.TrimSpace(tx.Customer) != tx.Customer || !(tx.Amount >= 0) || math.IsInf(tx.Amount, 0) {
				t.Fatalf("malformed transaction %+v", tx)
			}
		}
		end := time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)
		if len(txs) > 0 {
			end = txs[len(txs)/2].At
		}
		for _, s := range Summarize(txs, end, 7) {
			if err := checkSummary(s); err != nil {
				t.Fatal(err)
			}
		}
	})
}
