package shopifyfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

const invalidTokenBody = `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`

type gqlRequest struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (f *Fake) serveAdmin(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/admin/api/")
	version, endpoint, _ := strings.Cut(rest, "/")
	if endpoint != "graphql.json" || !slices.Contains(f.opts.APIVersions, version) {
		writeJSON(w, http.StatusNotFound, []byte(`{"errors":"Not Found"}`))
		return
	}
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, []byte(`{"errors":"Method Not Allowed"}`))
		return
	}
	if r.Header.Get("X-Shopify-Access-Token") != f.opts.AccessToken {
		writeJSON(w, http.StatusUnauthorized, []byte(invalidTokenBody))
		return
	}
	f.requests.Add(1)
	if f.faults.http(w, r, f) {
		return
	}
	w.Header().Set("X-Request-Id", newID())
	w.Header().Set("X-Shopify-API-Version", version)
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, []byte(`{"errors":"Bad Request"}`))
		return
	}
	var req gqlRequest
	if err := json.Unmarshal(body, &req); err != nil || strings.TrimSpace(req.Query) == "" {
		writeJSON(w, http.StatusBadRequest, []byte(`{"errors":{"query":"Required parameter missing or invalid"}}`))
		return
	}
	writeJSON(w, http.StatusOK, f.execute(req))
}

// response is the GraphQL response envelope; Data is pre-encoded to keep field order.
type response struct {
	Data       json.RawMessage `json:"data,omitempty"`
	Errors     []gqlError      `json:"errors,omitempty"`
	Extensions map[string]any  `json:"extensions,omitempty"`
}

func (f *Fake) costExt(requested int, actual any, avail float64) map[string]any {
	return map[string]any{"cost": map[string]any{
		"requestedQueryCost": requested,
		"actualQueryCost":    actual,
		"throttleStatus":     f.bucket.status(avail),
	}}
}

func marshalResponse(r response) []byte {
	b, err := json.Marshal(r)
	if err != nil {
		return []byte(`{"errors":[{"message":"Internal error"}]}`)
	}
	return b
}

// execute validates, charges and runs one document.
func (f *Fake) execute(req gqlRequest) []byte {
	schema := adminSchema()
	doc, errs := loadQuery(req.Query)
	if len(errs) > 0 {
		return marshalResponse(response{Errors: toGQLErrors(errs)})
	}
	op := pickOperation(doc, req.OperationName)
	if op == nil {
		return marshalResponse(response{Errors: []gqlError{{Message: fmt.Sprintf("No operation named %q", req.OperationName), Extensions: map[string]any{"code": "operationNotFound"}}}})
	}
	vars, err := validator.VariableValues(schema, op, req.Variables)
	if err != nil {
		return marshalResponse(response{Errors: []gqlError{{Message: err.Error(), Extensions: map[string]any{"code": "INVALID_VARIABLE"}}}})
	}
	requested := requestedCost(op, vars)
	if requested > MaxQueryCost {
		return marshalResponse(response{
			Errors: []gqlError{{
				Message:    fmt.Sprintf("Query cost is %d, which exceeds the single query max cost limit (%d).\n\nSee https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, bulk operations should be used instead.\nSee https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n", requested, MaxQueryCost),
				Extensions: map[string]any{"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": MaxQueryCost},
			}},
			Extensions: f.costExt(requested, nil, f.bucket.available()),
		})
	}
	ok, avail := f.bucket.take(requested)
	if !ok {
		f.throttled.Add(1)
		return marshalResponse(response{
			Errors:     []gqlError{{Message: "Throttled", Extensions: map[string]any{"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}},
			Extensions: f.costExt(requested, nil, avail),
		})
	}
	ec := &execCtx{f: f, vars: vars}
	var data []byte
	if op.Operation == ast.Mutation {
		data = f.runMutation(ec, op.SelectionSet)
	} else {
		f.rlockSorted()
		data = ec.writeObject(nil, queryRoot{}, op.SelectionSet, nil, "")
		f.mu.RUnlock()
		ec.actual-- // the root object is free
	}
	actual := requested
	if op.Operation != ast.Mutation {
		actual = min(max(ec.actual, 0), requested)
	}
	avail = f.bucket.refund(requested - actual)
	f.pointsUsed.Add(int64(actual) * 1000)
	return marshalResponse(response{Data: data, Errors: ec.errs, Extensions: f.costExt(requested, actual, avail)})
}

func pickOperation(doc *ast.QueryDocument, name string) *ast.OperationDefinition {
	if name == "" {
		if len(doc.Operations) == 1 {
			return doc.Operations[0]
		}
		return nil
	}
	return doc.Operations.ForName(name)
}

// rlockSorted takes the read lock with the updated_at indexes up to date.
func (f *Fake) rlockSorted() {
	for {
		f.mu.RLock()
		if !f.data.needsSort() {
			return
		}
		f.mu.RUnlock()
		f.mu.Lock()
		f.data.sortIndexes()
		f.mu.Unlock()
	}
}

// runMutation resolves root mutation fields one after another (each takes the locks it
// needs), then projects each payload under the read lock.
func (f *Fake) runMutation(ec *execCtx, sel ast.SelectionSet) []byte {
	b := []byte{'{'}
	first := true
	for _, c := range ec.collect(sel, "Mutation", nil) {
		fld := c.fields[0]
		var v any
		if fld.Name == "__typename" {
			v = "Mutation"
		} else {
			v = f.mutate(ec, fld.Name, fld.ArgumentMap(ec.vars))
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, c.key)
		b = append(b, ':')
		f.mu.RLock() // a mutation's payload lists no connection in updated_at order
		b = ec.writeValue(b, v, fld, mergedSelection(c.fields), []any{c.key})
		f.mu.RUnlock()
	}
	return append(b, '}')
}
