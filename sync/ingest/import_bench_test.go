package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/csvfile"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
)

// uciMapping maps the UCI Online Retail columns, as examples/online-retail.yaml does.
func uciMapping(tb testing.TB) csvfile.Mapping {
	tb.Helper()
	m, err := csvfile.MappingFromConfig(map[string]string{
		"order_id": "InvoiceNo", "customer_id": "CustomerID", "date": "InvoiceDate", "quantity": "Quantity",
		"unit_price": "UnitPrice", "product_id": "StockCode", "title": "Description", "country": "Country",
		"default_currency": "GBP", "date_layout": "2006-01-02 15:04:05", "cancelled_prefix": "C",
	})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func readFileMaybeGzip(tb testing.TB, path string) []byte {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			tb.Fatal(err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			tb.Fatal(err)
		}
	}
	return data
}

// benchImport runs what `cohortd import` does with a mapped orders file, into a new store each
// time (fsync on, as in production): parse, store in batches, rebuild the profiles.
func benchImport(b *testing.B, data []byte) {
	ctx := context.Background()
	m := uciMapping(b)
	cfg := config.Default()
	cfg.BaseCurrency = "GBP"
	opts, err := BuildOptions(cfg)
	if err != nil {
		b.Fatal(err)
	}
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		loc = time.UTC
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		st, err := store.Open(filepath.Join(b.TempDir(), "cohortd.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		w := NewWriter(st, 2000)
		w.Keep = true
		if _, err := csvfile.ReadOrders(bytes.NewReader(data), "retail", m, loc, func(o profiles.OrderRecord) error {
			return w.AddOrder(ctx, o)
		}); err != nil {
			b.Fatal(err)
		}
		if err := w.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := RebuildAfter(ctx, st, opts, w); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
}

// BenchmarkImportHead imports the committed head of the UCI Online Retail file.
func BenchmarkImportHead(b *testing.B) {
	benchImport(b, readFileMaybeGzip(b, "../../testdata/csvfile/online_retail_head.csv"))
}

// BenchmarkImportUCI imports the whole UCI file named by $COHORTD_UCI (skipped without it).
func BenchmarkImportUCI(b *testing.B) {
	path := os.Getenv("COHORTD_UCI")
	if path == "" {
		b.Skip("set COHORTD_UCI to the path of online_retail.csv(.gz)")
	}
	benchImport(b, readFileMaybeGzip(b, path))
}
