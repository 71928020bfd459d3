package profiles

import (
	"time"

	"github.com/cohortd/cohortd/profiles/normalize"
)

// FieldQuality is one field's completeness and validity over the source identities (customer
// accounts and guest-order buyers), in percent.
type FieldQuality struct {
	Present      int     `cbor:"1,keyasint" json:"present"`
	Valid        int     `cbor:"2,keyasint" json:"valid"`
	Completeness float64 `cbor:"3,keyasint" json:"completeness_pct"`
	Validity     float64 `cbor:"4,keyasint" json:"validity_pct"` // of the present values
}

// Quality is the data-quality report of one Build. It holds counts only, never values.
type Quality struct {
	At             time.Time               `cbor:"1,keyasint" json:"at"`
	Identities     int                     `cbor:"2,keyasint" json:"identities"` // customer records + guest orders
	Profiles       int                     `cbor:"3,keyasint" json:"profiles"`
	MergedLinks    int                     `cbor:"4,keyasint" json:"merged_links"`
	DuplicatesRate float64                 `cbor:"5,keyasint" json:"duplicates_pct"` // identities folded into another, percent
	Fields         map[string]FieldQuality `cbor:"6,keyasint" json:"fields"`
	RoleEmails     int                     `cbor:"7,keyasint" json:"role_emails"`
	Disposable     int                     `cbor:"8,keyasint" json:"disposable_emails"`
	TestEmails     int                     `cbor:"9,keyasint" json:"test_emails"`
	InvalidEmails  int                     `cbor:"10,keyasint" json:"invalid_emails"`
	InvalidPhones  int                     `cbor:"11,keyasint" json:"invalid_phones"`
	FilledFromOrds int                     `cbor:"12,keyasint" json:"fields_filled_from_orders"`
	Unconverted    int                     `cbor:"13,keyasint" json:"orders_without_rate"`
	WithOrders     int                     `cbor:"14,keyasint" json:"profiles_with_orders"`
}

type fieldCount struct{ present, valid int }

type qualityCounter struct {
	fields                                     map[string]*fieldCount
	role, disposable, test, badEmail, badPhone int
	filled, unconverted, withOrders            int
	strings                                    map[string]string // a worker's interned strings
}

// intern returns the worker's one copy of b as a string.
func (q *qualityCounter) intern(b []byte) string {
	if s, ok := q.strings[string(b)]; ok {
		return s
	}
	if q.strings == nil {
		q.strings = map[string]string{}
	}
	s := string(b)
	q.strings[s] = s
	return s
}

func newQualityCounter() *qualityCounter {
	q := &qualityCounter{fields: map[string]*fieldCount{}}
	for _, f := range []string{"email", "phone", "first_name", "last_name", "address1", "city", "postcode", "country"} {
		q.fields[f] = &fieldCount{}
	}
	return q
}

func (q *qualityCounter) count(field string, present, valid bool) {
	c := q.fields[field]
	if present {
		c.present++
		if valid {
			c.valid++
		}
	}
}

// identityQuality is what the quality counts take from one cleaned identity: worked out where
// the identity is made (a guest buyer's on a digesting core), counted by the build.
type identityQuality struct {
	emailPresent, phonePresent, phoneValid bool
	first, last, address1, city, postcode  bool
	countryPresent, countryValid           bool
	emailFlags                             normalize.EmailFlags
	filledBy                               int
}

// qualityOf is r's quality inputs. countryPresent says whether its raw country was present,
// countryValid whether a present country was recognised.
func qualityOf(r *identityRec, countryPresent, countryValid bool) identityQuality {
	return identityQuality{
		emailPresent: r.email.Raw != "" || r.email.Address != "",
		phonePresent: r.phone.Raw != "", phoneValid: r.phone.Valid,
		first: r.first.Display != "", last: r.last.Display != "",
		address1: r.addr.Address1 != "", city: r.addr.City != "", postcode: r.addr.Postcode != "",
		countryPresent: countryPresent, countryValid: countryValid,
		emailFlags: r.email.Flags, filledBy: r.filledBy,
	}
}

// identity counts one cleaned identity.
func (q *qualityCounter) identity(iq identityQuality) {
	flags := iq.emailFlags
	q.count("email", iq.emailPresent, !flags.Has(normalize.EmailInvalid))
	if iq.emailPresent {
		switch {
		case flags.Has(normalize.EmailInvalid):
			q.badEmail++
		case flags.Has(normalize.EmailRole):
			q.role++
		}
		if flags.Has(normalize.EmailDisposable) {
			q.disposable++
		}
		if flags.Has(normalize.EmailTest) {
			q.test++
		}
	}
	q.count("phone", iq.phonePresent, iq.phoneValid)
	if iq.phonePresent && !iq.phoneValid {
		q.badPhone++
	}
	q.count("first_name", iq.first, true)
	q.count("last_name", iq.last, true)
	q.count("address1", iq.address1, true)
	q.count("city", iq.city, true)
	q.count("postcode", iq.postcode, true)
	q.count("country", iq.countryPresent, iq.countryValid)
	q.filled += iq.filledBy
}

func (q *qualityCounter) profile(p *Profile) {
	if p.Summary.Orders > 0 {
		q.withOrders++
	}
}

func pct(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(int(float64(n)*10000/float64(d)+0.5)) / 100
}

func (q *qualityCounter) result(identities, profiles, merged int) Quality {
	out := Quality{
		At: time.Now().UTC(), Identities: identities, Profiles: profiles, MergedLinks: merged,
		DuplicatesRate: pct(identities-profiles, identities),
		Fields:         map[string]FieldQuality{},
		RoleEmails:     q.role, Disposable: q.disposable, TestEmails: q.test,
		InvalidEmails: q.badEmail, InvalidPhones: q.badPhone, FilledFromOrds: q.filled,
		Unconverted: q.unconverted, WithOrders: q.withOrders,
	}
	for name, c := range q.fields {
		out.Fields[name] = FieldQuality{
			Present: c.present, Valid: c.valid,
			Completeness: pct(c.present, identities), Validity: pct(c.valid, c.present),
		}
	}
	return out
}
