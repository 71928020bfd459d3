package decode

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/cohortd/cohortd/profiles"
)

// restCustomer is a REST Customer resource as customers/create and customers/update webhooks
// send it (go-shopify's Customer type describes the same shape).
type restCustomer struct {
	ID                        scalar `json:"id"`
	Email                     string `json:"email"`
	Phone                     string `json:"phone"`
	FirstName                 string `json:"first_name"`
	LastName                  string `json:"last_name"`
	Tags                      string `json:"tags"`
	CreatedAt                 string `json:"created_at"`
	UpdatedAt                 string `json:"updated_at"`
	AcceptsMarketing          *bool  `json:"accepts_marketing"`
	AcceptsMarketingUpdatedAt string `json:"accepts_marketing_updated_at"`
	EmailMarketingConsent     *struct {
		State            string `json:"state"`
		OptInLevel       string `json:"opt_in_level"`
		ConsentUpdatedAt string `json:"consent_updated_at"`
	} `json:"email_marketing_consent"`
	DefaultAddress *restAddress  `json:"default_address"`
	Addresses      []restAddress `json:"addresses"`
}

// restCustomerRecord decodes a customers/create or customers/update body.
//
// Consent comes from email_marketing_consent. Payloads from before that object existed carry
// only the legacy accepts_marketing flag, read as "subscribed" / "not_subscribed" (the same
// reading connectors/csvfile gives the export's yes/no column). Tags are split on commas and
// trimmed. REST customers carry no locale.
func restCustomerRecord(storeID, topic string, body []byte) (profiles.CustomerRecord, error) {
	var c restCustomer
	if err := json.Unmarshal(body, &c); err != nil {
		return profiles.CustomerRecord{}, jsonErr(topic, err)
	}
	id, ok := c.ID.id()
	if !ok {
		return profiles.CustomerRecord{}, fieldErr(topic, "", "id", "not a numeric id")
	}
	if id == "" {
		return profiles.CustomerRecord{}, fieldErr(topic, "", "id", "missing")
	}
	bad := func(field, reason string) (profiles.CustomerRecord, error) {
		return profiles.CustomerRecord{}, fieldErr(topic, id, field, reason)
	}
	r := profiles.CustomerRecord{
		Store:     storeID,
		ID:        id,
		Email:     c.Email,
		Phone:     c.Phone,
		FirstName: c.FirstName,
		LastName:  c.LastName,
		Tags:      splitTags(c.Tags),
	}
	if r.CreatedAt, ok = parseTime(c.CreatedAt); !ok {
		return bad("created_at", "not an ISO 8601 time")
	}
	if r.UpdatedAt, ok = parseTime(c.UpdatedAt); !ok {
		return bad("updated_at", "not an ISO 8601 time")
	}
	switch mc := c.EmailMarketingConsent; {
	case mc != nil:
		r.Consent.State = mc.State
		r.Consent.OptInType = mc.OptInLevel
		if r.Consent.UpdatedAt, ok = parseTime(mc.ConsentUpdatedAt); !ok {
			return bad("email_marketing_consent.consent_updated_at", "not an ISO 8601 time")
		}
	case c.AcceptsMarketing != nil:
		r.Consent.State = "not_subscribed"
		if *c.AcceptsMarketing {
			r.Consent.State = "subscribed"
		}
		if r.Consent.UpdatedAt, ok = parseTime(c.AcceptsMarketingUpdatedAt); !ok {
			return bad("accepts_marketing_updated_at", "not an ISO 8601 time")
		}
	}

	var list addressList
	var defaultID string
	if d := c.DefaultAddress; d != nil {
		if defaultID, ok = d.ID.id(); !ok {
			return bad("default_address.id", "not a numeric id")
		}
		list.add(d.record())
	}
	for i := range c.Addresses {
		a := &c.Addresses[i]
		aid, ok := a.ID.id()
		if !ok {
			return bad("addresses["+strconv.Itoa(i)+"].id", "not a numeric id")
		}
		if aid != "" && aid == defaultID {
			continue
		}
		list.add(a.record())
	}
	r.Addresses = list.out
	return r, nil
}

// restCustomerDeleted decodes a customers/delete body, which carries only the id, into a
// tombstone dated when Shopify triggered the delivery: a tombstone must carry a time, or the
// store's newer-wins rule would let any earlier update outrank it.
func restCustomerDeleted(storeID, topic string, triggeredAt time.Time, body []byte) (profiles.CustomerRecord, error) {
	var c struct {
		ID scalar `json:"id"`
	}
	if err := json.Unmarshal(body, &c); err != nil {
		return profiles.CustomerRecord{}, jsonErr(topic, err)
	}
	id, ok := c.ID.id()
	switch {
	case !ok:
		return profiles.CustomerRecord{}, fieldErr(topic, "", "id", "not a numeric id")
	case id == "":
		return profiles.CustomerRecord{}, fieldErr(topic, "", "id", "missing")
	case triggeredAt.IsZero():
		return profiles.CustomerRecord{}, &DecodeError{Platform: platform, Source: topic, ID: id, Reason: "triggered time (X-Shopify-Triggered-At) missing"}
	}
	return profiles.CustomerRecord{Store: storeID, ID: id, Deleted: true, UpdatedAt: triggeredAt.UTC()}, nil
}

// splitTags splits REST's comma-separated tag string.
func splitTags(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var tags []string
	for tag := range strings.SplitSeq(s, ",") {
		if tag = strings.TrimSpace(tag); tag != "" {
			tags = append(tags, tag)
		}
	}
	return tags
}
