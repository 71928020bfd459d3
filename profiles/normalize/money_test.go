package normalize

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestParseMoney(t *testing.T) {
	tests := []struct{ amount, cur, want, wantCur string }{
		{"12.50", "USD", "12.5", "USD"},
		{" 12.505 ", "usd", "12.51", "USD"},
		{"-12.505", "USD", "-12.51", "USD"},
		{"12.5049", "EUR", "12.5", "EUR"},
		{"1,234.50", "USD", "1234.5", "USD"},
		{"1,234,567.891", "USD", "1234567.89", "USD"},
		{"1.234,50", "EUR", "1234.5", "EUR"},
		{"12,50", "EUR", "12.5", "EUR"},
		{"12,5", "EUR", "12.5", "EUR"},
		{"1,234", "USD", "1234", "USD"},
		{"1.234", "KWD", "1.234", "KWD"},
		{"1.2345", "KWD", "1.235", "KWD"},
		{"1.234.567", "EUR", "1234567", "EUR"},
		{"1 234,50", "EUR", "1234.5", "EUR"},
		{"1\u00a0234,50 €", "EUR", "1234.5", "EUR"},
		{"1'234.50", "CHF", "1234.5", "CHF"},
		{"¥1200", "JPY", "1200", "JPY"},
		{"¥1200.5", "JPY", "1201", "JPY"},
		{"$12", "USD", "12", "USD"},
		{"-$12.00", "USD", "-12", "USD"},
		{"12 EUR", "EUR", "12", "EUR"},
		{"USD 12.99", "USD", "12.99", "USD"},
		{"+3", "GBP", "3", "GBP"},
		{".5", "GBP", "0.5", "GBP"},
		{"0", "JPY", "0", "JPY"},
	}
	for _, tt := range tests {
		got, err := ParseMoney(tt.amount, tt.cur)
		if err != nil || got.Amount.String() != tt.want || got.Currency != tt.wantCur {
			t.Errorf("ParseMoney(%q, %q) = %v %s, %v; want %s %s", tt.amount, tt.cur, got.Amount, got.Currency, err, tt.want, tt.wantCur)
		}
	}
	bad := []struct{ amount, cur string }{
		{"12.50", "XYZ"}, {"12.50", ""}, {"", "USD"}, {"abc", "USD"}, {"1,23,4", "USD"},
		{"1.2.3", "USD"}, {"1,234.5.6", "USD"}, {"12-", "USD"}, {"--1", "USD"}, {"1e5", "USD"},
		{"$", "USD"}, {"1,", "USD"}, {"1,2345", "USD"}, {strings.Repeat("9", 40), "USD"},
		{"12 GBP", "USD"},
	}
	for _, tt := range bad {
		_, err := ParseMoney(tt.amount, tt.cur)
		if err == nil {
			t.Errorf("ParseMoney(%q, %q) succeeded", tt.amount, tt.cur)
			continue
		}
		if !strings.Contains(err.Error(), tt.amount) && !strings.Contains(err.Error(), tt.cur) {
			t.Errorf("error %q names neither input", err)
		}
	}
}

func TestMinorUnits(t *testing.T) {
	for cur, want := range map[string]int{"JPY": 0, "usd": 2, "KWD": 3, "BHD": 3, "CLF": 4, "KRW": 0, "EUR": 2} {
		if got, ok := MinorUnits(cur); !ok || got != want {
			t.Errorf("MinorUnits(%q) = %d, %v", cur, got, ok)
		}
	}
	if _, ok := MinorUnits("XXX"); ok {
		t.Error("XXX known")
	}
	for c := range currencyMinorUnits {
		if len(c) != 3 || strings.ToUpper(c) != c {
			t.Errorf("bad code %q", c)
		}
	}
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestRates(t *testing.T) {
	d := decimal.RequireFromString
	r, err := NewRates("usd", []Rate{
		{From: "EUR", To: "USD", Rate: d("1.10"), Effective: day("2024-01-01")},
		{From: "EUR", To: "USD", Rate: d("1.20"), Effective: day("2024-02-01")},
		{From: "USD", To: "JPY", Rate: d("150"), Effective: day("2024-01-01")},
		{From: "GBP", To: "USD", Rate: d("1.25"), Effective: day("2024-01-01")},
		{From: "USD", To: "GBP", Rate: d("0.5"), Effective: day("2023-01-01")},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		amount, cur string
		at          time.Time
		want, rate  string
		rateDate    time.Time
		direct      bool
	}{
		{"100", "EUR", day("2024-01-15"), "110", "1.1", day("2024-01-01"), true},
		{"100", "EUR", day("2024-02-01"), "120", "1.2", day("2024-02-01"), true},
		{"100", "EUR", day("2024-02-01").Add(-time.Nanosecond), "110", "1.1", day("2024-01-01"), true},
		{"100", "EUR", day("2030-01-01"), "120", "1.2", day("2024-02-01"), true},
		{"15000", "JPY", day("2024-03-01"), "100", "0.0066666666666667", day("2024-01-01"), false},
		{"1000", "JPY", day("2024-03-01"), "6.67", "0.0066666666666667", day("2024-01-01"), false},
		{"10", "GBP", day("2023-06-01"), "20", "2", day("2023-01-01"), false},
		{"10", "GBP", day("2024-06-01"), "12.5", "1.25", day("2024-01-01"), true},
		{"12.345", "USD", day("2000-01-01"), "12.35", "1", time.Time{}, true},
	}
	for _, tt := range tests {
		m := Money{Amount: d(tt.amount), Currency: tt.cur}
		c, err := r.Convert(m, tt.at)
		if err != nil {
			t.Errorf("Convert(%s %s, %s): %v", tt.amount, tt.cur, tt.at, err)
			continue
		}
		if c.To.Amount.String() != tt.want || c.To.Currency != "USD" || c.Rate.String() != tt.rate ||
			!c.RateDate.Equal(tt.rateDate) || c.Direct != tt.direct || c.From.Currency != tt.cur {
			t.Errorf("Convert(%s %s, %s) = %+v (to %s, rate %s)", tt.amount, tt.cur, tt.at, c, c.To.Amount, c.Rate)
		}
	}
	_, err = r.Convert(Money{Amount: d("1"), Currency: "EUR"}, day("2023-12-31"))
	if err == nil || !errors.Is(err, ErrNoRate) || !strings.Contains(err.Error(), "EUR") ||
		!strings.Contains(err.Error(), "USD") || !strings.Contains(err.Error(), "2023-12-31") {
		t.Errorf("missing rate error = %v", err)
	}
	if want := "normalize: convert EUR to USD: no exchange rate effective on 2023-12-31T00:00:00Z"; err.Error() != want {
		t.Errorf("missing rate error %q, want %q", err, want)
	}
	if _, err := r.Convert(Money{Amount: d("1"), Currency: "CAD"}, day("2024-06-01")); err == nil {
		t.Error("CAD converted without a rate")
	}
	if _, err := r.Convert(Money{Amount: d("1"), Currency: "ABC"}, day("2024-06-01")); err == nil {
		t.Error("unknown currency converted")
	}

	for _, bad := range [][]Rate{
		{{From: "EUR", To: "USD", Rate: d("0"), Effective: day("2024-01-01")}},
		{{From: "EUR", To: "USD", Rate: d("-1"), Effective: day("2024-01-01")}},
		{{From: "EUX", To: "USD", Rate: d("1"), Effective: day("2024-01-01")}},
		{{From: "EUR", To: "GBP", Rate: d("1"), Effective: day("2024-01-01")}},
		{{From: "USD", To: "USD", Rate: d("1"), Effective: day("2024-01-01")}},
		{{From: "EUR", To: "USD", Rate: d("1"), Effective: day("2024-01-01")}, {From: "EUR", To: "USD", Rate: d("2"), Effective: day("2024-01-01")}},
	} {
		if _, err := NewRates("USD", bad); err == nil {
			t.Errorf("NewRates(%+v) succeeded", bad)
		}
	}
	if _, err := NewRates("US", nil); err == nil {
		t.Error("bad base accepted")
	}
}

func FuzzParseMoney(f *testing.F) {
	for _, s := range []struct{ a, c string }{
		{"12.50", "USD"}, {"1,234.50", "usd"}, {"12,50", "EUR"}, {"¥1200", "JPY"}, {"1.2345", "KWD"},
		{"", ""}, {"-", "USD"}, {".", "USD"}, {",5", "EUR"}, {"1 000", "SEK"},
	} {
		f.Add(s.a, s.c)
	}
	f.Fuzz(func(t *testing.T, amount, currency string) {
		m, err := ParseMoney(amount, currency)
		if err != nil {
			if m != (Money{}) {
				t.Fatalf("error with a value: %+v", m)
			}
			return
		}
		minor, ok := MinorUnits(m.Currency)
		if !ok || m.Currency != strings.ToUpper(m.Currency) {
			t.Fatalf("bad currency %q", m.Currency)
		}
		if -m.Amount.Exponent() > int32(minor) && !m.Amount.Equal(m.Amount.Round(int32(minor))) {
			t.Fatalf("%s not rounded to %d places", m.Amount, minor)
		}
		again, err := ParseMoney(m.Amount.String(), m.Currency)
		if err != nil || !again.Amount.Equal(m.Amount) || again.Currency != m.Currency {
			t.Fatalf("not idempotent: %q %q -> %s -> %v, %v", amount, currency, m.Amount, again.Amount, err)
		}
	})
}
