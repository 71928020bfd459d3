package csvfile

import (
	"fmt"
	"io"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
)

// SkipBadFirstRow is the Skipped reason of the other rows of a Shopify order whose first row
// (the one carrying the order-level fields) was bad.
const SkipBadFirstRow = "order's first row is bad"

// shopifyTimeLayouts are tried in order for Shopify's date columns ("2024-03-01 10:00:00 -0500").
var shopifyTimeLayouts = []string{
	"2006-01-02 15:04:05 -0700",
	time.RFC3339,
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
}

type shopifyAddrCols struct {
	name, company, street, addr1, addr2, city, zip, province, provinceName, country, phone int
}

func (t *table) shopifyAddrCols(prefix string) shopifyAddrCols {
	p := func(s string) int { return t.index(prefix + " " + s) }
	return shopifyAddrCols{
		name: p("Name"), company: p("Company"), street: p("Street"), addr1: p("Address1"),
		addr2: p("Address2"), city: p("City"), zip: p("Zip"), province: p("Province"),
		provinceName: p("Province Name"), country: p("Country"), phone: p("Phone"),
	}
}

func (c shopifyAddrCols) read(rec []string) profiles.Address {
	a := profiles.Address{
		Company:  get(rec, c.company),
		Address1: get(rec, c.addr1),
		Address2: get(rec, c.addr2),
		City:     get(rec, c.city),
		Region:   get(rec, c.province),
		Postcode: get(rec, c.zip),
		Country:  get(rec, c.country),
		Phone:    get(rec, c.phone),
	}
	a.FirstName, a.LastName = splitName(get(rec, c.name))
	fill(&a.Address1, get(rec, c.street)) // Street is Address1 and Address2 joined
	fill(&a.Region, get(rec, c.provinceName))
	return a
}

// ReadShopifyOrders reads a Shopify order export and calls fn with each order, once its last
// row has been read. Times without an offset are in loc (UTC when nil).
//
//   - Rows of one order share "Name" (such as "#1001"); the order-level fields are read from
//     the order's first row. ID is the numeric "Id" when the export has it, else the Name.
//   - The first row needs "Created at" and "Total". If the first row is bad, the order is
//     left out and its other rows are counted in Skipped (reason SkipBadFirstRow). A bad later
//     row loses only its line item.
//   - Each row with a line item ("Lineitem name"/"quantity"/"price"/"sku") adds a LineItem;
//     quantity and price are then required.
//   - "Refunded Amount" is Refunded, "Cancelled at" is CancelledAt. "Billing Name" and
//     "Shipping Name" are split: the last word is the last name.
//   - The export has no customer id, so CustomerID is empty: every order is guest-like, and the
//     profiles package links it to a customer by its email, phone and addresses.
func ReadShopifyOrders(r io.Reader, store string, loc *time.Location, fn func(profiles.OrderRecord) error) (Report, error) {
	if loc == nil {
		loc = time.UTC
	}
	rep := Report{Format: FormatShopifyOrders, Skipped: map[string]int{}}
	t, err := newTable(r, &rep)
	if err != nil {
		return rep, err
	}
	var (
		name      = t.index("Name")
		id        = t.index("Id", "ID")
		email     = t.index("Email")
		phone     = t.index("Phone")
		currency  = t.index("Currency")
		total     = t.index("Total")
		refunded  = t.index("Refunded Amount")
		created   = t.index("Created at")
		cancelled = t.index("Cancelled at")
		qty       = t.index("Lineitem quantity")
		lname     = t.index("Lineitem name")
		price     = t.index("Lineitem price")
		sku       = t.index("Lineitem sku")
		vendor    = t.index("Vendor")
		billing   = t.shopifyAddrCols("Billing")
		shipping  = t.shopifyAddrCols("Shipping")
	)
	for col, i := range map[string]int{"Name": name, "Created at": created, "Total": total} {
		if i < 0 {
			return rep, fmt.Errorf("not a Shopify order export: no %q column", col)
		}
	}

	var (
		cur      *profiles.OrderRecord
		curName  string
		curLast  int  // last row of the current order
		curBad   bool // the current order's first row was bad
		curSkips int  // rows skipped because of it
	)
	flush := func() error {
		if curName == "" {
			return nil
		}
		defer func() { cur, curName, curBad, curSkips = nil, "", false, 0 }()
		if curBad {
			rep.skip(SkipBadFirstRow, curSkips)
			return nil
		}
		if err := fn(*cur); err != nil {
			return fmt.Errorf("row %d: order %s: %w", curLast, curName, err)
		}
		rep.Records++
		return nil
	}
	// line reads the row's line item, if it has one.
	line := func(rec []string) (*profiles.LineItem, string, error) {
		q, n, p, s := get(rec, qty), get(rec, lname), get(rec, price), get(rec, sku)
		if q == "" && n == "" && p == "" && s == "" {
			return nil, "", nil
		}
		li := profiles.LineItem{Title: n, SKU: s, Vendor: get(rec, vendor)}
		var err error
		if q == "" {
			return nil, "Lineitem quantity", errMissing
		}
		if li.Quantity, err = parseQuantity(q); err != nil {
			return nil, "Lineitem quantity", err
		}
		if p == "" {
			return nil, "Lineitem price", errMissing
		}
		if li.Price, err = parseAmount(p); err != nil {
			return nil, "Lineitem price", err
		}
		return &li, "", nil
	}
	// first reads an order's first row.
	first := func(rec []string) (*profiles.OrderRecord, string, error) {
		o := &profiles.OrderRecord{
			Store:    store,
			ID:       get(rec, id),
			Email:    get(rec, email),
			Phone:    get(rec, phone),
			Currency: get(rec, currency),
			Billing:  billing.read(rec),
			Shipping: shipping.read(rec),
			Refunded: decimal.Zero,
		}
		var err error
		s := get(rec, created)
		if s == "" {
			return nil, t.header[created], errMissing
		}
		if o.CreatedAt, err = parseTime(s, shopifyTimeLayouts, loc); err != nil {
			return nil, t.header[created], err
		}
		s = get(rec, total)
		if s == "" {
			return nil, t.header[total], errMissing
		}
		if o.Total, err = parseAmount(s); err != nil {
			return nil, t.header[total], err
		}
		if s = get(rec, refunded); s != "" {
			if o.Refunded, err = parseAmount(s); err != nil {
				return nil, t.header[refunded], err
			}
		}
		if s = get(rec, cancelled); s != "" {
			if o.CancelledAt, err = parseTime(s, shopifyTimeLayouts, loc); err != nil {
				return nil, t.header[cancelled], err
			}
		}
		return o, "", nil
	}

	for {
		rec, err := t.next()
		if err == io.EOF {
			return rep, flush()
		}
		if err != nil {
			return rep, err
		}
		n := get(rec, name)
		if n == "" {
			t.bad(t.header[name], errMissing)
			continue
		}
		if n != curName {
			if err := flush(); err != nil {
				return rep, err
			}
			curName = n
			curLast = t.row
			o, col, err := first(rec)
			if err == nil {
				var li *profiles.LineItem
				if li, col, err = line(rec); err == nil && li != nil {
					o.Lines = append(o.Lines, *li)
				}
			}
			if err != nil {
				t.bad(col, err)
				curBad = true
				continue
			}
			fill(&o.ID, n)
			cur = o
			continue
		}
		curLast = t.row
		if curBad {
			curSkips++
			continue
		}
		li, col, err := line(rec)
		if err != nil {
			t.bad(col, err)
			continue
		}
		if li != nil {
			cur.Lines = append(cur.Lines, *li)
		}
		// Order-level fields are on the first row; take any a later row adds.
		fill(&cur.Email, get(rec, email))
		fill(&cur.Phone, get(rec, phone))
		fill(&cur.Currency, get(rec, currency))
		if i := get(rec, id); i != "" && cur.ID == curName {
			cur.ID = i
		}
	}
}
