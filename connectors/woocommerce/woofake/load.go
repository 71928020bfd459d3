package woofake

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"
)

// gmtLayout is how WooCommerce writes date_*_gmt (UTC, no zone).
const gmtLayout = "2006-01-02T15:04:05"

// LoadGenerated replaces the store's customers and orders with internal/gen's WooCommerce
// output: dir/woocommerce/{customers,orders}.jsonl (or those files directly in dir). Each
// line is kept as the record's raw JSON; only the fields the API filters and sorts on are
// extracted, in parallel, so 100k customers and 300k orders load in a few seconds.
// Webhooks, the administrator user and the OAuth state are kept.
func (f *Fake) LoadGenerated(dir string) error {
	base := filepath.Join(dir, "woocommerce")
	if _, err := os.Stat(filepath.Join(base, "customers.jsonl")); err != nil {
		base = dir
	}
	custData, err := os.ReadFile(filepath.Join(base, "customers.jsonl"))
	if err != nil {
		return fmt.Errorf("woofake: load customers: %w", err)
	}
	ordData, err := os.ReadFile(filepath.Join(base, "orders.jsonl"))
	if err != nil {
		return fmt.Errorf("woofake: load orders: %w", err)
	}
	custs, maxMeta, err := parseLines(custData, parseCustomer)
	if err != nil {
		return fmt.Errorf("woofake: customers.jsonl: %w", err)
	}
	ords, maxRefund, err := parseLines(ordData, parseOrder)
	if err != nil {
		return fmt.Errorf("woofake: orders.jsonl: %w", err)
	}
	slices.SortFunc(custs, func(a, b *customerRec) int { return cmp.Compare(a.id, b.id) })
	slices.SortFunc(ords, func(a, b *orderRec) int { return cmp.Compare(a.id, b.id) })

	f.mu.Lock()
	defer f.mu.Unlock()
	d := newDataset()
	if admin, _ := f.data.customer(1); admin != nil {
		d.customers = append(d.customers, admin)
	}
	for _, c := range custs {
		if c.id == 1 && len(d.customers) > 0 {
			continue
		}
		d.customers = append(d.customers, c)
	}
	d.orders = ords
	for _, o := range ords {
		if o.status == "trash" {
			d.trashed++
		}
	}
	if n := len(d.customers); n > 0 {
		d.nextUserID = d.customers[n-1].id + 1
	}
	if n := len(d.orders); n > 0 {
		d.nextPostID = max(d.orders[n-1].id, maxRefund) + 1
	}
	d.nextMetaID = max(f.data.nextMetaID, maxMeta+1)
	f.data = d
	f.data.changed()
	return nil
}

// parseLines splits data into lines and parses them on all cores, keeping file order. The
// second result is the largest auxiliary id the parser reported (meta or refund ids).
func parseLines[T any](data []byte, parse func(line []byte) (T, uint64, error)) ([]T, uint64, error) {
	workers := runtime.GOMAXPROCS(0)
	chunk := len(data)/workers + 1
	var bounds [][2]int
	for start := 0; start < len(data); {
		end := min(start+chunk, len(data))
		if nl := bytes.IndexByte(data[end:], '\n'); nl >= 0 {
			end += nl + 1
		} else {
			end = len(data)
		}
		bounds = append(bounds, [2]int{start, end})
		start = end
	}
	results := make([][]T, len(bounds))
	maxes := make([]uint64, len(bounds))
	errs := make([]error, len(bounds))
	var wg sync.WaitGroup
	for i, b := range bounds {
		wg.Go(func() {
			part := data[b[0]:b[1]]
			lineNo := bytes.Count(data[:b[0]], []byte{'\n'})
			for len(part) > 0 {
				line := part
				if nl := bytes.IndexByte(part, '\n'); nl >= 0 {
					line, part = part[:nl], part[nl+1:]
				} else {
					part = nil
				}
				lineNo++
				line = bytes.TrimSpace(line)
				if len(line) == 0 {
					continue
				}
				rec, aux, err := parse(line)
				if err != nil {
					errs[i] = fmt.Errorf("line %d: %w", lineNo, err)
					return
				}
				results[i] = append(results[i], rec)
				maxes[i] = max(maxes[i], aux)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, 0, err
	}
	var out []T
	var mx uint64
	for i := range results {
		out = append(out, results[i]...)
		mx = max(mx, maxes[i])
	}
	return out, mx, nil
}

func parseGMT(v []byte) int64 {
	t, err := time.Parse(gmtLayout, rawString(v))
	if err != nil {
		return 0
	}
	return t.Unix()
}

// parseCustomer extracts a customer's index fields; the auxiliary result is its largest
// meta id.
func parseCustomer(line []byte) (*customerRec, uint64, error) {
	c := &customerRec{raw: line}
	var meta []byte
	err := scanMembers(line, func(k, v []byte) bool {
		switch string(k) {
		case "id":
			c.id = rawUint(v)
		case "email":
			c.email = rawString(v)
		case "role":
			c.role = rawString(v)
		case "username":
			c.username = rawString(v)
		case "date_created_gmt":
			c.created = parseGMT(v)
		case "date_modified_gmt":
			c.modified = parseGMT(v)
		case "meta_data":
			meta = v
		}
		return true
	})
	if err != nil {
		return nil, 0, err
	}
	if c.id == 0 {
		return nil, 0, errors.New("customer without id")
	}
	_, maxMeta, err := maxID(meta)
	if err != nil {
		return nil, 0, fmt.Errorf("customer %d meta_data: %w", c.id, err)
	}
	return c, maxMeta, nil
}

// maxID reads a JSON array of objects with an "id" and returns its length and largest id
// (0, 0 for an empty or missing array).
func maxID(raw []byte) (n int, largest uint64, err error) {
	if len(raw) <= 2 {
		return 0, 0, nil
	}
	var items []struct {
		ID uint64 `json:"id"`
	}
	if err := json.Unmarshal(raw, &items); err != nil {
		return 0, 0, err
	}
	for _, it := range items {
		largest = max(largest, it.ID)
	}
	return len(items), largest, nil
}

// parseOrder extracts an order's index fields; the auxiliary result is its largest refund id.
func parseOrder(line []byte) (*orderRec, uint64, error) {
	o := &orderRec{raw: line}
	var refunds []byte
	err := scanMembers(line, func(k, v []byte) bool {
		switch string(k) {
		case "id":
			o.id = rawUint(v)
		case "status":
			o.status = rawString(v)
		case "customer_id":
			o.customerID = rawUint(v)
		case "date_created_gmt":
			o.created = parseGMT(v)
		case "date_modified_gmt":
			o.modified = parseGMT(v)
		case "refunds":
			refunds = v
		}
		return true
	})
	if err != nil {
		return nil, 0, err
	}
	if o.id == 0 {
		return nil, 0, errors.New("order without id")
	}
	n, maxRefund, err := maxID(refunds)
	if err != nil {
		return nil, 0, fmt.Errorf("order %d refunds: %w", o.id, err)
	}
	o.refunds = n
	return o, maxRefund, nil
}
