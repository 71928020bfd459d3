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

// An order's records keep its id, key and fill or buyer (in recs), its date and money (in
// merges) and its buyer's packed identity (in buyers), across chunks.
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
	big := make([]byte, arenaChunk-10) // forces the next record into a new chunk
	type added struct{ at, mergeAt uint64 }
	var ats []added
	for i, rest := range [][]byte{fill, big, appendBuyer(nil, q)} {
		var buyer []byte
		if i == 2 {
			buyer = appendBytes(nil, []byte("packed identity"))
		}
		store, at, mergeAt, err := facts.addOrder("shop", appendFactRecord(nil, o.ID, "shop/customer/7", rest),
			appendMergeRecord(nil, o.CreatedAt, o.ID, []byte{byte(i)}), buyer)
		if err != nil || store != 0 {
			t.Fatalf("add: store %d, %v", store, err)
		}
		ats = append(ats, added{at, mergeAt})
	}
	if len(facts.recs.chunks) < 2 || ats[2].at>>32 == ats[0].at>>32 {
		t.Fatalf("records at %x: the large one did not move the next to a new chunk", ats)
	}
	recs := make([]factRecord, len(ats))
	for i, at := range ats {
		f := &OrderFacts{at: at.at}
		rec, err := facts.record(f)
		if err != nil {
			t.Fatal(err)
		}
		if string(rec.id) != "1001" || string(rec.key) != "shop/customer/7" {
			t.Fatalf("record %d = id %q key %q", i, rec.id, rec.key)
		}
		if string(facts.id(f)) != "1001" || string(facts.key(f)) != "shop/customer/7" {
			t.Fatalf("id/key of record %d differ from its record's", i)
		}
		r := packReader{b: facts.merges.from(at.mergeAt)}
		created, id, money := r.time(), r.bytes(), r.bytes()
		if r.bad || !created.Equal(o.CreatedAt) || string(id) != "1001" || !reflect.DeepEqual(money, []byte{byte(i)}) {
			t.Fatalf("merge record %d = %v %q %v", i, created, id, money)
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
	gotQ, at, err := readBuyer(recs[2].rest)
	if err != nil || gotQ != q {
		t.Fatalf("buyer = %+v %v, want %+v", gotQ, err, q)
	}
	if packed, err := facts.buyer(at); err != nil || string(packed) != "packed identity" || cap(packed) != len(packed) {
		t.Fatalf("buyer's identity = %q (cap %d), %v", packed, cap(packed), err)
	}
	for n := range len(fill) {
		if _, err := readFill(fill[:n]); err == nil {
			t.Fatalf("a fill cut to %d of %d bytes read", n, len(fill))
		}
	}
	buyer := recs[2].rest
	for n := range len(buyer) {
		if _, _, err := readBuyer(buyer[:n]); err == nil {
			t.Fatalf("a buyer cut to %d of %d bytes read", n, len(buyer))
		}
	}
	if _, ok := appendFill(nil, &OrderRecord{Store: "shop", ID: "2"}); ok {
		t.Fatal("an order with no contact field offered a fill")
	}
}
