package normalize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseEmail(t *testing.T) {
	tests := []struct {
		raw, addr, key string
		flags          EmailFlags
	}{
		{"  Jane.Doe@Example.co.uk ", "jane.doe@example.co.uk", "jane.doe@example.co.uk", 0},
		{"J.A.N.E+shop@GoogleMail.com", "j.a.n.e+shop@googlemail.com", "jane@gmail.com", 0},
		{"jane.doe+x@gmail.com", "jane.doe+x@gmail.com", "janedoe@gmail.com", 0},
		{"jane.doe+news@outlook.com", "jane.doe+news@outlook.com", "jane.doe@outlook.com", 0},
		{"jane+a@hotmail.com", "jane+a@hotmail.com", "jane@hotmail.com", 0},
		{"jane+a@icloud.com", "jane+a@icloud.com", "jane@icloud.com", 0},
		{"jane+a@fastmail.com", "jane+a@fastmail.com", "jane@fastmail.com", 0},
		{"jane+a@protonmail.com", "jane+a@protonmail.com", "jane@protonmail.com", 0},
		{"jane-shop@yahoo.com", "jane-shop@yahoo.com", "jane@yahoo.com", 0},
		{"jane+shop@yahoo.com", "jane+shop@yahoo.com", "jane+shop@yahoo.com", 0},
		{"jane+shop@corp.com", "jane+shop@corp.com", "jane+shop@corp.com", 0},
		{"j.ane@corp.com", "j.ane@corp.com", "j.ane@corp.com", 0},
		{"+tag@gmail.com", "+tag@gmail.com", "+tag@gmail.com", 0},
		{"hans@bücher.de", "hans@xn--bcher-kva.de", "hans@xn--bcher-kva.de", 0},
		{"hans@BÜCHER.DE", "hans@xn--bcher-kva.de", "hans@xn--bcher-kva.de", 0},
		{"o'brien@corp.ie", "o'brien@corp.ie", "o'brien@corp.ie", 0},
		{"Info@Shop.com", "info@shop.com", "info@shop.com", EmailRole},
		{"no-reply+x@shop.com", "no-reply+x@shop.com", "no-reply+x@shop.com", EmailRole},
		{"someone@mailinator.com", "someone@mailinator.com", "someone@mailinator.com", EmailDisposable},
		{"someone@x.yopmail.com", "someone@x.yopmail.com", "someone@x.yopmail.com", EmailDisposable},
		{"jane@example.com", "jane@example.com", "jane@example.com", EmailTest},
		{"test@shop.com", "test@shop.com", "test@shop.com", EmailTest},
		{"jane@shop.test", "jane@shop.test", "jane@shop.test", EmailTest},
		{"asdf@asdf.com", "asdf@asdf.com", "asdf@asdf.com", EmailTest},
		{"none@none.com", "none@none.com", "none@none.com", EmailTest},
		{"info@example.org", "info@example.org", "info@example.org", EmailRole | EmailTest},
		// invalid
		{"", "", "", EmailInvalid},
		{"  JANE ", "jane", "", EmailInvalid},
		{"a@b@c.com", "a@b@c.com", "", EmailInvalid},
		{"@shop.com", "@shop.com", "", EmailInvalid},
		{"jane@", "jane@", "", EmailInvalid},
		{"jane@shop", "jane@shop", "", EmailInvalid},
		{"foo@bar", "foo@bar", "", EmailInvalid | EmailTest},
		{".jane@shop.com", ".jane@shop.com", "", EmailInvalid},
		{"jane.@shop.com", "jane.@shop.com", "", EmailInvalid},
		{"ja..ne@shop.com", "ja..ne@shop.com", "", EmailInvalid},
		{"ja ne@shop.com", "ja ne@shop.com", "", EmailInvalid},
		{"jane@shop..com", "jane@shop..com", "", EmailInvalid},
		{"jane@-shop.com", "jane@-shop.com", "", EmailInvalid},
		{"jane@shop_x.com", "jane@shop_x.com", "", EmailInvalid},
		{"jane@1.2.3.4", "jane@1.2.3.4", "", EmailInvalid},
		{"jösé@shop.com", "jösé@shop.com", "", EmailInvalid},
		{strings.Repeat("a", 65) + "@shop.com", strings.Repeat("a", 65) + "@shop.com", "", EmailInvalid},
		{"jane@" + strings.Repeat("a", 64) + ".com", "jane@" + strings.Repeat("a", 64) + ".com", "", EmailInvalid},
	}
	for _, tt := range tests {
		got := ParseEmail(tt.raw)
		if got.Address != tt.addr || got.Key != tt.key || got.Flags != tt.flags || got.Raw != tt.raw {
			t.Errorf("ParseEmail(%q) = %+v (flags %q), want address %q key %q flags %q",
				tt.raw, got, got.Flags, tt.addr, tt.key, tt.flags)
		}
	}
}

func TestEmailFlags(t *testing.T) {
	f := EmailInvalid | EmailRole
	if got := f.String(); got != "invalid,role" {
		t.Errorf("String = %q", got)
	}
	if EmailFlags(0).String() != "" || (EmailDisposable|EmailTest).String() != "disposable,test" {
		t.Error("String of other flag sets is wrong")
	}
	if !f.Has(EmailRole) || f.Has(EmailTest) || !f.Has(EmailInvalid|EmailRole) || f.Has(EmailRole|EmailTest) {
		t.Error("Has is wrong")
	}
}

func TestEmailListsAreClean(t *testing.T) {
	for d := range disposableDomains {
		if e := ParseEmail("x@" + d); !e.Valid() || e.Address != "x@"+d {
			t.Errorf("disposable domain %q is not a clean valid domain: %+v", d, e)
		}
	}
	for l := range roleLocalParts {
		if !validLocalPart(l) {
			t.Errorf("role local part %q is not valid", l)
		}
	}
}

func FuzzParseEmail(f *testing.F) {
	for _, s := range []string{
		"Jane.Doe@Example.com", "j.a.n.e+x@googlemail.com", "hans@bücher.de", "a@b@c", "",
		"info@shop.test", "x@mailinator.com", "foo@bar", "jane-x@yahoo.com", "x@ＥＸＡＭＰＬＥ。com",
		"a@xn--.com", "a@xn--bcher-kva.de", " \t@ ", "a@b.c.", "a@ß.de",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		e := ParseEmail(raw)
		if e.Raw != raw {
			t.Fatalf("Raw changed: %q", e.Raw)
		}
		again := ParseEmail(e.Address)
		if again.Address != e.Address || again.Key != e.Key || again.Flags != e.Flags {
			t.Fatalf("not idempotent: %q -> %+v -> %+v", raw, e, again)
		}
		if e.Valid() {
			if e.Key == "" || !utf8.ValidString(e.Address) || strings.Count(e.Address, "@") != 1 {
				t.Fatalf("valid email with bad output: %+v", e)
			}
			for i := 0; i < len(e.Address); i++ {
				if e.Address[i] >= 0x80 || (e.Address[i] >= 'A' && e.Address[i] <= 'Z') {
					t.Fatalf("valid address is not lower-case ASCII: %q", e.Address)
				}
			}
			if k := ParseEmail(e.Key); !k.Valid() {
				t.Fatalf("key %q of %q is not a valid address", e.Key, raw)
			}
		} else if e.Key != "" {
			t.Fatalf("invalid email with a key: %+v", e)
		}
	})
}
