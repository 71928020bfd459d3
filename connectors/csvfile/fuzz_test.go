package csvfile

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/cohortd/cohortd/profiles"
)

func FuzzReadOrders(f *testing.F) {
	if b, err := os.ReadFile(testdata + "online_retail_head.csv"); err == nil {
		f.Add(b[:4096])
		f.Add(b[len(b)-600:])
	}
	f.Add([]byte("InvoiceNo,CustomerID,InvoiceDate,Quantity,UnitPrice\nC1,1,2011-01-01 00:00:00,-1,1e999999\n"))
	f.Add([]byte("\ufeffInvoiceNo,CustomerID,InvoiceDate,Quantity,UnitPrice\n1,\"a\nb\",2011-01-01 00:00:00,2,3\n1,,x,,\n"))
	m := Mapping{OrderID: "InvoiceNo", CustomerID: "CustomerID", Date: "InvoiceDate", Quantity: "Quantity",
		UnitPrice: "UnitPrice", ProductID: "StockCode", Title: "Description", Country: "Country",
		DefaultCurrency: "GBP", CancelledPrefix: "C"}
	f.Fuzz(func(t *testing.T, data []byte) {
		records := 0
		rep, err := ReadOrders(bytesReader(data), "s", m, time.UTC, func(o profiles.OrderRecord) error {
			records++
			_ = o.Total.String()
			return nil
		})
		if err != nil {
			return // no header, or mapped columns missing
		}
		if rep.Records != records || rep.BadCount < len(rep.Bad) || len(rep.Bad) > maxBad || records > rep.Rows {
			t.Fatalf("inconsistent report %+v (records %d)", rep, records)
		}
		// The Shopify readers get the same bytes.
		_, _ = ReadShopifyOrders(bytesReader(data), "s", nil, func(profiles.OrderRecord) error { return nil })
		_, _ = ReadShopifyCustomers(bytesReader(data), "s", func(profiles.CustomerRecord) error { return nil })
	})
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
