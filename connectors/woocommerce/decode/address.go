package decode

import "github.com/cohortd/cohortd/profiles"

// wcAddress is a billing or shipping object of a customer or an order. Billing has email and
// phone; shipping has phone since WooCommerce 5.6.
type wcAddress struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Company   string `json:"company"`
	Address1  string `json:"address_1"`
	Address2  string `json:"address_2"`
	City      string `json:"city"`
	State     string `json:"state"`
	Postcode  string `json:"postcode"`
	Country   string `json:"country"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
}

// record is the canonical address (without the email, which is not part of an address).
func (a wcAddress) record() profiles.Address {
	return profiles.Address{
		FirstName: a.FirstName,
		LastName:  a.LastName,
		Company:   a.Company,
		Address1:  a.Address1,
		Address2:  a.Address2,
		City:      a.City,
		Region:    a.State,
		Postcode:  a.Postcode,
		Country:   a.Country,
		Phone:     a.Phone,
	}
}
