package decode

import (
	"encoding/json"
	"strconv"
)

// The mandatory privacy (GDPR) webhooks. Their payloads name the shop and, for customer
// requests, the person by id, email and phone: these values are handed to the caller, which
// must not log them, and never appear in this package's errors.

// PrivacySubject is the person a customers/data_request or customers/redact is about. Any of
// the fields may be empty (a guest has no ID), but not all of them.
type PrivacySubject struct {
	ID    string
	Email string
	Phone string
}

// DataRequest is a customers/data_request webhook: the merchant must be given what cohortd
// stores about the subject.
type DataRequest struct {
	Store      string
	ShopID     string
	ShopDomain string
	Customer   PrivacySubject
	// OrderIDs are the numeric ids of the orders_requested.
	OrderIDs []string
	// RequestID is data_request.id, "" when absent.
	RequestID string
}

// CustomerRedact is a customers/redact webhook: the subject and their orders_to_redact must be
// erased.
type CustomerRedact struct {
	Store      string
	ShopID     string
	ShopDomain string
	Customer   PrivacySubject
	// OrderIDs are the numeric ids of the orders_to_redact.
	OrderIDs []string
}

// ShopRedact is a shop/redact webhook, sent 48 hours after a store uninstalls the app: every
// record of the shop must be erased.
type ShopRedact struct {
	Store      string
	ShopID     string
	ShopDomain string
}

func (DataRequest) isEvent()    {}
func (CustomerRedact) isEvent() {}
func (ShopRedact) isEvent()     {}

type restPrivacy struct {
	ShopID     scalar `json:"shop_id"`
	ShopDomain string `json:"shop_domain"`
	Customer   *struct {
		ID    scalar `json:"id"`
		Email string `json:"email"`
		Phone string `json:"phone"`
	} `json:"customer"`
	OrdersRequested []scalar `json:"orders_requested"`
	OrdersToRedact  []scalar `json:"orders_to_redact"`
	DataRequest     *struct {
		ID scalar `json:"id"`
	} `json:"data_request"`
}

// privacyShop decodes the fields every privacy webhook has. shop_id is required: it is the
// only field that proves which shop a shop/redact erases.
func privacyShop(topic string, body []byte) (restPrivacy, string, error) {
	var p restPrivacy
	if err := json.Unmarshal(body, &p); err != nil {
		return p, "", jsonErr(topic, err)
	}
	shopID, ok := p.ShopID.id()
	switch {
	case !ok:
		return p, "", fieldErr(topic, "", "shop_id", "not a numeric id")
	case shopID == "":
		return p, "", fieldErr(topic, "", "shop_id", "missing")
	}
	return p, shopID, nil
}

// subject decodes the customer of a customer privacy request.
func (p *restPrivacy) subject(topic string) (PrivacySubject, error) {
	if p.Customer == nil {
		return PrivacySubject{}, fieldErr(topic, "", "customer", "missing")
	}
	id, ok := p.Customer.ID.id()
	if !ok {
		return PrivacySubject{}, fieldErr(topic, "", "customer.id", "not a numeric id")
	}
	s := PrivacySubject{ID: id, Email: p.Customer.Email, Phone: p.Customer.Phone}
	if s == (PrivacySubject{}) {
		return PrivacySubject{}, fieldErr(topic, "", "customer", "has no id, email or phone")
	}
	return s, nil
}

// orderIDs reads a list of numeric order ids.
func orderIDs(topic, field string, list []scalar) ([]string, error) {
	if len(list) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(list))
	for i, s := range list {
		id, ok := s.id()
		if !ok || id == "" {
			return nil, fieldErr(topic, "", field+"["+strconv.Itoa(i)+"]", "not a numeric id")
		}
		out = append(out, id)
	}
	return out, nil
}

func dataRequestEvent(storeID, topic string, body []byte) (DataRequest, error) {
	p, shopID, err := privacyShop(topic, body)
	if err != nil {
		return DataRequest{}, err
	}
	ev := DataRequest{Store: storeID, ShopID: shopID, ShopDomain: p.ShopDomain}
	if ev.Customer, err = p.subject(topic); err != nil {
		return DataRequest{}, err
	}
	if ev.OrderIDs, err = orderIDs(topic, "orders_requested", p.OrdersRequested); err != nil {
		return DataRequest{}, err
	}
	if p.DataRequest != nil {
		id, ok := p.DataRequest.ID.id()
		if !ok {
			return DataRequest{}, fieldErr(topic, "", "data_request.id", "not a numeric id")
		}
		ev.RequestID = id
	}
	return ev, nil
}

func customerRedactEvent(storeID, topic string, body []byte) (CustomerRedact, error) {
	p, shopID, err := privacyShop(topic, body)
	if err != nil {
		return CustomerRedact{}, err
	}
	ev := CustomerRedact{Store: storeID, ShopID: shopID, ShopDomain: p.ShopDomain}
	if ev.Customer, err = p.subject(topic); err != nil {
		return CustomerRedact{}, err
	}
	if ev.OrderIDs, err = orderIDs(topic, "orders_to_redact", p.OrdersToRedact); err != nil {
		return CustomerRedact{}, err
	}
	return ev, nil
}

func shopRedactEvent(storeID, topic string, body []byte) (ShopRedact, error) {
	p, shopID, err := privacyShop(topic, body)
	if err != nil {
		return ShopRedact{}, err
	}
	return ShopRedact{Store: storeID, ShopID: shopID, ShopDomain: p.ShopDomain}, nil
}
