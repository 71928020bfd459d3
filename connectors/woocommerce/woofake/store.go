package woofake

import (
	"cmp"
	"slices"
	"sort"
	"sync"
)

// customerRec is one WordPress user as /customers returns it.
type customerRec struct {
	id       uint64
	raw      []byte // the JSON object WooCommerce answers for this user
	role     string
	email    string
	username string
	created  int64 // date_created_gmt, unix seconds
	modified int64 // date_modified_gmt, unix seconds
}

// orderRec is one order as /orders returns it.
type orderRec struct {
	id         uint64
	raw        []byte
	status     string
	customerID uint64
	created    int64 // date_created_gmt
	modified   int64 // date_modified_gmt
	refunds    int   // entries in refunds[]
}

// dataset holds every record, sorted by id, and caches of other orderings.
type dataset struct {
	customers []*customerRec
	orders    []*orderRec
	refundRaw map[uint64][]byte // full refund objects of refunds made through the fake

	nextUserID uint64 // wp_users auto-increment
	nextPostID uint64 // posts ids: orders and refunds share the sequence
	nextMetaID uint64 // wp_usermeta auto-increment
	trashed    int    // orders with status trash (excluded from status=any)

	version uint64 // bumped by every change; caches remember the version they were built at
	// cacheMu guards caches: listings read the data under Fake.mu's read lock and may
	// rebuild a cache concurrently with other readers.
	cacheMu *sync.Mutex
	caches  map[string]sortCache
}

type sortCache struct {
	version   uint64
	customers []*customerRec
	orders    []*orderRec
}

func newDataset() dataset {
	return dataset{refundRaw: map[uint64][]byte{}, nextUserID: 2, nextPostID: 100, nextMetaID: 1, cacheMu: &sync.Mutex{}, caches: map[string]sortCache{}}
}

func (d *dataset) changed() { d.version++ }

func (d *dataset) customer(id uint64) (*customerRec, int) {
	i := sort.Search(len(d.customers), func(i int) bool { return d.customers[i].id >= id })
	if i < len(d.customers) && d.customers[i].id == id {
		return d.customers[i], i
	}
	return nil, -1
}

func (d *dataset) order(id uint64) (*orderRec, int) {
	i := sort.Search(len(d.orders), func(i int) bool { return d.orders[i].id >= id })
	if i < len(d.orders) && d.orders[i].id == id {
		return d.orders[i], i
	}
	return nil, -1
}

// insertCustomer keeps customers sorted by id (new ids are normally the largest).
func (d *dataset) insertCustomer(c *customerRec) {
	i := sort.Search(len(d.customers), func(i int) bool { return d.customers[i].id >= c.id })
	d.customers = slices.Insert(d.customers, i, c)
	d.nextUserID = max(d.nextUserID, c.id+1)
	d.changed()
}

func (d *dataset) insertOrder(o *orderRec) {
	i := sort.Search(len(d.orders), func(i int) bool { return d.orders[i].id >= o.id })
	d.orders = slices.Insert(d.orders, i, o)
	d.nextPostID = max(d.nextPostID, o.id+1)
	if o.status == "trash" {
		d.trashed++
	}
	d.changed()
}

// customersBy returns the customers ordered by the WooCommerce orderby value, ascending.
// Callers hold at least Fake.mu's read lock.
func (d *dataset) customersBy(orderby string) []*customerRec {
	if orderby == "id" || orderby == "include" {
		return d.customers
	}
	d.cacheMu.Lock()
	defer d.cacheMu.Unlock()
	c, ok := d.caches["c:"+orderby]
	if ok && c.version == d.version {
		return c.customers
	}
	s := slices.Clone(d.customers)
	switch orderby {
	case "name":
		slices.SortStableFunc(s, func(a, b *customerRec) int { return cmp.Compare(a.username, b.username) })
	case "registered_date":
		slices.SortStableFunc(s, func(a, b *customerRec) int { return cmp.Compare(a.created, b.created) })
	}
	d.caches["c:"+orderby] = sortCache{version: d.version, customers: s}
	return s
}

// ordersBy returns the orders ordered by orderby ("id", "date", "modified"), ascending,
// ties by id.
func (d *dataset) ordersBy(orderby string) []*orderRec {
	if orderby == "id" || orderby == "include" {
		return d.orders
	}
	d.cacheMu.Lock()
	defer d.cacheMu.Unlock()
	c, ok := d.caches["o:"+orderby]
	if ok && c.version == d.version {
		return c.orders
	}
	s := slices.Clone(d.orders)
	key := func(o *orderRec) int64 { return o.created }
	if orderby == "modified" {
		key = func(o *orderRec) int64 { return o.modified }
	}
	slices.SortStableFunc(s, func(a, b *orderRec) int { return cmp.Compare(key(a), key(b)) })
	d.caches["o:"+orderby] = sortCache{version: d.version, orders: s}
	return s
}

// pageOf returns one page of all (ascending) after filtering, in the requested direction,
// and the number of records that pass the filter.
func pageOf[T any](all []T, keep func(T) bool, desc bool, offset, limit int) ([]T, int) {
	if keep == nil {
		total := len(all)
		if offset >= total {
			return nil, total
		}
		n := min(limit, total-offset)
		out := make([]T, n)
		for i := range n {
			if desc {
				out[i] = all[total-1-offset-i]
			} else {
				out[i] = all[offset+i]
			}
		}
		return out, total
	}
	var out []T
	total := 0
	for i := range all {
		x := all[i]
		if desc {
			x = all[len(all)-1-i]
		}
		if !keep(x) {
			continue
		}
		if total >= offset && len(out) < limit {
			out = append(out, x)
		}
		total++
	}
	return out, total
}
