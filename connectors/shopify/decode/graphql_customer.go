package decode

import (
	"encoding/json"

	"github.com/cohortd/cohortd/profiles"
)

const sourceGQLCustomer = "graphql Customer"

// gqlCustomer is a Customer node as customerFields (documents.go) selects it. numberOfOrders
// and amountSpent are selected but not read: cohortd derives them from the orders.
type gqlCustomer struct {
	ID, LegacyResourceID       span
	Email, Phone               span
	FirstName, LastName        span
	Locale                     span
	Tags                       []span
	CreatedAt, UpdatedAt       span
	consentSet                 bool
	MarketingState, OptInLevel span
	ConsentUpdatedAt           span
	DefaultAddressID           span
	Addresses                  []gqlAddress
}

// customer reads a Customer node into c.
func (r *reader) customer(c *gqlCustomer) *readErr {
	_, err := r.object(func(key []byte) *readErr {
		var err *readErr
		switch string(key) {
		case "id":
			c.ID, err = r.str()
		case "legacyResourceId":
			c.LegacyResourceID, err = r.str()
		case "email":
			c.Email, err = r.str()
		case "phone":
			c.Phone, err = r.str()
		case "firstName":
			c.FirstName, err = r.str()
		case "lastName":
			c.LastName, err = r.str()
		case "locale":
			c.Locale, err = r.str()
		case "tags":
			c.Tags, err = r.strs()
		case "createdAt":
			c.CreatedAt, err = r.str()
		case "updatedAt":
			c.UpdatedAt, err = r.str()
		case "emailMarketingConsent":
			c.consentSet, err = r.object(func(key []byte) *readErr {
				var err *readErr
				switch string(key) {
				case "marketingState":
					c.MarketingState, err = r.str()
				case "marketingOptInLevel":
					c.OptInLevel, err = r.str()
				case "consentUpdatedAt":
					c.ConsentUpdatedAt, err = r.str()
				default:
					err = r.skip()
				}
				return err
			})
		case "defaultAddress":
			c.DefaultAddressID, err = r.nodeID()
		case "addresses":
			c.Addresses = c.Addresses[:0]
			_, err = r.array(func(int) *readErr {
				c.Addresses = append(c.Addresses, gqlAddress{})
				return r.address(&c.Addresses[len(c.Addresses)-1])
			})
		default:
			err = r.skip()
		}
		return err
	})
	return err
}

// Customer decodes one GraphQL Customer node (a page's nodes[i] or one line of a bulk
// export) selected with documents.go's customerFields.
//
// ID is the numeric legacy id. Consent.State and Consent.OptInType are the GraphQL enums in
// lower case, which is how REST and webhooks spell them ("SUBSCRIBED" -> "subscribed",
// "SINGLE_OPT_IN" -> "single_opt_in"); a null emailMarketingConsent leaves Consent empty.
// Addresses hold the default address first (matched by id), then the others.
func Customer(storeID string, node json.RawMessage) (profiles.CustomerRecord, error) {
	var c gqlCustomer
	a := getArena()
	defer a.release()
	if err := readNode(sourceGQLCustomer, node, a, func(r *reader) *readErr { return r.customer(&c) }); err != nil {
		return profiles.CustomerRecord{}, err
	}
	t := a.text()
	id, derr := gqlID(sourceGQLCustomer, t.of(c.ID), t.of(c.LegacyResourceID), "Customer")
	if derr != nil {
		return profiles.CustomerRecord{}, derr
	}
	bad := func(field, reason string) (profiles.CustomerRecord, error) {
		return profiles.CustomerRecord{}, fieldErr(sourceGQLCustomer, id, field, reason)
	}
	r := profiles.CustomerRecord{
		Store:     storeID,
		ID:        id,
		Email:     t.of(c.Email),
		Phone:     t.of(c.Phone),
		FirstName: t.of(c.FirstName),
		LastName:  t.of(c.LastName),
		Locale:    t.of(c.Locale),
	}
	if c.Tags != nil {
		r.Tags = make([]string, len(c.Tags))
		for i, tag := range c.Tags {
			r.Tags[i] = t.of(tag)
		}
	}
	var ok bool
	if r.CreatedAt, ok = parseTime(t.of(c.CreatedAt)); !ok {
		return bad("createdAt", "not an ISO 8601 time")
	}
	if r.UpdatedAt, ok = parseTime(t.of(c.UpdatedAt)); !ok {
		return bad("updatedAt", "not an ISO 8601 time")
	}
	if c.consentSet {
		r.Consent.State = lowerEnum(t.of(c.MarketingState))
		r.Consent.OptInType = lowerEnum(t.of(c.OptInLevel))
		if r.Consent.UpdatedAt, ok = parseTime(t.of(c.ConsentUpdatedAt)); !ok {
			return bad("emailMarketingConsent.consentUpdatedAt", "not an ISO 8601 time")
		}
	}
	var list addressList
	if def := t.of(c.DefaultAddressID); def != "" {
		for i := range c.Addresses {
			if t.of(c.Addresses[i].ID) == def {
				list.add(c.Addresses[i].record(t))
				break
			}
		}
	}
	for i := range c.Addresses {
		list.add(c.Addresses[i].record(t))
	}
	r.Addresses = list.out
	return r, nil
}
