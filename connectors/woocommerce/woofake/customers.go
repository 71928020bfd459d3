package woofake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

func (f *Fake) listCustomers(w http.ResponseWriter, rc *reqCtx) *wpError {
	q, e := validate(customerParams, rc.get)
	if e != nil {
		if _, bad := e.Params["per_page"]; bad {
			rc.violate("per-page-over-100", e.Params["per_page"])
		}
		return e
	}
	if !rc.authed {
		return errCannotList
	}
	role := q.str("role")
	if !rc.get.has("role") {
		rc.violate("customers-default-role", "role omitted: WooCommerce lists only role=customer users; send role=all")
	}
	orderby := q.str("orderby")
	if q.offset > 0 && orderby != "id" && orderby != "include" && orderby != "registered_date" {
		rc.violate("unstable-order", "paging customers by "+orderby+": equal values have no defined order between pages; use orderby=id")
	}
	email := strings.ToLower(q.str("email"))
	search := strings.ToLower(strings.Trim(q.str("search"), "*"))
	include, exclude := idSet(q.ids["include"]), idSet(q.ids["exclude"])
	var keep func(*customerRec) bool
	if role != "all" || email != "" || search != "" || include != nil || exclude != nil {
		keep = func(c *customerRec) bool {
			switch {
			case role != "all" && c.role != role:
				return false
			case email != "" && strings.ToLower(c.email) != email:
				return false
			case search != "" && !strings.Contains(strings.ToLower(c.email), search) && !strings.Contains(strings.ToLower(c.username), search):
				return false
			case include != nil && !include[c.id]:
				return false
			case exclude != nil && exclude[c.id]:
				return false
			}
			return true
		}
	}
	f.mu.RLock()
	items, total := pageOf(f.data.customersBy(orderby), keep, q.str("order") == "desc", q.offset, q.perPage)
	parts := make([][]byte, len(items))
	for i, c := range items {
		parts[i] = c.raw
	}
	body := joinArray(parts)
	f.mu.RUnlock()
	f.setPaging(w, rc, "/wc/v3/customers", total, q.perPage, q.offset)
	writeJSON(w, http.StatusOK, body)
	return nil
}

func idSet(ids []uint64) map[uint64]bool {
	if len(ids) == 0 {
		return nil
	}
	m := make(map[uint64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func (f *Fake) getCustomer(w http.ResponseWriter, rc *reqCtx, id uint64) *wpError {
	f.mu.RLock()
	c, _ := f.data.customer(id)
	var raw []byte
	if c != nil {
		raw = c.raw
	}
	f.mu.RUnlock()
	if c == nil { // permissions_check looks the user up first
		return errCustomerNotFound
	}
	if !rc.authed {
		return errCannotView
	}
	writeJSON(w, http.StatusOK, raw)
	return nil
}

// customerRequest is a customer body of POST/PUT /customers and of batch items.
type customerRequest struct {
	ID        json.RawMessage   `json:"id"`
	Email     *string           `json:"email"`
	FirstName *string           `json:"first_name"`
	LastName  *string           `json:"last_name"`
	Username  *string           `json:"username"`
	Password  *string           `json:"password"`
	Billing   map[string]any    `json:"billing"`
	Shipping  map[string]any    `json:"shipping"`
	MetaData  []json.RawMessage `json:"meta_data"`
}

type metaRequest struct {
	ID    json.RawMessage `json:"id"`
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

func stringFields(m map[string]any) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case string:
			out[k] = x
		case float64:
			out[k] = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			if x {
				out[k] = "1"
			} else {
				out[k] = ""
			}
		}
	}
	return out
}

// change turns a request into a customerChange, reporting dropped meta keys as violations.
func (req customerRequest) change() customerChange {
	ch := customerChange{email: req.Email, firstName: req.FirstName, lastName: req.LastName,
		billing: stringFields(req.Billing), shipping: stringFields(req.Shipping)}
	for _, raw := range req.MetaData {
		var m metaRequest
		if json.Unmarshal(raw, &m) != nil {
			continue
		}
		id := rawUint(m.ID)
		if id == 0 {
			if n, err := strconv.ParseUint(rawString(m.ID), 10, 64); err == nil {
				id = n
			}
		}
		v := m.Value
		if v == nil {
			v = json.RawMessage("null")
		}
		ch.meta = append(ch.meta, metaInput{id: id, key: m.Key, value: v})
	}
	return ch
}

// updateCustomerLocked is WC_REST_Customers_Controller::update_item; callers hold f.mu.
func (f *Fake) updateCustomerLocked(rc *reqCtx, id uint64, req customerRequest) ([]byte, *wpError) {
	c, _ := f.data.customer(id)
	if c == nil || id == 0 {
		return nil, newErr(http.StatusBadRequest, "woocommerce_rest_invalid_id", "Invalid resource ID.")
	}
	if req.Email != nil && *req.Email != "" && !strings.EqualFold(*req.Email, c.email) && f.emailTaken(*req.Email) {
		return nil, newErr(http.StatusBadRequest, "woocommerce_rest_customer_invalid_email", "Email address is invalid.")
	}
	if req.Username != nil && *req.Username != "" && *req.Username != c.username {
		return nil, newErr(http.StatusBadRequest, "woocommerce_rest_customer_invalid_argument", "Username isn't editable.")
	}
	if c.role != "customer" && c.role != "subscriber" && req.Email != nil && *req.Email != c.email {
		return nil, newErr(http.StatusUnauthorized, "woocommerce_rest_cannot_edit", "Sorry, email cannot be updated via this endpoint for a user with role "+c.role+".")
	}
	dropped, err := f.applyCustomerChange(c, req.change(), f.opts.Now())
	if err != nil {
		f.log.Error().Err(err).Msg("customer update")
		return nil, newErr(http.StatusInternalServerError, "woocommerce_rest_cannot_edit", "The resource cannot be edited.")
	}
	for _, k := range dropped {
		rc.violate("meta-underscore-dropped", "meta key "+strconv.Quote(k)+" starts with \"_\": WooCommerce silently drops it")
	}
	rc.events.add("customer.updated", id)
	return c.raw, nil
}

func (f *Fake) emailTaken(email string) bool {
	for _, c := range f.data.customers {
		if strings.EqualFold(c.email, email) {
			return true
		}
	}
	return false
}

func (f *Fake) updateCustomerREST(w http.ResponseWriter, rc *reqCtx, id uint64) *wpError {
	f.mu.RLock()
	c, _ := f.data.customer(id)
	f.mu.RUnlock()
	if c == nil {
		return errCustomerNotFound
	}
	if !rc.authed {
		return errCannotEdit
	}
	var req customerRequest
	if e := decodeBody(rc, &req); e != nil {
		return e
	}
	f.mu.Lock()
	raw, e := f.updateCustomerLocked(rc, id, req)
	f.mu.Unlock()
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, raw)
	return nil
}

func (f *Fake) createCustomerREST(w http.ResponseWriter, rc *reqCtx) *wpError {
	if !rc.authed {
		return errCannotCreate
	}
	var req customerRequest
	if e := decodeBody(rc, &req); e != nil {
		return e
	}
	f.mu.Lock()
	raw, id, e := f.createCustomerLocked(rc, req)
	f.mu.Unlock()
	if e != nil {
		return e
	}
	w.Header().Set("Location", f.restURL("/wc/v3/customers/"+strconv.FormatUint(id, 10)))
	writeJSON(w, http.StatusCreated, raw)
	return nil
}

func (f *Fake) createCustomerLocked(rc *reqCtx, req customerRequest) ([]byte, uint64, *wpError) {
	if req.Email == nil || *req.Email == "" {
		return nil, 0, newErr(http.StatusBadRequest, "rest_missing_callback_param", "Missing parameter(s): email")
	}
	if f.emailTaken(*req.Email) {
		return nil, 0, newErr(http.StatusBadRequest, "registration-error-email-exists", `An account is already registered with your email address. <a href="#" class="showlogin">Please log in.</a>`)
	}
	nc := NewCustomer{Email: *req.Email, FirstName: deref(req.FirstName), LastName: deref(req.LastName), Username: deref(req.Username)}
	id, err := f.addCustomerLocked(nc, rc.events)
	if err != nil {
		return nil, 0, newErr(http.StatusBadRequest, "woocommerce_rest_cannot_create", "This resource cannot be created.")
	}
	c, _ := f.data.customer(id)
	ch := req.change()
	ch.email, ch.firstName, ch.lastName = nil, nil, nil
	if len(ch.meta) > 0 || len(ch.billing) > 0 || len(ch.shipping) > 0 {
		if _, err := f.applyCustomerChange(c, ch, f.opts.Now()); err != nil {
			return nil, 0, newErr(http.StatusBadRequest, "woocommerce_rest_cannot_create", "This resource cannot be created.")
		}
	}
	return c.raw, id, nil
}

func (f *Fake) deleteCustomerREST(w http.ResponseWriter, rc *reqCtx, id uint64) *wpError {
	f.mu.RLock()
	c, _ := f.data.customer(id)
	f.mu.RUnlock()
	if c == nil {
		return errCustomerNotFound
	}
	if !rc.authed {
		return newErr(http.StatusUnauthorized, "woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource.")
	}
	if v, _ := rc.get.get("force"); v != "true" && v != "1" {
		return newErr(http.StatusNotImplemented, "woocommerce_rest_trash_not_supported", "Customers do not support trashing.")
	}
	f.mu.Lock()
	raw, err := f.deleteCustomerLocked(id, rc.events)
	f.mu.Unlock()
	if err != nil {
		return errCustomerNotFound
	}
	writeJSON(w, http.StatusOK, raw)
	return nil
}

// batchRequest is the body of POST /customers/batch.
type batchRequest struct {
	Create []json.RawMessage `json:"create"`
	Update []json.RawMessage `json:"update"`
	Delete []json.RawMessage `json:"delete"`
}

type batchItemError struct {
	ID    json.RawMessage `json:"id"`
	Error batchErrorBody  `json:"error"`
}

type batchErrorBody struct {
	Code    string      `json:"code"`
	Message string      `json:"message"`
	Data    wpErrorData `json:"data"`
}

func itemError(id json.RawMessage, e *wpError) []byte {
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	return phpJSON(marshalJSON(batchItemError{ID: id, Error: batchErrorBody{Code: e.Code, Message: e.Message, Data: wpErrorData{Status: e.Status}}}))
}

// batchCustomers is WC_REST_Controller::batch_items for customers: at most 100 items in
// create+update+delete together (413 above), one result per item, errors inline.
func (f *Fake) batchCustomers(w http.ResponseWriter, rc *reqCtx) *wpError {
	if !rc.authed {
		return errCannotBatch
	}
	var req batchRequest
	if e := decodeBody(rc, &req); e != nil {
		return e
	}
	if n := len(req.Create) + len(req.Update) + len(req.Delete); n > 100 {
		rc.violate("batch-over-100", fmt.Sprintf("%d items in one batch; WooCommerce accepts at most 100", n))
		return errBatchTooLarge
	}
	type section struct {
		name  string
		items [][]byte
	}
	var out []section
	f.mu.Lock()
	if len(req.Create) > 0 {
		s := section{name: "create"}
		for _, raw := range req.Create {
			var cr customerRequest
			if json.Unmarshal(raw, &cr) != nil {
				s.items = append(s.items, itemError(json.RawMessage("0"), errInvalidJSON))
				continue
			}
			body, _, e := f.createCustomerLocked(rc, cr)
			if e != nil {
				s.items = append(s.items, itemError(json.RawMessage("0"), e))
				continue
			}
			s.items = append(s.items, body)
		}
		out = append(out, s)
	}
	if len(req.Update) > 0 {
		s := section{name: "update"}
		for _, raw := range req.Update {
			var cr customerRequest
			if json.Unmarshal(raw, &cr) != nil {
				s.items = append(s.items, itemError(nil, errInvalidJSON))
				continue
			}
			id := rawUint(cr.ID)
			if id == 0 {
				if n, err := strconv.ParseUint(rawString(cr.ID), 10, 64); err == nil {
					id = n
				}
			}
			body, e := f.updateCustomerLocked(rc, id, cr)
			if e != nil {
				s.items = append(s.items, itemError(cr.ID, e))
				continue
			}
			s.items = append(s.items, body)
		}
		out = append(out, s)
	}
	if len(req.Delete) > 0 {
		s := section{name: "delete"}
		for _, raw := range req.Delete {
			id := rawUint(raw)
			if id == 0 {
				continue
			}
			body, err := f.deleteCustomerLocked(id, rc.events)
			if err != nil {
				s.items = append(s.items, itemError(raw, newErr(http.StatusNotFound, "woocommerce_rest_invalid_id", "Invalid resource ID.")))
				continue
			}
			s.items = append(s.items, body)
		}
		out = append(out, s)
	}
	f.mu.Unlock()
	if len(out) == 0 {
		writeJSON(w, http.StatusOK, []byte("[]"))
		return nil
	}
	body := []byte{'{'}
	for i, s := range out {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, '"')
		body = append(body, s.name...)
		body = append(body, `":`...)
		body = append(body, joinArray(s.items)...)
	}
	body = append(body, '}')
	writeJSON(w, http.StatusOK, body)
	return nil
}
