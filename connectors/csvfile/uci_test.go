package csvfile

import (
	"compress/gzip"
	"flag"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
)

var uciPath = flag.String("uci", os.Getenv("COHORTD_UCI"), "path of online_retail.csv(.gz) for TestUCIFull (or $COHORTD_UCI)")

// uciMapping is the mapping of the UCI Online Retail file.
func uciMapping(t testing.TB) Mapping {
	t.Helper()
	m, err := MappingFromConfig(map[string]string{
		"order_id":         "InvoiceNo",
		"customer_id":      "CustomerID",
		"date":             "InvoiceDate",
		"quantity":         "Quantity",
		"unit_price":       "UnitPrice",
		"product_id":       "StockCode",
		"title":            "Description",
		"country":          "Country",
		"default_currency": "GBP",
		"date_layout":      "2006-01-02 15:04:05",
		"cancelled_prefix": "C",
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// uciStats are the figures the UCI tests check.
type uciStats struct {
	orders, lines, cancelled int
	invoices                 map[string]int // id -> records with that id
	customers                map[string]bool
	valid                    map[string]bool // customers with a line of quantity > 0, price > 0, not cancelled
	validLines               int
	validInvoices            map[string]bool
	revenue                  decimal.Decimal
}

func readUCI(t testing.TB, r io.Reader) (Report, uciStats) {
	t.Helper()
	st := uciStats{invoices: map[string]int{}, customers: map[string]bool{}, valid: map[string]bool{}, validInvoices: map[string]bool{}}
	rep, err := ReadOrders(r, "uci", uciMapping(t), time.UTC, func(o profiles.OrderRecord) error {
		st.orders++
		st.invoices[o.ID]++
		st.customers[o.CustomerID] = true
		st.lines += len(o.Lines)
		if !o.CancelledAt.IsZero() {
			st.cancelled++
			return nil
		}
		for _, l := range o.Lines {
			if l.Quantity > 0 && l.Price.Sign() > 0 {
				st.valid[o.CustomerID] = true
				st.validLines++
				st.validInvoices[o.ID] = true
				st.revenue = st.revenue.Add(l.Price.Mul(decimal.New(int64(l.Quantity), 0)))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rep, st
}

// TestUCIFull imports the whole UCI Online Retail file. It runs only with
// -uci /work/shared/datasets/online_retail_uci/online_retail.csv.gz (or $COHORTD_UCI).
func TestUCIFull(t *testing.T) {
	if *uciPath == "" {
		t.Skip("no -uci file given")
	}
	f, err := os.Open(*uciPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(*uciPath, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	start := time.Now()
	rep, st := readUCI(t, r)
	t.Logf("%v: rows %d, records %d, distinct invoices %d, lines %d, bad %d, skipped %v, cancelled records %d",
		time.Since(start).Round(time.Millisecond), rep.Rows, rep.Records, len(st.invoices), st.lines, rep.BadCount, rep.Skipped, st.cancelled)
	t.Logf("distinct customers %d, with a valid line %d (%d lines, %d invoices, revenue %s)",
		len(st.customers), len(st.valid), st.validLines, len(st.validInvoices), st.revenue)
	split := 0
	for _, n := range st.invoices {
		if n > 1 {
			split++
		}
	}
	t.Logf("invoices emitted more than once (non-contiguous rows): %d", split)
	for _, c := range []struct {
		what      string
		got, want int
	}{
		{"rows", rep.Rows, 541909},
		{"bad rows", rep.BadCount, 0},
		{"rows without customer id", rep.Skipped[SkipNoIdentity], 135080},
		{"lines", st.lines, 541909 - 135080},
		{"distinct customer ids", len(st.customers), 4372},
		{"customers with a valid line", len(st.valid), 4338},
		{"valid lines", st.validLines, 397884},
		{"valid invoices", len(st.validInvoices), 18532},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.what, c.got, c.want)
		}
	}
	if want := decimal.RequireFromString("8911407.904"); !st.revenue.Equal(want) {
		t.Errorf("revenue = %s, want %s", st.revenue, want)
	}
}
