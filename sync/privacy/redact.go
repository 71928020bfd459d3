package privacy

import (
	"context"

	"github.com/cohortd/cohortd/store"
)

// RedactCustomer erases what one store holds about one customer (Shopify's customers/redact):
// the customer record, its orders, the orders the request lists and the store's guest orders
// with one of the customer's addresses. Profiles are rebuilt from what is left, so a person
// also known from another store keeps that store's data only, and one known from nothing
// else disappears with everything keyed by their profile.
func RedactCustomer(ctx context.Context, st *store.Store, opts Options, req Request) (Result, error) {
	line := AuditLine{At: opts.now(), Action: ActionRedactCustomer, Store: req.Store,
		Subject: subjectHash("customer", req.Store+"/"+req.CustomerID), RequestID: safeToken(req.RequestID)}
	if req.CustomerID == "" {
		line.Subject = subjectHash("email", emailKey(req.Email))
	}
	res, err := erase(ctx, st, opts, line, func(tx *store.Tx) (*selection, error) { return selectCustomer(tx, req) })
	if err != nil {
		return Result{}, err
	}
	return *res, nil
}

// RedactShop erases every record of one store (Shopify's shop/redact) and rebuilds the
// profiles: people also known from another store keep that store's data only.
func RedactShop(ctx context.Context, st *store.Store, opts Options, storeID string) (Result, error) {
	line := AuditLine{At: opts.now(), Action: ActionRedactShop, Store: storeID}
	res, err := erase(ctx, st, opts, line, func(tx *store.Tx) (*selection, error) { return selectShop(tx, storeID) })
	if err != nil {
		return Result{}, err
	}
	return *res, nil
}

// EraseEmail erases a person by email address in every store: the records whose normalized
// address matches, the orders of the customers erased, and every source record of the
// profiles that hold the address (so the profile goes entirely, including records merged
// into it by phone or name). The audit line holds a hash of the address's key only.
func EraseEmail(ctx context.Context, st *store.Store, opts Options, email string) (Result, error) {
	line := AuditLine{At: opts.now(), Action: ActionEraseEmail, Subject: subjectHash("email", emailKey(email))}
	res, err := erase(ctx, st, opts, line, func(tx *store.Tx) (*selection, error) { return selectEmail(tx, email) })
	if err != nil {
		return Result{}, err
	}
	return *res, nil
}
