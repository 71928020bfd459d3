package woofake

import (
	"context"
	"testing"
	"time"
)

func TestScanMembersEscapes(t *testing.T) {
	obj := []byte(` {"a" : "x\"y\\", "b":{"c":[1,"]}"]}, "d":-1.5e3 ,"e":null}`)
	ms, err := splitObject(obj)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": `"x\"y\\"`, "b": `{"c":[1,"]}"]}`, "d": "-1.5e3", "e": "null"}
	if len(ms) != 4 {
		t.Fatalf("members %+v", ms)
	}
	for _, m := range ms {
		if string(m.val) != want[m.key] {
			t.Errorf("%s = %s, want %s", m.key, m.val, want[m.key])
		}
	}
	if _, err := splitObject([]byte(`{"a":"unterminated}`)); err == nil {
		t.Fatal("unterminated string accepted")
	}
	out, err := setMembers([]byte(`{"id":1,"x":"a","_links":{}}`), map[string][]byte{"x": []byte(`"b"`), "new": []byte(`2`)})
	if err != nil || string(out) != `{"id":1,"x":"b","new":2,"_links":{}}` {
		t.Fatalf("setMembers: %s %v", out, err)
	}
}

func TestPHPQueryParsing(t *testing.T) {
	p := parsePHPQuery("a=1&a=2&b.c=x+y&d[]=p&d[]=q&e[k]=v&f=%2B")
	if v, _ := p.get("a"); v != "2" || p.index("a") != 0 {
		t.Fatalf("repeated key: %+v", p)
	}
	if v, _ := p.get("b_c"); v != "x y" {
		t.Fatalf("dot in name: %+v", p)
	}
	if d := p[p.index("d")]; !d.isArr || len(d.arr) != 2 || d.arr[1].key != "1" || d.arr[1].val != "q" {
		t.Fatalf("array: %+v", d)
	}
	if v, _ := p.get("f"); v != "+" {
		t.Fatalf("encoded plus: %q", v)
	}
	if phpRawURLEncode("a b~*") != "a%20b~%2A" || phpURLEncode("a b~*") != "a+b%7E%2A" {
		t.Fatal("encoders")
	}
}

func TestSimulateFiresWebhooks(t *testing.T) {
	rv := newReceiver(t, nil)
	s := startFake(t, Options{})
	for _, topic := range []string{"order.created", "customer.created", "customer.updated", "order.updated"} {
		createHook(t, s, topic, rv.srv.URL)
	}
	id, _ := s.AddCustomer(NewCustomer{Email: "sim@example.test"})
	_, _ = s.AddOrder(NewOrder{CustomerID: id, Lines: []Line{{Name: "W", Quantity: 1, Price: "1.00"}}})
	before := s.Counts()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_ = s.Simulate(ctx, 200)
	after := s.Counts()
	if after.Orders+after.Users <= before.Orders+before.Users {
		t.Fatalf("no activity: %+v -> %+v", before, after)
	}
	waitUntil(t, func() bool { return s.Stats().DeliveriesOK > 8 })
	if st := s.Stats(); st.DeliveriesFailed != 0 {
		t.Fatalf("stats %+v", st)
	}
}
