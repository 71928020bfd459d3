package woocommerce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// DefaultMetaKey is the customer meta key segments are written under by default. It has no
// leading underscore: WooCommerce's REST API silently drops meta keys that start with "_".
const DefaultMetaKey = "cohort_segments"

// MetaUpdate sets one meta key of one customer.
type MetaUpdate struct {
	CustomerID int64
	Key        string
	// Value is written as JSON (cohortd writes the sorted list of segment names). nil writes
	// null, which makes WooCommerce delete the meta entry.
	Value any
}

type batchMeta struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

type batchItem struct {
	ID   int64       `json:"id"`
	Meta []batchMeta `json:"meta_data"`
}

// batchAnswerItem is one entry of the batch answer: the updated customer, or an error.
type batchAnswerItem struct {
	ID    int64    `json:"id"`
	Error *wpError `json:"error"`
}

// UpdateCustomerMeta writes meta values through POST /customers/batch, at most MaxBatch
// customers per call (several keys of one customer go in one item). It returns one error per
// update (nil when applied; an *ItemError when WooCommerce refused that customer, e.g. it was
// deleted: errors.Is(err, ErrRecordNotFound)), and a non-nil error when a call failed as a
// whole: then updates of that call and later ones are not known to be applied (their entries
// hold that error too). Writes are idempotent, so a failed call is retried as a whole.
//
// Keys starting with "_" are refused before anything is sent: WooCommerce would drop them
// without an error. Writing fires customer.updated for each customer changed: the daemon
// recognises that echo (see decode.Echo and decode.SegmentsMeta).
func (c *Client) UpdateCustomerMeta(ctx context.Context, updates []MetaUpdate) ([]error, error) {
	errs := make([]error, len(updates))
	var items []batchItem
	var owners [][]int // update indexes per item
	index := map[int64]int{}
	for i, u := range updates {
		switch {
		case u.CustomerID <= 0:
			return nil, fmt.Errorf("woocommerce: update customer meta: update %d: customer id %d is not an id", i, u.CustomerID)
		case strings.TrimSpace(u.Key) == "":
			return nil, fmt.Errorf("woocommerce: update customer meta: update %d: empty meta key", i)
		case strings.HasPrefix(u.Key, "_"):
			return nil, fmt.Errorf("woocommerce: update customer meta: meta key %q starts with an underscore: WooCommerce drops such keys on write", clipString(u.Key, 60))
		}
		j, ok := index[u.CustomerID]
		if !ok {
			j = len(items)
			index[u.CustomerID] = j
			items = append(items, batchItem{ID: u.CustomerID})
			owners = append(owners, nil)
		}
		items[j].Meta = append(items[j].Meta, batchMeta{Key: u.Key, Value: u.Value})
		owners[j] = append(owners[j], i)
	}
	for start := 0; start < len(items); start += MaxBatch {
		end := min(start+MaxBatch, len(items))
		itemErrs, err := c.batch(ctx, items[start:end])
		if err != nil {
			err = fmt.Errorf("woocommerce: update customer meta: batch %d (customers %d..%d of %d): %w", start/MaxBatch+1, start+1, end, len(items), err)
			for _, own := range owners[start:] {
				for _, i := range own {
					errs[i] = err
				}
			}
			return errs, err
		}
		for k, ie := range itemErrs {
			for _, i := range owners[start+k] {
				errs[i] = ie
			}
		}
	}
	return errs, nil
}

// batch sends one POST /customers/batch and returns each item's error.
func (c *Client) batch(ctx context.Context, items []batchItem) ([]error, error) {
	body, err := json.Marshal(map[string][]batchItem{"update": items})
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	res, err := c.do(ctx, call{method: http.MethodPost, resource: "customers/batch", body: body, idempotent: true})
	if err != nil {
		return nil, err
	}
	var answer struct {
		Update []batchAnswerItem `json:"update"`
	}
	if err := json.Unmarshal(res.body, &answer); err != nil {
		return nil, errors.New("the batch answer is not {\"update\":[...]}")
	}
	out := make([]error, len(items))
	byID := make(map[int64]*batchAnswerItem, len(answer.Update))
	for k := range answer.Update {
		byID[answer.Update[k].ID] = &answer.Update[k]
	}
	for k, it := range items {
		var a *batchAnswerItem
		// WooCommerce answers in request order; an error item may lack the id.
		if k < len(answer.Update) && (answer.Update[k].ID == it.ID || answer.Update[k].ID == 0) {
			a = &answer.Update[k]
		} else {
			a = byID[it.ID]
		}
		switch {
		case a == nil:
			out[k] = &ItemError{CustomerID: it.ID, Code: "missing", Message: "not in the batch answer"}
		case a.Error != nil:
			out[k] = &ItemError{CustomerID: it.ID, Code: clipString(a.Error.Code, 100), Message: clipString(a.Error.Message, 300), Status: a.Error.Data.Status}
		}
	}
	return out, nil
}
