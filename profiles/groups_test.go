package profiles

import (
	"reflect"
	"strconv"
	"testing"
	"time"
)

// groupOrders groups by key in increasing index order; accountOrders keeps a group's account
// orders newest first; find and of know no group for a key no order has.
func TestOrderGroups(t *testing.T) {
	at := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	facts := newFactArena()
	var orders []OrderFacts
	for i, o := range []struct {
		key     string
		guest   bool
		created time.Time
	}{
		{"s/customer/2", false, at(1)},
		{"s/guest_order/9", true, at(5)},
		{"s/customer/1", false, at(2)},
		{"s/customer/2", false, at(3)},
		{"s/customer/2", false, at(2)},
	} {
		store, rec, err := facts.add("s", appendFactRecord(nil, strconv.Itoa(i), o.key, nil))
		if err != nil {
			t.Fatal(err)
		}
		orders = append(orders, OrderFacts{at: rec, store: store, guest: o.guest, created: o.created.Unix()})
	}
	g := groupOrders(orders, facts)
	if g.len() != 3 {
		t.Fatalf("%d groups, want 3", g.len())
	}
	c2 := g.find("s/customer/2")
	if got := g.of(c2); !reflect.DeepEqual(got, []int32{0, 3, 4}) {
		t.Errorf("orders of s/customer/2 = %v", got)
	}
	if g.groupOf[3] != c2 || g.groupOf[1] != g.find("s/guest_order/9") {
		t.Errorf("groupOf = %v", g.groupOf)
	}
	if grp := g.find("s/customer/3"); grp != -1 || g.of(grp) != nil {
		t.Errorf("find of an unknown key = %d", grp)
	}
	a := newAccountOrders(g)
	if got := a.of(c2); !reflect.DeepEqual(got, []int32{3, 4, 0}) {
		t.Errorf("account orders of s/customer/2 = %v, want newest first", got)
	}
	if guest := g.find("s/guest_order/9"); a.any(guest) || len(a.of(guest)) != 0 || a.any(-1) {
		t.Errorf("a guest order counted as an account order")
	}
}

// newClusterTable lists clusters by root, members in increasing order, and rejects an out of
// range cluster id.
func TestClusterTable(t *testing.T) {
	ct, err := newClusterTable([]int{0, 1, 0, 3, 1, 0})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ct.roots, []int32{0, 1, 3}) {
		t.Fatalf("roots = %v", ct.roots)
	}
	for k, want := range [][]int32{{0, 2, 5}, {1, 4}, {3}} {
		if got := ct.of(k); !reflect.DeepEqual(got, want) {
			t.Errorf("cluster %d members = %v, want %v", k, got, want)
		}
		if ct.position[ct.roots[k]] != int32(k) {
			t.Errorf("position of root %d = %d, want %d", ct.roots[k], ct.position[ct.roots[k]], k)
		}
	}
	if _, err := newClusterTable([]int{0, 2}); err == nil {
		t.Error("a cluster id out of range was accepted")
	}
}
