package decode

import (
	"strings"

	"github.com/shopspring/decimal"
)

// GraphQL nodes are decoded with reader (jsonread.go), not encoding/json: the backfill decodes
// millions of them. The node types below hold spans into the decode's arena rather than
// strings, and values rather than pointers, so that decoding a node allocates little more than
// the one string of its text; a "set" flag stands for a non-null object.

// gqlMoneyBag is a MoneyBag. Records keep presentment money (see the package doc); an
// order's total and refunds are also kept in the shop currency (shopMoney).
type gqlMoneyBag struct {
	set                      bool // the bag is not null
	presentmentSet           bool // presentmentMoney is not null
	amount, currency         span
	shopSet                  bool // shopMoney is not null
	shopAmount, shopCurrency span
}

// moneyBag reads a MoneyBag into dst; null leaves it unset.
func (r *reader) moneyBag(dst *gqlMoneyBag) *readErr {
	var err *readErr
	dst.set, err = r.object(func(key []byte) *readErr {
		amount, currency, set := &dst.amount, &dst.currency, &dst.presentmentSet
		switch string(key) {
		case "presentmentMoney":
		case "shopMoney":
			amount, currency, set = &dst.shopAmount, &dst.shopCurrency, &dst.shopSet
		default:
			return r.skip()
		}
		var err *readErr
		*set, err = r.object(func(key []byte) *readErr {
			var err *readErr
			switch string(key) {
			case "amount":
				*amount, err = r.str()
			case "currencyCode":
				*currency, err = r.str()
			default:
				err = r.skip()
			}
			return err
		})
		return err
	})
	return err
}

// presentment returns the bag's presentment amount and currency. present is false when the bag
// or its presentment money is null.
func (b *gqlMoneyBag) presentment(t text) (amount decimal.Decimal, currency string, present, ok bool) {
	if !b.set || !b.presentmentSet {
		return decimal.Decimal{}, "", false, true
	}
	d, ok := parseMoney(t.of(b.amount))
	return d, t.of(b.currency), true, ok
}

// shop returns the bag's shop-currency amount and currency, like presentment.
func (b *gqlMoneyBag) shop(t text) (amount decimal.Decimal, currency string, present, ok bool) {
	if !b.set || !b.shopSet {
		return decimal.Decimal{}, "", false, true
	}
	d, ok := parseMoney(t.of(b.shopAmount))
	return d, t.of(b.shopCurrency), true, ok
}

// nodeID reads an object's "id" and skips the rest ({ id } selections).
func (r *reader) nodeID() (id span, err *readErr) {
	_, err = r.object(func(key []byte) *readErr {
		if string(key) != "id" {
			return r.skip()
		}
		var err *readErr
		id, err = r.str()
		return err
	})
	return id, err
}

// gqlID resolves a node's numeric id from its legacyResourceId and its gid, which must agree.
// The numeric id is what REST payloads (and so webhooks) call "id": using it for GraphQL too
// gives the same record id whichever way a record arrived.
func gqlID(source, gid, legacy, typ string) (string, *DecodeError) {
	var fromGID string
	if gid != "" {
		id, ok := numericID(gid, typ)
		if !ok {
			return "", fieldErr(source, "", "id", "not a gid://shopify/"+typ+"/ id")
		}
		fromGID = id
	}
	if legacy != "" && !isDigits(legacy) {
		return "", fieldErr(source, "", "legacyResourceId", "not a numeric id")
	}
	switch {
	case fromGID == "" && legacy == "":
		return "", fieldErr(source, "", "id", "missing")
	case fromGID != "" && legacy != "" && fromGID != legacy:
		return "", fieldErr(source, "", "legacyResourceId", "does not match id")
	}
	return or(legacy, fromGID), nil
}

// readNode runs read over a whole node, its strings going to a, and turns a reader error into
// a DecodeError.
func readNode(source string, node []byte, a *arena, read func(r *reader) *readErr) *DecodeError {
	r := newReader(node, a)
	err := read(&r)
	if err == nil {
		err = r.end()
	}
	if err != nil {
		return &DecodeError{Platform: platform, Source: source, Field: err.path, Reason: err.reason}
	}
	return nil
}

// lowerEnum turns a GraphQL enum value into the REST spelling of the same state
// ("NOT_SUBSCRIBED" -> "not_subscribed", "SINGLE_OPT_IN" -> "single_opt_in").
func lowerEnum(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
