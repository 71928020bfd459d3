package mailchimp

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/internal/logging"
)

// SubscriberHash is Mailchimp's member id: the hex MD5 of the lower-cased address.
func SubscriberHash(address string) string {
	sum := md5.Sum([]byte(strings.ToLower(strings.TrimSpace(address))))
	return hex.EncodeToString(sum[:])
}

// memberState is the part of a List Members answer Apply reads.
type memberState struct {
	Status      string         `json:"status"`
	MergeFields map[string]any `json:"merge_fields"`
	Tags        []struct {
		Name string `json:"name"`
	} `json:"tags"`
	UnsubscribeReason string `json:"unsubscribe_reason"`
}

// statusOf maps Mailchimp's member status to cohortd's. An archived member is not in the
// audience: Absent.
func statusOf(s string) email.Status {
	switch s {
	case "subscribed":
		return email.StatusSubscribed
	case "transactional":
		return email.StatusNonMarketing
	case "pending":
		return email.StatusPending
	case "unsubscribed":
		return email.StatusUnsubscribed
	case "cleaned":
		return email.StatusCleaned
	}
	return email.StatusAbsent
}

// Apply applies up to BatchSize changes and returns one Outcome per change, in order.
//
// It runs in two batches (POST /batches), never more:
//
//  1. Read: for every change that adds tags or sets properties, an upsert
//     PUT /lists/{id}/members/{hash} with only email_address and status_if_new
//     ("subscribed" only when the change carries recorded consent, else "transactional"); for
//     a change that only removes tags, a GET of the member. The upsert creates a new contact
//     with the weakest allowed status and changes nothing on an existing one (no status, no
//     merge fields are sent), so its answer is the read-before-write: the member's status,
//     tags and merge fields. "Member In Compliance State" and "Forgotten Email Not Subscribed"
//     answers are suppressions: nothing more is written for that change.
//  2. Write, only for members whose status allows it and only what differs from what the
//     read returned: POST .../members/{hash}/tags with is_syncing true (active/inactive), and
//     PATCH .../members/{hash} with merge_fields (props, plus FNAME/LNAME when still empty).
//     A change whose member already looks as wanted costs no write operation, so a replay
//     costs only the read batch.
//
// Each batch is 1 POST /batches + (usually) 1 GET /batches/{id} + 1 archive download. With
// props, the first Apply of a Client also reads the audience's merge fields (and creates the
// missing ones) once.
func (c *Client) Apply(ctx context.Context, changes []email.Change) []email.Outcome {
	out := make([]email.Outcome, len(changes))
	seen := map[string]bool{}
	var first, dups []int
	for i, ch := range changes {
		addr := strings.TrimSpace(ch.Email)
		if addr == "" {
			out[i].Err = email.Permanent(fmt.Errorf("mailchimp: change for profile %s has no email address", ch.ProfileID))
			continue
		}
		h := SubscriberHash(addr)
		if seen[h] {
			dups = append(dups, i)
			continue
		}
		seen[h] = true
		first = append(first, i)
	}
	c.applyDistinct(ctx, changes, first, out)
	if len(dups) > 0 {
		// Two changes for one address in one call: operations on one member in one batch run
		// in no guaranteed order, so the later change goes in a call of its own.
		sub := make([]email.Change, len(dups))
		for k, i := range dups {
			sub[k] = changes[i]
		}
		for k, o := range c.Apply(ctx, sub) {
			out[dups[k]] = o
		}
	}
	return out
}

// pending is one change between the read and the write batch.
type pending struct {
	i      int
	hash   string
	change email.Change
	merge  map[string]any // wanted merge values, props mapped
	state  memberState
}

// applyDistinct applies the changes at idx, whose addresses are all different.
func (c *Client) applyDistinct(ctx context.Context, changes []email.Change, idx []int, out []email.Outcome) {
	if len(idx) == 0 {
		return
	}
	work := make([]*pending, 0, len(idx))
	need := map[string]propField{}
	for _, i := range idx {
		p := &pending{i: i, hash: SubscriberHash(changes[i].Email), change: changes[i], merge: mergeValues(changes[i].Props)}
		for name := range changes[i].Props {
			if f, ok := propFields[name]; ok {
				need[f.tag] = f
			}
		}
		work = append(work, p)
	}
	if len(need) > 0 {
		if err := c.ensureMergeFields(ctx, need); err != nil {
			// Without the fields, props cannot be written; report it on the changes that
			// carry props and apply the others.
			kept := work[:0]
			for _, p := range work {
				if len(p.merge) > 0 {
					out[p.i].Err = err
					continue
				}
				kept = append(kept, p)
			}
			work = kept
		}
	}
	work = c.readMembers(ctx, work, out)
	c.writeMembers(ctx, work, out)
}

func (c *Client) memberPath(hash string) string { return c.listPath() + "/members/" + hash }

// readMembers runs the read batch and returns the changes that still need a write.
func (c *Client) readMembers(ctx context.Context, work []*pending, out []email.Outcome) []*pending {
	if len(work) == 0 {
		return nil
	}
	ops := make([]batchOp, 0, len(work))
	for _, p := range work {
		id := "r" + strconv.Itoa(p.i)
		if len(p.change.Add) == 0 && len(p.merge) == 0 {
			ops = append(ops, batchOp{Method: http.MethodGet, Path: c.memberPath(p.hash), OperationID: id})
			continue
		}
		statusIfNew := "transactional"
		if p.change.Consent {
			statusIfNew = "subscribed"
		}
		body, _ := json.Marshal(map[string]string{"email_address": strings.TrimSpace(p.change.Email), "status_if_new": statusIfNew})
		ops = append(ops, batchOp{Method: http.MethodPut, Path: c.memberPath(p.hash), Body: string(body), OperationID: id})
	}
	results, err := c.runBatch(ctx, "read", ops)
	if err != nil {
		for _, p := range work {
			out[p.i].Err = err
		}
		return nil
	}
	next := work[:0]
	for k, p := range work {
		r, ok := results[ops[k].OperationID]
		if !ok {
			out[p.i].Err = fmt.Errorf("mailchimp: read member %s: no result in the batch archive", logging.MaskEmail(p.change.Email))
			continue
		}
		if r.StatusCode == http.StatusNotFound && ops[k].Method == http.MethodGet {
			continue // not in the audience: no tag to remove; Outcome zero (applied, Absent)
		}
		if r.StatusCode >= 300 {
			apiErr := parseAPIError(r.StatusCode, []byte(r.Response))
			if st, ok := apiErr.suppression(); ok {
				out[p.i] = email.Outcome{Status: st, Message: apiErr.message()}
				continue
			}
			out[p.i].Err = classify(fmt.Errorf("mailchimp: read member %s: %w", logging.MaskEmail(p.change.Email), apiErr), apiErr)
			continue
		}
		if err := json.Unmarshal([]byte(r.Response), &p.state); err != nil {
			out[p.i].Err = fmt.Errorf("mailchimp: read member %s: decode: %w", logging.MaskEmail(p.change.Email), err)
			continue
		}
		st := statusOf(p.state.Status)
		out[p.i].Status = st
		if st.Suppressed() {
			out[p.i].Message = statusMessage(p.state.Status, p.state.UnsubscribeReason)
			continue
		}
		if st == email.StatusAbsent {
			continue // archived by the merchant: leave it alone
		}
		next = append(next, p)
	}
	return next
}

// writeOps returns the operations that bring p's member to what its change wants, given the
// state the read returned: none when it already is.
func (c *Client) writeOps(p *pending) []batchOp {
	var ops []batchOp
	have := map[string]bool{}
	for _, t := range p.state.Tags {
		have[t.Name] = true
	}
	type tagOp struct {
		Name   string `json:"name"`
		Status string `json:"status"`
	}
	var tags []tagOp
	adding := map[string]bool{}
	for _, name := range p.change.Add {
		adding[name] = true
		if !have[name] {
			tags = append(tags, tagOp{name, "active"})
			have[name] = true
		}
	}
	for _, name := range p.change.Remove {
		if have[name] && !adding[name] {
			tags = append(tags, tagOp{name, "inactive"})
			delete(have, name)
		}
	}
	if len(tags) > 0 {
		body, _ := json.Marshal(map[string]any{"tags": tags, "is_syncing": true})
		ops = append(ops, batchOp{Method: http.MethodPost, Path: c.memberPath(p.hash) + "/tags", Body: string(body), OperationID: "t" + strconv.Itoa(p.i)})
	}
	merge := map[string]any{}
	for tag, v := range p.merge {
		if !sameMergeValue(p.state.MergeFields[tag], v) {
			merge[tag] = v
		}
	}
	// Names fill a new contact; an existing name is the merchant's or the person's.
	for tag, v := range map[string]string{tagFirstName: p.change.FirstName, tagLastName: p.change.LastName} {
		cur, known := p.state.MergeFields[tag]
		if v != "" && known && mergeText(cur) == "" {
			merge[tag] = v
		}
	}
	if len(merge) > 0 {
		body, _ := json.Marshal(map[string]any{"merge_fields": merge})
		ops = append(ops, batchOp{Method: http.MethodPatch, Path: c.memberPath(p.hash), Body: string(body), OperationID: "m" + strconv.Itoa(p.i)})
	}
	return ops
}

// writeMembers runs the write batch for members that need one.
func (c *Client) writeMembers(ctx context.Context, work []*pending, out []email.Outcome) {
	var ops []batchOp
	owner := map[string]*pending{}
	for _, p := range work {
		for _, op := range c.writeOps(p) {
			ops = append(ops, op)
			owner[op.OperationID] = p
		}
	}
	if len(ops) == 0 {
		return
	}
	results, err := c.runBatch(ctx, "write", ops)
	if err != nil {
		for _, op := range ops {
			out[owner[op.OperationID].i].Err = err
		}
		return
	}
	for _, op := range ops {
		p := owner[op.OperationID]
		if out[p.i].Err != nil {
			continue
		}
		what := "tag member"
		if op.Method == http.MethodPatch {
			what = "set merge fields of member"
		}
		r, ok := results[op.OperationID]
		if !ok {
			out[p.i].Err = fmt.Errorf("mailchimp: %s %s: no result in the batch archive", what, logging.MaskEmail(p.change.Email))
			continue
		}
		if r.StatusCode < 300 {
			continue
		}
		apiErr := parseAPIError(r.StatusCode, []byte(r.Response))
		err := fmt.Errorf("mailchimp: %s %s: %w", what, logging.MaskEmail(p.change.Email), apiErr)
		switch {
		case r.StatusCode == http.StatusNotFound:
			// Deleted between the read and the write: retrying reads it again.
			out[p.i].Err = err
		case op.Method == http.MethodPatch && r.StatusCode == http.StatusBadRequest && strings.Contains(apiErr.Detail, "merge field"):
			c.forgetMergeFields() // a field we thought was there is not: look again next time
			out[p.i].Err = email.Permanent(err)
		default:
			out[p.i].Err = classify(err, apiErr)
		}
	}
}
