package shopify

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// TagChange is one line of a bulk tag mutation: tags to add to (or remove from) a customer.
type TagChange struct {
	ID   string   `json:"id"`
	Tags []string `json:"tags"`
}

// LineFailure is a bulk mutation line Shopify refused.
type LineFailure struct {
	Line     int      // __lineNumber: 0-based index into the changes given to BulkTags
	ID       string   // the customer of that line
	Messages []string // its userErrors (or GraphQL errors)
}

// BulkMutationResult reports a bulk tag mutation line by line.
type BulkMutationResult struct {
	Operation BulkOperation
	Lines     int           // result lines read
	Succeeded int           // lines without errors
	Failed    []LineFailure // lines with userErrors, in file order
}

// BulkTags adds (remove false) or removes tags for many customers in one bulk mutation:
// stagedUploadsCreate, a multipart upload of the JSONL variables, bulkOperationRunMutation
// with MutationTagsAdd or MutationTagsRemove, WaitBulk, then the result file, reported per
// line. Refused lines are in Failed and are not an error; a result with fewer lines than
// changes is ErrShortfall; a FAILED operation returns *BulkError with what the partial file
// said. Only one bulk mutation runs per app and shop: one already running is waited for.
func (c *Client) BulkTags(ctx context.Context, remove bool, changes []TagChange) (BulkMutationResult, error) {
	var res BulkMutationResult
	if len(changes) == 0 {
		return res, nil
	}
	mutation, field, filename := BulkTagsAdd, "tagsAdd", "cohortd-tags-add.jsonl"
	if remove {
		mutation, field, filename = BulkTagsRemove, "tagsRemove", "cohortd-tags-remove.jsonl"
	}
	target, err := c.stageBulkVariables(ctx, filename)
	if err != nil {
		return res, fmt.Errorf("shopify: bulk %s: %w", field, err)
	}
	err = c.upload(ctx, target, filename, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		enc := json.NewEncoder(bw) // one object per line, '\n' terminated
		for _, ch := range changes {
			if err := enc.Encode(ch); err != nil {
				return err
			}
		}
		return bw.Flush()
	})
	if err != nil {
		return res, fmt.Errorf("shopify: bulk %s: %w", field, err)
	}
	op, err := c.startBulkMutation(ctx, mutation, target.param("key"))
	if err != nil {
		return res, fmt.Errorf("shopify: bulk %s: %w", field, err)
	}
	op, werr := c.WaitBulk(ctx, op.ID, nil)
	res.Operation = op
	var be *BulkError
	if werr != nil && !(errors.As(werr, &be) && op.PartialDataURL != "") {
		return res, fmt.Errorf("shopify: bulk %s: %w", field, werr)
	}
	_, derr := c.DownloadBulk(ctx, op, 0, func(r Root) error {
		var line struct {
			Data       map[string]json.RawMessage `json:"data"`
			Errors     []gqlErrorJSON             `json:"errors"`
			LineNumber *int                       `json:"__lineNumber"`
		}
		if err := json.Unmarshal(r.Object, &line); err != nil {
			return fmt.Errorf("decode result line %d: %w", r.Line, err)
		}
		res.Lines++
		n := int(r.Line - 1)
		if line.LineNumber != nil {
			n = *line.LineNumber
		}
		var msgs []string
		for _, e := range line.Errors {
			msgs = append(msgs, e.Message)
		}
		if raw, ok := line.Data[field]; ok && !isNull(raw) {
			var payload struct {
				UserErrors []UserError `json:"userErrors"`
			}
			if err := json.Unmarshal(raw, &payload); err != nil {
				return fmt.Errorf("decode result line %d: %w", r.Line, err)
			}
			for _, u := range payload.UserErrors {
				msgs = append(msgs, u.Message)
			}
		}
		if len(msgs) == 0 {
			res.Succeeded++
			return nil
		}
		id := ""
		if n >= 0 && n < len(changes) {
			id = changes[n].ID
		}
		res.Failed = append(res.Failed, LineFailure{Line: n, ID: id, Messages: msgs})
		return nil
	})
	if derr != nil {
		return res, fmt.Errorf("shopify: bulk %s: result: %w", field, derr)
	}
	if werr != nil {
		return res, fmt.Errorf("shopify: bulk %s: %w", field, werr)
	}
	if res.Lines != len(changes) {
		return res, fmt.Errorf("%w: bulk %s: %d result lines for %d changes", ErrShortfall, field, res.Lines, len(changes))
	}
	return res, nil
}

// startBulkMutation runs the bulk mutation, waiting for another one of the app's that is
// still running (OPERATION_IN_PROGRESS) a bounded number of times.
func (c *Client) startBulkMutation(ctx context.Context, mutation, path string) (BulkOperation, error) {
	for i := 0; ; i++ {
		var out struct {
			Run bulkRunPayload `json:"bulkOperationRunMutation"`
		}
		if err := c.Do(ctx, MutationBulkRunMutation, map[string]any{"mutation": mutation, "stagedUploadPath": path}, &out); err != nil {
			return BulkOperation{}, fmt.Errorf("start bulk mutation: %w", err)
		}
		uerr := userErrors("bulkOperationRunMutation", out.Run.UserErrors)
		if uerr == nil {
			if out.Run.BulkOperation == nil {
				return BulkOperation{}, errors.New("start bulk mutation: no bulk operation in the answer")
			}
			return *out.Run.BulkOperation, nil
		}
		var ue *UserErrors
		if !errors.As(uerr, &ue) || !inProgress(ue) || i >= maxInProgressWaits {
			return BulkOperation{}, fmt.Errorf("start bulk mutation: %w", uerr)
		}
		cur, err := c.CurrentBulkOperation(ctx, "MUTATION")
		if err != nil {
			return BulkOperation{}, err
		}
		if cur != nil && !cur.finished() {
			if _, err := c.WaitBulk(ctx, cur.ID, nil); err != nil {
				var be *BulkError
				if !errors.As(err, &be) {
					return BulkOperation{}, fmt.Errorf("start bulk mutation: waiting for %s: %w", cur.ID, err)
				}
			}
		}
	}
}
