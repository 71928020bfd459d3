package klaviyo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/cohortd/cohortd/connectors/email"
)

// Bulk import limits: 10,000 profiles and 5 MB per job; the client keeps a margin on size.
const (
	bulkMaxProfiles = 10000
	bulkMaxBytes    = 4 << 20
)

// profileBody builds the resource object that creates or updates a contact. Names are sent
// only for a contact new to Klaviyo (they fill a new profile; cohortd does not own them
// afterwards); consent is never part of it.
func (c *Client) profileBody(ct *contact) profileWrite {
	w := profileWrite{Type: "profile", Attributes: profileWriteAtt{Email: ct.email}}
	if !ct.exists {
		w.Attributes.FirstName, w.Attributes.LastName = ct.first, ct.last
	}
	set, unset := ct.props.diff(ct.remoteProps)
	w.Attributes.Properties = set
	if len(unset) > 0 {
		sort.Strings(unset)
		w.Meta = &profileMeta{}
		w.Meta.PatchProperties.Unset = unset
	}
	return w
}

// needsWrite reports whether the contact's profile must be created or updated.
func (c *Client) needsWrite(ct *contact) bool {
	if !ct.exists {
		return ct.hasAdds() || len(ct.props.set) > 0 // clearing a property of nobody is a no-op
	}
	set, unset := ct.props.diff(ct.remoteProps)
	return len(set) > 0 || len(unset) > 0
}

// importOne writes one contact with POST /api/profile-import, learning its id and status
// from the answer. A 409 duplicate_profile (the email belongs to another profile than the
// one addressed) is resolved by upserting that profile by id.
func (c *Client) importOne(ctx context.Context, ct *contact) error {
	w := c.profileBody(ct)
	q := url.Values{}
	q.Set("additional-fields[profile]", "subscriptions")
	q.Set("fields[profile]", "email,subscriptions")
	var doc profileDoc
	for attempt := 0; ; attempt++ {
		err := c.do(ctx, request{op: opProfileImport, method: http.MethodPost, path: "/api/profile-import", query: q,
			body: map[string]any{"data": w}}, &doc)
		var ae *APIError
		if attempt == 0 && errors.As(err, &ae) && ae.StatusCode == http.StatusConflict && ae.Code() == "duplicate_profile" {
			if id, _ := ae.Errors[0].Meta["duplicate_profile_id"].(string); id != "" {
				w.ID = id
				continue
			}
		}
		if err != nil {
			return fmt.Errorf("profile import %s: %w", ct.masked(), classify(err))
		}
		break
	}
	ct.id = doc.Data.ID
	if ct.id == "" {
		return fmt.Errorf("profile import %s: answer without a profile id", ct.masked())
	}
	c.learnAfterWrite(ct, doc.Data.Attributes.Subscriptions)
	return nil
}

// learnAfterWrite checks the status a write's answer reports: a profile that turned out to
// be suppressed (it existed after all, or changed meanwhile) gets no list writes.
func (c *Client) learnAfterWrite(ct *contact, subs *subscriptions) {
	l, ok := statusFromSubscriptions(subs, ct.addIDs)
	if !ok {
		ct.err = fmt.Errorf("profile %s: answer without subscriptions; not writing lists", ct.masked())
		return
	}
	if l.status.Suppressed() {
		ct.st = l
	}
}

// bulkJob is one bulk import job and the contacts it carries.
type bulkJob struct {
	contacts []*contact
	id       string
	err      error
}

// splitBulk cuts writes into jobs within the profile count and payload size limits.
func (c *Client) splitBulk(cts []*contact) ([]*bulkJob, [][]profileWrite) {
	var jobs []*bulkJob
	var bodies [][]profileWrite
	var cur *bulkJob
	var size int
	for _, ct := range cts {
		w := c.profileBody(ct)
		b, _ := json.Marshal(w)
		if cur == nil || len(cur.contacts) == bulkMaxProfiles || size+len(b)+1 > bulkMaxBytes {
			cur = &bulkJob{}
			jobs = append(jobs, cur)
			bodies = append(bodies, nil)
			size = 200
		}
		cur.contacts = append(cur.contacts, ct)
		bodies[len(bodies)-1] = append(bodies[len(bodies)-1], w)
		size += len(b) + 1
	}
	return jobs, bodies
}

// bulkWrite writes many contacts through bulk import jobs, waits for them, maps import
// errors back to contacts, and reads the new profiles' ids and statuses.
func (c *Client) bulkWrite(ctx context.Context, cts []*contact) {
	jobs, bodies := c.splitBulk(cts)
	c.parallel(len(jobs), func(i int) {
		j := jobs[i]
		body := map[string]any{"data": map[string]any{
			"type":       "profile-bulk-import-job",
			"attributes": map[string]any{"profiles": map[string]any{"data": bodies[i]}},
		}}
		var doc struct {
			Data struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := c.do(ctx, request{op: opBulkImport, method: http.MethodPost, path: "/api/profile-bulk-import-jobs", body: body}, &doc); err != nil {
			j.err = fmt.Errorf("bulk import of %d profiles: %w", len(j.contacts), classify(err))
			return
		}
		j.id = doc.Data.ID
		failed, err := c.waitJob(ctx, j.id)
		if err != nil {
			j.err = fmt.Errorf("bulk import job %s: %w", j.id, err)
			return
		}
		if failed > 0 {
			c.importErrors(ctx, j)
		}
	})
	var fresh []*contact
	for _, j := range jobs {
		for _, ct := range j.contacts {
			switch {
			case ct.err != nil:
			case j.err != nil:
				ct.err = j.err
			case !ct.exists:
				fresh = append(fresh, ct)
			}
		}
	}
	c.readBack(ctx, fresh)
}

// waitJob polls a bulk import job until it completes; it returns the failed count.
func (c *Client) waitJob(ctx context.Context, id string) (int, error) {
	deadline := time.Now().Add(c.opts.JobTimeout)
	interval := c.opts.JobPollInterval
	for {
		if err := sleep(ctx, interval); err != nil {
			return 0, err
		}
		var doc struct {
			Data struct {
				Attributes struct {
					Status      string `json:"status"`
					FailedCount *int   `json:"failed_count"`
				} `json:"attributes"`
			} `json:"data"`
		}
		if err := c.do(ctx, request{op: opGetImportJob, method: http.MethodGet, path: "/api/profile-bulk-import-jobs/" + url.PathEscape(id)}, &doc); err != nil {
			return 0, classify(err)
		}
		switch doc.Data.Attributes.Status {
		case "complete":
			if doc.Data.Attributes.FailedCount != nil {
				return *doc.Data.Attributes.FailedCount, nil
			}
			return 0, nil
		case "cancelled":
			return 0, errors.New("cancelled at Klaviyo")
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("still %s after %s", doc.Data.Attributes.Status, c.opts.JobTimeout)
		}
		interval = min(interval*3/2, 5*time.Second)
	}
}

// importErrors reads a job's import errors and fails the contacts they name, permanently,
// with Klaviyo's words.
func (c *Client) importErrors(ctx context.Context, j *bulkJob) {
	byEmail := map[string]*contact{}
	for _, ct := range j.contacts {
		byEmail[ct.key] = ct
	}
	q := url.Values{}
	q.Set("page[size]", "100")
	for {
		var page struct {
			Data []struct {
				Attributes struct {
					Code            string         `json:"code"`
					Title           string         `json:"title"`
					Detail          string         `json:"detail"`
					OriginalPayload map[string]any `json:"original_payload"`
				} `json:"attributes"`
			} `json:"data"`
			Links links `json:"links"`
		}
		err := c.do(ctx, request{op: opGetImportErrors, method: http.MethodGet, path: "/api/profile-bulk-import-jobs/" + url.PathEscape(j.id) + "/import-errors", query: q}, &page)
		if err != nil {
			j.err = fmt.Errorf("bulk import job %s: read import errors: %w", j.id, classify(err))
			return
		}
		for _, e := range page.Data {
			ct := byEmail[strings.ToLower(payloadEmail(e.Attributes.OriginalPayload))]
			if ct == nil {
				continue
			}
			ae := &APIError{Op: opBulkImport, StatusCode: http.StatusBadRequest, Errors: []ErrorObject{{Code: e.Attributes.Code, Title: e.Attributes.Title, Detail: maskEmails(e.Attributes.Detail)}}}
			ct.err = email.Permanent(fmt.Errorf("bulk import %s: %w", ct.masked(), ae))
		}
		cur := page.Links.nextCursor()
		if cur == "" {
			return
		}
		q.Set("page[cursor]", cur)
	}
}

func payloadEmail(p map[string]any) string {
	if attrs, ok := p["attributes"].(map[string]any); ok {
		if e, ok := attrs["email"].(string); ok {
			return e
		}
	}
	if e, ok := p["email"].(string); ok {
		return e
	}
	return ""
}

// readBack reads the profiles a bulk job created, for their ids and statuses.
func (c *Client) readBack(ctx context.Context, cts []*contact) {
	chunks := lookupChunks(cts)
	c.parallel(len(chunks), func(i int) {
		chunk := chunks[i]
		emails := make([]string, len(chunk))
		for k, ct := range chunk {
			emails[k] = ct.email
		}
		found, err := c.lookup(ctx, emails)
		for _, ct := range chunk {
			if err != nil {
				ct.err = fmt.Errorf("read back imported profiles: %w", classify(err))
				continue
			}
			rp, ok := found[ct.key]
			if !ok {
				ct.err = fmt.Errorf("profile %s not visible yet after bulk import", ct.masked())
				continue
			}
			ct.id = rp.id
			c.learnAfterWrite(ct, rp.subs)
		}
	})
}

func chunkContacts(cts []*contact, n int) [][]*contact {
	var out [][]*contact
	for start := 0; start < len(cts); start += n {
		out = append(out, cts[start:min(start+n, len(cts))])
	}
	return out
}
