package mailchimpfake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// call is one routed, validated API request as a handler sees it.
type call struct {
	op     string            // spec operationId
	params map[string]string // path parameters
	query  url.Values
	body   []byte
}

// decode unmarshals the request body; the spec validation has already checked its shape.
func (c *call) decode(v any) error {
	dec := json.NewDecoder(bytes.NewReader(c.body))
	dec.UseNumber()
	return dec.Decode(v)
}

type handler func(s *Server, c *call) response

// handlers maps the spec's operationIds to the fake's implementation. An operation of the spec
// not listed here answers 501, so a client using it is noticed.
var handlers = map[string]handler{
	"getPing":                handlePing,
	"getListsId":             handleGetList,
	"getListsIdMembers":      handleListMembers,
	"postListsIdMembers":     handleCreateMember,
	"getListsIdMembersId":    handleGetMember,
	"putListsIdMembersId":    handlePutMember,
	"patchListsIdMembersId":  handlePatchMember,
	"deleteListsIdMembersId": handleArchiveMember,
	"postListsIdMembersHashActionsDeletePermanent": handleDeletePermanent,
	"getListMemberTags":                            handleGetMemberTags,
	"postListMemberTags":                           handlePostMemberTags,
	"getListsIdMergeFields":                        handleListMergeFields,
	"postListsIdMergeFields":                       handleCreateMergeField,
	"previewASegment":                              handleListSegments,
	"postBatches":                                  handlePostBatch,
	"getBatchesId":                                 handleGetBatch,
}

// serveAPI routes and validates one request (top level or batch operation), runs its handler
// and validates the answer. path includes the /3.0 prefix.
func (s *Server) serveAPI(method, path, rawQuery, contentType string, body []byte, topLevel bool) response {
	u := &url.URL{Scheme: "https", Host: specHost, Path: path, RawQuery: rawQuery}
	req, err := http.NewRequestWithContext(context.Background(), method, u.String(), bytes.NewReader(body))
	if err != nil {
		return notFound()
	}
	if contentType == "" && len(body) > 0 {
		contentType = "application/json"
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	route, params, err := s.spec.router.FindRoute(req)
	if err != nil {
		if errors.Is(err, routers.ErrMethodNotAllowed) {
			return problem(http.StatusMethodNotAllowed, "Method Not Allowed", "The requested method and resource are not compatible. See the Allow header for this resource's available methods.")
		}
		return notFound()
	}
	op := route.Operation.OperationID
	s.mu.Lock()
	if topLevel {
		s.stats.Requests[op]++
	} else {
		s.stats.Operations[op]++
	}
	s.mu.Unlock()

	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
		s.recordViolation("request %s %s: %s", method, route.Path, firstLine(err.Error()))
		if len(body) > 0 && !json.Valid(body) {
			return jsonParseError()
		}
		return invalid("The resource submitted could not be validated. For field-specific details, see the 'errors' array.",
			fieldError{Field: "", Message: firstLine(err.Error())})
	}

	h, ok := handlers[op]
	var resp response
	if !ok {
		resp = problem(http.StatusNotImplemented, "Not Implemented", "mailchimpfake does not implement "+op+".")
	} else {
		resp = h(s, &call{op: op, params: params, query: req.URL.Query(), body: body})
	}
	if resp.status == http.StatusNotImplemented {
		return resp
	}
	rin := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.status,
		Header:                 http.Header{"Content-Type": {resp.contentType}},
		Options:                opts,
	}
	rin.SetBodyBytes(resp.body)
	if resp.status == http.StatusNoContent {
		rin.Header = http.Header{}
	}
	if err := openapi3filter.ValidateResponse(req.Context(), rin); err != nil {
		s.recordViolation("response %d to %s %s: %s", resp.status, method, route.Path, firstLine(err.Error()))
	}
	return resp
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
