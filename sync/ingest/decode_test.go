package ingest

import (
	"bytes"
	"context"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

// validText replaces invalid UTF-8 in every string field of v.
func validText(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(strings.ToValidUTF8(v.String(), "?"))
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				validText(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			validText(v.Index(i))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			validText(v.Elem())
		}
	}
}

// leanBytes is what a rebuild keeps of an order, as bytes to compare.
func leanBytes(t testing.TB, o *profiles.OrderRecord) []byte {
	t.Helper()
	b, err := codec.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The fast decoder reads what both encoders write (the import's appendOrder and the codec),
// and gives what the codec's lean decoding gives, field for field.
func TestDecodeOrderFastMatchesTheCodec(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	fastOnes := 0
	for i := range 5000 {
		o := randomOrder(r) // encode_test.go: invalid UTF-8, far years and odd zones included
		if i%4 != 0 {
			validText(reflect.ValueOf(&o).Elem()) // most invalid UTF-8 mended, so most records decode
		}
		encodings := map[string][]byte{}
		if b, err := codec.Marshal(o); err == nil {
			encodings["codec"] = b
		}
		if b, ok := (&encoder{}).appendOrder(nil, &o); ok {
			encodings["import"] = b
		}
		for name, data := range encodings {
			var fast, slow profiles.OrderRecord
			fastOK := decodeOrderFast(data, &fast)
			if err := decodeLeanOrderCodec(data, &slow); err != nil {
				if fastOK {
					t.Fatalf("order %d (%s encoding): fast decoder accepted what the codec refuses (%v)", i, name, err)
				}
				continue
			}
			if !fastOK {
				t.Fatalf("order %d (%s encoding): the fast decoder refused a record the codec reads", i, name)
			}
			fastOnes++
			if !bytes.Equal(leanBytes(t, &fast), leanBytes(t, &slow)) {
				t.Fatalf("order %d (%s encoding):\nfast  %+v\ncodec %+v", i, name, fast, slow)
			}
			var digested profiles.OrderRecord // read to be digested: the same, not interned
			if err := decodeDigestedOrder(data, &digested); err != nil || !reflect.DeepEqual(digested, fast) {
				t.Fatalf("order %d (%s encoding): read to be digested %+v (%v), want %+v", i, name, digested, err, fast)
			}
			for _, l := range fast.Lines {
				if l.Title != "" || l.SKU != "" || l.ProductID != "" {
					t.Fatalf("order %d: a line kept its title, SKU or product id", i)
				}
			}
		}
	}
	if fastOnes < 1000 {
		t.Fatalf("only %d records decoded: the generator hardly made valid ones", fastOnes)
	}
}

// What the fast decoder does not know goes to the codec: a key it does not have, a repeated
// key, text that is not UTF-8, trailing bytes, a record cut short.
func TestDecodeOrderFastRefusesWhatItDoesNotKnow(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var good []byte
	for good == nil {
		o := randomOrder(r)
		if b, err := codec.Marshal(o); err == nil && decodeLeanOrderCodec(b, new(profiles.OrderRecord)) == nil {
			good = b
		}
	}
	var got profiles.OrderRecord
	if !decodeOrderFast(good, &got) {
		t.Fatal("refused a good record")
	}
	for name, data := range map[string][]byte{
		"trailing byte": append(bytes.Clone(good), 0),
		"cut short":     good[:len(good)-1],
		"empty":         nil,
		"other version": append([]byte{codec.Version + 1}, good[1:]...),
		"unknown key":   {codec.Version, 0xa1, 19, 0x61, 'x'},
		"repeated key":  {codec.Version, 0xa2, 2, 0x61, 'x', 2, 0x61, 'y'},
		"not UTF-8":     {codec.Version, 0xa1, 2, 0x61, 0xff},
		"float value":   {codec.Version, 0xa1, 6, 0xf9, 0x3c, 0x00},
	} {
		if decodeOrderFast(data, &got) {
			t.Errorf("%s: decoded, want refused", name)
		}
	}
}

// Whatever the fast decoder accepts, the codec accepts too, and reads the same way.
func FuzzDecodeOrderFast(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for added := 0; added < 8; {
		if b, err := codec.Marshal(randomOrder(r)); err == nil {
			f.Add(b)
			added++
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast, slow profiles.OrderRecord
		if !decodeOrderFast(data, &fast) {
			return
		}
		if err := decodeLeanOrderCodec(data, &slow); err != nil {
			t.Fatalf("fast decoder accepted what the codec refuses (%v)", err)
		}
		if !bytes.Equal(leanBytes(t, &fast), leanBytes(t, &slow)) {
			t.Fatalf("fast %+v\ncodec %+v", fast, slow)
		}
	})
}

// The fast customer decoder gives what the codec's lean decoding gives, field for field, and
// refuses what the codec refuses.
func TestDecodeCustomerFastMatchesTheCodec(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 12))
	fastOnes := 0
	for i := range 8000 {
		c := randomCustomer(r)
		if i%4 != 0 {
			validText(reflect.ValueOf(&c).Elem())
		}
		data, err := codec.Marshal(c)
		if err != nil {
			continue
		}
		var fast, slow profiles.CustomerRecord
		fastOK := decodeCustomerFast(data, &fast)
		if err := decodeLeanCustomerCodec(data, &slow); err != nil {
			if fastOK {
				t.Fatalf("customer %d: fast decoder accepted what the codec refuses (%v)", i, err)
			}
			continue
		}
		if !fastOK {
			t.Fatalf("customer %d: the fast decoder refused a record the codec reads", i)
		}
		fastOnes++
		if !bytes.Equal(leanCustomerBytes(t, &fast), leanCustomerBytes(t, &slow)) {
			t.Fatalf("customer %d:\nfast  %+v\ncodec %+v", i, fast, slow)
		}
		var packed profiles.CustomerRecord // read to be packed: the same, not interned
		if err := decodePackedCustomer(data, &packed); err != nil || !reflect.DeepEqual(packed, fast) {
			t.Fatalf("customer %d: read to be packed %+v (%v), want %+v", i, packed, err, fast)
		}
		if len(fast.Addresses) > 1 {
			t.Fatalf("customer %d kept %d addresses, want the default one", i, len(fast.Addresses))
		}
	}
	if fastOnes < 1000 {
		t.Fatalf("only %d records decoded: the generator hardly made valid ones", fastOnes)
	}
	var got profiles.CustomerRecord
	for name, data := range map[string][]byte{
		"unknown key":  {codec.Version, 0xa1, 15, 0x61, 'x'},
		"repeated key": {codec.Version, 0xa2, 2, 0x61, 'x', 2, 0x61, 'y'},
		"not UTF-8":    {codec.Version, 0xa1, 2, 0x61, 0xff},
		"not a bool":   {codec.Version, 0xa1, 14, 0x01},
		"trailing":     {codec.Version, 0xa1, 2, 0x61, 'x', 0},
	} {
		if decodeCustomerFast(data, &got) {
			t.Errorf("%s: decoded, want refused", name)
		}
	}
}

// leanCustomerBytes is what a rebuild keeps of a customer, as bytes to compare.
func leanCustomerBytes(t testing.TB, c *profiles.CustomerRecord) []byte {
	t.Helper()
	b, err := codec.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Whatever the fast customer decoder accepts, the codec accepts too, and reads the same way.
func FuzzDecodeCustomerFast(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 5))
	for added := 0; added < 8; {
		if b, err := codec.Marshal(randomCustomer(r)); err == nil {
			f.Add(b)
			added++
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast, slow profiles.CustomerRecord
		if !decodeCustomerFast(data, &fast) {
			return
		}
		if err := decodeLeanCustomerCodec(data, &slow); err != nil {
			t.Fatalf("fast decoder accepted what the codec refuses (%v)", err)
		}
		if !bytes.Equal(leanCustomerBytes(t, &fast), leanCustomerBytes(t, &slow)) {
			t.Fatalf("fast %+v\ncodec %+v", fast, slow)
		}
	})
}

// Records encoded by Encode (on a connector's decoding goroutines) and added with AddEncoded
// are stored byte for byte as AddCustomer and AddOrder store them.
func TestAddEncodedStoresWhatAddStores(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var orders []profiles.OrderRecord
	for len(orders) < 300 {
		o := randomOrder(r)
		validText(reflect.ValueOf(&o).Elem())
		if _, err := codec.Marshal(o); err == nil {
			orders = append(orders, o)
		}
	}
	customers := []profiles.CustomerRecord{{Store: "s", ID: "1", Email: "a@example.com", Tags: []string{"vip"}},
		{Store: "s", ID: "2", FirstName: "Zoë", Addresses: []profiles.Address{{City: "Köln"}}}}
	stored := func(viaEncode bool) map[string]string {
		st := openStore(t)
		w := NewWriter(st, 64)
		w.ReplaceOrders = true
		ctx := context.Background()
		for i := range customers {
			var err error
			if viaEncode {
				var e Encoded
				if e, err = Encode(&customers[i]); err == nil {
					err = w.AddEncoded(ctx, e)
				}
			} else {
				err = w.AddCustomer(ctx, customers[i])
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		for i := range orders {
			var err error
			if viaEncode {
				var e Encoded
				if e, err = Encode(&orders[i]); err == nil {
					err = w.AddEncoded(ctx, e)
				}
			} else {
				err = w.AddOrder(ctx, orders[i])
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		if err := st.View(func(tx *store.Tx) error {
			return tx.ForEach(store.SourceRecords, func(k, v []byte) error { out[string(k)] = string(v); return nil })
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	want, got := stored(false), stored(true)
	if len(want) < 200 || !reflect.DeepEqual(got, want) {
		t.Fatalf("AddEncoded stored %d records, AddOrder/AddCustomer %d, or different bytes", len(got), len(want))
	}
	if _, err := Encode("not a record"); err == nil {
		t.Fatal("Encode of a string: no error")
	}
}
