package csvfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
)

// SkipNoIdentity is the Skipped reason of a generic order row with neither a customer id nor
// an email: nothing could link it to a profile.
const SkipNoIdentity = "no customer identity"

// Mapping says which column of a generic orders file holds what. Column names are matched
// without case and surrounding spaces; an empty name means the file has no such column.
type Mapping struct {
	OrderID, CustomerID, Email, Phone, FirstName, LastName, Date, Total, Quantity, UnitPrice,
	ProductID, Title, ProductType, Vendor, Currency, Country, City, Postcode, UserAgent string

	// DefaultCurrency is the currency when there is no Currency column (or it is empty).
	DefaultCurrency string
	// DateLayout is the Go layout of Date; empty tries RFC 3339, "2006-01-02 15:04:05" and
	// "2006-01-02". Times without an offset are in the location given to ReadOrders.
	DateLayout string
	// CancelledPrefix marks cancellations and returns: an order whose id starts with it gets
	// CancelledAt = its date (as "C" does in the UCI Online Retail data).
	CancelledPrefix string
}

// mappingKeys are the configuration keys of MappingFromConfig, each with its field.
func (m *Mapping) fields() map[string]*string {
	return map[string]*string{
		"order_id": &m.OrderID, "customer_id": &m.CustomerID, "email": &m.Email, "phone": &m.Phone,
		"first_name": &m.FirstName, "last_name": &m.LastName, "date": &m.Date, "total": &m.Total,
		"quantity": &m.Quantity, "unit_price": &m.UnitPrice, "product_id": &m.ProductID,
		"title": &m.Title, "product_type": &m.ProductType, "vendor": &m.Vendor,
		"currency": &m.Currency, "country": &m.Country, "city": &m.City, "postcode": &m.Postcode,
		"user_agent": &m.UserAgent, "default_currency": &m.DefaultCurrency,
		"date_layout": &m.DateLayout, "cancelled_prefix": &m.CancelledPrefix,
	}
}

// MappingFromConfig builds a Mapping from configuration keys (order_id, customer_id, email,
// phone, first_name, last_name, date, total, quantity, unit_price, product_id, title,
// product_type, vendor, currency, country, city, postcode, user_agent: column names;
// default_currency, date_layout, cancelled_prefix: settings). Values are trimmed; an empty
// value is as if the key were absent. An unknown key is an error that lists the valid ones.
func MappingFromConfig(cfg map[string]string) (Mapping, error) {
	var m Mapping
	fields := m.fields()
	var unknown []string
	for k, v := range cfg {
		f, ok := fields[k]
		if !ok {
			unknown = append(unknown, k)
			continue
		}
		*f = strings.TrimSpace(v)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		valid := make([]string, 0, len(fields))
		for k := range fields {
			valid = append(valid, k)
		}
		sort.Strings(valid)
		return Mapping{}, fmt.Errorf("unknown mapping key %s (valid keys: %s)",
			strings.Join(quoteAll(unknown), ", "), strings.Join(valid, ", "))
	}
	if err := m.validate(); err != nil {
		return Mapping{}, err
	}
	return m, nil
}

func quoteAll(ss []string) []string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return q
}

// validate checks the columns a generic file must have.
func (m Mapping) validate() error {
	var errs []error
	if m.OrderID == "" {
		errs = append(errs, errors.New("mapping needs order_id"))
	}
	if m.Date == "" {
		errs = append(errs, errors.New("mapping needs date"))
	}
	if m.Total == "" && (m.Quantity == "" || m.UnitPrice == "") {
		errs = append(errs, errors.New("mapping needs total, or quantity and unit_price"))
	}
	if m.CustomerID == "" && m.Email == "" {
		errs = append(errs, errors.New("mapping needs customer_id or email"))
	}
	return errors.Join(errs...)
}

var defaultDateLayouts = []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02"}

// ReadOrders reads a generic orders file described by m and calls fn with each order. Times
// without an offset are in loc (UTC when nil).
//
// Rows are grouped by order id while the id stays the same; an id that comes back after other
// orders gives a second OrderRecord with the same ID (see the package documentation: the
// importer merges them by id). Only one order is held at a time.
//
//   - A row with an empty customer id and an empty email is skipped (reason SkipNoIdentity),
//     not reported as bad, unless an earlier row of the same order gave one.
//   - A row whose order id, date, quantity, unit price or total is missing or not a number is
//     bad and contributes nothing; the other rows of its order still go in.
//   - Order-level values (customer id, email, phone, names, address, currency, user agent,
//     total) come from the first row that has them; CreatedAt is the date of the order's first
//     good row.
//   - Each row with a quantity, unit price, product id or title adds a LineItem (quantity 1
//     when the file has no quantity column).
//   - Total is the Total column when mapped and filled (an order total, read once per order,
//     not summed over rows), otherwise the sum of quantity × unit price over the lines.
//   - An order whose id starts with CancelledPrefix has CancelledAt = CreatedAt. Its quantities
//     are kept as they are (negative in the UCI data), so its Total is usually negative.
//   - Names go to Billing.FirstName and LastName; Country, City and Postcode to Billing.
func ReadOrders(r io.Reader, store string, m Mapping, loc *time.Location, fn func(profiles.OrderRecord) error) (Report, error) {
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
		rp       = newRowParser(layouts, loc)
		cur      *profiles.OrderRecord
		curKey   string
		curLast  int
		totalSet bool
		lineSum  lineSum
		lines    lineSlab // the current order's lines
	)
	flush := func() error {
		if cur == nil {
			curKey = ""
			return nil
		}
		o := *cur
		cur, curKey = nil, ""
		o.Lines = lines.take()
		if !totalSet {
			o.Total = lineSum.decimal()
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

	// Rows are read as bytes: only what an order keeps becomes a string.
	for {
		rec, err := t.nextFields()
		if err == io.EOF {
			return rep, flush()
		}
		if err != nil {
			return rep, err
		}
		id := field(rec, orderID)
		if len(id) == 0 {
			t.bad(t.header[orderID], errMissing)
			continue
		}
		if string(id) != curKey {
			if err := flush(); err != nil {
				return rep, err
			}
			curKey = string(id)
		}
		cust, mail := bytes.TrimLeft(field(rec, customerID), "'"), field(rec, email)
		if len(cust) == 0 && len(mail) == 0 && (cur == nil || cur.CustomerID == "" && cur.Email == "") {
			rep.skip(SkipNoIdentity, 1)
			continue
		}

		// Parse the row's values before touching the order: a bad row adds nothing.
		s := field(rec, date)
		if len(s) == 0 {
			t.bad(t.header[date], errMissing)
			continue
		}
		at, err := rp.time(s)
		if err != nil {
			t.bad(t.header[date], err)
			continue
		}
		var rowTotal *decimal.Decimal
		if s := field(rec, total); len(s) != 0 {
			a, err := rp.amount(s)
			if err != nil {
				t.bad(t.header[total], err)
				continue
			}
			rowTotal = &a.d
		}
		var (
			li    profiles.LineItem
			price = amount{d: decimal.Zero, exp: 1, small: true} // decimal.Zero is 0e1
		)
		q, p, pid, ttl := field(rec, quantity), field(rec, unitPrice), field(rec, productID), field(rec, title)
		hasLine := len(q) != 0 || len(p) != 0 || len(pid) != 0 || len(ttl) != 0
		if hasLine {
			li.Quantity = 1
			if quantity >= 0 {
				if len(q) == 0 {
					t.bad(t.header[quantity], errMissing)
					continue
				}
				if li.Quantity, err = parseQuantityBytes(q); err != nil {
					t.bad(t.header[quantity], err)
					continue
				}
			}
			if unitPrice >= 0 {
				if len(p) == 0 {
					t.bad(t.header[unitPrice], errMissing)
					continue
				}
				if price, err = rp.amount(p); err != nil {
					t.bad(t.header[unitPrice], err)
					continue
				}
			}
			li.Price = price.d
			li.ProductID, li.Title = rp.intern(pid), rp.intern(ttl)
			li.ProductType, li.Vendor = rp.intern(field(rec, prodType)), rp.intern(field(rec, vendor))
		}

		if cur == nil {
			cur = &profiles.OrderRecord{Store: store, ID: curKey, CreatedAt: at, Total: decimal.Zero, Refunded: decimal.Zero}
			totalSet = false
			lineSum.reset()
		}
		curLast = t.row
		fillBytes(&cur.CustomerID, cust, rp.intern)
		fillBytes(&cur.Email, mail, toString)
		fillBytes(&cur.Phone, field(rec, phone), toString)
		fillBytes(&cur.Currency, field(rec, currency), rp.intern)
		fillBytes(&cur.UserAgent, field(rec, userAgent), rp.intern)
		fillBytes(&cur.Billing.FirstName, field(rec, firstName), toString)
		fillBytes(&cur.Billing.LastName, field(rec, lastName), toString)
		fillBytes(&cur.Billing.Country, field(rec, country), rp.intern)
		fillBytes(&cur.Billing.City, field(rec, city), rp.intern)
		fillBytes(&cur.Billing.Postcode, field(rec, postcode), toString)
		if rowTotal != nil && !totalSet {
			cur.Total, totalSet = *rowTotal, true
		}
		if hasLine {
			lines.add(li)
			lineSum.add(price, li.Quantity)
		}
	}
}
