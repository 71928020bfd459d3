package decode

import (
	"cmp"
	"encoding/json"
	"strings"
	"time"

	"github.com/cohortd/cohortd/profiles"
)

// wcCustomer is a wc/v3 customer resource as GET /customers, GET /customers/{id} and the
// customer.created / customer.updated webhooks send it.
type wcCustomer struct {
	ID              wcID       `json:"id"`
	DateCreatedGMT  nullString `json:"date_created_gmt"`
	DateModifiedGMT nullString `json:"date_modified_gmt"`
	Email           string     `json:"email"`
	FirstName       string     `json:"first_name"`
	LastName        string     `json:"last_name"`
	Billing         wcAddress  `json:"billing"`
	Shipping        wcAddress  `json:"shipping"`
	Meta            []wcMeta   `json:"meta_data"`
}

// Customer decodes one wc/v3 customer resource for store.
//
// Phone is the billing phone (a WooCommerce account has no other). Addresses are the billing
// address, then the shipping address when it holds anything and differs from billing. Email is
// the account email, or the billing email when the account has none. UpdatedAt is
// date_modified_gmt, or date_created_gmt for a customer never modified (WooCommerce answers
// null then). Locale is the WordPress user meta "locale" when the site exposes it. WooCommerce
// customers carry no tags.
func Customer(store string, raw []byte) (profiles.CustomerRecord, error) {
	return customerRecord(store, "customer", raw)
}

func customerRecord(store, source string, raw []byte) (profiles.CustomerRecord, error) {
	var c wcCustomer
	if err := json.Unmarshal(raw, &c); err != nil {
		return profiles.CustomerRecord{}, jsonErr(source, err)
	}
	id, ok := c.ID.id()
	switch {
	case !ok:
		return profiles.CustomerRecord{}, fieldErr(source, "", "id", "not a numeric id")
	case id == "":
		return profiles.CustomerRecord{}, fieldErr(source, "", "id", "missing")
	}
	r := profiles.CustomerRecord{
		Store:     store,
		ID:        id,
		Email:     cmp.Or(c.Email, c.Billing.Email),
		Phone:     c.Billing.Phone,
		FirstName: c.FirstName,
		LastName:  c.LastName,
	}
	if r.CreatedAt, ok = parseGMT(string(c.DateCreatedGMT)); !ok {
		return profiles.CustomerRecord{}, fieldErr(source, id, "date_created_gmt", "not a WooCommerce date")
	}
	if r.UpdatedAt, ok = parseGMT(string(c.DateModifiedGMT)); !ok {
		return profiles.CustomerRecord{}, fieldErr(source, id, "date_modified_gmt", "not a WooCommerce date")
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	billing, shipping := c.Billing.record(), c.Shipping.record()
	if !billing.IsZero() {
		r.Addresses = append(r.Addresses, billing)
	}
	if !shipping.IsZero() && shipping != billing {
		r.Addresses = append(r.Addresses, shipping)
	}
	if loc, ok := metaString(c.Meta, "locale"); ok {
		r.Locale = strings.TrimSpace(loc)
	}
	r.Consent.State = consentState(c.Meta)
	return r, nil
}

// customerTombstone is what a customer.deleted body ({"id":N}) says: the record is gone.
func customerTombstone(store, source string, raw []byte, at time.Time) (profiles.CustomerRecord, error) {
	var c struct {
		ID wcID `json:"id"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return profiles.CustomerRecord{}, jsonErr(source, err)
	}
	id, ok := c.ID.id()
	switch {
	case !ok:
		return profiles.CustomerRecord{}, fieldErr(source, "", "id", "not a numeric id")
	case id == "":
		return profiles.CustomerRecord{}, fieldErr(source, "", "id", "missing")
	case at.IsZero():
		return profiles.CustomerRecord{}, &DecodeError{Platform: platform, Source: source, ID: id, Reason: "no time given to date the deletion"}
	}
	return profiles.CustomerRecord{Store: store, ID: id, Deleted: true, UpdatedAt: at.UTC()}, nil
}
