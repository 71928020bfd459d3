package ingest

import (
	"bytes"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/connectors/csvfile"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store/codec"
)

// TestAppendOrderLayout pins the fields appendOrder writes. If it fails, a field of
// OrderRecord, LineItem or Address was added, removed or re-tagged: make appendOrder (and
// appendLine, appendAddress) write it as codec.Marshal does, then update this list.
func TestAppendOrderLayout(t *testing.T) {
	layout := codec.FieldLayout
	want := map[string]string{
		"OrderRecord": `Store string "1,keyasint"
ID string "2,keyasint"
CustomerID string "3,keyasint,omitempty"
Email string "4,keyasint,omitempty"
Phone string "5,keyasint,omitempty"
CreatedAt time.Time "6,keyasint"
UpdatedAt time.Time "7,keyasint,omitzero"
CancelledAt time.Time "8,keyasint,omitzero"
Currency string "9,keyasint"
Total decimal.Decimal "10,keyasint"
Refunded decimal.Decimal "11,keyasint"
Lines []profiles.LineItem "12,keyasint,omitempty"
Billing profiles.Address "13,keyasint,omitempty"
Shipping profiles.Address "14,keyasint,omitempty"
UserAgent string "15,keyasint,omitempty"
BrowserIP string "16,keyasint,omitempty"
Locale string "17,keyasint,omitempty"
Shop *profiles.ShopMoney "18,keyasint,omitempty"
`,
		"LineItem": `ProductID string "1,keyasint,omitempty"
SKU string "2,keyasint,omitempty"
Title string "3,keyasint,omitempty"
ProductType string "4,keyasint,omitempty"
Vendor string "5,keyasint,omitempty"
Quantity int "6,keyasint,omitempty"
Price decimal.Decimal "7,keyasint"
`,
		"Address": `FirstName string "1,keyasint,omitempty"
LastName string "2,keyasint,omitempty"
Company string "3,keyasint,omitempty"
Address1 string "4,keyasint,omitempty"
Address2 string "5,keyasint,omitempty"
City string "6,keyasint,omitempty"
Region string "7,keyasint,omitempty"
Postcode string "8,keyasint,omitempty"
Country string "9,keyasint,omitempty"
Phone string "10,keyasint,omitempty"
`,
	}
	for name, v := range map[string]any{"OrderRecord": profiles.OrderRecord{}, "LineItem": profiles.LineItem{}, "Address": profiles.Address{}} {
		if got := layout(v); got != want[name] {
			t.Errorf("profiles.%s changed: update appendOrder in encode.go to encode it as codec.Marshal does, then this test.\n got:\n%s\nwant:\n%s", name, got, want[name])
		}
	}
}

// shared remembers decimals across the checks, as a Writer's encoder does.
var shared = &encoder{decimals: map[decimal.Decimal][]byte{}}

func checkAppendOrder(t *testing.T, o profiles.OrderRecord) {
	t.Helper()
	want, werr := codec.Marshal(o)
	got, ok := (&encoder{}).appendOrder(nil, &o)
	if !ok {
		if werr == nil {
			t.Fatalf("appendOrder refused what codec.Marshal encodes: %+v", o)
		}
		return
	}
	if werr != nil {
		t.Fatalf("appendOrder encoded what codec.Marshal refuses (%v): %+v", werr, o)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("appendOrder differs from codec.Marshal for %+v\n got %x\nwant %x", o, got, want)
	}
	if data, err := shared.encode(o); err != nil || !bytes.Equal(data, want) {
		t.Fatalf("encoder.encode = %x, %v", data, err)
	}
}

// randomValues makes the random strings, times and addresses of randomOrder and
// randomCustomer: invalid UTF-8, long text, far years and odd zones included.
type randomValues struct {
	r    *rand.Rand
	locs []*time.Location
}

func newRandomValues(r *rand.Rand) *randomValues {
	locs := []*time.Location{time.UTC, time.FixedZone("", 3600), time.FixedZone("X", -(5*3600 + 30*60)), time.FixedZone("", 23*3600+59*60),
		time.FixedZone("", 24*3600), time.FixedZone("", -25*3600), time.FixedZone("", 100*3600), time.Local}
	if l, err := time.LoadLocation("Europe/London"); err == nil {
		locs = append(locs, l)
	}
	return &randomValues{r: r, locs: locs}
}

func (v *randomValues) str() string {
	r := v.r
	switch r.IntN(6) {
	case 0:
		return ""
	case 1:
		return strings.Repeat("x", r.IntN(300)) // long enough for 1- and 2-byte length heads
	case 2:
		return "caf\u00e9 \u2603"
	case 3:
		return "bad\xffutf8"
	}
	return fmt.Sprint(r.IntN(100000))
}

func (v *randomValues) tm() time.Time {
	r := v.r
	switch r.IntN(8) {
	case 0:
		return time.Time{}
	case 1:
		return time.Date(10000+r.IntN(10), 1, 1, 0, 0, 0, 0, time.UTC)
	case 2:
		return time.Date(-1-r.IntN(10), 1, 1, 0, 0, 0, 0, time.UTC)
	case 3:
		return time.Date(0, 1, 1, 0, 0, 0, 0, v.locs[r.IntN(len(v.locs))])
	}
	return time.Unix(r.Int64N(1<<34)-1<<32, r.Int64N(3)*r.Int64N(1e9)).In(v.locs[r.IntN(len(v.locs))])
}

func (v *randomValues) addr() profiles.Address {
	if v.r.IntN(2) == 0 {
		return profiles.Address{}
	}
	str := v.str
	return profiles.Address{FirstName: str(), LastName: str(), Company: str(), Address1: str(), Address2: str(),
		City: str(), Region: str(), Postcode: str(), Country: str(), Phone: str()}
}

func randomOrder(r *rand.Rand) profiles.OrderRecord {
	v := newRandomValues(r)
	str, tm := v.str, v.tm
	dec := func() decimal.Decimal {
		switch r.IntN(8) {
		case 0:
			return decimal.Decimal{}
		case 1:
			return decimal.Zero
		case 2:
			return decimal.RequireFromString(fmt.Sprintf("-%d%d%d.%d", r.Int64(), r.Int64(), r.Int64(), r.Int64()))
		case 3:
			return decimal.New(r.Int64N(1000), int32(r.IntN(5)))
		}
		return decimal.New(r.Int64N(200000)-100000, -int32(r.IntN(4)))
	}
	addr := v.addr
	o := profiles.OrderRecord{Store: str(), ID: str(), CustomerID: str(), Email: str(), Phone: str(),
		CreatedAt: tm(), UpdatedAt: tm(), CancelledAt: tm(), Currency: str(), Total: dec(), Refunded: dec(),
		Billing: addr(), Shipping: addr(), UserAgent: str(), BrowserIP: str(), Locale: str()}
	if r.IntN(2) == 0 {
		o.Shop = &profiles.ShopMoney{Currency: str(), Total: dec(), Refunded: dec()}
	}
	switch n := r.IntN(5); n {
	case 0:
	case 1:
		o.Lines = []profiles.LineItem{}
	default:
		for range r.IntN(n * 15) {
			q := r.IntN(41) - 20
			switch r.IntN(20) {
			case 0:
				q = 1<<40 + r.IntN(1000)
			case 1:
				q = -1<<40 - r.IntN(1000)
			}
			o.Lines = append(o.Lines, profiles.LineItem{ProductID: str(), SKU: str(), Title: str(), ProductType: str(),
				Vendor: str(), Quantity: q, Price: dec()})
		}
	}
	return o
}

func TestAppendOrderMatchesCodec(t *testing.T) {
	checkAppendOrder(t, profiles.OrderRecord{})
	r := rand.New(rand.NewPCG(7, 8))
	for range 5000 {
		checkAppendOrder(t, randomOrder(r))
	}
	// Orders as the CSV reader makes them.
	f, err := os.Open("../../testdata/csvfile/online_retail_head.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		london = time.UTC
	}
	n := 0
	if _, err := csvfile.ReadOrders(f, "retail", uciMapping(t), london, func(o profiles.OrderRecord) error {
		n++
		checkAppendOrder(t, o)
		return nil
	}); err != nil || n == 0 {
		t.Fatalf("read %d orders: %v", n, err)
	}
}

// BenchmarkEncodeOrders encodes the orders of the committed head of the UCI file.
func BenchmarkEncodeOrders(b *testing.B) {
	f, err := os.Open("../../testdata/csvfile/online_retail_head.csv")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var orders []profiles.OrderRecord
	if _, err := csvfile.ReadOrders(f, "retail", uciMapping(b), time.UTC, func(o profiles.OrderRecord) error {
		orders = append(orders, o)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.Run("appendOrder", func(b *testing.B) {
		b.ReportAllocs()
		e := &encoder{decimals: map[decimal.Decimal][]byte{}}
		for b.Loop() {
			for _, o := range orders {
				if _, err := e.encode(o); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("codec", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, o := range orders {
				if _, err := codec.Marshal(o); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// randomCustomer makes a customer as randomOrder makes an order.
func randomCustomer(r *rand.Rand) profiles.CustomerRecord {
	v := newRandomValues(r)
	str, tm := v.str, v.tm
	c := profiles.CustomerRecord{Store: str(), ID: str(), Email: str(), Phone: str(), FirstName: str(), LastName: str(),
		Locale: str(), BirthDate: str(), CreatedAt: tm(), UpdatedAt: tm(), Deleted: r.IntN(4) == 0}
	if r.IntN(2) == 0 {
		c.Consent = profiles.Consent{State: str(), OptInType: str(), UpdatedAt: tm()}
	}
	for range r.IntN(4) {
		c.Addresses = append(c.Addresses, v.addr())
	}
	if r.IntN(5) == 0 {
		c.Addresses = []profiles.Address{}
	}
	for range r.IntN(5) {
		c.Tags = append(c.Tags, str())
	}
	return c
}

// TestAppendDecimalBytes compares appendDecimalBytes, which writes MarshalBinary's bytes
// itself, with MarshalBinary.
func TestAppendDecimalBytes(t *testing.T) {
	check := func(d decimal.Decimal) {
		t.Helper()
		b, err := d.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		want := append(codec.AppendHead(nil, majorBytes, uint64(len(b))), b...)
		if got, ok := appendDecimalBytes(nil, d); !ok || !bytes.Equal(got, want) {
			t.Fatalf("appendDecimalBytes(%s e%d) = %x, %v; want %x", d.Coefficient(), d.Exponent(), got, ok, want)
		}
	}
	check(decimal.Decimal{})
	check(decimal.New(0, 0))
	check(decimal.NewFromBigInt(new(big.Int).SetBits([]big.Word{0, 0}), 3)) // zero words, normalized away
	r := rand.New(rand.NewPCG(9, 10))
	for range 20000 {
		exp := int32(r.IntN(80) - 40)
		if r.IntN(10) == 0 {
			exp = int32(r.Uint32())
		}
		check(decimal.New(r.Int64()-r.Int64(), exp))
		check(decimal.New(r.Int64N(2000)-1000, exp))
		check(decimal.RequireFromString(fmt.Sprintf("-%d%d%d.%d", r.Int64(), r.Int64(), r.Int64(), r.Int64())))
	}
	for bitsLen := range 300 { // every magnitude length, both signs, all ones and a lone top bit
		for _, c := range []*big.Int{new(big.Int).Lsh(big.NewInt(1), uint(bitsLen)), new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(bitsLen)), big.NewInt(1))} {
			check(decimal.NewFromBigInt(c, int32(r.Uint32())))
			check(decimal.NewFromBigInt(new(big.Int).Neg(c), -int32(bitsLen)))
		}
	}
	// Arithmetic results, as Build makes them.
	a := decimal.RequireFromString("19.99")
	for i := range 200 {
		a = a.Mul(decimal.RequireFromString("1.07")).Sub(decimal.New(int64(i), -1))
		check(a)
		check(a.Round(2))
		check(a.Neg())
	}
}

func TestAppendCustomerLayout(t *testing.T) {
	want := map[string]string{
		"CustomerRecord": `Store string "1,keyasint"
ID string "2,keyasint"
Email string "3,keyasint,omitempty"
Phone string "4,keyasint,omitempty"
FirstName string "5,keyasint,omitempty"
LastName string "6,keyasint,omitempty"
Addresses []profiles.Address "7,keyasint,omitempty"
Locale string "8,keyasint,omitempty"
Consent profiles.Consent "9,keyasint,omitempty"
Tags []string "10,keyasint,omitempty"
BirthDate string "11,keyasint,omitempty"
CreatedAt time.Time "12,keyasint,omitzero"
UpdatedAt time.Time "13,keyasint,omitzero"
Deleted bool "14,keyasint,omitempty"
`,
		"Consent": `State string "1,keyasint,omitempty"
OptInType string "2,keyasint,omitempty"
UpdatedAt time.Time "3,keyasint,omitzero"
`,
	}
	for name, v := range map[string]any{"CustomerRecord": profiles.CustomerRecord{}, "Consent": profiles.Consent{}} {
		if got := codec.FieldLayout(v); got != want[name] {
			t.Errorf("profiles.%s changed: update appendCustomer in encode.go to encode it as codec.Marshal does, then this test.\n got:\n%s\nwant:\n%s", name, got, want[name])
		}
	}
}

// appendCustomer writes codec.Marshal's bytes, and flags as undecodable exactly the
// customers codec.Unmarshal refuses.
func TestAppendCustomerMatchesCodec(t *testing.T) {
	zeroElsewhere := time.Time{}.In(time.FixedZone("", 3600))
	cases := []profiles.CustomerRecord{{},
		{Store: "s", ID: "1", Addresses: []profiles.Address{{}}, Tags: []string{}, Deleted: true},
		{Store: "s", ID: "2", Consent: profiles.Consent{UpdatedAt: zeroElsewhere}, CreatedAt: zeroElsewhere},
		{Store: "s", ID: "3", Consent: profiles.Consent{OptInType: "single_opt_in"}, Tags: []string{"vip", ""}},
		{Store: "s", ID: "4", Tags: make([]string, codecMaxArray+1)},
	}
	r := rand.New(rand.NewPCG(9, 10))
	for range 5000 {
		cases = append(cases, randomCustomer(r))
	}
	undecodable := 0
	for _, c := range cases {
		want, werr := codec.Marshal(c)
		e := &encoder{}
		got, ok := e.appendCustomer(nil, &c)
		if !ok {
			if werr == nil {
				t.Fatalf("appendCustomer refused what codec.Marshal encodes: %+v", c)
			}
			continue
		}
		if werr != nil {
			t.Fatalf("appendCustomer encoded what codec.Marshal refuses (%v): %+v", werr, c)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("appendCustomer differs from codec.Marshal for %+v\n got %x\nwant %x", c, got, want)
		}
		var back profiles.CustomerRecord
		if refused := codec.Unmarshal(want, &back) != nil; refused != e.undecodable {
			t.Fatalf("undecodable %v, codec.Unmarshal refuses %v: %+v", e.undecodable, refused, c)
		}
		if e.undecodable {
			undecodable++
		}
		if data, err := shared.encode(&c); err != nil || !bytes.Equal(data, want) {
			t.Fatalf("encoder.encode = %x, %v", data, err)
		}
	}
	if undecodable == 0 {
		t.Error("no undecodable customer among the cases")
	}
}
