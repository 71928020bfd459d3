package csvfile

import (
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
)

const testdata = "../../testdata/csvfile/"

func open(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(testdata + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// badStrings renders a report's bad rows as "line L: message".
func badStrings(rep Report) []string {
	var out []string
	for _, b := range rep.Bad {
		out = append(out, "line "+strconv.Itoa(b.Line)+": "+b.Error())
	}
	return out
}

func checkBad(t *testing.T, rep Report, want ...string) {
	t.Helper()
	got := badStrings(rep)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bad rows:\n got %q\nwant %q", got, want)
	}
	if rep.BadCount != len(want) {
		t.Errorf("BadCount = %d, want %d", rep.BadCount, len(want))
	}
}

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		file string
		want Format
	}{
		{"shopify_customers_export.csv", FormatShopifyCustomers},
		{"shopify_customers_export_legacy.csv", FormatShopifyCustomers},
		{"shopify_orders_export.csv", FormatShopifyOrders},
		{"online_retail_head.csv", ""},
	} {
		b, err := os.ReadFile(testdata + c.file)
		if err != nil {
			t.Fatal(err)
		}
		header := strings.Split(strings.TrimRight(strings.SplitN(string(b), "\n", 2)[0], "\r"), ",")
		got, ok := Detect(header)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("%s: Detect = %q, %v; want %q", c.file, got, ok, c.want)
		}
	}
	if f, ok := Detect([]string{" name ", "EMAIL", "Lineitem Quantity", "lineitem name", "Created at", "Total"}); !ok || f != FormatShopifyOrders {
		t.Errorf("Detect ignores case and spaces: got %q %v", f, ok)
	}
}

func TestShopifyCustomers(t *testing.T) {
	var got []profiles.CustomerRecord
	rep, err := ReadShopifyCustomers(open(t, "shopify_customers_export.csv"), "shop", func(c profiles.CustomerRecord) error {
		got = append(got, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []profiles.CustomerRecord{{
		Store: "shop", ID: "7012345678901", Email: "alice.martin@example.com", Phone: "+15145550101",
		FirstName: "Alice", LastName: "Martin",
		Addresses: []profiles.Address{{Address1: "12 Rue Saint-Denis", Address2: "Apt 4", City: "Montréal",
			Region: "QC", Country: "CA", Postcode: "H2X 1K4", Phone: "+1 514-555-0101"}},
		Consent: profiles.Consent{State: "subscribed"},
		Tags:    []string{"vip", "newsletter", "wholesale"},
	}, {
		Store: "shop", ID: "7012345678902", Email: "BOB.Nakamura@Example.com", FirstName: "Bob", LastName: "Nakamura",
		Addresses: []profiles.Address{{Company: "Nakamura & Sons, Ltd.", Address1: "200 King St W", City: "Toronto",
			Region: "ON", Country: "CA", Postcode: "M5V 2T6", Phone: "+1 416-555-0199"}},
		Consent: profiles.Consent{State: "not_subscribed"},
	}, {
		Store: "shop", ID: "chloe.dubois@example.fr", Email: "Chloe.Dubois@Example.FR", FirstName: "Chloé", LastName: "Dubois",
		Tags: []string{"newsletter"},
	}, {
		Store: "shop", ID: "7012345678904", Phone: "+86 138 0013 8000", FirstName: "小龙", LastName: "李",
		Consent: profiles.Consent{State: "not_subscribed"},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records:\n got %+v\nwant %+v", got, want)
	}
	if rep.Format != FormatShopifyCustomers || rep.Rows != 7 || rep.Records != 4 {
		t.Errorf("report = %+v", rep)
	}
	if !reflect.DeepEqual(rep.Skipped, map[string]int{SkipNoCustomerID: 1}) {
		t.Errorf("skipped = %v", rep.Skipped)
	}
	checkBad(t, rep,
		`line 7: row 6: column "Accepts Email Marketing": invalid marketing answer "maybe" (want yes or no)`,
		`line 9: row 8: row has 4 fields, header has 20`)
}

func TestShopifyCustomersLegacy(t *testing.T) {
	var got []profiles.CustomerRecord
	rep, err := ReadShopifyCustomers(open(t, "shopify_customers_export_legacy.csv"), "shop", func(c profiles.CustomerRecord) error {
		got = append(got, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []profiles.CustomerRecord{{
		Store: "shop", ID: "alice.martin@example.com", Email: "alice.martin@example.com", Phone: "+1 514-555-0101",
		FirstName: "Alice", LastName: "Martin",
		Addresses: []profiles.Address{{Address1: "12 Rue Saint-Denis", Address2: "Apt 4", City: "Montréal",
			Region: "QC", Country: "CA", Postcode: "H2X 1K4"}},
		Consent: profiles.Consent{State: "subscribed"},
		Tags:    []string{"vip", "newsletter"},
	}, {
		Store: "shop", ID: "juergen.mueller@example.de", Email: "juergen.mueller@example.de", Phone: "+49 30 1234567",
		FirstName: "Jürgen", LastName: "Müller",
		Addresses: []profiles.Address{{Company: "Müller GmbH", Address1: "Hauptstraße 1", City: "Berlin",
			Region: "Berlin", Country: "Germany", Postcode: "10115"}},
		Consent: profiles.Consent{State: "not_subscribed"},
	}, {
		Store: "shop", ID: "grace@example.ie", Email: "grace@example.ie", FirstName: "Grace", LastName: "O'Neil",
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records:\n got %+v\nwant %+v", got, want)
	}
	if rep.Rows != 3 || rep.Records != 3 || rep.BadCount != 0 || len(rep.Skipped) != 0 {
		t.Errorf("report = %+v", rep)
	}
}

func TestShopifyOrders(t *testing.T) {
	var got []profiles.OrderRecord
	rep, err := ReadShopifyOrders(open(t, "shopify_orders_export.csv"), "shop", time.UTC, func(o profiles.OrderRecord) error {
		got = append(got, o)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	est := time.FixedZone("", -5*3600)
	alice := profiles.Address{FirstName: "Alice", LastName: "Martin", Address1: "12 Rue Saint-Denis", Address2: "Apt 4",
		City: "Montréal", Postcode: "H2X 1K4", Region: "QC", Country: "CA", Phone: "+1 514-555-0101"}
	zoe := profiles.Address{FirstName: "Zoë", LastName: "Ångström", Address1: "Storgatan 5", City: "Ottawa",
		Postcode: "K1P 1J1", Region: "ON", Country: "CA"}
	bob := profiles.Address{FirstName: "Bob", LastName: "Nakamura", Company: "Nakamura & Sons, Ltd.", Address1: "200 King St W",
		City: "Toronto", Postcode: "M5V 2T6", Region: "ON", Country: "CA", Phone: "+1 416-555-0199"}
	want := []profiles.OrderRecord{{
		Store: "shop", ID: "5512345678901", Email: "alice.martin@example.com",
		CreatedAt: time.Date(2024, 3, 1, 10, 0, 0, 0, est), Currency: "CAD", Total: dec("73.45"), Refunded: dec("0.00"),
		Lines: []profiles.LineItem{
			{SKU: "MS-500", Title: "Maple Syrup 500ml", Vendor: "Érable Québec", Quantity: 2, Price: dec("20.00")},
			{SKU: "PM-1", Title: "Pancake Mix", Vendor: "Brunch Co", Quantity: 1, Price: dec("20.00")},
		},
		Billing: alice, Shipping: alice,
	}, {
		Store: "shop", ID: "5512345678902", Email: "zoe.angstrom@example.se", Phone: "+46 70 123 45 67",
		CreatedAt: time.Date(2024, 3, 2, 18, 45, 0, 0, est), Currency: "CAD", Total: dec("30.50"), Refunded: dec("0"),
		Lines:   []profiles.LineItem{{SKU: "TT-LIN", Title: "Tea Towel — Linen", Vendor: "Nordic Home", Quantity: 3, Price: dec("8.50")}},
		Billing: zoe, Shipping: zoe,
	}, {
		Store: "shop", ID: "5512345678903", Email: "BOB.Nakamura@Example.com",
		CreatedAt: time.Date(2024, 3, 3, 9, 11, 30, 0, est), Currency: "CAD", Total: dec("45.20"), Refunded: dec("15"),
		Lines: []profiles.LineItem{
			{SKU: "CIP-10", Title: "Cast Iron Pan", Vendor: "Forge & Co", Quantity: 1, Price: dec("25")},
			{SKU: "OM-1", Title: "Oven Mitt", Vendor: "Forge & Co", Quantity: 1, Price: dec("15")},
		},
		Billing: bob, Shipping: bob,
	}, {
		Store: "shop", ID: "5512345678904", Email: "alice.martin@example.com",
		CreatedAt:   time.Date(2024, 3, 4, 19, 59, 0, 0, est),
		CancelledAt: time.Date(2024, 3, 5, 9, 15, 0, 0, est),
		Currency:    "CAD", Total: dec("33.90"), Refunded: dec("33.90"),
		Lines:   []profiles.LineItem{{SKU: "BC-3", Title: "Beeswax Candle", Vendor: "Ruche", Quantity: 3, Price: dec("10")}},
		Billing: alice, Shipping: alice,
	}, {
		Store: "shop", ID: "5512345678906", Phone: "+1 613-555-0142",
		CreatedAt: time.Date(2024, 3, 7, 12, 0, 0, 0, est), Currency: "CAD", Total: dec("18"), Refunded: dec("0"),
		Lines: []profiles.LineItem{
			{SKU: "SB-1", Title: "Soap Bar", Vendor: "Savonnerie", Quantity: 2, Price: dec("4")},
			{SKU: "LF-1", Title: "Loofah", Vendor: "Savonnerie", Quantity: 1, Price: dec("10")},
		},
		Billing: profiles.Address{FirstName: "Siobhán Ó", LastName: "Briain", Country: "CA"},
	}}
	if len(got) != len(want) {
		t.Fatalf("%d orders, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		assertOrder(t, got[i], want[i])
		if !got[i].IsGuest() {
			t.Errorf("order %s is not a guest order", got[i].ID)
		}
	}
	if rep.Format != FormatShopifyOrders || rep.Rows != 12 || rep.Records != 5 {
		t.Errorf("report = %+v", rep)
	}
	if !reflect.DeepEqual(rep.Skipped, map[string]int{SkipBadFirstRow: 1}) {
		t.Errorf("skipped = %v", rep.Skipped)
	}
	checkBad(t, rep,
		`line 9: row 8: column "Total": invalid amount "12,3x"`,
		`line 11: row 10: row has 3 fields, header has 79`,
		`line 13: row 12: column "Lineitem quantity": invalid quantity "two"`)
}

// assertOrder compares orders with decimals by value and times by instant.
func assertOrder(t *testing.T, got, want profiles.OrderRecord) {
	t.Helper()
	norm := func(o profiles.OrderRecord) profiles.OrderRecord {
		o.Total, o.Refunded = dec(o.Total.String()), dec(o.Refunded.String())
		o.CreatedAt, o.CancelledAt = o.CreatedAt.UTC(), o.CancelledAt.UTC()
		lines := make([]profiles.LineItem, len(o.Lines))
		for i, l := range o.Lines {
			l.Price = dec(l.Price.String())
			lines[i] = l
		}
		o.Lines = lines
		return o
	}
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Errorf("order %s:\n got %+v\nwant %+v", want.ID, g, w)
	}
}

func TestUCIHead(t *testing.T) {
	var (
		orders []profiles.OrderRecord
		lines  int
	)
	rep, st := readUCI(t, open(t, "online_retail_head.csv"))
	_, err := ReadOrders(open(t, "online_retail_head.csv"), "uci", uciMapping(t), time.UTC, func(o profiles.OrderRecord) error {
		if len(orders) < 3 || o.ID == "C536379" || o.ID == "X900005" {
			orders = append(orders, o)
		}
		lines += len(o.Lines)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 3005 || rep.Records != 124 || len(st.invoices) != 124 || len(st.customers) != 95 || lines != 3000-1081+1 {
		t.Errorf("rows %d records %d invoices %d customers %d lines %d", rep.Rows, rep.Records, len(st.invoices), len(st.customers), lines)
	}
	if !reflect.DeepEqual(rep.Skipped, map[string]int{SkipNoIdentity: 1081}) {
		t.Errorf("skipped = %v", rep.Skipped)
	}
	checkBad(t, rep,
		`line 3002: row 3002: column "Quantity": invalid quantity "six"`,
		`line 3003: row 3003: column "InvoiceDate": invalid date "2011-13-45 12:50:00"`,
		`line 3004: row 3004: row has 7 fields, header has 8`,
		`line 3005: row 3005: column "UnitPrice": invalid amount "2,10"`)

	first := orders[0]
	if first.ID != "536365" || first.CustomerID != "17850" || len(first.Lines) != 7 || !first.Total.Equal(dec("139.12")) ||
		first.Currency != "GBP" || first.Billing.Country != "United Kingdom" || !first.CancelledAt.IsZero() ||
		!first.CreatedAt.Equal(time.Date(2010, 12, 1, 8, 26, 0, 0, time.UTC)) {
		t.Errorf("first order = %+v", first)
	}
	if l := first.Lines[0]; l != (profiles.LineItem{ProductID: "85123A", Title: "WHITE HANGING HEART T-LIGHT HOLDER", Quantity: 6, Price: l.Price}) || !l.Price.Equal(dec("2.55")) {
		t.Errorf("first line = %+v", l)
	}
	var c, x *profiles.OrderRecord
	for i := range orders {
		switch orders[i].ID {
		case "C536379":
			c = &orders[i]
		case "X900005":
			x = &orders[i]
		}
	}
	if c == nil || c.CustomerID != "14527" || len(c.Lines) != 1 || c.Lines[0].Quantity != -1 || !c.Total.Equal(dec("-27.50")) ||
		!c.CancelledAt.Equal(time.Date(2010, 12, 1, 9, 41, 0, 0, time.UTC)) || !c.CancelledAt.Equal(c.CreatedAt) {
		t.Errorf("cancellation = %+v", c)
	}
	if x == nil || x.CustomerID != "12680" || !x.Total.Equal(dec("6.30")) {
		t.Errorf("good row after bad rows = %+v", x)
	}
}

func TestReadOrdersGrouping(t *testing.T) {
	const in = "\ufeff order , cust ,E-mail,When,Amount,Qty,Price,First,Last\n" +
		"A1,c1,,2024-01-02,10.00,1,4.00,Ana,Lima\n" +
		"A1,,,2024-01-02,,2,3.00,,\n" + // total read once, not summed
		"B7,,b@example.com,2024-01-03T10:00:00+02:00,,1,5.5,,\n" + // no total: sum of lines
		"Z9,,,2024-01-03,1.00,1,1,,\n" + // no identity
		"A1,c1,,2024-02-01,,1,1.25,,\n" + // A1 again, later: a second record
		",c1,,2024-02-01,1,1,1,,\n" + // no order id
		"D4,c2,,2024-02-01,1x,1,1,,\n" // bad total, order not emitted
	m := Mapping{OrderID: "Order", CustomerID: "Cust", Email: "e-mail", Date: "when", Total: "amount",
		Quantity: "qty", UnitPrice: "price", FirstName: "first", LastName: "last", DefaultCurrency: "EUR"}
	var got []profiles.OrderRecord
	rep, err := ReadOrders(strings.NewReader(in), "s", m, time.UTC, func(o profiles.OrderRecord) error {
		got = append(got, o)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	type sum struct {
		ID, Cust, Email, Total string
		Lines                  int
		At                     string
		First, Last            string
	}
	var sums []sum
	for _, o := range got {
		if o.Currency != "EUR" {
			t.Errorf("%s: currency %q", o.ID, o.Currency)
		}
		sums = append(sums, sum{o.ID, o.CustomerID, o.Email, o.Total.String(), len(o.Lines), o.CreatedAt.UTC().Format(time.RFC3339), o.Billing.FirstName, o.Billing.LastName})
	}
	want := []sum{
		{"A1", "c1", "", "10", 2, "2024-01-02T00:00:00Z", "Ana", "Lima"},
		{"B7", "", "b@example.com", "5.5", 1, "2024-01-03T08:00:00Z", "", ""},
		{"A1", "c1", "", "1.25", 1, "2024-02-01T00:00:00Z", "", ""},
	}
	if !reflect.DeepEqual(sums, want) {
		t.Errorf("orders:\n got %+v\nwant %+v", sums, want)
	}
	if rep.Rows != 7 || rep.Records != 3 || rep.Skipped[SkipNoIdentity] != 1 {
		t.Errorf("report = %+v", rep)
	}
	checkBad(t, rep,
		`line 7: row 7: column "order": missing value`,
		`line 8: row 8: column "Amount": invalid amount "1x"`)
}

func TestCallbackErrorAborts(t *testing.T) {
	boom := errors.New("boom")
	n := 0
	rep, err := ReadOrders(open(t, "online_retail_head.csv"), "uci", uciMapping(t), nil, func(profiles.OrderRecord) error {
		if n++; n == 2 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || err.Error() != "row 10: order 536366: boom" {
		t.Errorf("err = %v", err)
	}
	if rep.Records != 1 {
		t.Errorf("records = %d", rep.Records)
	}
	_, err = ReadShopifyCustomers(open(t, "shopify_customers_export.csv"), "s", func(profiles.CustomerRecord) error { return boom })
	if !errors.Is(err, boom) || err.Error() != "row 2: boom" {
		t.Errorf("err = %v", err)
	}
}

func TestBadRowsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,cust,date,total\n")
	for i := 0; i < 1500; i++ {
		b.WriteString("o1,c1,not a date,1\n")
	}
	b.WriteString("o2,c1,2024-01-01,2\n")
	rep, err := ReadOrders(strings.NewReader(b.String()), "s", Mapping{OrderID: "id", CustomerID: "cust", Date: "date", Total: "total"}, nil,
		func(profiles.OrderRecord) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Bad) != 1000 || rep.BadCount != 1500 || rep.Records != 1 || rep.Rows != 1501 {
		t.Errorf("bad %d, count %d, records %d, rows %d", len(rep.Bad), rep.BadCount, rep.Records, rep.Rows)
	}
	if rep.Bad[999].Row != 1001 {
		t.Errorf("last kept bad row = %d", rep.Bad[999].Row)
	}
}

func TestParseErrorsContinue(t *testing.T) {
	in := "id,cust,date,total\n" +
		"o1,c1,2024-01-01,1\n" +
		"o2,c\"1,2024-01-01,1\n" + // bare quote
		"o3,c1,2024-01-01,\"3\"x\n" + // extraneous quote
		"o4,c1,2024-01-01,4\n"
	var ids []string
	rep, err := ReadOrders(strings.NewReader(in), "s", Mapping{OrderID: "id", CustomerID: "cust", Date: "date", Total: "total"}, nil,
		func(o profiles.OrderRecord) error { ids = append(ids, o.ID); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids, []string{"o1", "o4"}) || rep.BadCount != 2 || rep.Bad[0].Row != 3 || rep.Bad[1].Row != 4 {
		t.Errorf("ids %v, report %+v", ids, rep)
	}
}

func TestMappingFromConfig(t *testing.T) {
	m, err := MappingFromConfig(map[string]string{"order_id": " InvoiceNo ", "email": "Email", "date": "Date", "total": "Total"})
	if err != nil || m.OrderID != "InvoiceNo" || m.Email != "Email" || m.Total != "Total" {
		t.Errorf("m = %+v, err = %v", m, err)
	}
	_, err = MappingFromConfig(map[string]string{"order_id": "a", "email": "b", "date": "c", "total": "d", "custmer_id": "x"})
	if err == nil || !strings.Contains(err.Error(), `unknown mapping key "custmer_id" (valid keys: cancelled_prefix, city, country, currency, customer_id, date, date_layout, default_currency, email, first_name, last_name, order_id, phone, postcode, product_id, product_type, quantity, title, total, unit_price, user_agent, vendor)`) {
		t.Errorf("err = %v", err)
	}
	_, err = MappingFromConfig(map[string]string{"order_id": "a", "quantity": "q", "date": ""})
	want := "mapping needs date\nmapping needs total, or quantity and unit_price\nmapping needs customer_id or email"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v", err)
	}
	_, err = ReadOrders(strings.NewReader("a,b\n"), "s", Mapping{OrderID: "a", CustomerID: "b", Date: "when", Total: "t"}, nil,
		func(profiles.OrderRecord) error { return nil })
	if err == nil || err.Error() != `mapped columns not in the header: "when", "t"` {
		t.Errorf("err = %v", err)
	}
}

func TestEmptyAndHeaderOnly(t *testing.T) {
	m := Mapping{OrderID: "a", CustomerID: "b", Date: "c", Total: "d"}
	if _, err := ReadOrders(strings.NewReader(""), "s", m, nil, nil); err == nil {
		t.Error("empty file: no error")
	}
	rep, err := ReadOrders(strings.NewReader("\ufeffa,b,c,d\r\n"), "s", m, nil, nil)
	if err != nil || rep.Rows != 0 || rep.Records != 0 {
		t.Errorf("header only: %+v %v", rep, err)
	}
}

// A row in another encoding than UTF-8 (here Latin-1) is a bad row with its number, quoted or
// not; the good rows go in.
func TestNotUTF8RowsAreBad(t *testing.T) {
	in := "id,cust,date,total,title\n" +
		"o1,c1,2024-01-01,1,Cr\xe8me\n" + // Latin-1 è, plain line
		"o2,c1,2024-01-01,2,\"Caf\xe9, cr\xe8me\"\n" + // Latin-1 in a quoted field
		"o3,c1,2024-01-01,3,Crème\n" // UTF-8
	var ids []string
	rep, err := ReadOrders(strings.NewReader(in), "s", Mapping{OrderID: "id", CustomerID: "cust", Date: "date", Total: "total", Title: "title"}, nil,
		func(o profiles.OrderRecord) error { ids = append(ids, o.ID); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids, []string{"o3"}) {
		t.Errorf("ids %v", ids)
	}
	checkBad(t, rep,
		`line 2: row 2: column "title": not valid UTF-8 text (save the file as UTF-8)`,
		`line 3: row 3: column "title": not valid UTF-8 text (save the file as UTF-8)`)
}
