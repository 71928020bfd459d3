package profiles

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/cohortd/cohortd/profiles/identity"
	"github.com/cohortd/cohortd/profiles/normalize"
)

// mergedFields is r with only the fields packIdentity keeps (the others zeroed).
func mergedFields(r identityRec) identityRec {
	return identityRec{
		ref: r.ref, key: r.ref.Key(), trusted: r.trusted, updated: r.updated, created: r.created,
		first: r.first, last: r.last, locale: r.locale, birth: r.birth,
		email: normalize.Email{Address: r.email.Address, Key: r.email.Key, Flags: r.email.Flags},
		phone: normalize.Phone{E164: r.phone.E164, Raw: r.phone.Raw, Valid: r.phone.Valid, Last4: r.phone.Last4},
		weak:  identity.Evidence{PhoneLast4: r.phone.Last4},
		addr:  r.addr, consent: r.consent, tags: r.tags, sources: r.sources, filledBy: r.filledBy,
	}
}

func TestPackedIdentityRoundTrips(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	full := identityRec{
		ref: SourceRef{Store: "shop", Kind: KindCustomer, ID: "1001"}, trusted: 2,
		updated: time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC),
		created: time.Date(2021, 1, 2, 3, 4, 5, 0, paris),
		first:   normalize.ParseName("  josé "), last: normalize.ParseName("O'NEIL"),
		locale: "fr-FR", birth: "1980-02-03",
		email: normalize.ParseEmail("Jose.ONeil+promo@GoogleMail.com"),
		phone: normalize.ParsePhone("+33 6 12 34 56 78", "FR"),
		addr: CleanAddress{Address1: "1 rue de Rivoli", Address2: "Bât. B", City: "Paris", Region: "IDF",
			Postcode: "75001", CountryCode: "FR", Continent: "EU"},
		consent:  Consent{State: "subscribed", OptInType: "double", UpdatedAt: time.Date(2023, 3, 3, 3, 3, 3, 0, time.FixedZone("", -5*3600))},
		tags:     []string{"vip", "wholesale", ""},
		sources:  fieldOrigin{phone: "shop/order/9 (billing)", address: "shop/order/9 (shipping)"},
		filledBy: 2,
	}
	full.key = full.ref.Key()
	guest := identityRec{ref: SourceRef{Store: "woo", Kind: KindGuestOrder, ID: "77"}, trusted: 1,
		email: normalize.ParseEmail("not an email")}
	guest.key = guest.ref.Key()
	for _, r := range []identityRec{full, guest, {}} {
		b := packedIdentity(&r)
		var got identityRec
		if err := unpackIdentity(b, &got); err != nil {
			t.Fatalf("%s: %v", r.key, err)
		}
		want := mergedFields(r)
		for _, tm := range []struct{ got, want time.Time }{{got.updated, want.updated}, {got.created, want.created}, {got.consent.UpdatedAt, want.consent.UpdatedAt}} {
			_, go_ := tm.got.Zone()
			_, wo := tm.want.Zone()
			if !tm.got.Equal(tm.want) || go_ != wo {
				t.Fatalf("%s: time %v came back as %v", r.key, tm.want, tm.got)
			}
		}
		got.updated, got.created, got.consent.UpdatedAt = want.updated, want.created, want.consent.UpdatedAt
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: unpacked\n%+v\nwant\n%+v", r.key, got, want)
		}
		if ref, err := packedRef(b); err != nil || ref != r.ref {
			t.Fatalf("%s: packedRef = %v, %v", r.key, ref, err)
		}
		if k := packedKey([]byte("x"), b); string(k) != "x"+r.ref.Key() {
			t.Fatalf("%s: packedKey = %q", r.key, k)
		}
		if len(b) > 400 {
			t.Errorf("%s: packed into %d bytes", r.key, len(b))
		}
		// Every truncation is an error, never a panic.
		for n := range len(b) {
			if err := unpackIdentity(b[:n], &got); !errors.Is(err, errPackedIdentity) {
				t.Fatalf("%s: truncated to %d of %d bytes: %v", r.key, n, len(b), err)
			}
		}
	}
}
