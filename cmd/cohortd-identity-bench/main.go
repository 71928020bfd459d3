// Command cohortd-identity-bench resolves the customers and guest orders of a cohortd-gen
// output directory with profiles/identity and scores the clusters against truth.csv
// (pairwise precision, recall, F1).
//
//	cohortd-identity-bench -gendir /tmp/g100k [-match-threshold 0.9]
package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cohortd/cohortd/profiles/identity"
)

type addr struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Address1  string `json:"address1"`
	Address2  string `json:"address2"`
	WAddress1 string `json:"address_1"`
	WAddress2 string `json:"address_2"`
	City      string `json:"city"`
	Province  string `json:"province"`
	State     string `json:"state"`
	Country   string `json:"country"`
	Zip       string `json:"zip"`
	Postcode  string `json:"postcode"`
	Phone     string `json:"phone"`
	Email     string `json:"email"`
}

// doc covers the fields used from Shopify/WooCommerce customers and orders.
type doc struct {
	ID        json.Number `json:"id"`
	Email     string      `json:"email"`
	FirstName string      `json:"first_name"`
	LastName  string      `json:"last_name"`
	Phone     string      `json:"phone"`
	Addresses []addr      `json:"addresses"`
	Billing   *addr       `json:"billing"`
	BillingA  *addr       `json:"billing_address"`
	Shipping  *addr       `json:"shipping"`
	ShippingA *addr       `json:"shipping_address"`
	Customer  *struct {
		ID json.Number `json:"id"`
	} `json:"customer"`
	CustomerID    json.Number `json:"customer_id"`
	BrowserIP     string      `json:"browser_ip"`
	CustomerIP    string      `json:"customer_ip_address"`
	CustomerUA    string      `json:"customer_user_agent"`
	CreatedAt     string      `json:"created_at"`
	DateCreated   string      `json:"date_created"`
	ClientDetails *struct {
		UA string `json:"user_agent"`
	} `json:"client_details"`
}

func (d *doc) isGuest(shopify bool) bool {
	if shopify {
		return d.Customer == nil
	}
	return d.CustomerID == "0" || d.CustomerID == ""
}

// recordBuilder builds compact records (identity.NewRecord, no per-record map) whose strings are
// interned: one string per distinct value seen by this builder (a loader goroutine).
type recordBuilder struct {
	vals   []identity.FieldValue
	intern map[string]string
}

func (b *recordBuilder) str(v string) string {
	if s, ok := b.intern[v]; ok {
		return s
	}
	v = strings.Clone(v) // do not pin a larger decoded string
	b.intern[v] = v
	return v
}

func (b *recordBuilder) add(f identity.Field, v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	for _, x := range b.vals {
		if x.Field == f && x.Value == v {
			return
		}
	}
	b.vals = append(b.vals, identity.FieldValue{Field: f, Value: b.str(v)})
}

func (b *recordBuilder) addAddr(a *addr) {
	if a == nil {
		return
	}
	b.add(identity.FirstName, a.FirstName)
	b.add(identity.LastName, a.LastName)
	a1, a2 := a.Address1, a.Address2
	if a1 == "" {
		a1, a2 = a.WAddress1, a.WAddress2
	}
	b.add(identity.Address1, a1)
	b.add(identity.Address2, a2)
	if f := strings.Fields(a1); len(f) > 0 && f[0][0] >= '0' && f[0][0] <= '9' {
		b.add(identity.StreetNumber, f[0])
	}
	b.add(identity.City, a.City)
	b.add(identity.Region, a.Province+a.State)
	b.add(identity.Country, a.Country)
	b.add(identity.Postcode, a.Zip+a.Postcode)
	b.add(identity.Phone, a.Phone)
	b.add(identity.Email, a.Email)
}

func (b *recordBuilder) toRecord(d *doc, store, kind string, shopify bool) identity.Record {
	b.vals = b.vals[:0]
	b.add(identity.Email, d.Email)
	b.add(identity.FirstName, d.FirstName)
	b.add(identity.LastName, d.LastName)
	b.add(identity.Phone, d.Phone)
	if len(d.Addresses) > 0 {
		b.addAddr(&d.Addresses[0])
	}
	if d.BillingA != nil {
		b.addAddr(d.BillingA)
	}
	b.addAddr(d.Billing)
	r := identity.NewRecord(store+","+kind+","+d.ID.String(), slices.Clone(b.vals)...)
	if kind == "guest_order" {
		ship := d.ShippingA
		if ship == nil {
			ship = d.Shipping
		}
		if ship != nil {
			a1 := ship.Address1 + ship.WAddress1
			r.Weak.ShippingAddress = []string{b.str(a1 + " " + ship.Zip + ship.Postcode)}
		}
		ip, ua, day := d.CustomerIP, d.CustomerUA, d.DateCreated
		if shopify {
			ip, day = d.BrowserIP, d.CreatedAt
			if d.ClientDetails != nil {
				ua = d.ClientDetails.UA
			}
		}
		if ip != "" && len(day) >= 10 {
			r.Weak.IPUserAgent = []string{ip + "|" + ua + "|" + day[:10]}
		}
	}
	return r
}

// loadJSONL decodes a JSON-lines file on all cores, keeping only the records keep accepts.
func loadJSONL(path, store, kind string, shopify bool) ([]identity.Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	type batch struct {
		lines [][]byte
		out   []identity.Record
		err   error
		done  chan struct{}
	}
	work := make(chan *batch, 2*runtime.GOMAXPROCS(0))
	var order []*batch
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rb := &recordBuilder{intern: map[string]string{}}
			for b := range work {
				for _, l := range b.lines {
					var d doc
					if err := json.Unmarshal(l, &d); err != nil {
						b.err = err
						break
					}
					if kind == "guest_order" && !d.isGuest(shopify) {
						continue
					}
					b.out = append(b.out, rb.toRecord(&d, store, kind, shopify))
				}
				b.lines = nil
				close(b.done)
			}
		}()
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	cur := &batch{done: make(chan struct{})}
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		cur.lines = append(cur.lines, bytes.Clone(sc.Bytes()))
		if len(cur.lines) == 2048 {
			order = append(order, cur)
			work <- cur
			cur = &batch{done: make(chan struct{})}
		}
	}
	order = append(order, cur)
	work <- cur
	close(work)
	wg.Wait()
	if err := sc.Err(); err != nil {
		return nil, err
	}
	n := 0
	for _, b := range order {
		if b.err != nil {
			return nil, fmt.Errorf("%s: %w", path, b.err)
		}
		n += len(b.out)
	}
	out := make([]identity.Record, 0, n)
	for _, b := range order {
		out = append(out, b.out...)
		b.out = nil
	}
	return out, nil
}

func loadTruth(path string) (map[string]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(bufio.NewReader(f))
	cr.ReuseRecord = true
	truth := map[string]int{}
	if _, err := cr.Read(); err != nil {
		return nil, err
	}
	for {
		row, err := cr.Read()
		if err == io.EOF {
			return truth, nil
		}
		if err != nil {
			return nil, err
		}
		p, err := strconv.Atoi(row[3])
		if err != nil {
			return nil, err
		}
		truth[row[0]+","+row[1]+","+row[2]] = p
	}
}

func main() {
	gendir := flag.String("gendir", "", "cohortd-gen output directory")
	match := flag.Float64("match-threshold", 0.9, "merge threshold")
	memLimit := flag.Int64("memlimit", 0, "soft memory limit in MiB (debug.SetMemoryLimit); 0 keeps GOMEMLIMIT or none")
	flag.Parse()
	if *memLimit > 0 {
		debug.SetMemoryLimit(*memLimit << 20)
	}
	if *gendir == "" {
		fmt.Fprintln(os.Stderr, "usage: cohortd-identity-bench -gendir DIR")
		os.Exit(2)
	}
	if err := run(*gendir, *match); err != nil {
		fmt.Fprintln(os.Stderr, "cohortd-identity-bench:", err)
		os.Exit(1)
	}
}

func run(dir string, match float64) error {
	t0 := time.Now()
	var recs []identity.Record
	for _, src := range []struct {
		file, store, kind string
		shopify           bool
	}{
		{"shopify/customers.jsonl", "shop-a", "customer", true},
		{"shopify/orders.jsonl", "shop-a", "guest_order", true},
		{"woocommerce/customers.jsonl", "woo-b", "customer", false},
		{"woocommerce/orders.jsonl", "woo-b", "guest_order", false},
	} {
		rs, err := loadJSONL(filepath.Join(dir, src.file), src.store, src.kind, src.shopify)
		if err != nil {
			return err
		}
		recs = append(recs, rs...)
	}
	truth, err := loadTruth(filepath.Join(dir, "truth.csv"))
	if err != nil {
		return err
	}
	person := make([]int, len(recs))
	for i, r := range recs {
		p, ok := truth[r.ID]
		if !ok {
			return fmt.Errorf("record %s not in truth.csv", r.ID)
		}
		person[i] = p
	}
	truth = nil
	load := time.Since(t0)
	runtime.GC()

	heapBefore, _ := sampleHeap()
	stop := make(chan struct{})
	peak := make(chan [2]uint64)
	go func() { // peak Go heap (objects, live + not yet swept) and peak live heap (as of the last GC)
		var top [2]uint64
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			h, l := sampleHeap()
			top = [2]uint64{max(top[0], h), max(top[1], l)}
			select {
			case <-stop:
				peak <- top
				return
			case <-tk.C:
			}
		}
	}()
	t1 := time.Now()
	// The records' field values are not needed after Resolve (unless dumped): let it free them.
	debugOut := os.Getenv("IDBENCH_DEBUG") != ""
	res, err := identity.Resolve(recs, identity.Options{MatchThreshold: match, ReleaseInput: !debugOut})
	resolve := time.Since(t1)
	close(stop)
	pk := <-peak
	if path := os.Getenv("IDBENCH_MEMPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			_ = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
	}
	heapPeak, livePeak := pk[0], pk[1]
	if err != nil {
		return err
	}

	type key struct{ c, p int }
	both := map[key]int{}
	byC, byP := map[int]int{}, map[int]int{}
	for i, c := range res.ClusterOf {
		both[key{c, person[i]}]++
		byC[c]++
		byP[person[i]]++
	}
	c2 := func(n int) int { return n * (n - 1) / 2 }
	var tp, pred, tru int
	for _, n := range both {
		tp += c2(n)
	}
	for _, n := range byC {
		pred += c2(n)
	}
	for _, n := range byP {
		tru += c2(n)
	}
	p := float64(tp) / float64(max(pred, 1))
	r := float64(tp) / float64(max(tru, 1))
	f1 := 2 * p * r / max(p+r, 1e-12)
	det := 0
	for _, m := range res.Merged {
		if strings.HasPrefix(m.Reason, "deterministic") {
			det++
		}
	}
	if debugOut {
		debugDump(recs, person, res)
	}
	fmt.Printf("records=%d people=%d candidate_pairs=%d merged=%d (deterministic %d) possible=%d clusters=%d\n",
		len(recs), len(byP), res.CandidatePairs, len(res.Merged), det, len(res.Possible), len(byC))
	fmt.Printf("precision=%.5f recall=%.5f f1=%.5f tp=%d fp=%d fn=%d\n", p, r, f1, tp, pred-tp, tru-tp)
	fmt.Printf("load=%s resolve=%s lambda=%.4f em_iterations=%d\n", load.Round(time.Millisecond), resolve.Round(time.Millisecond), res.Params.Lambda, res.Params.Iterations)
	limit := "none"
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		limit = fmt.Sprintf("%dMiB", l>>20)
	}
	fmt.Printf("heap_records=%dMB heap_peak_resolve=%dMB live_peak_resolve=%dMB workers=%d memlimit=%s\n", heapBefore>>20, heapPeak>>20, livePeak>>20, runtime.GOMAXPROCS(0), limit)
	return nil
}

// sampleHeap reads, without stopping the world, the bytes of heap objects (live and not yet
// swept) and the live heap marked by the last GC.
func sampleHeap() (objects, live uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

func debugDump(recs []identity.Record, person []int, res *identity.Result) {
	for _, f := range res.Params.Fields {
		fmt.Printf("%-14s", f.Field)
		for i := range f.Levels {
			fmt.Printf(" %s m=%.3f u=%.4f w=%.1f;", f.Levels[i], f.M[i], f.U[i], f.Weight[i])
		}
		fmt.Println()
	}
	n := 0
	for _, m := range res.Merged {
		if person[m.A] != person[m.B] && n < 8 {
			n++
			fmt.Printf("FP %s p=%.3f s=%.1f %v\n  %v\n  %v\n", m.Reason, m.Probability, m.Score, m.Decisive, recs[m.A].FieldValues(), recs[m.B].FieldValues())
		}
	}
}
