package profiles

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"

	"github.com/cohortd/cohortd/internal/parallel"
)

// The structures of a rebuild that say which orders and identities go together. A big store
// has millions of orders and identities: these hold int32 indexes in a few flat slices (a
// CSR layout: the items of group g are items[start[g]:start[g+1]]) rather than maps of
// strings and slices, so they are small and the collector has no pointers in them to scan.

// orderGroups groups the orders by identity key (the key of their records).
type orderGroups struct {
	orders []OrderFacts
	facts  *factArena
	// start holds where each group begins in items, and len(items) last. The groups are in
	// increasing key order.
	start []int32
	// items holds the order indexes, by key, and in increasing index within a key.
	items []int32
	// groupOf holds each order's group.
	groupOf []int32
}

// groupOrders groups orders (their records in facts) by key. len(orders) must fit in an
// int32.
func groupOrders(orders []OrderFacts, facts *factArena) *orderGroups {
	g := &orderGroups{orders: orders, facts: facts, items: make([]int32, len(orders)), groupOf: make([]int32, len(orders))}
	for i := range g.items {
		g.items[i] = int32(i)
	}
	parallel.SortFunc(g.items, func(a, b int32) int {
		return cmp.Or(bytes.Compare(facts.key(&orders[a]), facts.key(&orders[b])), cmp.Compare(a, b))
	})
	for j, oi := range g.items {
		if j == 0 || !bytes.Equal(facts.key(&orders[oi]), facts.key(&orders[g.items[j-1]])) {
			g.start = append(g.start, int32(j))
		}
		g.groupOf[oi] = int32(len(g.start) - 1)
	}
	g.start = append(g.start, int32(len(g.items)))
	return g
}

// len returns the number of groups.
func (g *orderGroups) len() int { return len(g.start) - 1 }

// find returns the group of the orders with this key, or -1 when no order has it.
func (g *orderGroups) find(key string) int32 {
	i, ok := slices.BinarySearchFunc(g.start[:g.len()], []byte(key), func(s int32, key []byte) int {
		return bytes.Compare(g.facts.key(&g.orders[g.items[s]]), key)
	})
	if !ok {
		return -1
	}
	return int32(i)
}

// of returns the orders of group grp in increasing index order; none when grp is -1.
func (g *orderGroups) of(grp int32) []int32 {
	if grp < 0 {
		return nil
	}
	return g.items[g.start[grp]:g.start[grp+1]]
}

// accountOrders holds, per group of an orderGroups, its account (non-guest) orders newest
// first: the orders with which an account's empty contact fields are filled.
type accountOrders struct {
	start []int32 // the orderGroups' start: group g's orders begin at items[start[g]]
	end   []int32 // and end before items[end[g]]
	items []int32
}

// newAccountOrders picks and sorts the account orders of each group of g.
func newAccountOrders(g *orderGroups) *accountOrders {
	orders := g.orders
	a := &accountOrders{start: g.start, end: make([]int32, g.len()), items: make([]int32, len(g.items))}
	for grp := range a.end {
		w := a.start[grp]
		for _, oi := range g.of(int32(grp)) {
			if !orders[oi].guest {
				a.items[w] = oi
				w++
			}
		}
		a.end[grp] = w
		// From the orders in increasing index order, with the comparison and the (unstable)
		// algorithm that always ordered them: orders made at the same time stay in that order.
		slices.SortFunc(a.items[a.start[grp]:w], func(x, y int32) int { return orders[y].compareCreated(&orders[x]) })
	}
	return a
}

// any reports whether group grp has account orders; never for -1.
func (a *accountOrders) any(grp int32) bool { return grp >= 0 && a.end[grp] > a.start[grp] }

// of returns the account orders of group grp, newest first; none when grp is -1.
func (a *accountOrders) of(grp int32) []int32 {
	if grp < 0 {
		return nil
	}
	return a.items[a.start[grp]:a.end[grp]]
}

// clusterTable holds the identities of each cluster of an identity resolution.
type clusterTable struct {
	// roots holds each cluster's id (its lowest identity index), in increasing order; a
	// cluster is known by its position in roots.
	roots []int32
	// start holds where each cluster begins in members, and len(members) last.
	start []int32
	// members holds the identity indexes, by cluster, in increasing order within a cluster.
	members []int32
	// position holds, at each cluster id, the cluster's position in roots (and is
	// meaningless at other indexes).
	position []int32
}

// newClusterTable groups identities by cluster: clusterOf holds, per identity, its cluster
// id, an identity index. len(clusterOf) must fit in an int32.
func newClusterTable(clusterOf []int) (*clusterTable, error) {
	n := len(clusterOf)
	t := &clusterTable{position: make([]int32, n), members: make([]int32, n)}
	size := t.position // the size of each cluster, before position holds positions
	for i, c := range clusterOf {
		if c < 0 || c >= n {
			return nil, fmt.Errorf("identity %d: cluster %d out of range [0, %d)", i, c, n)
		}
		size[c]++
	}
	nroots := 0
	for _, s := range size {
		if s > 0 {
			nroots++
		}
	}
	t.roots = make([]int32, 0, nroots)
	t.start = make([]int32, 1, nroots+1)
	for c, s := range size {
		if s > 0 {
			t.position[c] = int32(len(t.roots))
			t.roots = append(t.roots, int32(c))
			t.start = append(t.start, t.start[len(t.start)-1]+s)
		}
	}
	next := slices.Clone(t.start[:nroots]) // where each cluster's next member goes
	for i, c := range clusterOf {
		k := t.position[c]
		t.members[next[k]] = int32(i)
		next[k]++
	}
	return t, nil
}

// of returns the members of the cluster at position k in roots, in increasing order.
func (t *clusterTable) of(k int) []int32 { return t.members[t.start[k]:t.start[k+1]] }
