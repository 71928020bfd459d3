// Package gen generates deterministic, deliberately messy synthetic store
// data: people (ground truth), their customer accounts and orders in a
// Shopify store (shop-a) and a WooCommerce store (woo-b), a generic
// transactions CSV and a truth file for scoring identity resolution.
//
// Same Config => byte-identical output, whatever the number of workers.
package gen

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"time"
	_ "time/tzdata" // store time zones must not depend on the host
)

// Version is recorded in manifest.json; bump it when output changes.
const Version = "1.0.0"

const (
	storeShop = 0
	storeWoo  = 1
)

// StoreNames are the store labels used in orders.csv and truth.csv.
var StoreNames = [2]string{"shop-a", "woo-b"}

// Formats selects output files. truth.csv and manifest.json are always written.
type Formats struct {
	Shopify     bool `json:"shopify"`
	WooCommerce bool `json:"woocommerce"`
	CSV         bool `json:"csv"`
}

// AllFormats enables every output.
var AllFormats = Formats{true, true, true}

// Config controls a run. Zero Workers means GOMAXPROCS.
type Config struct {
	Seed      uint64
	Customers int // number of people (ground truth)
	Orders    int // exact number of orders over both stores
	OutDir    string
	Formats   Formats
	Start     time.Time // first possible order date (inclusive)
	End       time.Time // last possible order date (exclusive)
	Workers   int
	Progress  io.Writer // nil: silent
}

// Counts are the per-file record counts written to the manifest.
type Counts struct {
	People            int `json:"people"`
	Prospects         int `json:"prospects"`
	ShopifyCustomers  int `json:"shopify_customers"`
	ShopifyOrders     int `json:"shopify_orders"`
	ShopifyGuests     int `json:"shopify_guest_orders"`
	ShopifyProducts   int `json:"shopify_products"`
	WooCustomers      int `json:"woocommerce_customers"`
	WooOrders         int `json:"woocommerce_orders"`
	WooGuests         int `json:"woocommerce_guest_orders"`
	Refunds           int `json:"refunds"`
	FullRefunds       int `json:"full_refunds"`
	Cancellations     int `json:"cancellations"`
	CSVRows           int `json:"orders_csv_rows"`
	TruthRows         int `json:"truth_rows"`
	CrossStorePeople  int `json:"cross_store_people"`
	GuestAndAccount   int `json:"people_with_guest_and_account_same_store"`
	DuplicateAccounts int `json:"people_with_two_accounts_same_store"`
}

// Manifest is written to manifest.json.
type Manifest struct {
	Generator string            `json:"generator"`
	Version   string            `json:"version"`
	Seed      uint64            `json:"seed"`
	Customers int               `json:"customers"`
	Orders    int               `json:"orders"`
	Start     string            `json:"start"`
	End       string            `json:"end"`
	Formats   Formats           `json:"formats"`
	Stores    map[string]string `json:"stores"`
	Counts    Counts            `json:"counts"`
	Files     map[string]int    `json:"files"` // path -> lines (header included for CSV)
}

// Output file indexes.
const (
	fShopCust = iota
	fShopOrd
	fWooCust
	fWooOrd
	fCSV
	fTruth
	nFiles
)

var fileNames = [nFiles]string{"shopify/customers.jsonl", "shopify/orders.jsonl", "woocommerce/customers.jsonl", "woocommerce/orders.jsonl", "orders.csv", "truth.csv"}

var (
	shopLoc = mustLoc("America/New_York")
	wooLoc  = mustLoc("Europe/Berlin")
)

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// DefaultConfig returns the CLI defaults.
func DefaultConfig() Config {
	return Config{
		Seed:      1,
		Customers: 10000,
		Orders:    30000,
		OutDir:    "./gen-out",
		Formats:   AllFormats,
		Start:     time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC),
		End:       time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
	}
}

func (c *Config) validate() error {
	switch {
	case c.Customers < 0 || c.Orders < 0:
		return errors.New("customers and orders must be >= 0")
	case c.Customers > 50_000_000:
		return errors.New("customers must be <= 50000000")
	case c.Customers == 0 && c.Orders > 0:
		return errors.New("orders need at least one customer")
	case !c.End.After(c.Start):
		return errors.New("end must be after start")
	case c.OutDir == "":
		return errors.New("empty output directory")
	}
	return nil
}

// pcounts is the per-person table kept in memory (12 bytes per person).
type pcounts struct {
	orders [2]uint32 // orders per store
	accts  [2]uint8  // customer accounts per store
	flags  uint8
}

// planOrders runs phase 1: draw each person's order count from a
// gamma-Poisson mixture, correct the total to exactly cfg.Orders, then split
// orders over stores and decide the accounts.
func planOrders(cfg *Config) []pcounts {
	n := cfg.Customers
	tab := make([]pcounts, n)
	w := make([]float32, n)
	profs := make([]uint8, n)
	sum := 0.0
	for i := range n {
		p := personProfile(cfg.Seed, i)
		w[i] = float32(p.weight)
		sum += float64(w[i])
		var f uint8
		if p.home == storeWoo {
			f |= 1
		}
		if p.cross {
			f |= 2
		}
		profs[i] = f
	}
	counts := make([]uint32, n)
	total := 0
	if cfg.Orders > 0 {
		scale := float64(cfg.Orders) / sum
		for i := range n {
			r := newRNG(cfg.Seed, uint64(i), 1)
			k := min(r.poisson(scale*float64(w[i])), 5000)
			counts[i] = uint32(k)
			total += k
		}
	}
	// Systematic sampling removes or adds the difference, keeping the
	// distribution's shape and the exact requested total.
	if d := cfg.Orders - total; d != 0 {
		r := newRNG(cfg.Seed, math.MaxUint64, 9)
		if d > 0 {
			step := sum / float64(d)
			next := r.f64() * step
			cum := 0.0
			for i := range n {
				cum += float64(w[i])
				for next < cum && d > 0 {
					counts[i]++
					d--
					next += step
				}
			}
			for i := 0; d > 0; i = (i + 1) % n { // float rounding leftovers
				counts[i]++
				d--
			}
		} else {
			d = -d
			step := float64(total) / float64(d)
			next := r.f64() * step
			cum := 0.0
			for i := range n {
				cum += float64(counts[i])
				for next < cum && d > 0 && counts[i] > 0 {
					counts[i]--
					d--
					next += step
				}
			}
			for i := 0; d > 0; i = (i + 1) % n {
				if counts[i] > 0 {
					counts[i]--
					d--
				}
			}
		}
	}
	w = nil
	for i := range n {
		r := newRNG(cfg.Seed, uint64(i), 3)
		home := int(profs[i] & 1)
		cross := profs[i]&2 != 0
		k := counts[i]
		var t pcounts
		t.flags = profs[i]
		if cross {
			for range k {
				if r.chance(0.5) {
					t.orders[0]++
				} else {
					t.orders[1]++
				}
			}
		} else {
			t.orders[home] = k
		}
		for s := range 2 {
			switch {
			case t.orders[s] > 0:
				if r.chance(0.72) {
					t.accts[s] = 1
					if r.chance(0.06) {
						t.accts[s] = 2
					}
				}
			case k == 0 && (s == home || (cross && r.chance(0.3))):
				t.accts[s] = 1 // prospect: registered, never bought
			case cross && r.chance(0.25):
				t.accts[s] = 1 // registered here, buys in the other store
			}
		}
		tab[i] = t
	}
	return tab
}

type chunkOut struct {
	bufs  [nFiles][]byte
	lines [nFiles]int
	c     Counts
	done  chan struct{}
}

// seqs are the per-store running id sequences at a chunk start.
type seqs struct {
	cust [2]uint64
	ord  [2]uint64
}

const chunkSize = 512

// Generate writes all outputs under cfg.OutDir and returns the manifest.
func Generate(ctx context.Context, cfg Config) (*Manifest, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	tab := planOrders(&cfg)
	nChunks := (cfg.Customers + chunkSize - 1) / chunkSize
	starts := make([]seqs, nChunks+1)
	var s seqs
	for i := range tab {
		if i%chunkSize == 0 {
			starts[i/chunkSize] = s
		}
		for st := range 2 {
			s.cust[st] += uint64(tab[i].accts[st])
			s.ord[st] += uint64(tab[i].orders[st])
		}
	}
	starts[nChunks] = s

	enabled := [nFiles]bool{cfg.Formats.Shopify, cfg.Formats.Shopify, cfg.Formats.WooCommerce, cfg.Formats.WooCommerce, cfg.Formats.CSV, true}
	var files [nFiles]*os.File
	var bw [nFiles]*bufio.Writer
	closeAll := func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}
	for k, name := range fileNames {
		if !enabled[k] {
			continue
		}
		p := filepath.Join(cfg.OutDir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			closeAll()
			return nil, err
		}
		f, err := os.Create(p)
		if err != nil {
			closeAll()
			return nil, err
		}
		files[k] = f
		bw[k] = bufio.NewWriterSize(f, 1<<20)
	}
	man := &Manifest{
		Generator: "cohortd-gen", Version: Version, Seed: cfg.Seed,
		Customers: cfg.Customers, Orders: cfg.Orders,
		Start: cfg.Start.UTC().Format(time.RFC3339), End: cfg.End.UTC().Format(time.RFC3339),
		Formats: cfg.Formats,
		Stores:  map[string]string{"shop-a": "shopify (America/New_York)", "woo-b": "woocommerce (Europe/Berlin)"},
		Files:   map[string]int{},
	}
	var lines [nFiles]int
	if bw[fCSV] != nil {
		bw[fCSV].WriteString("order_id,customer_id,email,date,amount,currency,store\n")
		lines[fCSV]++
	}
	bw[fTruth].WriteString("store,kind,record_id,person_id\n")
	lines[fTruth]++

	// Pipeline: workers fill chunks, the writer consumes them in order.
	jobs := make(chan int)
	outs := make([]*chunkOut, nChunks)
	order := make(chan *chunkOut, workers*3)
	free := make(chan *chunkOut, workers*3+1)
	for range workers*3 + 1 {
		free <- &chunkOut{}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(order)
		defer close(jobs)
		for c := range nChunks {
			var o *chunkOut
			select {
			case o = <-free:
			case <-ctx.Done():
				return
			}
			for k := range o.bufs {
				o.bufs[k] = o.bufs[k][:0]
				o.lines[k] = 0
			}
			o.c = Counts{}
			o.done = make(chan struct{})
			outs[c] = o
			select {
			case order <- o:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range workers {
		go func() {
			w := &worker{cfg: &cfg, enabled: enabled}
			for c := range jobs {
				o := outs[c]
				lo, hi := c*chunkSize, min((c+1)*chunkSize, cfg.Customers)
				w.runChunk(lo, hi, tab[lo:hi], starts[c], o)
				close(o.done)
			}
		}()
	}
	var total Counts
	var werr error
	nextReport := 0
	done := 0
	t0 := time.Now()
	for o := range order {
		<-o.done
		if werr == nil {
			for k := range nFiles {
				if bw[k] != nil && len(o.bufs[k]) > 0 {
					if _, err := bw[k].Write(o.bufs[k]); err != nil {
						werr = err
						cancel()
					}
				}
				lines[k] += o.lines[k]
			}
		}
		addCounts(&total, &o.c)
		done += chunkSize
		if cfg.Progress != nil && (done >= nextReport || done >= cfg.Customers) {
			fmt.Fprintf(cfg.Progress, "cohortd-gen: %d/%d people, %d orders, %.1fs\n", min(done, cfg.Customers), cfg.Customers, total.ShopifyOrders+total.WooOrders, time.Since(t0).Seconds())
			nextReport += max(cfg.Customers/20, chunkSize)
		}
		free <- o
	}
	if werr == nil && ctx.Err() != nil {
		werr = ctx.Err()
	}
	if werr == nil && bw[fShopCust] != nil {
		werr = writeProducts(filepath.Join(cfg.OutDir, "shopify", "products.jsonl"), cfg.Start)
		man.Files["shopify/products.jsonl"] = len(catalogue)
		total.ShopifyProducts = len(catalogue)
	}
	for k := range nFiles {
		if bw[k] == nil {
			continue
		}
		if err := bw[k].Flush(); err != nil && werr == nil {
			werr = err
		}
		if err := files[k].Close(); err != nil && werr == nil {
			werr = err
		}
		man.Files[fileNames[k]] = lines[k]
	}
	if werr != nil {
		return nil, werr
	}
	total.People = cfg.Customers
	total.TruthRows = lines[fTruth] - 1
	total.CSVRows = max(lines[fCSV]-1, 0)
	if !cfg.Formats.CSV {
		total.CSVRows = 0
	}
	man.Counts = total
	mb, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(cfg.OutDir, "manifest.json"), append(mb, '\n'), 0o644); err != nil {
		return nil, err
	}
	return man, nil
}

func addCounts(t, c *Counts) {
	t.Prospects += c.Prospects
	t.ShopifyCustomers += c.ShopifyCustomers
	t.ShopifyOrders += c.ShopifyOrders
	t.ShopifyGuests += c.ShopifyGuests
	t.WooCustomers += c.WooCustomers
	t.WooOrders += c.WooOrders
	t.WooGuests += c.WooGuests
	t.Refunds += c.Refunds
	t.FullRefunds += c.FullRefunds
	t.Cancellations += c.Cancellations
	t.CrossStorePeople += c.CrossStorePeople
	t.GuestAndAccount += c.GuestAndAccount
	t.DuplicateAccounts += c.DuplicateAccounts
}

func writeProducts(path string, start time.Time) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	var b []byte
	for i, p := range catalogue {
		created := start.Add(-time.Duration(400-i*7) * 24 * time.Hour).Unix()
		b = append(b, `{"id":`...)
		b = appUint(b, shopProductID(i))
		b = append(b, `,"title":`...)
		b = appStr(b, p.title)
		b = append(b, `,"vendor":`...)
		b = appStr(b, p.vendor)
		b = append(b, `,"product_type":`...)
		b = appStr(b, p.ptype)
		b = append(b, `,"handle":`...)
		b = appStr(b, handle(p.title))
		b = append(b, `,"created_at":`...)
		b = appTimeQ(b, created, shopLoc, layoutOffset)
		b = append(b, `,"updated_at":`...)
		b = appTimeQ(b, created+86400*30, shopLoc, layoutOffset)
		b = append(b, `,"published_at":`...)
		b = appTimeQ(b, created+3600, shopLoc, layoutOffset)
		b = append(b, `,"status":"active","tags":"","admin_graphql_api_id":"gid://shopify/Product/`...)
		b = appUint(b, shopProductID(i))
		b = append(b, "\"}\n"...)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func handle(s string) string {
	var b []byte
	dash := false
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			b = append(b, c)
			dash = false
		case c >= 'A' && c <= 'Z':
			b = append(b, c+32)
			dash = false
		default:
			if !dash && len(b) > 0 {
				b = append(b, '-')
				dash = true
			}
		}
	}
	if len(b) > 0 && b[len(b)-1] == '-' {
		b = b[:len(b)-1]
	}
	return string(b)
}
