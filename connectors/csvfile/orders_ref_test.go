package csvfile

// readOrdersReference is ReadOrders as it was before the byte-level fast path (rows read as
// strings through encoding/csv, amounts through decimal.NewFromString, dates through
// time.ParseInLocation, the line sum in decimals): the differential tests in
// orders_diff_test.go check that the fast ReadOrders gives exactly the same records and report.
// It is the specification in its plainest form: a deliberate change of ReadOrders' behaviour
// is made here too.

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
)

func readOrdersReference(r io.Reader, store string, m Mapping, loc *time.Location, fn func(profiles.OrderRecord) error) (Report, error) {
	if loc == nil {
		loc = time.UTC
	}
	rep := Report{Format: FormatOrders, Skipped: map[string]int{}}
	if err := m.validate(); err != nil {
		return rep, err
	}
	t, err := newTable(r, &rep)
	if err != nil {
		return rep, err
	}
	layouts := defaultDateLayouts
	if m.DateLayout != "" {
		layouts = []string{m.DateLayout}
	}
	// Resolve every mapped column; a mapped column missing from the header is an error.
	var missing []string
	col := func(name string) int {
		if name == "" {
			return -1
		}
		i := t.index(name)
		if i < 0 {
			missing = append(missing, fmt.Sprintf("%q", name))
		}
		return i
	}
	var (
		orderID    = col(m.OrderID)
		customerID = col(m.CustomerID)
		email      = col(m.Email)
		phone      = col(m.Phone)
		firstName  = col(m.FirstName)
		lastName   = col(m.LastName)
		date       = col(m.Date)
		total      = col(m.Total)
		quantity   = col(m.Quantity)
		unitPrice  = col(m.UnitPrice)
		productID  = col(m.ProductID)
		title      = col(m.Title)
		prodType   = col(m.ProductType)
		vendor     = col(m.Vendor)
		currency   = col(m.Currency)
		country    = col(m.Country)
		city       = col(m.City)
		postcode   = col(m.Postcode)
		userAgent  = col(m.UserAgent)
	)
	if len(missing) > 0 {
		return rep, fmt.Errorf("mapped columns not in the header: %s", strings.Join(missing, ", "))
	}

	var (
		cur      *profiles.OrderRecord
		curKey   string
		curLast  int
		totalSet bool
		lineSum  decimal.Decimal
	)
	flush := func() error {
		if cur == nil {
			curKey = ""
			return nil
		}
		o := *cur
		cur, curKey = nil, ""
		if !totalSet {
			o.Total = lineSum
		}
		fill(&o.Currency, m.DefaultCurrency)
		if m.CancelledPrefix != "" && strings.HasPrefix(o.ID, m.CancelledPrefix) {
			o.CancelledAt = o.CreatedAt
		}
		if err := fn(o); err != nil {
			return fmt.Errorf("row %d: order %s: %w", curLast, o.ID, err)
		}
		rep.Records++
		return nil
	}

	for {
		rec, err := t.next()
		if err == io.EOF {
			return rep, flush()
		}
		if err != nil {
			return rep, err
		}
		id := get(rec, orderID)
		if id == "" {
			t.bad(t.header[orderID], errMissing)
			continue
		}
		if id != curKey {
			if err := flush(); err != nil {
				return rep, err
			}
			curKey = id
		}
		cust, mail := strings.TrimLeft(get(rec, customerID), "'"), get(rec, email)
		if cust == "" && mail == "" && (cur == nil || cur.CustomerID == "" && cur.Email == "") {
			rep.skip(SkipNoIdentity, 1)
			continue
		}

		// Parse the row's values before touching the order: a bad row adds nothing.
		s := get(rec, date)
		if s == "" {
			t.bad(t.header[date], errMissing)
			continue
		}
		at, err := parseTime(s, layouts, loc)
		if err != nil {
			t.bad(t.header[date], err)
			continue
		}
		var rowTotal *decimal.Decimal
		if s := get(rec, total); s != "" {
			d, err := parseAmount(s)
			if err != nil {
				t.bad(t.header[total], err)
				continue
			}
			rowTotal = &d
		}
		var li *profiles.LineItem
		q, p, pid, ttl := get(rec, quantity), get(rec, unitPrice), get(rec, productID), get(rec, title)
		if q != "" || p != "" || pid != "" || ttl != "" {
			l := profiles.LineItem{ProductID: pid, Title: ttl, ProductType: get(rec, prodType), Vendor: get(rec, vendor), Quantity: 1, Price: decimal.Zero}
			if quantity >= 0 {
				if q == "" {
					t.bad(t.header[quantity], errMissing)
					continue
				}
				if l.Quantity, err = parseQuantity(q); err != nil {
					t.bad(t.header[quantity], err)
					continue
				}
			}
			if unitPrice >= 0 {
				if p == "" {
					t.bad(t.header[unitPrice], errMissing)
					continue
				}
				if l.Price, err = parseAmount(p); err != nil {
					t.bad(t.header[unitPrice], err)
					continue
				}
			}
			li = &l
		}

		if cur == nil {
			cur = &profiles.OrderRecord{Store: store, ID: id, CreatedAt: at, Total: decimal.Zero, Refunded: decimal.Zero}
			totalSet, lineSum = false, decimal.Zero
		}
		curLast = t.row
		fill(&cur.CustomerID, cust)
		fill(&cur.Email, mail)
		fill(&cur.Phone, get(rec, phone))
		fill(&cur.Currency, get(rec, currency))
		fill(&cur.UserAgent, get(rec, userAgent))
		fill(&cur.Billing.FirstName, get(rec, firstName))
		fill(&cur.Billing.LastName, get(rec, lastName))
		fill(&cur.Billing.Country, get(rec, country))
		fill(&cur.Billing.City, get(rec, city))
		fill(&cur.Billing.Postcode, get(rec, postcode))
		if rowTotal != nil && !totalSet {
			cur.Total, totalSet = *rowTotal, true
		}
		if li != nil {
			cur.Lines = append(cur.Lines, *li)
			lineSum = lineSum.Add(li.Price.Mul(decimal.New(int64(li.Quantity), 0)))
		}
	}
}
