package csvfile

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cohortd/cohortd/profiles"
)

// SkipNoCustomerID is the Skipped reason of a customer row with neither a Customer ID nor an
// email.
const SkipNoCustomerID = "no customer id"

// consentStates maps the export's yes/no marketing answer to a Consent.State.
var consentStates = map[string]string{
	"yes": "subscribed", "true": "subscribed",
	"no": "not_subscribed", "false": "not_subscribed",
}

// ReadShopifyCustomers reads a Shopify customer export (current or legacy layout) and calls fn
// with each customer.
//
//   - ID is "Customer ID" without the apostrophe spreadsheets put in front of long numbers;
//     without one (the legacy layout has none) it is the email, trimmed and lower-cased. A row
//     with neither is skipped (reason SkipNoCustomerID).
//   - Consent.State is "subscribed" for yes and "not_subscribed" for no in "Accepts Email
//     Marketing" (legacy: "Accepts Marketing"); empty when the file says nothing. Any other
//     value makes the row bad. The SMS answer has no place in CustomerRecord and is ignored.
//   - The default address (if any field of it is filled) is the only address. Region and
//     Country are the codes when present, otherwise the names (legacy layout).
//   - Tags are split on commas and trimmed.
//
// Total Spent, Total Orders, Note and Tax Exempt are not read.
func ReadShopifyCustomers(r io.Reader, store string, fn func(profiles.CustomerRecord) error) (Report, error) {
	rep := Report{Format: FormatShopifyCustomers, Skipped: map[string]int{}}
	t, err := newTable(r, &rep)
	if err != nil {
		return rep, err
	}
	c := struct {
		id, first, last, email, phone, consent, tags                                           int
		company, addr1, addr2, city, province, provinceCode, country, countryCode, zip, aPhone int
	}{
		id:    t.index("Customer ID"),
		first: t.index("First Name"), last: t.index("Last Name"),
		email: t.index("Email"), phone: t.index("Phone"),
		consent: t.index("Accepts Email Marketing", "Accepts Marketing"),
		tags:    t.index("Tags"),
		company: t.index("Default Address Company", "Company"),
		addr1:   t.index("Default Address Address1", "Address1"),
		addr2:   t.index("Default Address Address2", "Address2"),
		city:    t.index("Default Address City", "City"),
		// The current layout has only codes.
		province:     t.index("Default Address Province", "Province"),
		provinceCode: t.index("Default Address Province Code", "Province Code"),
		country:      t.index("Default Address Country", "Country"),
		countryCode:  t.index("Default Address Country Code", "Country Code"),
		zip:          t.index("Default Address Zip", "Zip"),
		aPhone:       t.index("Default Address Phone"),
	}
	if c.id < 0 && c.email < 0 {
		return rep, errors.New(`not a Shopify customer export: no "Customer ID" or "Email" column`)
	}
	for {
		rec, err := t.next()
		if err == io.EOF {
			return rep, nil
		}
		if err != nil {
			return rep, err
		}
		cr := profiles.CustomerRecord{
			Store:     store,
			ID:        strings.TrimSpace(strings.TrimLeft(get(rec, c.id), "'’")),
			Email:     get(rec, c.email),
			Phone:     get(rec, c.phone),
			FirstName: get(rec, c.first),
			LastName:  get(rec, c.last),
		}
		if cr.ID == "" {
			cr.ID = strings.ToLower(cr.Email)
		}
		if cr.ID == "" {
			rep.skip(SkipNoCustomerID, 1)
			continue
		}
		if v := get(rec, c.consent); v != "" {
			state, ok := consentStates[strings.ToLower(v)]
			if !ok {
				t.bad(t.header[c.consent], fmt.Errorf("invalid marketing answer %q (want yes or no)", v))
				continue
			}
			cr.Consent.State = state
		}
		addr := profiles.Address{
			Company:  get(rec, c.company),
			Address1: get(rec, c.addr1),
			Address2: get(rec, c.addr2),
			City:     get(rec, c.city),
			Region:   get(rec, c.provinceCode),
			Postcode: get(rec, c.zip),
			Country:  get(rec, c.countryCode),
			Phone:    get(rec, c.aPhone),
		}
		fill(&addr.Region, get(rec, c.province))
		fill(&addr.Country, get(rec, c.country))
		if !addr.IsZero() {
			cr.Addresses = []profiles.Address{addr}
		}
		cr.Tags = splitTags(get(rec, c.tags))
		if err := fn(cr); err != nil {
			return rep, fmt.Errorf("row %d: %w", t.row, err)
		}
		rep.Records++
	}
}

func splitTags(s string) []string {
	if s == "" {
		return nil
	}
	var tags []string
	for _, tag := range strings.Split(s, ",") {
		if tag = strings.TrimSpace(tag); tag != "" {
			tags = append(tags, tag)
		}
	}
	return tags
}
