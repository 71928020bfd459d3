package shopifyfake

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"
)

// REST shapes decoded from the generator's JSONL (only the fields the fake serves).
type restAddress struct {
	ID           uint64  `json:"id"`
	FirstName    *string `json:"first_name"`
	LastName     *string `json:"last_name"`
	Company      *string `json:"company"`
	Address1     *string `json:"address1"`
	Address2     *string `json:"address2"`
	City         *string `json:"city"`
	Province     *string `json:"province"`
	ProvinceCode *string `json:"province_code"`
	Country      *string `json:"country"`
	CountryCode  *string `json:"country_code"`
	Zip          *string `json:"zip"`
	Phone        *string `json:"phone"`
}

type restConsent struct {
	State     string  `json:"state"`
	OptIn     string  `json:"opt_in_level"`
	UpdatedAt *string `json:"consent_updated_at"`
}

type restCustomer struct {
	ID        uint64        `json:"id"`
	Email     *string       `json:"email"`
	Phone     *string       `json:"phone"`
	FirstName *string       `json:"first_name"`
	LastName  *string       `json:"last_name"`
	Tags      string        `json:"tags"`
	CreatedAt string        `json:"created_at"`
	UpdatedAt string        `json:"updated_at"`
	Orders    uint32        `json:"orders_count"`
	Spent     string        `json:"total_spent"`
	Currency  string        `json:"currency"`
	Consent   *restConsent  `json:"email_marketing_consent"`
	Addresses []restAddress `json:"addresses"`
}

type restLine struct {
	ID        uint64 `json:"id"`
	ProductID uint64 `json:"product_id"`
	Title     string `json:"title"`
	SKU       string `json:"sku"`
	Vendor    string `json:"vendor"`
	Quantity  int32  `json:"quantity"`
	Price     string `json:"price"`
}

type restRefund struct {
	ID           uint64 `json:"id"`
	CreatedAt    string `json:"created_at"`
	Note         string `json:"note"`
	Transactions []struct {
		Amount string `json:"amount"`
	} `json:"transactions"`
}

type restOrder struct {
	ID           uint64  `json:"id"`
	Number       uint32  `json:"order_number"`
	Email        *string `json:"email"`
	Phone        *string `json:"phone"`
	CreatedAt    string  `json:"created_at"`
	UpdatedAt    string  `json:"updated_at"`
	ProcessedAt  string  `json:"processed_at"`
	CancelledAt  *string `json:"cancelled_at"`
	ClosedAt     *string `json:"closed_at"`
	CancelReason *string `json:"cancel_reason"`
	Financial    string  `json:"financial_status"`
	Test         bool    `json:"test"`
	Currency     string  `json:"currency"`
	Presentment  string  `json:"presentment_currency"`
	Total        string  `json:"total_price"`
	Subtotal     string  `json:"subtotal_price"`
	Tax          string  `json:"total_tax"`
	SourceName   string  `json:"source_name"`
	BrowserIP    *string `json:"browser_ip"`
	Locale       *string `json:"customer_locale"`
	Customer     *struct {
		ID uint64 `json:"id"`
	} `json:"customer"`
	Billing  *restAddress `json:"billing_address"`
	Shipping *restAddress `json:"shipping_address"`
	Lines    []restLine   `json:"line_items"`
	Refunds  []restRefund `json:"refunds"`
}

type restProduct struct {
	ID     uint64 `json:"id"`
	Title  string `json:"title"`
	Vendor string `json:"vendor"`
	Type   string `json:"product_type"`
}

// interner shares the backing memory of repeated strings (names, cities, countries); one
// per load worker, so no locking.
type interner map[string]string

func (in interner) s(p *string) string {
	if p == nil || *p == "" {
		return ""
	}
	if v, ok := in[*p]; ok {
		return v
	}
	if len(in) > 1<<20 {
		return *p
	}
	in[*p] = *p
	return *p
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func parseTime(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return 0, fmt.Errorf("time %q: %w", s, err)
	}
	return t.Unix(), nil
}

func cur3(s string) [3]byte {
	var c [3]byte
	copy(c[:], s)
	return c
}

func (in interner) addr(a *restAddress) address {
	return address{
		ID: a.ID, FirstName: in.s(a.FirstName), LastName: in.s(a.LastName), Company: in.s(a.Company),
		Address1: str(a.Address1), Address2: in.s(a.Address2), City: in.s(a.City),
		Province: in.s(a.Province), ProvinceCode: in.s(a.ProvinceCode), Country: in.s(a.Country),
		CCode: in.s(a.CountryCode), Zip: str(a.Zip), Phone: str(a.Phone),
	}
}

var marketingByREST = map[string]uint8{"not_subscribed": mNotSubscribed, "subscribed": mSubscribed, "unsubscribed": mUnsubscribed, "pending": mPending}
var optInByREST = map[string]uint8{"single_opt_in": 0, "confirmed_opt_in": 1, "unknown": 2}

func convCustomer(line []byte, off int64, in interner) (customer, error) {
	var r restCustomer
	if err := json.Unmarshal(line, &r); err != nil {
		return customer{}, err
	}
	c := customer{
		ID: r.ID, Email: str(r.Email), Phone: str(r.Phone), FirstName: in.s(r.FirstName), LastName: in.s(r.LastName),
		Tags: splitTags(r.Tags), Orders: r.Orders, Spent: parseMoney(r.Spent), Currency: cur3(r.Currency),
		src: source{off: off, n: int32(len(line))},
	}
	var err error
	if c.CreatedAt, err = parseTime(r.CreatedAt); err != nil {
		return c, err
	}
	if c.UpdatedAt, err = parseTime(r.UpdatedAt); err != nil {
		return c, err
	}
	if r.Consent != nil {
		c.Marketing = marketingByREST[r.Consent.State]
		c.OptIn = optInByREST[r.Consent.OptIn]
		if r.Consent.UpdatedAt != nil {
			if c.ConsentAt, err = parseTime(*r.Consent.UpdatedAt); err != nil {
				return c, err
			}
		}
	}
	for i := range r.Addresses {
		c.Addresses = append(c.Addresses, in.addr(&r.Addresses[i]))
	}
	return c, nil
}

func convOrder(line []byte, off int64, in interner) (order, error) {
	var r restOrder
	if err := json.Unmarshal(line, &r); err != nil {
		return order{}, err
	}
	o := order{
		ID: r.ID, Number: r.Number, Email: str(r.Email), Phone: str(r.Phone),
		Total: parseMoney(r.Total), Subtotal: parseMoney(r.Subtotal), Tax: parseMoney(r.Tax),
		Currency: cur3(r.Currency), Presentment: cur3(r.Presentment), Locale: in.s(r.Locale),
		ClientIP: str(r.BrowserIP), SourceName: in.s(&r.SourceName), CancelReason: in.s(r.CancelReason),
		Financial: in.s(&r.Financial), Test: r.Test, restRefunds: len(r.Refunds),
		src: source{off: off, n: int32(len(line))},
	}
	if r.Customer != nil {
		o.Customer = r.Customer.ID
	}
	var err error
	for _, p := range []struct {
		dst *int64
		s   string
	}{{&o.CreatedAt, r.CreatedAt}, {&o.UpdatedAt, r.UpdatedAt}, {&o.ProcessedAt, r.ProcessedAt}, {&o.CancelledAt, str(r.CancelledAt)}, {&o.ClosedAt, str(r.ClosedAt)}} {
		if *p.dst, err = parseTime(p.s); err != nil {
			return o, err
		}
	}
	if r.Billing != nil {
		b := in.addr(r.Billing)
		o.Billing = &b
	}
	if r.Shipping != nil {
		s := in.addr(r.Shipping)
		if o.Billing != nil && s == *o.Billing {
			o.Shipping = o.Billing // the generator repeats billing as shipping: share it
		} else {
			o.Shipping = &s
		}
	}
	o.Items = make([]lineItem, len(r.Lines))
	for i, l := range r.Lines {
		o.Items[i] = lineItem{ID: l.ID, ProductID: l.ProductID, Title: in.s(&l.Title), SKU: in.s(&l.SKU), Vendor: in.s(&l.Vendor), Qty: l.Quantity, Price: parseMoney(l.Price)}
	}
	for _, rf := range r.Refunds {
		x := refund{ID: rf.ID, Note: in.s(&rf.Note)}
		if x.CreatedAt, err = parseTime(rf.CreatedAt); err != nil {
			return o, err
		}
		for _, t := range rf.Transactions {
			x.Amount += parseMoney(t.Amount)
		}
		o.Refunds = append(o.Refunds, x)
	}
	return o, nil
}

type chunk struct {
	seq  int
	base int64
	data []byte
}

// loadJSONL decodes a JSONL file on all cores, keeping file order.
func loadJSONL[T any](path string, conv func([]byte, int64, interner) (T, error)) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	workers := max(1, runtime.GOMAXPROCS(0))
	chunks := make(chan chunk, workers*2)
	type result struct {
		seq  int
		recs []T
		err  error
	}
	results := make(chan result, workers*2)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := interner{}
			for c := range chunks {
				var recs []T
				var rerr error
				pos := 0
				for pos < len(c.data) {
					end := bytes.IndexByte(c.data[pos:], '\n')
					if end < 0 {
						end = len(c.data) - pos
					}
					line := c.data[pos : pos+end]
					if len(bytes.TrimSpace(line)) > 0 && rerr == nil {
						rec, err := conv(line, c.base+int64(pos), in)
						if err != nil {
							rerr = fmt.Errorf("%s offset %d: %w", filepath.Base(path), c.base+int64(pos), err)
						}
						recs = append(recs, rec)
					}
					pos += end + 1
				}
				results <- result{c.seq, recs, rerr}
			}
		}()
	}
	var readErr error
	go func() {
		defer close(chunks)
		r := bufio.NewReaderSize(f, 1<<20)
		var off int64
		seq := 0
		for {
			buf := make([]byte, 0, 4<<20)
			for len(buf) < 4<<20-64<<10 {
				line, err := r.ReadBytes('\n')
				buf = append(buf, line...)
				if err == io.EOF {
					break
				}
				if err != nil {
					readErr = err
					return
				}
			}
			if len(buf) == 0 {
				return
			}
			chunks <- chunk{seq: seq, base: off, data: buf}
			off += int64(len(buf))
			seq++
			if buf[len(buf)-1] != '\n' {
				return
			}
			if _, err := r.Peek(1); err == io.EOF {
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	pending := map[int][]T{}
	var out []T
	next := 0
	var firstErr error
	for res := range results {
		if res.err != nil && firstErr == nil {
			firstErr = res.err
		}
		pending[res.seq] = res.recs
		for {
			recs, ok := pending[next]
			if !ok {
				break
			}
			out = append(out, recs...)
			delete(pending, next)
			next++
		}
	}
	if readErr != nil {
		return nil, readErr
	}
	return out, firstErr
}

// LoadGenerated replaces the fake's data with the generator's Shopify files under dir
// (shopify/customers.jsonl, shopify/orders.jsonl, shopify/products.jsonl). The files must
// stay in place: webhook payloads of loaded records are read back from them.
func (f *Fake) LoadGenerated(dir string) error {
	sdir := filepath.Join(dir, "shopify")
	prods, err := loadJSONL(filepath.Join(sdir, "products.jsonl"), func(b []byte, _ int64, _ interner) (product, error) {
		var p restProduct
		err := json.Unmarshal(b, &p)
		return product(p), err
	})
	if err != nil {
		return fmt.Errorf("shopifyfake: load products: %w", err)
	}
	custs, err := loadJSONL(filepath.Join(sdir, "customers.jsonl"), convCustomer)
	if err != nil {
		return fmt.Errorf("shopifyfake: load customers: %w", err)
	}
	ords, err := loadJSONL(filepath.Join(sdir, "orders.jsonl"), convOrder)
	if err != nil {
		return fmt.Errorf("shopifyfake: load orders: %w", err)
	}
	slices.SortFunc(custs, func(a, b customer) int { return cmpU(a.ID, b.ID) })
	slices.SortFunc(ords, func(a, b order) int { return cmpU(a.ID, b.ID) })
	cf, err := os.Open(filepath.Join(sdir, "customers.jsonl"))
	if err != nil {
		return fmt.Errorf("shopifyfake: %w", err)
	}
	of, err := os.Open(filepath.Join(sdir, "orders.jsonl"))
	if err != nil {
		cf.Close()
		return fmt.Errorf("shopifyfake: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.data.reset(custs, ords, prods, cf, of)
	return nil
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

var errNotFound = errors.New("not found")
