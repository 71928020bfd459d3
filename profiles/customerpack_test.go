package profiles

import (
	"fmt"
	"hash/maphash"
	"math/big"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// A packed customer unpacks to what Build reads of it: every field, the default address only.
func TestCustomerPackRoundTrips(t *testing.T) {
	zone := time.FixedZone("", -5*3600)
	full := CustomerRecord{
		Store: "shop", ID: "7", Email: "Ann@Example.com", Phone: "+1 212 555 0100", FirstName: "Ann", LastName: "Lee",
		Addresses: []Address{{FirstName: "Ann", Address1: "1 Main St", City: "New York", Region: "NY", Postcode: "10001", Country: "US", Phone: "555"},
			{City: "Boston"}},
		Locale: "en-US", Consent: Consent{State: "subscribed", OptInType: "single_opt_in", UpdatedAt: time.Date(2024, 1, 2, 3, 4, 5, 6, zone)},
		Tags: []string{"vip", "wholesale"}, BirthDate: "1990-04-01",
		CreatedAt: time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC), UpdatedAt: time.Date(2024, 6, 1, 0, 0, 0, 0, zone),
	}
	for _, c := range []CustomerRecord{full, {Store: "other", ID: "8", Deleted: true}, {Store: "shop", ID: "9", Addresses: []Address{{}}}} {
		p := NewCustomerPacker(1)
		if err := p.Put(0, &c); err != nil {
			t.Fatal(err)
		}
		got, err := p.unpack(0)
		if err != nil {
			t.Fatal(err)
		}
		want := c
		if len(want.Addresses) > 1 {
			want.Addresses = want.Addresses[:1]
		}
		for _, ts := range [][2]time.Time{{got.CreatedAt, want.CreatedAt}, {got.UpdatedAt, want.UpdatedAt}, {got.Consent.UpdatedAt, want.Consent.UpdatedAt}} {
			_, go1 := ts[0].Zone()
			_, wo := ts[1].Zone()
			if !ts[0].Equal(ts[1]) || go1 != wo {
				t.Fatalf("time %v, want %v", ts[0], ts[1])
			}
		}
		got.CreatedAt, got.UpdatedAt, got.Consent.UpdatedAt = want.CreatedAt, want.UpdatedAt, want.Consent.UpdatedAt
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("unpacked %+v\nwant     %+v", got, want)
		}
		b := packCustomer(nil, &c)
		for n := range len(b) {
			if _, err := unpackCustomer(b[:n]); err == nil {
				t.Fatalf("a customer cut to %d of %d bytes unpacked", n, len(b))
			}
		}
	}
}

// complete knows a customer with every contact field (or deleted) by its key, and no other:
// not one with an empty field, not an unknown key; with duplicate keys the last one wins.
// It holds when every key shares one hash too.
func TestCustomerPackerComplete(t *testing.T) {
	for _, collide := range []bool{false, true} {
		if collide {
			hashCustomerKey = func(maphash.Seed, string) uint64 { return 42 }
		}
		addr := []Address{{Address1: "1 Main St"}}
		customers := []CustomerRecord{
			{Store: "a", ID: "1", Email: "x@y.z", Phone: "1", FirstName: "A", LastName: "B", Addresses: addr},
			{Store: "a", ID: "2", Email: "x@y.z", FirstName: "A", LastName: "B", Addresses: addr}, // no phone
			{Store: "b", ID: "1", Deleted: true},
			{Store: "a", ID: "3", Email: "x@y.z", Phone: "1", FirstName: "A", LastName: "B", Addresses: addr},
			{Store: "a", ID: "3", Email: "x@y.z", Phone: "1", FirstName: "A", LastName: "B"}, // the same key again, no address
		}
		d := NewOrderDigester(customers, BuildOptions{})
		for key, want := range map[string]bool{"a/customer/1": true, "a/customer/2": false, "b/customer/1": true,
			"a/customer/3": false, "a/customer/4": false, "c/customer/1": false, "a/guest_order/1": false} {
			if got := d.customers.complete(key); got != want {
				t.Errorf("collide %v: complete(%q) = %v, want %v", collide, key, got, want)
			}
		}
		hashCustomerKey = maphash.String
	}
	p := NewCustomerPacker(2)
	if err := p.Put(0, &CustomerRecord{Store: "a", ID: "1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.OrderDigester(BuildOptions{}); err == nil {
		t.Fatal("a packer with a slot never set made a digester")
	}
	if err := p.Put(2, &CustomerRecord{}); err == nil {
		t.Fatal("a slot out of range was accepted")
	}
}

// Customers packed as they come and appended in the order stored keep, after Latest, one
// slot per key (the last appended) in key order; orders digested the same way likewise.
func TestLatestKeepsTheLastVersionInKeyOrder(t *testing.T) {
	p := NewCustomerPacker(0)
	for _, c := range []CustomerRecord{{Store: "s", ID: "2", Email: "old@x.org"}, {Store: "s", ID: "1"},
		{Store: "r", ID: "9"}, {Store: "s", ID: "2", Email: "new@x.org"}} {
		pc, err := p.Pack(&c)
		if err != nil {
			t.Fatal(err)
		}
		p.Append(pc)
	}
	p.Latest()
	var got []string
	for i := range p.packs {
		c, err := p.unpack(i)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, c.Store+"/"+c.ID+"/"+c.Email)
	}
	if want := []string{"r/9/", "s/1/", "s/2/new@x.org"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("customers %v, want %v", got, want)
	}

	d, err := p.OrderDigester(BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	digest := func(id string, total int64) OrderFacts {
		return d.Digest(&OrderRecord{Store: "s", ID: id, CustomerID: "1", Currency: "USD",
			CreatedAt: time.Date(2024, 1, int(total), 0, 0, 0, 0, time.UTC), Total: decimal.NewFromInt(total)})
	}
	ids := func(fs []OrderFacts) (out []string) {
		for i := range fs {
			r, err := d.arena.record(&fs[i])
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s@%d", r.id, time.Unix(fs[i].created, 0).UTC().Day()))
		}
		return out
	}
	// Without a second version the slice is sorted in place; with one, the last stays.
	unique := d.Latest([]OrderFacts{digest("b", 1), digest("a", 2), digest("c", 3)})
	if want := []string{"a@2", "b@1", "c@3"}; !reflect.DeepEqual(ids(unique), want) {
		t.Errorf("orders %v, want %v", ids(unique), want)
	}
	twice := d.Latest([]OrderFacts{digest("b", 1), digest("a", 2), digest("b", 4), digest("a", 5), digest("b", 6)})
	if want := []string{"a@5", "b@6"}; !reflect.DeepEqual(ids(twice), want) {
		t.Errorf("orders %v, want %v", ids(twice), want)
	}
}

// lineShare and roundShare give what Mul, Div and Round give, value and exponent, whether the
// net is the total (the exact path) or not; so does a net equal to the total written with
// other places.
func TestLineShareMatchesDiv(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	dec := func() decimal.Decimal {
		switch r.IntN(6) {
		case 0:
			return decimal.New(r.Int64N(2000001)-1000000, -int32(r.IntN(7)))
		case 1:
			return decimal.New(r.Int64N(1<<62)-1<<61, -int32(r.IntN(20)))
		case 2:
			return decimal.New(r.Int64N(100), int32(r.IntN(3)))
		}
		return decimal.New(r.Int64N(100000), -2)
	}
	for i := range 200000 {
		price, total := dec(), dec()
		if total.IsZero() {
			continue
		}
		qty := r.IntN(41) - 20
		net := dec()
		switch i % 3 {
		case 0:
			net = total
		case 1: // equal to the total, other places
			net = decimal.NewFromBigInt(new(big.Int).Mul(total.Coefficient(), big.NewInt(100)), total.Exponent()-2)
		}
		whole := net.Equal(total)
		share, exact := lineShare(price, qty, net, total, whole)
		want := price.Mul(decimal.NewFromInt(int64(qty))).Mul(net).Div(total)
		if share.Exponent() != want.Exponent() || share.Coefficient().Cmp(want.Coefficient()) != 0 {
			t.Fatalf("lineShare(%s × %d × %s / %s) = %s (exp %d), Div gives %s (exp %d)", price, qty, net, total,
				share, share.Exponent(), want, want.Exponent())
		}
		got, wantR := roundShare(share, exact, 4), want.Round(4)
		if got.Exponent() != wantR.Exponent() || got.Coefficient().Cmp(wantR.Coefficient()) != 0 {
			t.Fatalf("roundShare(%s) = %s (exp %d), Round gives %s (exp %d)", share, got, got.Exponent(), wantR, wantR.Exponent())
		}
	}
}
