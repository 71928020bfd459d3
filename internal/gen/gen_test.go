package gen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	goshopify "github.com/bold-commerce/go-shopify/v4"
	"github.com/shopspring/decimal"
)

func testConfig(dir string, seed uint64, people, orders, workers int) Config {
	c := DefaultConfig()
	c.Seed, c.Customers, c.Orders, c.OutDir, c.Workers = seed, people, orders, dir, workers
	return c
}

func generate(t testing.TB, seed uint64, people, orders, workers int) (string, *Manifest) {
	t.Helper()
	dir := t.TempDir()
	m, err := Generate(context.Background(), testConfig(dir, seed, people, orders, workers))
	if err != nil {
		t.Fatal(err)
	}
	return dir, m
}

var (
	sharedOnce = map[string]string{}
	sharedMan  = map[string]*Manifest{}
)

// shared returns one 5000-person data set reused by the read-only tests.
func shared(t *testing.T) (string, *Manifest) {
	t.Helper()
	if d, ok := sharedOnce["5k"]; ok {
		return d, sharedMan["5k"]
	}
	dir, err := os.MkdirTemp("", "gen-test-")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Generate(context.Background(), testConfig(dir, 42, 5000, 10000, 0))
	if err != nil {
		t.Fatal(err)
	}
	sharedOnce["5k"], sharedMan["5k"] = dir, m
	return dir, m
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range sharedOnce {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

func hashTree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		h := sha256.Sum256(b)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = hex.EncodeToString(h[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDeterminism(t *testing.T) {
	d1, _ := generate(t, 7, 1500, 4500, 1)
	d2, _ := generate(t, 7, 1500, 4500, 4) // worker count must not matter
	d3, _ := generate(t, 8, 1500, 4500, 2)
	h1, h2, h3 := hashTree(t, d1), hashTree(t, d2), hashTree(t, d3)
	if len(h1) != 8 {
		t.Fatalf("want 8 files, got %v", h1)
	}
	for f, h := range h1 {
		if h2[f] != h {
			t.Errorf("%s differs between identical runs", f)
		}
	}
	for _, f := range []string{"shopify/customers.jsonl", "shopify/orders.jsonl", "woocommerce/orders.jsonl", "orders.csv", "truth.csv"} {
		if h3[f] == h1[f] {
			t.Errorf("%s identical for different seeds", f)
		}
	}
}

func TestFormatsSubsetDoesNotChangeData(t *testing.T) {
	dAll, _ := generate(t, 3, 800, 2400, 0)
	dir := t.TempDir()
	cfg := testConfig(dir, 3, 800, 2400, 0)
	cfg.Formats = Formats{WooCommerce: true}
	if _, err := Generate(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	ha, hw := hashTree(t, dAll), hashTree(t, dir)
	if _, ok := hw["shopify/orders.jsonl"]; ok {
		t.Error("shopify output written though not requested")
	}
	for _, f := range []string{"woocommerce/orders.jsonl", "woocommerce/customers.jsonl", "truth.csv"} {
		if ha[f] != hw[f] {
			t.Errorf("%s changes with --formats", f)
		}
	}
}

func readLines(t testing.TB, p string) [][]byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		out = append(out, slices.Clone(sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func readCSV(t testing.TB, p string) [][]string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestManifestMatchesFiles(t *testing.T) {
	dir, m := shared(t)
	for name, n := range m.Files {
		if got := len(readLines(t, filepath.Join(dir, name))); got != n {
			t.Errorf("%s: manifest %d lines, file %d", name, n, got)
		}
	}
	c := m.Counts
	if c.ShopifyOrders+c.WooOrders != m.Orders {
		t.Errorf("orders %d+%d != %d", c.ShopifyOrders, c.WooOrders, m.Orders)
	}
	checks := map[string][2]int{
		"shopify/customers.jsonl":     {m.Files["shopify/customers.jsonl"], c.ShopifyCustomers},
		"shopify/orders.jsonl":        {m.Files["shopify/orders.jsonl"], c.ShopifyOrders},
		"woocommerce/customers.jsonl": {m.Files["woocommerce/customers.jsonl"], c.WooCustomers},
		"woocommerce/orders.jsonl":    {m.Files["woocommerce/orders.jsonl"], c.WooOrders},
		"orders.csv":                  {m.Files["orders.csv"] - 1, c.CSVRows},
		"truth.csv":                   {m.Files["truth.csv"] - 1, c.ShopifyCustomers + c.WooCustomers + c.ShopifyGuests + c.WooGuests},
	}
	for f, v := range checks {
		if v[0] != v[1] {
			t.Errorf("%s: %d vs %d", f, v[0], v[1])
		}
	}
	if c.CSVRows != m.Orders-c.Cancellations {
		t.Errorf("csv rows %d, want orders minus cancellations %d", c.CSVRows, m.Orders-c.Cancellations)
	}
	// Rates from the brief.
	frac := func(n int) float64 { return float64(n) / float64(m.Orders) }
	if r := frac(c.Refunds); r < 0.035 || r > 0.065 {
		t.Errorf("refund share %.3f", r)
	}
	if r := frac(c.Cancellations); r < 0.02 || r > 0.04 {
		t.Errorf("cancellation share %.3f", r)
	}
	if c.Prospects == 0 || c.Prospects > 2000 {
		t.Errorf("prospects %d of 5000", c.Prospects)
	}
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Manifest
	if err := json.Unmarshal(b, &back); err != nil || back.Seed != 42 || back.Version != Version {
		t.Errorf("manifest round trip: %v %+v", err, back)
	}
}

func TestExactOrderCounts(t *testing.T) {
	for _, tc := range [][2]int{{300, 0}, {300, 1}, {300, 5000}, {1, 7}, {50, 50}} {
		_, m := generate(t, 5, tc[0], tc[1], 0)
		if got := m.Counts.ShopifyOrders + m.Counts.WooOrders; got != tc[1] {
			t.Errorf("%v: %d orders", tc, got)
		}
		if m.Counts.People != tc[0] {
			t.Errorf("%v: people %d", tc, m.Counts.People)
		}
	}
	if _, err := Generate(context.Background(), testConfig(t.TempDir(), 1, 0, 5, 0)); err == nil {
		t.Error("orders without customers accepted")
	}
}

func decodeStrict(line []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(line))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

func TestShopifyDecodesIntoGoShopify(t *testing.T) {
	dir, _ := shared(t)
	customers := map[uint64]*goshopify.Customer{}
	for i, line := range readLines(t, filepath.Join(dir, "shopify/customers.jsonl")) {
		var c goshopify.Customer
		if err := decodeStrict(line, &c); err != nil {
			t.Fatalf("customer line %d: %v\n%s", i+1, err, line)
		}
		var raw map[string]any
		if err := json.Unmarshal(line, &raw); err != nil {
			t.Fatal(err)
		}
		if strconv.FormatUint(c.Id, 10) != string(mustJSON(raw["id"])) || c.Email != raw["email"] {
			t.Fatalf("customer %d: id/email did not round-trip", c.Id)
		}
		if c.CreatedAt == nil || c.UpdatedAt == nil || c.UpdatedAt.Before(*c.CreatedAt) || c.EmailMarketingConsent == nil || c.DefaultAddress == nil || len(c.Addresses) != 1 || c.Currency == "" {
			t.Fatalf("customer %d incomplete: %s", c.Id, line)
		}
		if c.DefaultAddress.CustomerId != c.Id {
			t.Fatalf("address customer_id mismatch on %d", c.Id)
		}
		if c.Phone != "" && !e164RE.MatchString(c.Phone) {
			t.Fatalf("customer.phone %q is not E.164", c.Phone)
		}
		if _, dup := customers[c.Id]; dup {
			t.Fatalf("duplicate customer id %d", c.Id)
		}
		customers[c.Id] = &c
	}
	products := map[uint64]bool{}
	for _, line := range readLines(t, filepath.Join(dir, "shopify/products.jsonl")) {
		var p goshopify.Product
		if err := decodeStrict(line, &p); err != nil {
			t.Fatalf("product: %v", err)
		}
		if p.ProductType == "" {
			t.Errorf("product %d without product_type", p.Id)
		}
		products[p.Id] = true
	}
	seen := map[uint64]bool{}
	ordersPerCustomer := map[uint64]int{}
	guests := 0
	for i, line := range readLines(t, filepath.Join(dir, "shopify/orders.jsonl")) {
		var o goshopify.Order
		if err := decodeStrict(line, &o); err != nil {
			t.Fatalf("order line %d: %v\n%s", i+1, err, line)
		}
		var raw struct {
			TotalPrice string `json:"total_price"`
			CreatedAt  string `json:"created_at"`
		}
		if err := json.Unmarshal(line, &raw); err != nil {
			t.Fatal(err)
		}
		if !decimal.RequireFromString(raw.TotalPrice).Equal(*o.TotalPrice) {
			t.Fatalf("order %d total %s vs %s", o.Id, o.TotalPrice, raw.TotalPrice)
		}
		if o.CreatedAt.Format(time.RFC3339) != raw.CreatedAt {
			t.Fatalf("order %d created_at %s vs %s", o.Id, o.CreatedAt.Format(time.RFC3339), raw.CreatedAt)
		}
		if seen[o.Id] {
			t.Fatalf("duplicate order id %d", o.Id)
		}
		seen[o.Id] = true
		if o.Customer != nil {
			c, ok := customers[o.Customer.Id]
			if !ok {
				t.Fatalf("order %d references unknown customer %d", o.Id, o.Customer.Id)
			}
			if o.Email != c.Email {
				t.Fatalf("order %d email %q != customer email %q", o.Id, o.Email, c.Email)
			}
			ordersPerCustomer[c.Id]++
		} else {
			guests++
			if o.Email == "" {
				t.Fatalf("guest order %d without email", o.Id)
			}
		}
		if len(o.LineItems) < 1 || len(o.LineItems) > 5 {
			t.Fatalf("order %d has %d line items", o.Id, len(o.LineItems))
		}
		sum := decimal.Zero
		for _, li := range o.LineItems {
			if !products[li.ProductId] {
				t.Fatalf("unknown product %d", li.ProductId)
			}
			sum = sum.Add(li.Price.Mul(decimal.NewFromInt(int64(li.Quantity))))
		}
		if !sum.Equal(*o.SubtotalPrice) || !o.SubtotalPrice.Add(*o.TotalTax).Equal(*o.TotalPrice) {
			t.Fatalf("order %d: money does not add up", o.Id)
		}
		if o.Currency == "JPY" && strings.Contains(raw.TotalPrice, ".") || o.Currency != "JPY" && !twoDecRE.MatchString(raw.TotalPrice) {
			t.Fatalf("order %d: %s amount %q has wrong decimals", o.Id, o.Currency, raw.TotalPrice)
		}
		switch o.FinancialStatus {
		case "refunded", "partially_refunded":
			if len(o.Refunds) != 1 || len(o.Refunds[0].Transactions) != 1 || len(o.Refunds[0].RefundLineItems) == 0 {
				t.Fatalf("order %d refund shape", o.Id)
			}
		case "voided":
			if o.CancelledAt == nil || o.CancelReason == "" {
				t.Fatalf("voided order %d not cancelled", o.Id)
			}
		}
		if o.ClientDetails == nil || o.ClientDetails.UserAgent == "" {
			t.Fatalf("order %d without client details", o.Id)
		}
		checkIP(t, o.ClientDetails.BrowserIp)
	}
	if guests == 0 {
		t.Error("no Shopify guest orders")
	}
	for id, n := range ordersPerCustomer {
		if customers[id].OrdersCount != n {
			t.Fatalf("customer %d orders_count %d, has %d orders", id, customers[id].OrdersCount, n)
		}
	}
}

var (
	e164RE   = regexp.MustCompile(`^\+[1-9]\d{6,14}$`)
	twoDecRE = regexp.MustCompile(`^\d+\.\d\d$`)
)

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func checkIP(t *testing.T, s string) {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatalf("bad ip %q", s)
	}
	for _, p := range []string{"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"} {
		if netip.MustParsePrefix(p).Contains(a) {
			return
		}
	}
	t.Fatalf("ip %s outside documentation ranges", s)
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func objKeys(t *testing.T, raw []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return m
}

func firstOf(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil || len(a) == 0 {
		t.Fatalf("want non-empty array: %s", raw)
	}
	return a[0]
}

func sample(t *testing.T, name string) map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "gen", "woocommerce", name))
	if err != nil {
		t.Fatal(err)
	}
	return objKeys(t, b)
}

func sameKeys(t *testing.T, what string, got, want map[string]json.RawMessage) {
	t.Helper()
	if g, w := keys(got), keys(want); !slices.Equal(g, w) {
		t.Fatalf("%s keys differ:\n got %v\nwant %v", what, g, w)
	}
}

func TestWooShapeMatchesRealSamples(t *testing.T) {
	dir, _ := shared(t)
	sc := sample(t, "customer-3.json")
	sg := sample(t, "order-11-guest.json")
	sr := sample(t, "order-12-with-refund.json")
	customers := map[int64]bool{}
	for _, line := range readLines(t, filepath.Join(dir, "woocommerce/customers.jsonl")) {
		c := objKeys(t, line)
		sameKeys(t, "customer", c, sc)
		sameKeys(t, "customer.billing", objKeys(t, c["billing"]), objKeys(t, sc["billing"]))
		sameKeys(t, "customer.shipping", objKeys(t, c["shipping"]), objKeys(t, sc["shipping"]))
		sameKeys(t, "customer._links", objKeys(t, c["_links"]), objKeys(t, sc["_links"]))
		id, _ := strconv.ParseInt(string(c["id"]), 10, 64)
		customers[id] = true
		var dc string
		json.Unmarshal(c["date_created_gmt"], &dc)
		if _, err := time.Parse("2006-01-02T15:04:05", dc); err != nil {
			t.Fatalf("date_created_gmt %q", dc)
		}
	}
	var guest, account, refunded int
	for _, line := range readLines(t, filepath.Join(dir, "woocommerce/orders.jsonl")) {
		o := objKeys(t, line)
		sameKeys(t, "order", o, sg)
		sameKeys(t, "order.billing", objKeys(t, o["billing"]), objKeys(t, sg["billing"]))
		sameKeys(t, "order.shipping", objKeys(t, o["shipping"]), objKeys(t, sg["shipping"]))
		sameKeys(t, "order.line_items[0]", objKeys(t, firstOf(t, o["line_items"])), objKeys(t, firstOf(t, sr["line_items"])))
		cid, _ := strconv.ParseInt(string(o["customer_id"]), 10, 64)
		if cid == 0 {
			guest++
			sameKeys(t, "guest order._links", objKeys(t, o["_links"]), objKeys(t, sg["_links"]))
		} else {
			account++
			if !customers[cid] {
				t.Fatalf("order references unknown woo customer %d", cid)
			}
			sameKeys(t, "order._links", objKeys(t, o["_links"]), objKeys(t, sr["_links"]))
		}
		if string(o["refunds"]) != "[]" {
			refunded++
			sameKeys(t, "order.refunds[0]", objKeys(t, firstOf(t, o["refunds"])), objKeys(t, firstOf(t, sr["refunds"])))
		}
		var ip string
		json.Unmarshal(o["customer_ip_address"], &ip)
		checkIP(t, ip)
	}
	if guest == 0 || account == 0 || refunded == 0 {
		t.Errorf("guest %d account %d refunded %d", guest, account, refunded)
	}
}

func TestCSVAndTruth(t *testing.T) {
	dir, m := shared(t)
	rows := readCSV(t, filepath.Join(dir, "orders.csv"))
	if strings.Join(rows[0], ",") != "order_id,customer_id,email,date,amount,currency,store" {
		t.Fatalf("header %v", rows[0])
	}
	truth := readCSV(t, filepath.Join(dir, "truth.csv"))
	if strings.Join(truth[0], ",") != "store,kind,record_id,person_id" {
		t.Fatalf("truth header %v", truth[0])
	}
	records := map[string]string{} // store/kind/id -> person
	people := map[string]map[string]bool{}
	for _, r := range truth[1:] {
		k := r[0] + "/" + r[1] + "/" + r[2]
		if _, dup := records[k]; dup {
			t.Fatalf("duplicate truth row %v", r)
		}
		records[k] = r[3]
		if people[r[3]] == nil {
			people[r[3]] = map[string]bool{}
		}
		people[r[3]][r[0]] = true
	}
	if len(people) != m.Counts.People {
		t.Errorf("truth covers %d people, want %d", len(people), m.Counts.People)
	}
	currencies := map[string]bool{}
	for _, r := range rows[1:] {
		if _, err := time.Parse(time.RFC3339, r[3]); err != nil || !strings.HasSuffix(r[3], "Z") {
			t.Fatalf("date %q", r[3])
		}
		if r[1] != "" {
			if _, ok := records[r[6]+"/customer/"+r[1]]; !ok {
				t.Fatalf("csv customer %s/%s not in truth", r[6], r[1])
			}
		} else if _, ok := records[r[6]+"/guest_order/"+r[0]]; !ok {
			t.Fatalf("csv guest order %s/%s not in truth", r[6], r[0])
		}
		currencies[r[5]] = true
		if r[4] == "" || strings.HasPrefix(r[4], "-") {
			t.Fatalf("amount %q", r[4])
		}
	}
	if len(currencies) < 6 {
		t.Errorf("currencies %v", currencies)
	}
	cross := 0
	for _, s := range people {
		if len(s) == 2 {
			cross++
		}
	}
	if cross < m.Counts.People/20 {
		t.Errorf("only %d cross-store people", cross)
	}
}

// TestMessiness asserts the data is dirty in measurable ways.
func TestMessiness(t *testing.T) {
	dir, m := shared(t)
	var emails, phones, usCountries []string
	names := 0
	var nonLatin, missingName, upperName int
	for _, line := range readLines(t, filepath.Join(dir, "shopify/orders.jsonl")) {
		var o goshopify.Order
		if err := json.Unmarshal(line, &o); err != nil {
			t.Fatal(err)
		}
		emails = append(emails, o.Email)
		a := o.BillingAddress
		phones = append(phones, a.Phone)
		if a.CountryCode == "US" {
			usCountries = append(usCountries, a.Country)
		}
		names++
		switch {
		case a.FirstName == "" || a.LastName == "":
			missingName++
		case a.FirstName == strings.ToUpper(a.FirstName) && len(a.FirstName) > 1:
			upperName++
		}
		if strings.ContainsAny(a.FirstName+a.LastName, "éëüöäßñ王李张刘陈杨佐鈴高田渡伊山中") {
			nonLatin++
		}
	}
	for _, line := range readLines(t, filepath.Join(dir, "woocommerce/orders.jsonl")) {
		var o struct {
			Billing struct{ Email, Phone, Country string }
		}
		json.Unmarshal(line, &o)
		emails = append(emails, o.Billing.Email)
		phones = append(phones, o.Billing.Phone)
	}
	messyEmail := 0
	gmailVariant, typoDomain, role, disposableN := 0, 0, 0, 0
	for _, e := range emails {
		if e != strings.TrimSpace(e) || e != strings.ToLower(e) {
			messyEmail++
		}
		le := strings.ToLower(strings.TrimSpace(e))
		if strings.HasSuffix(le, "@gmail.com") && strings.Contains(le, "+") {
			gmailVariant++
		}
		if strings.HasSuffix(le, "@gmial.com") || strings.HasSuffix(le, ".con") || strings.HasSuffix(le, ".cmo") {
			typoDomain++
		}
		if strings.HasPrefix(le, "info@") || strings.HasPrefix(le, "sales@") || strings.HasPrefix(le, "office@") {
			role++
		}
		if strings.Contains(le, "mailinator") || strings.Contains(le, "tempmail") || strings.HasPrefix(le, "test@") {
			disposableN++
		}
		at := strings.LastIndexByte(le, '@')
		d := le[at+1:]
		if !(d == "gmail.com" || d == "googlemail.com" || d == "example.com" || d == "example.net" || d == "example.org" ||
			strings.HasSuffix(d, ".example.com") || strings.HasSuffix(d, ".example.net") || strings.HasSuffix(d, ".example.org") ||
			strings.HasSuffix(d, ".example.de") || strings.HasSuffix(d, ".example.fr") || isTypoDomain(d)) {
			t.Fatalf("non-reserved email domain %q", d)
		}
	}
	share := float64(messyEmail) / float64(len(emails))
	t.Logf("emails %d: messy case/space %.1f%%, gmail +tags %d, typo domains %d, role %d, disposable/test %d", len(emails), 100*share, gmailVariant, typoDomain, role, disposableN)
	if share < 0.08 {
		t.Errorf("only %.1f%% emails with uppercase or padding", 100*share)
	}
	if gmailVariant == 0 || typoDomain == 0 || role == 0 || disposableN == 0 {
		t.Error("missing an email messiness kind")
	}
	formats := map[string]int{}
	for _, p := range phones {
		formats[phoneShape(p)]++
	}
	t.Logf("phone shapes: %v", formats)
	if len(formats) < 6 || formats[""] == 0 || formats["invalid"] == 0 {
		t.Errorf("phone formats %v", formats)
	}
	usSpell := map[string]int{}
	for _, c := range usCountries {
		usSpell[c]++
	}
	t.Logf("US spellings: %v", usSpell)
	if len(usSpell) < 3 {
		t.Errorf("US spelled %d ways", len(usSpell))
	}
	t.Logf("names: %d missing, %d upper, %d non-ASCII of %d", missingName, upperName, nonLatin, names)
	if missingName == 0 || upperName == 0 || nonLatin == 0 {
		t.Error("names not messy enough")
	}
	c := m.Counts
	t.Logf("people %d: prospects %d, cross-store %d, guest+account same store %d, duplicate accounts %d", c.People, c.Prospects, c.CrossStorePeople, c.GuestAndAccount, c.DuplicateAccounts)
	if c.GuestAndAccount == 0 || c.CrossStorePeople < 250 || c.DuplicateAccounts == 0 {
		t.Error("identity overlap too small")
	}
}

func isTypoDomain(d string) bool {
	for _, l := range typoDomains {
		if slices.Contains(l, d) {
			return true
		}
	}
	return false
}

// phoneShape reduces a phone to its format: digits -> 9.
func phoneShape(p string) string {
	if p == "" {
		return ""
	}
	var b strings.Builder
	digits := 0
	for _, r := range p {
		if r >= '0' && r <= '9' {
			b.WriteByte('9')
			digits++
		} else {
			b.WriteRune(r)
		}
	}
	if digits < 7 {
		return "invalid"
	}
	return b.String()
}

func TestPurchaseDistributionIsSkewed(t *testing.T) {
	dir, _ := shared(t)
	per := map[string]int{}
	for _, r := range readCSV(t, filepath.Join(dir, "truth.csv"))[1:] {
		per[r[3]] += 0
	}
	recordPerson := map[string]string{}
	for _, r := range readCSV(t, filepath.Join(dir, "truth.csv"))[1:] {
		recordPerson[r[0]+"/"+r[1]+"/"+r[2]] = r[3]
	}
	for _, r := range readCSV(t, filepath.Join(dir, "orders.csv"))[1:] {
		k := r[6] + "/guest_order/" + r[0]
		if r[1] != "" {
			k = r[6] + "/customer/" + r[1]
		}
		per[recordPerson[k]]++
	}
	hist := map[int]int{}
	maxN := 0
	for _, n := range per {
		hist[min(n, 10)]++
		maxN = max(maxN, n)
	}
	t.Logf("orders per person (10 = 10+): %v, max %d", hist, maxN)
	if hist[1] <= hist[2] || hist[2] <= hist[4] || maxN < 20 || hist[0] == 0 {
		t.Errorf("distribution not skewed: %v", hist)
	}
}

func BenchmarkGenerate(b *testing.B) {
	dir := b.TempDir()
	for b.Loop() {
		if _, err := Generate(context.Background(), testConfig(dir, 1, 10000, 30000, 0)); err != nil {
			b.Fatal(err)
		}
	}
}
