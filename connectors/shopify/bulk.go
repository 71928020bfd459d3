package shopify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bulk operation statuses (BulkOperationStatus).
const (
	BulkCreated   = "CREATED"
	BulkRunning   = "RUNNING"
	BulkCanceling = "CANCELING"
	BulkCompleted = "COMPLETED"
	BulkFailed    = "FAILED"
	BulkCanceled  = "CANCELED"
	BulkExpired   = "EXPIRED"
)

// BulkOperation is Shopify's BulkOperation object.
type BulkOperation struct {
	ID              string  `json:"id"`
	Status          string  `json:"status"`
	Type            string  `json:"type"`
	ErrorCode       string  `json:"errorCode"`
	ObjectCount     uint64s `json:"objectCount"`     // every JSONL line: roots and children
	RootObjectCount uint64s `json:"rootObjectCount"` // roots only
	FileSize        uint64s `json:"fileSize"`
	URL             string  `json:"url"`
	PartialDataURL  string  `json:"partialDataUrl"`
	CreatedAt       string  `json:"createdAt"`
	CompletedAt     string  `json:"completedAt"`
	Query           string  `json:"query"`
}

// uint64s decodes Shopify's UnsignedInt64, which travels as a JSON string ("1234"); a plain
// number is accepted too.
type uint64s int64

func (u *uint64s) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*u = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("shopify: UnsignedInt64 %s: %w", b, err)
	}
	*u = uint64s(n)
	return nil
}

// MarshalJSON writes the Shopify form (a string).
func (u uint64s) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(int64(u), 10) + `"`), nil
}

func (op BulkOperation) finished() bool {
	switch op.Status {
	case BulkCompleted, BulkFailed, BulkCanceled, BulkExpired:
		return true
	}
	return false
}

type bulkRunPayload struct {
	BulkOperation *BulkOperation `json:"bulkOperation"`
	UserErrors    []UserError    `json:"userErrors"`
}

// maxInProgressWaits bounds how often StartBulkQuery waits for someone else's operation.
const maxInProgressWaits = 5

// StartBulkQuery starts a bulk query (BulkQuery(BulkCustomers, filter)...). When the app
// already runs a bulk query on the shop (OPERATION_IN_PROGRESS), it reads
// currentBulkOperation(type: QUERY): an operation running this same query is the one we are
// resuming (a restart during a backfill) and is adopted; any other is waited for, and the
// start is tried again.
func (c *Client) StartBulkQuery(ctx context.Context, query string) (BulkOperation, error) {
	for i := 0; ; i++ {
		var out struct {
			Run bulkRunPayload `json:"bulkOperationRunQuery"`
		}
		if err := c.Do(ctx, MutationBulkRunQuery, map[string]any{"query": query}, &out); err != nil {
			return BulkOperation{}, fmt.Errorf("shopify: start bulk query: %w", err)
		}
		uerr := userErrors("bulkOperationRunQuery", out.Run.UserErrors)
		if uerr == nil {
			if out.Run.BulkOperation == nil {
				return BulkOperation{}, errors.New("shopify: start bulk query: no bulk operation in the answer")
			}
			c.log.Debug().Str("bulk", out.Run.BulkOperation.ID).Msg("shopify: bulk query started")
			return *out.Run.BulkOperation, nil
		}
		var ue *UserErrors
		if !errors.As(uerr, &ue) || !inProgress(ue) {
			return BulkOperation{}, fmt.Errorf("shopify: start bulk query: %w", uerr)
		}
		cur, err := c.CurrentBulkOperation(ctx, "QUERY")
		if err != nil {
			return BulkOperation{}, fmt.Errorf("shopify: start bulk query: %w", err)
		}
		if cur == nil {
			continue // finished between the two requests
		}
		if !cur.finished() && sameQuery(cur.Query, query) {
			c.log.Debug().Str("bulk", cur.ID).Msg("shopify: adopting the running bulk query")
			return *cur, nil
		}
		if i >= maxInProgressWaits {
			return BulkOperation{}, fmt.Errorf("shopify: start bulk query: another bulk query (%s) still in progress: %w", cur.ID, uerr)
		}
		c.log.Debug().Str("bulk", cur.ID).Msg("shopify: another bulk query is running, waiting for it")
		if _, err := c.WaitBulk(ctx, cur.ID, nil); err != nil {
			var be *BulkError
			if !errors.As(err, &be) { // its failure is not ours; only our ctx or the API is
				return BulkOperation{}, fmt.Errorf("shopify: start bulk query: waiting for %s: %w", cur.ID, err)
			}
		}
	}
}

func inProgress(ue *UserErrors) bool {
	if ue.HasCode("OPERATION_IN_PROGRESS") {
		return true
	}
	for _, e := range ue.Errors {
		if strings.Contains(e.Message, "already in progress") {
			return true
		}
	}
	return false
}

// sameQuery compares two bulk queries ignoring layout (Shopify may echo it reformatted).
func sameQuery(a, b string) bool {
	return strings.Join(strings.Fields(a), " ") == strings.Join(strings.Fields(b), " ")
}

// CurrentBulkOperation reads the app's latest bulk operation of a type ("QUERY" or
// "MUTATION"); nil when there has never been one.
func (c *Client) CurrentBulkOperation(ctx context.Context, typ string) (*BulkOperation, error) {
	var out struct {
		Op *BulkOperation `json:"currentBulkOperation"`
	}
	if err := c.Do(ctx, QueryCurrentBulkOperation, map[string]any{"type": typ}, &out); err != nil {
		return nil, fmt.Errorf("shopify: current bulk operation (%s): %w", typ, err)
	}
	return out.Op, nil
}

// BulkOperation reads one bulk operation by id.
func (c *Client) BulkOperation(ctx context.Context, id string) (BulkOperation, error) {
	var out struct {
		Node json.RawMessage `json:"node"`
	}
	if err := c.Do(ctx, QueryBulkOperation, map[string]any{"id": id}, &out); err != nil {
		return BulkOperation{}, fmt.Errorf("shopify: read bulk operation %s: %w", id, err)
	}
	if isNull(out.Node) {
		return BulkOperation{}, fmt.Errorf("shopify: bulk operation %s not found", id)
	}
	var op BulkOperation
	if err := json.Unmarshal(out.Node, &op); err != nil {
		return BulkOperation{}, fmt.Errorf("shopify: decode bulk operation %s: %w", id, err)
	}
	return op, nil
}

// CancelBulk asks Shopify to cancel a running bulk operation.
func (c *Client) CancelBulk(ctx context.Context, id string) error {
	var out struct {
		Cancel struct {
			UserErrors []UserError `json:"userErrors"`
		} `json:"bulkOperationCancel"`
	}
	if err := c.Do(ctx, MutationBulkCancel, map[string]any{"id": id}, &out); err != nil {
		return fmt.Errorf("shopify: cancel bulk operation %s: %w", id, err)
	}
	if err := userErrors("bulkOperationCancel", out.Cancel.UserErrors); err != nil {
		return fmt.Errorf("shopify: cancel bulk operation %s: %w", id, err)
	}
	return nil
}

// WaitBulk polls the operation until it finishes: after BulkPollMin (1 s), growing by half
// each time to BulkPollMax (10 s). A value on wake (the bulk_operations/finish webhook) polls
// at once. COMPLETED returns the operation; FAILED, CANCELED and EXPIRED return it together
// with a *BulkError carrying errorCode and partialDataUrl.
func (c *Client) WaitBulk(ctx context.Context, id string, wake <-chan struct{}) (BulkOperation, error) {
	delay := c.opts.BulkPollMin
	for {
		op, err := c.BulkOperation(ctx, id)
		if err != nil {
			return BulkOperation{}, err
		}
		if op.finished() {
			if op.Status == BulkCompleted {
				return op, nil
			}
			return op, &BulkError{Op: op}
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return op, fmt.Errorf("shopify: wait for bulk operation %s: %w", id, ctx.Err())
		case <-wake:
			t.Stop()
		case <-t.C:
		}
		delay = min(delay+delay/2, c.opts.BulkPollMax)
	}
}
