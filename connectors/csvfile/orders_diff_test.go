package csvfile

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
)

// exact renders a decimal with its coefficient and exponent: two decimals that print the same
// are stored the same.
func exact(d decimal.Decimal) string {
	return d.Coefficient().String() + "e" + fmt.Sprint(d.Exponent())
}

func exactTime(t time.Time) string {
	return t.Format(time.RFC3339Nano) + " " + t.Location().String()
}

// orderDump renders everything of an order, decimals and times exactly.
func orderDump(o profiles.OrderRecord) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q %q %q %q %q %s %s %s %q %s %s %+v %+v %q %q %q\n", o.Store, o.ID, o.CustomerID, o.Email, o.Phone,
		exactTime(o.CreatedAt), exactTime(o.UpdatedAt), exactTime(o.CancelledAt), o.Currency, exact(o.Total), exact(o.Refunded),
		o.Billing, o.Shipping, o.UserAgent, o.BrowserIP, o.Locale)
	for _, l := range o.Lines {
		fmt.Fprintf(&b, "  %q %q %q %q %q %d %s\n", l.ProductID, l.SKU, l.Title, l.ProductType, l.Vendor, l.Quantity, exact(l.Price))
	}
	return b.String()
}

type readResult struct {
	Orders                  []string
	Rows, Records, BadCount int
	Bad                     []string
	Skipped                 map[string]int
	Err                     string
}

func runRead(read func(io.Reader, string, Mapping, *time.Location, func(profiles.OrderRecord) error) (Report, error),
	data []byte, m Mapping, loc *time.Location, failAt int) readResult {
	var res readResult
	rep, err := read(bytes.NewReader(data), "s", m, loc, func(o profiles.OrderRecord) error {
		res.Orders = append(res.Orders, orderDump(o))
		if len(res.Orders) == failAt {
			return fmt.Errorf("stop")
		}
		return nil
	})
	res.Rows, res.Records, res.BadCount, res.Skipped = rep.Rows, rep.Records, rep.BadCount, rep.Skipped
	for _, b := range rep.Bad {
		res.Bad = append(res.Bad, fmt.Sprintf("line %d: %v", b.Line, b))
	}
	if err != nil {
		res.Err = err.Error()
	}
	return res
}

func checkSameAsReference(t *testing.T, data []byte, m Mapping, loc *time.Location, failAt int) {
	t.Helper()
	got := runRead(ReadOrders, data, m, loc, failAt)
	want := runRead(readOrdersReference, data, m, loc, failAt)
	if !reflect.DeepEqual(got, want) {
		for i := range max(len(got.Orders), len(want.Orders)) {
			var g, w string
			if i < len(got.Orders) {
				g = got.Orders[i]
			}
			if i < len(want.Orders) {
				w = want.Orders[i]
			}
			if g != w {
				t.Errorf("order %d:\n got %s\nwant %s", i, g, w)
				break
			}
		}
		got.Orders, want.Orders = nil, nil
		t.Errorf("input %q\nreport\n got %+v\nwant %+v", truncate(data), got, want)
	}
}

func truncate(b []byte) []byte {
	if len(b) > 2000 {
		return b[:2000]
	}
	return b
}

var diffMappings = []Mapping{
	{OrderID: "InvoiceNo", CustomerID: "CustomerID", Date: "InvoiceDate", Quantity: "Quantity", UnitPrice: "UnitPrice",
		ProductID: "StockCode", Title: "Description", Country: "Country", DefaultCurrency: "GBP",
		DateLayout: "2006-01-02 15:04:05", CancelledPrefix: "C"},
	{OrderID: "InvoiceNo", CustomerID: "CustomerID", Email: "Email", Date: "InvoiceDate", Total: "Total",
		Quantity: "Quantity", UnitPrice: "UnitPrice", Title: "Description", Currency: "Currency", City: "Country"},
	{OrderID: "InvoiceNo", Email: "CustomerID", Date: "InvoiceDate", Total: "UnitPrice", ProductID: "StockCode",
		ProductType: "Description", Vendor: "Country", DateLayout: "02/01/2006 15:04"},
	{OrderID: "InvoiceNo", CustomerID: "CustomerID", Date: "InvoiceDate", Total: "Total", Country: "Country"},
}

func TestReadOrdersMatchesReferenceOnTestdata(t *testing.T) {
	for _, name := range []string{"online_retail_head.csv", "shopify_orders_export.csv", "shopify_customers_export.csv"} {
		data, err := os.ReadFile(testdata + name)
		if err != nil {
			t.Fatal(err)
		}
		for _, loc := range []*time.Location{nil, time.UTC, londonOrUTC(t)} {
			for _, m := range diffMappings {
				checkSameAsReference(t, data, m, loc, 0)
				checkSameAsReference(t, bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n")), m, loc, 0)
			}
		}
		checkSameAsReference(t, data, diffMappings[0], nil, 7)
	}
}

func londonOrUTC(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Logf("no Europe/London: %v", err)
		return time.UTC
	}
	return loc
}

// randomOrdersCSV writes a UCI-like file with every kind of trouble the readers know about:
// quoted fields (with commas, quotes and line breaks), bad quotes, blank lines, CRLF, wrong
// field counts, odd dates and amounts, missing values, orders that come back.
func randomOrdersCSV(r *rand.Rand, rows int) []byte {
	var b bytes.Buffer
	if r.IntN(4) == 0 {
		b.WriteString("\ufeff")
	}
	b.WriteString("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country,Email,Total,Currency\n")
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	invoice := 1000
	for range rows {
		if r.IntN(3) == 0 {
			invoice += 1 + r.IntN(3)
		}
		id := fmt.Sprint(invoice)
		if r.IntN(8) == 0 {
			id = "C" + id
		}
		if r.IntN(30) == 0 {
			id = pick("", " ", fmt.Sprint(invoice-5), "\"Q1\"")
		}
		date := fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d", 2010+r.IntN(3), 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60))
		if r.IntN(10) == 0 {
			date = pick("2011-02-29 10:00:00", "2012-02-29 10:00:00", "2011-04-31 00:00:00", "2011-13-01 00:00:00",
				"2011-01-01 24:00:00", "2011-01-01 23:60:00", "2011-01-01 23:59:60", "2011-01-01 9:05:00",
				"2011-01-01 09:05:00.5", "2011-01-01T09:05:00Z", "2011-01-01T09:05:00+02:00", "2011-01-01",
				"01/02/2011 10:30", " 2011-01-01 10:00:00 ", "0000-01-01 00:00:00", "2011-1-01 10:00:00", "x", "",
				"2011-01-01 10:00:0a", "+011-01-01 10:00:00")
		}
		qty := fmt.Sprint(r.IntN(40) - 5)
		if r.IntN(15) == 0 {
			qty = pick("", "six", "+3", "-0", "007", "1e3", "2.5", "1000000001", "-1000000000", "99999999999999999999", " 4 ", "+", "-")
		}
		price := fmt.Sprintf("%d.%02d", r.IntN(20), r.IntN(100))
		if r.IntN(6) == 0 {
			price = pick("0", "0.0", "1.50", "3.00", "2.1", ".5", "5.", "-1.25", "+0.5", "000.100", "1e2", "2,10", "",
				"abc", "1.2.3", "123456789012345678.9", "12345678901234567890", "0.0000000000000000000001",
				"999999999999999999", "-999999999999999999", "9223372036854775807", ".", "-", "+.5", "-.50",
				"1234567890123456789012345678901234")
		}
		cust := fmt.Sprint(12000 + r.IntN(50))
		if r.IntN(5) == 0 {
			cust = pick("", "", "'12345", " 12001 ", "''")
		}
		desc := pick("WHITE HANGING HEART T-LIGHT HOLDER", "RED WOOLLY HOTTIE", "", "  PADDED  ", "POSTAGE")
		if r.IntN(12) == 0 {
			desc = pick(`"AIRLINE LOUNGE,METAL SIGN"`, `"RECORD FRAME 7"" SINGLE SIZE"`, "\"TWO\nLINES\"", "\"TWO\r\nLINES\"",
				`bare"quote`, `"unterminated`, `"quoted"x`, "tab\there", "\"\"", "caf\xc3\xa9", "bad\xffutf8", "cr\rinside")
		}
		country := pick("United Kingdom", "France", "EIRE", "", "Germany ")
		email := pick("", "", "", "a@example.com", " B@Example.com ")
		total := pick("", "", "", "10.00", "7", "x1")
		currency := pick("", "", "EUR", "GBP")
		fields := []string{id, pick("85123A", "71053", "", "POST"), desc, qty, date, price, cust, country, email, total, currency}
		if r.IntN(40) == 0 {
			fields = fields[:r.IntN(len(fields))]
		}
		if r.IntN(40) == 0 {
			fields = append(fields, "extra")
		}
		b.WriteString(strings.Join(fields, ","))
		switch r.IntN(30) {
		case 0:
			b.WriteString("\r\n")
		case 1:
			b.WriteString("\n\n")
		case 2:
			b.WriteString("\n\r\n")
		default:
			b.WriteString("\n")
		}
	}
	out := b.Bytes()
	if r.IntN(3) == 0 {
		out = bytes.TrimRight(out, "\r\n")
		if r.IntN(2) == 0 {
			out = append(out, '\r')
		}
	}
	return out
}

func TestReadOrdersMatchesReferenceOnRandomFiles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	london := londonOrUTC(t)
	for i := range 300 {
		data := randomOrdersCSV(r, 1+r.IntN(400))
		m := diffMappings[i%len(diffMappings)]
		checkSameAsReference(t, data, m, london, 0)
		if t.Failed() {
			return
		}
	}
}

// TestReadOrdersMatchesReferenceOnLongLines crosses the 64 KiB read buffer: rows longer than
// it, and rows that straddle its end.
func TestReadOrdersMatchesReferenceOnLongLines(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var b bytes.Buffer
	b.WriteString("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n")
	for i := range 3000 {
		desc := strings.Repeat("X", r.IntN(100))
		switch r.IntN(200) {
		case 0:
			desc = strings.Repeat("LONG ", 20000)
		case 1:
			desc = `"` + strings.Repeat("Q,\n", 30000) + `"`
		}
		fmt.Fprintf(&b, "%d,SKU,%s,%d,2011-01-02 03:04:05,1.%02d,%d,France\n", 500+i/3, desc, 1+i%7, i%100, 12000+i%9)
	}
	checkSameAsReference(t, b.Bytes(), diffMappings[0], time.UTC, 0)
}

func FuzzReadOrdersMatchesReference(f *testing.F) {
	if b, err := os.ReadFile(testdata + "online_retail_head.csv"); err == nil {
		f.Add(b[:4096])
		f.Add(b[len(b)-600:])
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 20 {
		f.Add(randomOrdersCSV(r, 20))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, m := range diffMappings {
			checkSameAsReference(t, data, m, time.UTC, 0)
		}
	})
}

// TestUCIFullMatchesReference compares the two readers on the whole UCI file (-uci).
func TestUCIFullMatchesReference(t *testing.T) {
	if *uciPath == "" {
		t.Skip("no -uci file given")
	}
	data, err := os.ReadFile(*uciPath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(*uciPath, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	checkSameAsReference(t, data, uciMapping(t), londonOrUTC(t), 0)
}

func BenchmarkReadOrdersHead(b *testing.B) {
	data, err := os.ReadFile(testdata + "online_retail_head.csv")
	if err != nil {
		b.Fatal(err)
	}
	m := uciMapping(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadOrders(bytes.NewReader(data), "uci", m, time.UTC, func(profiles.OrderRecord) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadOrdersUCI reads the whole UCI file (-uci), decompressed beforehand.
func BenchmarkReadOrdersUCI(b *testing.B) {
	if *uciPath == "" {
		b.Skip("no -uci file given")
	}
	data, err := os.ReadFile(*uciPath)
	if err != nil {
		b.Fatal(err)
	}
	if strings.HasSuffix(*uciPath, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			b.Fatal(err)
		}
	}
	m := uciMapping(b)
	for _, c := range []struct {
		name string
		read func(io.Reader, string, Mapping, *time.Location, func(profiles.OrderRecord) error) (Report, error)
	}{{"fast", ReadOrders}, {"reference", readOrdersReference}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.read(bytes.NewReader(data), "uci", m, time.UTC, func(profiles.OrderRecord) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
