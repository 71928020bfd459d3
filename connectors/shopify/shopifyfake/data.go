package shopifyfake

import (
	"os"
	"slices"
	"sort"
	"strconv"
)

// dataset is the shop's content. Records are kept sorted by ID in plain slices (compact,
// binary-searchable); updated_at order is a lazily rebuilt index of positions.
type dataset struct {
	customers []customer
	orders    []order
	products  map[uint64]*product

	custByUpdated []int32
	ordByUpdated  []int32
	custDirty     bool
	ordDirty      bool

	custFile, ordFile *os.File // original REST lines of loaded records

	nextLineID, nextRefundID, nextAddrID uint64
	liveCustomers                        int
}

func (d *dataset) reset(c []customer, o []order, prods []product, cf, of *os.File) {
	if d.custFile != nil {
		d.custFile.Close()
	}
	if d.ordFile != nil {
		d.ordFile.Close()
	}
	d.customers, d.orders, d.custFile, d.ordFile = c, o, cf, of
	d.products = make(map[uint64]*product, len(prods))
	for i := range prods {
		d.products[prods[i].ID] = &prods[i]
	}
	d.nextLineID, d.nextRefundID, d.nextAddrID = 20000000000000, 1900000000000, 19000000000000
	locales := map[uint64]string{}
	for i := range d.orders {
		od := &d.orders[i]
		if od.Customer != 0 && od.Locale != "" {
			if _, ok := locales[od.Customer]; !ok {
				locales[od.Customer] = od.Locale
			}
		}
		for _, it := range od.Items {
			d.nextLineID = max(d.nextLineID, it.ID+1)
		}
		for _, r := range od.Refunds {
			d.nextRefundID = max(d.nextRefundID, r.ID+1)
		}
	}
	d.liveCustomers = 0
	for i := range d.customers {
		c := &d.customers[i]
		c.Locale = locales[c.ID]
		if c.Locale == "" {
			c.Locale = "en"
		}
		for _, a := range c.Addresses {
			d.nextAddrID = max(d.nextAddrID, a.ID+1)
		}
		if !c.Deleted {
			d.liveCustomers++
		}
	}
	d.custDirty, d.ordDirty = true, true
	d.sortIndexes()
}

func (d *dataset) needsSort() bool { return d.custDirty || d.ordDirty }

// sortIndexes rebuilds the updated_at order; callers hold the write lock.
func (d *dataset) sortIndexes() {
	if d.custDirty {
		d.custByUpdated = rebuild(d.custByUpdated, len(d.customers), func(a, b int32) int {
			x, y := &d.customers[a], &d.customers[b]
			if x.UpdatedAt != y.UpdatedAt {
				return cmpI(x.UpdatedAt, y.UpdatedAt)
			}
			return cmpU(x.ID, y.ID)
		})
		d.custDirty = false
	}
	if d.ordDirty {
		d.ordByUpdated = rebuild(d.ordByUpdated, len(d.orders), func(a, b int32) int {
			x, y := &d.orders[a], &d.orders[b]
			if x.UpdatedAt != y.UpdatedAt {
				return cmpI(x.UpdatedAt, y.UpdatedAt)
			}
			return cmpU(x.ID, y.ID)
		})
		d.ordDirty = false
	}
}

func rebuild(idx []int32, n int, cmp func(a, b int32) int) []int32 {
	for i := len(idx); i < n; i++ {
		idx = append(idx, int32(i))
	}
	idx = idx[:n]
	// Nearly sorted: an update moves a record towards the end. Scanning from the end, keep
	// the records already in order, sort only the displaced ones and merge: O(n + k log k)
	// for k updates, where a full sort of a 100k index per bulk-mutation poll was the fake's
	// bottleneck.
	keep := make([]int32, 0, n)
	var moved []int32
	for i := n - 1; i >= 0; i-- {
		if len(keep) == 0 || cmp(idx[i], keep[len(keep)-1]) <= 0 {
			keep = append(keep, idx[i])
		} else {
			moved = append(moved, idx[i])
		}
	}
	if len(moved) == 0 {
		slices.Reverse(keep)
		return append(idx[:0], keep...)
	}
	slices.Reverse(keep)
	slices.SortFunc(moved, cmp)
	out := idx[:0]
	i, j := 0, 0
	for i < len(keep) && j < len(moved) {
		if cmp(moved[j], keep[i]) < 0 {
			out = append(out, moved[j])
			j++
		} else {
			out = append(out, keep[i])
			i++
		}
	}
	out = append(out, keep[i:]...)
	return append(out, moved[j:]...)
}

func cmpI(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (d *dataset) customerIndex(id uint64) int {
	i := sort.Search(len(d.customers), func(i int) bool { return d.customers[i].ID >= id })
	if i < len(d.customers) && d.customers[i].ID == id && !d.customers[i].Deleted {
		return i
	}
	return -1
}

func (d *dataset) orderIndex(id uint64) int {
	i := sort.Search(len(d.orders), func(i int) bool { return d.orders[i].ID >= id })
	if i < len(d.orders) && d.orders[i].ID == id {
		return i
	}
	return -1
}

// lister abstracts customers and orders for pagination.
type lister struct {
	n         int
	byUpdated []int32
	id        func(i int) uint64
	updated   func(i int) int64
	match     func(i int, f *filter) bool
}

func (d *dataset) customerLister() lister {
	return lister{
		n: len(d.customers), byUpdated: d.custByUpdated,
		id:      func(i int) uint64 { return d.customers[i].ID },
		updated: func(i int) int64 { return d.customers[i].UpdatedAt },
		match: func(i int, f *filter) bool {
			c := &d.customers[i]
			return !c.Deleted && f.match(c.ID, c.CreatedAt, c.UpdatedAt, c.Email, c.Tags)
		},
	}
}

func (d *dataset) orderLister() lister {
	return lister{
		n: len(d.orders), byUpdated: d.ordByUpdated,
		id:      func(i int) uint64 { return d.orders[i].ID },
		updated: func(i int) int64 { return d.orders[i].UpdatedAt },
		match: func(i int, f *filter) bool {
			o := &d.orders[i]
			return f.match(o.ID, o.CreatedAt, o.UpdatedAt, o.Email, nil)
		},
	}
}

// page returns record positions for one page (or, with p.all, calls visit for every match
// in order; visit returning false stops). Cursors encode (id, sort value).
func (l lister) page(p *pageArgs, visit func(pos int, cursor string) bool) (hasNext bool) {
	byUpdated := p.sortKey == "UPDATED_AT"
	at := func(k int) int {
		if byUpdated {
			return int(l.byUpdated[k])
		}
		return k
	}
	key := func(pos int) (int64, uint64) {
		if byUpdated {
			return l.updated(pos), l.id(pos)
		}
		return 0, l.id(pos)
	}
	less := func(a1 int64, a2 uint64, b1 int64, b2 uint64) bool {
		return a1 < b1 || (a1 == b1 && a2 < b2)
	}
	var start int
	if !p.reverse {
		if p.after != nil {
			cv, cid := cursorValue(p.after, byUpdated), p.after.LastID
			start = sort.Search(l.n, func(k int) bool {
				a, b := key(at(k))
				return less(cv, cid, a, b) // strictly after the cursor
			})
		}
		if lb, ok := p.filter.updatedLowerBound(); ok && byUpdated {
			start = max(start, sort.Search(l.n, func(k int) bool {
				a, _ := key(at(k))
				return a >= lb
			}))
		}
		n := 0
		for k := start; k < l.n; k++ {
			pos := at(k)
			if !l.match(pos, &p.filter) {
				continue
			}
			if !p.all && n == p.first {
				return true
			}
			n++
			a, _ := key(pos)
			if !visit(pos, encodeCursor(l.id(pos), cursorString(a, byUpdated))) {
				return false
			}
		}
		return false
	}
	start = l.n - 1
	if p.after != nil {
		hv, hid := cursorValue(p.after, byUpdated), p.after.LastID
		start = sort.Search(l.n, func(k int) bool {
			a, b := key(at(k))
			return !less(a, b, hv, hid)
		}) - 1
	}
	n := 0
	for k := start; k >= 0; k-- {
		pos := at(k)
		if !l.match(pos, &p.filter) {
			continue
		}
		if !p.all && n == p.first {
			return true
		}
		n++
		a, _ := key(pos)
		if !visit(pos, encodeCursor(l.id(pos), cursorString(a, byUpdated))) {
			return false
		}
	}
	return false
}

func cursorValue(k *cursorKey, byUpdated bool) int64 {
	if !byUpdated {
		return 0
	}
	t, err := parseSearchTime(k.LastValue)
	if err != nil {
		n, _ := strconv.ParseInt(k.LastValue, 10, 64)
		return n
	}
	return t
}

func cursorString(v int64, byUpdated bool) string {
	if !byUpdated {
		return ""
	}
	return isoTime(v)
}
