package decode

import "github.com/cohortd/cohortd/profiles"

// Region and Country take the code when Shopify sends one ("ON", "CA") and the name otherwise:
// profiles/normalize recognises both, and a code is the unambiguous spelling. This matches what
// connectors/csvfile does with Shopify's CSV exports.

// gqlAddress is a MailingAddress as documents.go selects it.
type gqlAddress struct {
	ID                           span
	FirstName, LastName, Company span
	Address1, Address2, City     span
	Province, ProvinceCode       span
	Country, CountryCodeV2       span
	Zip, Phone                   span
}

// address reads a MailingAddress; null leaves dst empty.
func (r *reader) address(dst *gqlAddress) *readErr {
	_, err := r.object(func(key []byte) *readErr {
		var f *span
		switch string(key) {
		case "id":
			f = &dst.ID
		case "firstName":
			f = &dst.FirstName
		case "lastName":
			f = &dst.LastName
		case "company":
			f = &dst.Company
		case "address1":
			f = &dst.Address1
		case "address2":
			f = &dst.Address2
		case "city":
			f = &dst.City
		case "province":
			f = &dst.Province
		case "provinceCode":
			f = &dst.ProvinceCode
		case "country":
			f = &dst.Country
		case "countryCodeV2":
			f = &dst.CountryCodeV2
		case "zip":
			f = &dst.Zip
		case "phone":
			f = &dst.Phone
		default:
			return r.skip()
		}
		var err *readErr
		*f, err = r.str()
		return err
	})
	return err
}

func (a *gqlAddress) record(t text) profiles.Address {
	return profiles.Address{
		FirstName: t.of(a.FirstName),
		LastName:  t.of(a.LastName),
		Company:   t.of(a.Company),
		Address1:  t.of(a.Address1),
		Address2:  t.of(a.Address2),
		City:      t.of(a.City),
		Region:    or(t.of(a.ProvinceCode), t.of(a.Province)),
		Postcode:  t.of(a.Zip),
		Country:   or(t.of(a.CountryCodeV2), t.of(a.Country)),
		Phone:     t.of(a.Phone),
	}
}

// restAddress is a REST address (customer address, order billing or shipping address).
type restAddress struct {
	ID           scalar `json:"id"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	Company      string `json:"company"`
	Address1     string `json:"address1"`
	Address2     string `json:"address2"`
	City         string `json:"city"`
	Province     string `json:"province"`
	ProvinceCode string `json:"province_code"`
	Country      string `json:"country"`
	CountryCode  string `json:"country_code"`
	Zip          string `json:"zip"`
	Phone        string `json:"phone"`
}

func (a *restAddress) record() profiles.Address {
	if a == nil {
		return profiles.Address{}
	}
	return profiles.Address{
		FirstName: a.FirstName,
		LastName:  a.LastName,
		Company:   a.Company,
		Address1:  a.Address1,
		Address2:  a.Address2,
		City:      a.City,
		Region:    or(a.ProvinceCode, a.Province),
		Postcode:  a.Zip,
		Country:   or(a.CountryCode, a.Country),
		Phone:     a.Phone,
	}
}

// addressList builds CustomerRecord.Addresses: the default address first, then the others in
// the platform's order, without empty addresses and without repeating an address (Shopify
// lists the default address among the others too).
type addressList struct {
	out []profiles.Address
}

func (l *addressList) add(a profiles.Address) {
	if a.IsZero() {
		return
	}
	for _, have := range l.out {
		if have == a {
			return
		}
	}
	l.out = append(l.out, a)
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
