package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"slices"
	"strconv"
	"strings"
)

type acct struct {
	seq      uint64
	id       uint64
	id2      ident
	created  int64
	updated  int64
	nOrders  int
	spent    int64
	lastSeq  int64 // -1 none
	state    string
	verified bool
	tags     string
	hasOrder bool
}

const (
	stOK = iota
	stCancelled
	stPartialRefund
	stFullRefund
)

type ordPlan struct {
	t            int64
	store        int
	acct         int // -1 guest
	seq          uint64
	itemLo       int
	itemN        int
	sub, tax     int64
	total        int64
	status       int
	refund       int64
	refundItem   int // -1: all items
	refundT      int64
	cancelT      int64
	cancelReason int
	gw           int
	ip           string
	ua           int
	id           ident
}

type item struct {
	prod int
	qty  int
	unit int64
	tax  int64
}

type worker struct {
	cfg     *Config
	enabled [nFiles]bool
	r       rng
	p       person
	accts   [2][]acct
	orders  []ordPlan
	items   []item
	times   []int64
	o       *chunkOut
}

const (
	day  = 86400
	year = 365 * day
)

var itemsCum = cumulative(45, 25, 15, 9, 6)

func (w *worker) runChunk(lo, hi int, tab []pcounts, s seqs, o *chunkOut) {
	w.o = o
	for i := lo; i < hi; i++ {
		w.genPerson(i, tab[i-lo], &s)
	}
}

func (w *worker) genPerson(i int, t pcounts, s *seqs) {
	cfg := w.cfg
	pr := personProfile(cfg.Seed, i)
	w.r = newRNG(cfg.Seed, uint64(i), 2)
	w.newPerson(i, pr)
	r := &w.r
	p := &w.p
	start, end := cfg.Start.Unix(), cfg.End.Unix()
	span := end - start
	k := int(t.orders[0] + t.orders[1])

	// Accounts.
	for st := range 2 {
		w.accts[st] = w.accts[st][:0]
		for a := range int(t.accts[st]) {
			ac := acct{seq: s.cust[st], lastSeq: -1, verified: r.chance(0.9)}
			s.cust[st]++
			if st == storeShop {
				ac.id = 7000000000000 + ac.seq*3 + uint64(i%3)
			} else {
				ac.id = 2 + ac.seq
			}
			ac.id2 = w.ident(a > 0)
			switch x := r.f64(); {
			case x < 0.6:
				ac.state = "enabled"
			case x < 0.95:
				ac.state = "disabled"
			default:
				ac.state = "invited"
			}
			switch x := r.f64(); {
			case x < 0.05:
				ac.tags = "vip"
			case x < 0.08:
				ac.tags = "wholesale, net30"
			case x < 0.12:
				ac.tags = "newsletter"
			case x < 0.14:
				ac.tags = "imported"
			}
			w.accts[st] = append(w.accts[st], ac)
		}
	}

	// Order dates: first purchase uniform over the window, the rest spread
	// over an exponential active lifetime (then the person drops out).
	w.times = w.times[:0]
	if k > 0 {
		s0 := start + int64(r.f64()*float64(span))
		life := int64(r.exp() * 1.3 * year)
		e := min(s0+life, end-1)
		w.times = append(w.times, s0)
		for range k - 1 {
			w.times = append(w.times, s0+int64(r.f64()*float64(e-s0+1)))
		}
		slices.Sort(w.times)
	}
	w.orders = w.orders[:0]
	w.items = w.items[:0]
	rem := [2]int{int(t.orders[0]), int(t.orders[1])}
	guestIn := [2]bool{}
	for _, ts := range w.times {
		var o ordPlan
		o.t = ts
		if r.f64()*float64(rem[0]+rem[1]) < float64(rem[0]) {
			o.store = storeShop
		} else {
			o.store = storeWoo
		}
		rem[o.store]--
		o.seq = s.ord[o.store]
		s.ord[o.store]++
		o.acct = -1
		if n := len(w.accts[o.store]); n > 0 && !r.chance(0.15) {
			o.acct = 0
			if n > 1 && r.chance(0.4) {
				o.acct = 1
			}
		}
		if o.acct < 0 {
			guestIn[o.store] = true
			o.id = w.ident(r.chance(0.05))
			if r.chance(0.004) {
				o.id.email = sharedJunk[r.intn(len(sharedJunk))]
			}
		} else {
			ac := &w.accts[o.store][o.acct]
			if r.chance(0.25) {
				o.id = w.ident(false)
			} else {
				o.id = ac.id2
			}
			o.id.email = ac.id2.email
		}
		// Basket.
		cur := &currencies[p.currency]
		o.itemLo = len(w.items)
		o.itemN = 1 + r.pick(itemsCum)
		for range o.itemN {
			it := item{prod: r.pick(productCum), qty: 1}
			if x := r.f64(); x < 0.07 {
				it.qty = 3
			} else if x < 0.25 {
				it.qty = 2
			}
			v := catalogue[it.prod].usd * cur.rate * p.spend * math.Exp(0.12*r.norm())
			if cur.decimals == 0 {
				it.unit = max(1, int64(math.Round(v/10))) * 10
			} else {
				it.unit = max(1, int64(math.Round(v)))*100 - 1
			}
			it.tax = int64(math.Round(float64(it.unit*int64(it.qty)) * p.ctry.tax))
			o.sub += it.unit * int64(it.qty)
			o.tax += it.tax
			w.items = append(w.items, it)
		}
		o.total = o.sub + o.tax
		o.refundItem = -1
		switch x := r.f64(); {
		case x < 0.03:
			o.status = stCancelled
			o.cancelT = ts + 600 + int64(r.f64()*2*day)
			o.cancelReason = r.intn(len(cancelReasons))
		case x < 0.03+0.05:
			o.refundT = ts + day + int64(r.f64()*30*day)
			if r.chance(0.6) {
				o.status = stPartialRefund
				o.refundItem = r.intn(o.itemN)
				it := w.items[o.itemLo+o.refundItem]
				o.refund = it.unit + int64(math.Round(float64(it.unit)*p.ctry.tax))
			} else {
				o.status = stFullRefund
				o.refund = o.total
			}
		}
		o.gw = r.intn(len(wooPayment))
		o.ip = p.ips[0]
		o.ua = p.uas[0]
		if r.chance(0.3) {
			o.ip, o.ua = p.ips[1], p.uas[1]
		}
		w.orders = append(w.orders, o)
	}

	// Account timestamps and stats.
	for st := range 2 {
		for a := range w.accts[st] {
			ac := &w.accts[st][a]
			first, last := int64(-1), int64(-1)
			for _, o := range w.orders {
				if o.store != st || o.acct != a {
					continue
				}
				if first < 0 {
					first = o.t
				}
				last = o.t
				ac.hasOrder = true
				ac.nOrders++
				ac.lastSeq = int64(o.seq)
				if o.status != stCancelled {
					ac.spent += o.total - o.refund
				}
			}
			if first >= 0 {
				ac.created = first - int64(r.f64()*3*3600)
				if r.chance(0.1) { // registered long before buying
					ac.created = max(start-90*day, first-int64(r.f64()*float64(year)))
				}
				ac.updated = last + int64(r.f64()*day)
			} else {
				ac.created = start + int64(r.f64()*float64(span))
				ac.updated = ac.created + int64(r.exp()*20*day)
			}
		}
	}

	// Counters.
	c := &w.o.c
	c.ShopifyCustomers += len(w.accts[0])
	c.WooCustomers += len(w.accts[1])
	if k == 0 {
		c.Prospects++
	}
	if (t.orders[0] > 0 || t.accts[0] > 0) && (t.orders[1] > 0 || t.accts[1] > 0) {
		c.CrossStorePeople++
	}
	if (guestIn[0] && t.accts[0] > 0) || (guestIn[1] && t.accts[1] > 0) {
		c.GuestAndAccount++
	}
	if t.accts[0] > 1 || t.accts[1] > 1 {
		c.DuplicateAccounts++
	}

	// Emit customers, then orders in date order.
	pid := strconv.Itoa(i + 1)
	for st := range 2 {
		for a := range w.accts[st] {
			ac := &w.accts[st][a]
			if st == storeShop {
				if w.enabled[fShopCust] {
					w.o.bufs[fShopCust] = w.shopCustomer(w.o.bufs[fShopCust], ac)
					w.o.lines[fShopCust]++
				}
			} else if w.enabled[fWooCust] {
				w.o.bufs[fWooCust] = w.wooCustomer(w.o.bufs[fWooCust], ac)
				w.o.lines[fWooCust]++
			}
			w.truth(st, "customer", ac.id, pid)
		}
	}
	for j := range w.orders {
		o := &w.orders[j]
		var oid, cid uint64
		if o.acct >= 0 {
			cid = w.accts[o.store][o.acct].id
		}
		switch o.status {
		case stCancelled:
			c.Cancellations++
		case stPartialRefund:
			c.Refunds++
		case stFullRefund:
			c.Refunds++
			c.FullRefunds++
		}
		if o.store == storeShop {
			c.ShopifyOrders++
			oid = shopOrderID(o.seq)
			if w.enabled[fShopOrd] {
				w.o.bufs[fShopOrd] = w.shopOrder(w.o.bufs[fShopOrd], o)
				w.o.lines[fShopOrd]++
			}
		} else {
			c.WooOrders++
			oid = wooOrderID(o.seq)
			if w.enabled[fWooOrd] {
				w.o.bufs[fWooOrd] = w.wooOrder(w.o.bufs[fWooOrd], o)
				w.o.lines[fWooOrd]++
			}
		}
		if o.acct < 0 {
			if o.store == storeShop {
				c.ShopifyGuests++
			} else {
				c.WooGuests++
			}
			w.truth(o.store, "guest_order", oid, pid)
		}
		if w.enabled[fCSV] && o.status != stCancelled {
			b := w.o.bufs[fCSV]
			b = appUint(b, oid)
			b = append(b, ',')
			if cid != 0 {
				b = appUint(b, cid)
			}
			b = append(b, ',')
			b = appCSV(b, o.id.email)
			b = append(b, ',')
			b = appTime(b, o.t, utc, layoutUTC)
			b = append(b, ',')
			b = appMoney(b, o.total-o.refund, currencies[p.currency].decimals)
			b = append(b, ',')
			b = append(b, currencies[p.currency].code...)
			b = append(b, ',')
			b = append(b, StoreNames[o.store]...)
			b = append(b, '\n')
			w.o.bufs[fCSV] = b
			w.o.lines[fCSV]++
		}
	}
}

func (w *worker) truth(store int, kind string, id uint64, pid string) {
	b := w.o.bufs[fTruth]
	b = append(b, StoreNames[store]...)
	b = append(b, ',')
	b = append(b, kind...)
	b = append(b, ',')
	b = appUint(b, id)
	b = append(b, ',')
	b = append(b, pid...)
	b = append(b, '\n')
	w.o.bufs[fTruth] = b
	w.o.lines[fTruth]++
}

func appCSV(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}

// ID schemes. Shopify ids are large and sparse, WooCommerce ids small; a
// WooCommerce refund takes the id after its order (refunds share the post id
// sequence with orders), so order ids step by two.
func shopOrderID(seq uint64) uint64       { return 5000000000000 + seq*5 }
func shopLineID(seq uint64, k int) uint64 { return 13000000000000 + seq*8 + uint64(k) }
func shopProductID(i int) uint64          { return 8100000000000 + uint64(i)*17 }
func shopVariantID(i int) uint64          { return 42000000000000 + uint64(i)*17 }
func wooOrderID(seq uint64) uint64        { return 100 + seq*2 }
func wooProductID(i int) uint64           { return 10 + uint64(i) }

func gravatar(email string) string {
	h := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return "https://secure.gravatar.com/avatar/" + hex.EncodeToString(h[:]) + "?s=96&d=mm&r=g"
}
