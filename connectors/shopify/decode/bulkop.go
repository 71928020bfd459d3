package decode

import (
	"encoding/json"
	"strings"
	"time"
)

// BulkOperationFinished is a bulk_operations/finish webhook: a bulk query or mutation
// completed, failed or was canceled, and its result (or partial result) can be fetched by ID.
//
// Status, Type and ErrorCode are upper-cased to the GraphQL enum spelling (the webhook sends
// "completed", "query"; BulkOperation.status says "COMPLETED", "QUERY"), so callers compare
// against one vocabulary whichever way they learnt the state.
type BulkOperationFinished struct {
	Store string
	// ID is the operation's gid ("gid://shopify/BulkOperation/147595010"), the argument the
	// BulkOperation query takes.
	ID          string
	Status      string // COMPLETED, FAILED, CANCELED, ...
	Type        string // QUERY or MUTATION
	ErrorCode   string // "" unless FAILED: ACCESS_DENIED, INTERNAL_SERVER_ERROR, TIMEOUT
	CreatedAt   time.Time
	CompletedAt time.Time
}

func (BulkOperationFinished) isEvent() {}

func bulkFinishedEvent(storeID, topic string, body []byte) (BulkOperationFinished, error) {
	var p struct {
		ID          string `json:"admin_graphql_api_id"`
		Status      string `json:"status"`
		Type        string `json:"type"`
		ErrorCode   string `json:"error_code"`
		CreatedAt   string `json:"created_at"`
		CompletedAt string `json:"completed_at"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return BulkOperationFinished{}, jsonErr(topic, err)
	}
	if p.ID == "" {
		return BulkOperationFinished{}, fieldErr(topic, "", "admin_graphql_api_id", "missing")
	}
	num, ok := numericID(p.ID, "BulkOperation")
	if !ok {
		return BulkOperationFinished{}, fieldErr(topic, "", "admin_graphql_api_id", "not a gid://shopify/BulkOperation/ id")
	}
	if p.Status == "" {
		return BulkOperationFinished{}, fieldErr(topic, num, "status", "missing")
	}
	ev := BulkOperationFinished{
		Store:     storeID,
		ID:        p.ID,
		Status:    strings.ToUpper(p.Status),
		Type:      strings.ToUpper(p.Type),
		ErrorCode: strings.ToUpper(p.ErrorCode),
	}
	if ev.CreatedAt, ok = parseTime(p.CreatedAt); !ok {
		return BulkOperationFinished{}, fieldErr(topic, num, "created_at", "not an ISO 8601 time")
	}
	if ev.CompletedAt, ok = parseTime(p.CompletedAt); !ok {
		return BulkOperationFinished{}, fieldErr(topic, num, "completed_at", "not an ISO 8601 time")
	}
	return ev, nil
}
