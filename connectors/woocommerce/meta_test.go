package woocommerce

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func TestUpdateCustomerMetaChunks(t *testing.T) {
	shop := newTestShop(t, false)
	shop.customers = 300
	c := shop.client(t, nil)
	var ups []MetaUpdate
	for id := int64(1); id <= 250; id++ {
		ups = append(ups, MetaUpdate{CustomerID: id, Key: DefaultMetaKey, Value: []string{"champions", "vip"}})
	}
	ups = append(ups, MetaUpdate{CustomerID: 7, Key: "cohort_rfm", Value: "555"}) // same customer: same item
	ups = append(ups, MetaUpdate{CustomerID: 9999, Key: DefaultMetaKey, Value: []string{}})
	errs, err := c.UpdateCustomerMeta(context.Background(), ups)
	if err != nil {
		t.Fatal(err)
	}
	if n := shop.count("customers/batch"); n != 3 {
		t.Errorf("%d batch calls for 251 customers, want 3", n)
	}
	for i, e := range errs[:251] {
		if e != nil {
			t.Errorf("update %d: %v", i, e)
		}
	}
	var ie *ItemError
	if !errors.As(errs[251], &ie) || ie.CustomerID != 9999 || !errors.Is(errs[251], ErrRecordNotFound) {
		t.Errorf("unknown customer: %v", errs[251])
	}
	shop.mu.Lock()
	defer shop.mu.Unlock()
	if string(shop.meta[250][DefaultMetaKey]) != `["champions","vip"]` || string(shop.meta[7]["cohort_rfm"]) != `"555"` {
		t.Errorf("stored meta: %s / %s", shop.meta[250][DefaultMetaKey], shop.meta[7]["cohort_rfm"])
	}
}

func TestUpdateCustomerMetaRefusals(t *testing.T) {
	shop := newTestShop(t, false)
	shop.customers = 300
	c := shop.client(t, nil)
	ctx := context.Background()
	for _, u := range []MetaUpdate{
		{CustomerID: 1, Key: "_cohort_segments", Value: []string{"x"}},
		{CustomerID: 1, Key: " ", Value: 1},
		{CustomerID: 0, Key: "k", Value: 1},
	} {
		if _, err := c.UpdateCustomerMeta(ctx, []MetaUpdate{u}); err == nil {
			t.Errorf("%+v accepted", u)
		}
	}
	if shop.requests.Load() != 0 {
		t.Errorf("%d requests sent for refused updates", shop.requests.Load())
	}

	// The second call fails for good: the first call's updates are applied, the rest carry
	// the error.
	var n atomic.Int64
	shop.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/customers/batch") && n.Add(1) >= 2 {
			wpErr(w, 413, "woocommerce_rest_request_entity_too_large", "Unable to accept more than 100 items for this request.")
			return true
		}
		return false
	})
	var ups []MetaUpdate
	for id := int64(1); id <= 150; id++ {
		ups = append(ups, MetaUpdate{CustomerID: id, Key: DefaultMetaKey, Value: nil})
	}
	errs, err := c.UpdateCustomerMeta(ctx, ups)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "batch 2") {
		t.Fatalf("err %v", err)
	}
	if errs[99] != nil || errs[100] == nil || errs[149] == nil {
		t.Errorf("per-update errors: [99] %v [100] %v [149] %v", errs[99], errs[100], errs[149])
	}
	// nil Value is written as null (WooCommerce deletes the entry).
	shop.mu.Lock()
	if v := shop.meta[1][DefaultMetaKey]; string(v) != "null" {
		t.Errorf("nil value sent as %s", v)
	}
	shop.mu.Unlock()
}

// The batch answer is matched to the request by position and id; an error item without id
// still lands on its update.
func TestBatchAnswerMatching(t *testing.T) {
	shop := newTestShop(t, false)
	shop.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		writeJSON(w, 200, map[string]any{"update": []any{
			map[string]any{"id": 5, "meta_data": []any{}},
			map[string]any{"id": 0, "error": map[string]any{"code": "woocommerce_rest_cannot_edit", "message": "Sorry, you are not allowed to edit this resource.", "data": map[string]any{"status": 401}}},
		}})
		return true
	})
	errs, err := shop.client(t, nil).UpdateCustomerMeta(context.Background(), []MetaUpdate{
		{CustomerID: 5, Key: "k", Value: 1}, {CustomerID: 6, Key: "k", Value: 1}, {CustomerID: 8, Key: "k", Value: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || errs[1] == nil || !strings.Contains(errs[1].Error(), "not allowed to edit") || errs[2] == nil || !strings.Contains(errs[2].Error(), "not in the batch answer") {
		t.Errorf("%v", errs)
	}
	b, _ := json.Marshal(MetaUpdate{CustomerID: 1, Key: "k", Value: []string{"a"}})
	if !strings.Contains(string(b), `"a"`) {
		t.Errorf("%s", b)
	}
}
