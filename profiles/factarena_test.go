package profiles

import (
	"reflect"
	"testing"
	"time"

	"github.com/cohortd/cohortd/profiles/normalize"
)

// OrderFacts must hold no pointer: millions are held, and the collector scans none of them
// only as long as they have none.
func TestOrderFactsHoldNoPointer(t *testing.T) {
	var check func(reflect.Type, string)
	check = func(ty reflect.Type, path string) {
		switch ty.Kind() {
		case reflect.Struct:
			for i := range ty.NumField() {
				check(ty.Field(i).Type, path+"."+ty.Field(i).Name)
			}
		case reflect.Array:
			check(ty.Elem(), path+"[]")
		case reflect.Pointer, reflect.String, reflect.Slice, reflect.Map, reflect.Interface, reflect.Func,
			reflect.Chan, reflect.UnsafePointer:
			t.Errorf("%s is a %s: OrderFacts must hold no pointer", path, ty.Kind())
		}
	}
	check(reflect.TypeFor[OrderFacts](), "OrderFacts")
}

// A record keeps the order's id, key, date and money, and its fill or buyer, across chunks.
func TestFactRecordsRoundTrip(t *testing.T) {
	facts := newFactArena()
	o := &OrderRecord{
		Store: "shop", ID: "1001", CustomerID: "7", Email: "Ann@Example.com",
		CreatedAt: time.Date(2024, 3, 1, 10, 0, 0, 5, time.FixedZone("", 3600)),
		Billing:   Address{FirstName: "Ann", Phone: "+44 20 7946 0000"},
		Shipping:  Address{LastName: "Lee", Address1: "1 High St", City: "London", Country: "GB"},
	}
	fill, ok := appendFill(nil, o)
	if !ok {
		t.Fatal("an order with contact fields offered no fill")
	}
	q := identityQuality{emailPresent: true, postcode: true, countryValid: true, emailFlags: normalize.EmailFlags(3), filledBy: 2}
	buyer := appendBuyer(nil, []byte("packed identity"), q)
	var ats []uint64
	big := make([]byte, factChunk-10) // forces the next record into a new chunk
	for i, rest := range [][]byte{fill, big, buyer} {
		store, at, err := facts.add("shop", appendFactRecord(nil, o.ID, "shop/customer/7", o.CreatedAt, []byte{byte(i)}, rest))
		if err != nil || store != 0 {
			t.Fatalf("add: store %d, %v", store, err)
		}
		ats = append(ats, at)
	}
	if len(facts.chunks) < 2 || ats[2]>>32 == ats[0]>>32 {
		t.Fatalf("records at %x: the large one did not move the next to a new chunk", ats)
	}
	recs := make([]factRecord, len(ats))
	for i, at := range ats {
		rec, err := facts.record(&OrderFacts{at: at})
		if err != nil {
			t.Fatal(err)
		}
		if string(rec.id) != "1001" || string(rec.key) != "shop/customer/7" || !reflect.DeepEqual(rec.money, []byte{byte(i)}) {
			t.Fatalf("record %d = id %q key %q money %v", i, rec.id, rec.key, rec.money)
		}
		if string(facts.id(&OrderFacts{at: at})) != "1001" || string(facts.key(&OrderFacts{at: at})) != "shop/customer/7" {
			t.Fatalf("id/key of record %d differ from its record's", i)
		}
		recs[i] = rec
	}
	f, err := readFill(recs[0].rest)
	if err != nil {
		t.Fatal(err)
	}
	want := orderFill{first: "Ann", firstTag: "billing", last: "Lee", lastTag: "shipping", phone: "+44 20 7946 0000",
		phoneTag: "billing", addr: o.Billing, addrTag: "billing", email: "Ann@Example.com"}
	if f != want {
		t.Fatalf("fill = %+v\nwant %+v", f, want)
	}
	packed, gotQ, err := readBuyer(recs[2].rest)
	if err != nil || string(packed) != "packed identity" || gotQ != q {
		t.Fatalf("buyer = %q %+v %v, want %+v", packed, gotQ, err, q)
	}
	for n := range len(fill) {
		if _, err := readFill(fill[:n]); err == nil {
			t.Fatalf("a fill cut to %d of %d bytes read", n, len(fill))
		}
	}
	for n := range len(buyer) {
		if _, _, err := readBuyer(buyer[:n]); err == nil {
			t.Fatalf("a buyer cut to %d of %d bytes read", n, len(buyer))
		}
	}
	if _, ok := appendFill(nil, &OrderRecord{Store: "shop", ID: "2"}); ok {
		t.Fatal("an order with no contact field offered a fill")
	}
}
