package normalize

import (
	"strings"
	"testing"
)

func TestParsePhone(t *testing.T) {
	tests := []struct {
		raw, region string
		e164        string
		valid       bool
		cc, last4   string
	}{
		{"(415) 555-2671", "US", "+14155552671", true, "US", "2671"},
		{"415.555.2671", "us", "+14155552671", true, "US", "2671"},
		{"+1 415 555 2671", "", "+14155552671", true, "US", "2671"},
		{"001 415 555 2671", "", "+14155552671", true, "US", "2671"},
		{"0044 20 7946 0958", "DE", "+442079460958", true, "GB", "0958"},
		{"+44 (0)20 7946 0958", "", "+442079460958", true, "GB", "0958"},
		{"020 7946 0958", "GB", "+442079460958", true, "GB", "0958"},
		{"07700 900123", "GB", "+447700900123", true, "GB", "0123"},
		{"+44 7700 900123", "", "+447700900123", true, "GB", "0123"},
		{"(415) 555-0132", "US", "+14155550132", true, "US", "0132"},
		{"415-555-2671 ext. 12", "US", "+14155552671", true, "US", "2671"},
		{"415-555-2671 x12", "US", "+14155552671", true, "US", "2671"},
		{"030 1234567", "DE", "+49301234567", true, "DE", "4567"},
		{"+33 6 12 34 56 78", "", "+33612345678", true, "FR", "5678"},
		{"0412 345 678", "AU", "+61412345678", true, "AU", "5678"},
		{"+39 06 1234 5678", "", "+390612345678", true, "IT", "5678"},
		// invalid: kept with Raw
		{"415 555 2671", "", "", false, "", "2671"},
		{"12", "US", "", false, "", ""},
		{"not a phone", "US", "", false, "", ""},
		{"", "US", "", false, "", ""},
		{"+1 123 456 7890", "", "", false, "", "7890"},
		{"555-1234", "US", "", false, "", "1234"},
		{"0000000000", "US", "", false, "", "0000"},
		{"415 555 2671", "XX", "", false, "", "2671"},
		{"415 555 2671", "USA", "+14155552671", true, "US", "2671"},
		{"030 1234567", "Deutschland", "+49301234567", true, "DE", "4567"},
	}
	for _, tt := range tests {
		got := ParsePhone(tt.raw, tt.region)
		want := Phone{E164: tt.e164, Raw: tt.raw, Valid: tt.valid, Region: tt.cc, Last4: tt.last4}
		if got != want {
			t.Errorf("ParsePhone(%q, %q) = %+v, want %+v", tt.raw, tt.region, got, want)
		}
	}
}

func TestIsFictional(t *testing.T) {
	for _, tt := range []struct {
		e164 string
		want bool
	}{
		{"+14155550132", true}, {"+14155550100", true}, {"+14155550200", false},
		{"+447700900123", true}, {"+442079460958", true}, {"+447911123456", false},
		{"+61491570156", true}, {"+61412345678", false}, {"garbage", false},
	} {
		if got := IsFictional(tt.e164); got != tt.want {
			t.Errorf("IsFictional(%q) = %v", tt.e164, got)
		}
	}
}

func FuzzParsePhone(f *testing.F) {
	for _, s := range []struct{ raw, region string }{
		{"(415) 555-2671", "US"}, {"+44 (0)20 7946 0958", ""}, {"0044 20 7946 0958", "DE"},
		{"07700 900123", "GB"}, {"415-555-2671 ext. 12", "US"}, {"", ""}, {"+", "ZZ"},
		{"00", "US"}, {"+1 (0) 2", "us"}, {"１２３４５６７８９０", "JP"}, {"tel:+1-415-555-2671", "US"},
	} {
		f.Add(s.raw, s.region)
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		p := ParsePhone(raw, region)
		if p.Raw != raw {
			t.Fatalf("Raw changed")
		}
		if p.Last4 != "" && (len(p.Last4) != 4 || strings.Trim(p.Last4, "0123456789") != "") {
			t.Fatalf("bad Last4 %q", p.Last4)
		}
		if !p.Valid {
			if p.E164 != "" || p.Region != "" {
				t.Fatalf("invalid phone with output: %+v", p)
			}
			return
		}
		if !strings.HasPrefix(p.E164, "+") || len(p.E164) < 4 || strings.Trim(p.E164[1:], "0123456789") != "" {
			t.Fatalf("valid phone with bad E164: %+v", p)
		}
		again := ParsePhone(p.E164, "")
		if !again.Valid || again.E164 != p.E164 || again.Region != p.Region {
			t.Fatalf("not idempotent: %q/%q -> %+v -> %+v", raw, region, p, again)
		}
	})
}
