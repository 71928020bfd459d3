package klaviyofake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// MaxBulkImportProfiles is the most profiles one bulk import job accepts.
const MaxBulkImportProfiles = 10000

func (s *Server) jobResource(c *call, j *importJob) map[string]any {
	attrs := map[string]any{
		"status":          j.status,
		"created_at":      ts(j.created),
		"total_count":     j.total,
		"completed_count": j.done,
		"failed_count":    j.fail,
		"completed_at":    ts(j.completed),
		"expires_at":      ts(j.created.Add(7 * 24 * time.Hour)),
		"started_at":      ts(j.started),
	}
	self := "/api/profile-bulk-import-jobs/" + j.id
	return map[string]any{
		"type":       "profile-bulk-import-job",
		"id":         j.id,
		"attributes": attrs,
		"relationships": map[string]any{
			"lists":         relLinks(c.base, self+"/relationships/lists"),
			"profiles":      relLinks(c.base, self+"/relationships/profiles"),
			"import-errors": map[string]any{"links": map[string]any{"related": c.base + self + "/import-errors"}},
		},
		"links": map[string]any{"self": c.base + self},
	}
}

// bulkImport: POST /api/profile-bulk-import-jobs. The job is queued; its profiles are
// upserted when it is processed (JobDelay after creation, at the next request).
func bulkImport(s *Server, c *call) reply {
	var doc struct {
		Data struct {
			Attributes struct {
				Profiles struct {
					Data []json.RawMessage `json:"data"`
				} `json:"profiles"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(c.body, &doc); err != nil {
		return errorReply(http.StatusBadRequest, "invalid", "Invalid input.", "Malformed JSON body.", "/data/")
	}
	n := len(doc.Data.Attributes.Profiles.Data)
	if n == 0 || n > MaxBulkImportProfiles {
		return errorReply(http.StatusBadRequest, "invalid", "Invalid input.",
			fmt.Sprintf("A bulk import job accepts between 1 and %d profiles; %d were given.", MaxBulkImportProfiles, n), "/data/attributes/profiles/data")
	}
	raw := make([]map[string]any, n)
	for i, r := range doc.Data.Attributes.Profiles.Data {
		if err := json.Unmarshal(r, &raw[i]); err != nil {
			return errorReply(http.StatusBadRequest, "invalid", "Invalid input.", "Malformed profile.", fmt.Sprintf("/data/attributes/profiles/data/%d", i))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j := &importJob{id: s.st.nextID("01K8"), created: c.now, readyAt: c.now.Add(s.opts.JobDelay), status: "queued", profiles: raw, total: n}
	s.st.jobs[j.id] = j
	s.st.pending = append(s.st.pending, j)
	return reply{status: http.StatusAccepted, body: map[string]any{"data": s.jobResource(c, j), "links": map[string]any{"self": c.base + "/api/profile-bulk-import-jobs"}}}
}

// settleJobs processes every queued job whose time has come. Called with s.mu held.
func (s *Server) settleJobs(now time.Time) {
	if len(s.st.pending) == 0 {
		return
	}
	keep := s.st.pending[:0]
	for _, j := range s.st.pending {
		if now.Before(j.readyAt) {
			keep = append(keep, j)
			continue
		}
		j.started = now
		for i, raw := range j.profiles {
			b, _ := json.Marshal(raw)
			var in profileInput
			_ = json.Unmarshal(b, &in)
			pointer := fmt.Sprintf("/data/attributes/profiles/data/%d", i)
			p, _, bad := s.upsert(in, now, pointer)
			if bad != nil {
				e := bad.body.(errorDoc).Errors[0]
				j.errors = append(j.errors, importError{id: uuid(), code: e.Code, title: e.Title, detail: e.Detail, pointer: pointer, payload: raw})
				j.fail++
				continue
			}
			j.done++
			j.profileIDs = append(j.profileIDs, p.id)
		}
		j.profiles = nil
		j.status, j.completed = "complete", now
	}
	s.st.pending = keep
}

// getImportJob: GET /api/profile-bulk-import-jobs/{job_id}.
func getImportJob(s *Server, c *call) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleJobs(c.now)
	j := s.st.jobs[c.params["job_id"]]
	if j == nil {
		return errorReply(http.StatusNotFound, "not_found", "Not found.", "A bulk import job with id "+c.params["job_id"]+" does not exist.", "/data/")
	}
	if j.status == "queued" && !c.now.Before(j.created) {
		j.status = "processing"
		if j.started.IsZero() {
			j.started = c.now
		}
	}
	return reply{status: http.StatusOK, body: map[string]any{"data": s.jobResource(c, j), "links": map[string]any{"self": c.base + "/api/profile-bulk-import-jobs/" + j.id}}}
}

// getImportErrors: GET /api/profile-bulk-import-jobs/{id}/import-errors, paged.
func getImportErrors(s *Server, c *call) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleJobs(c.now)
	j := s.st.jobs[c.params["id"]]
	if j == nil {
		return errorReply(http.StatusNotFound, "not_found", "Not found.", "A bulk import job with id "+c.params["id"]+" does not exist.", "/data/")
	}
	after := ""
	if cur := c.query.Get("page[cursor]"); cur != "" {
		var ok bool
		if after, ok = decodeCursor(cur); !ok {
			return paramError("invalid", "Invalid page cursor.", "page[cursor]")
		}
	}
	size := pageSize(c.query, 20)
	var page []any
	next := ""
	started := after == ""
	for _, e := range j.errors {
		if !started {
			started = e.id == after
			continue
		}
		if len(page) == size {
			next = encodeCursor(lastID(page))
			break
		}
		page = append(page, map[string]any{
			"type": "import-error",
			"id":   e.id,
			"attributes": map[string]any{
				"code": e.code, "title": e.title, "detail": e.detail,
				"source":           map[string]any{"pointer": e.pointer},
				"original_payload": e.payload,
			},
		})
	}
	if page == nil {
		page = []any{}
	}
	return reply{status: http.StatusOK, body: map[string]any{"data": page, "links": collectionLinks(c, next)}}
}

// consentOperations write consent; cohortd must never call them (Stats.ConsentWrites).
var consentOperations = map[string]bool{
	"bulk_subscribe_profiles":    true,
	"bulk_unsubscribe_profiles":  true,
	"bulk_suppress_profiles":     true,
	"bulk_unsuppress_profiles":   true,
	"create_client_subscription": true,
}

// bulkSubscribe: POST /api/profile-subscription-bulk-create-jobs. Reproduces the hazard the
// connector must avoid: it (re)subscribes the given emails, clearing an UNSUBSCRIBE
// suppression.
func bulkSubscribe(s *Server, c *call) reply {
	var doc struct {
		Data struct {
			Attributes struct {
				Profiles struct {
					Data []struct {
						Attributes struct {
							Email string `json:"email"`
						} `json:"attributes"`
					} `json:"data"`
				} `json:"profiles"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(c.body, &doc); err != nil {
		return errorReply(http.StatusBadRequest, "invalid", "Invalid input.", "Malformed JSON body.", "/data/")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range doc.Data.Attributes.Profiles.Data {
		p := s.st.profileByEmail(d.Attributes.Email)
		if p == nil {
			if !validEmail(d.Attributes.Email) {
				continue
			}
			p = s.st.newProfile(d.Attributes.Email, c.now)
		}
		p.consent, p.consentAt = consentSubscribed, c.now
		keep := p.suppressions[:0]
		for _, x := range p.suppressions {
			if x.reason != reasonUnsubscribe {
				keep = append(keep, x)
			}
		}
		p.suppressions = keep
	}
	return reply{status: http.StatusAccepted}
}

// requestDeletion: POST /api/data-privacy-deletion-jobs. Exactly one identifier; every
// matching profile is erased (immediately, where Klaviyo does it asynchronously).
func requestDeletion(s *Server, c *call) reply {
	var doc struct {
		Data struct {
			Attributes struct {
				Profile struct {
					Data struct {
						ID         *string `json:"id"`
						Attributes struct {
							Email       *string `json:"email"`
							PhoneNumber *string `json:"phone_number"`
						} `json:"attributes"`
					} `json:"data"`
				} `json:"profile"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(c.body, &doc); err != nil {
		return errorReply(http.StatusBadRequest, "invalid", "Invalid input.", "Malformed JSON body.", "/data/")
	}
	d := doc.Data.Attributes.Profile.Data
	ids := 0
	for _, v := range []*string{d.ID, d.Attributes.Email, d.Attributes.PhoneNumber} {
		if v != nil && *v != "" {
			ids++
		}
	}
	if ids != 1 {
		return errorReply(http.StatusBadRequest, "invalid", "Invalid input.", "Exactly one of email, phone_number or id must be provided.", "/data/attributes/profile/data")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleJobs(c.now)
	var p *profile
	switch {
	case d.ID != nil && *d.ID != "":
		p = s.st.profiles[*d.ID]
	case d.Attributes.Email != nil:
		p = s.st.profileByEmail(strings.TrimSpace(*d.Attributes.Email))
	}
	if p != nil {
		s.st.deleteProfile(p)
		s.count(func(st *Stats) { st.Deletions++ })
	}
	return reply{status: http.StatusAccepted}
}

// handlers maps operationIds to their implementation; other operations answer 404.
var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		"get_profiles":                            getProfiles,
		"create_or_update_profile":                profileImport,
		"create_profile":                          createProfile,
		"get_lists":                               getLists,
		"get_list":                                getList,
		"create_list":                             createList,
		"add_profiles_to_list":                    listRelationship(true),
		"remove_profiles_from_list":               listRelationship(false),
		"bulk_import_profiles":                    bulkImport,
		"get_bulk_import_profiles_job":            getImportJob,
		"get_errors_for_bulk_import_profiles_job": getImportErrors,
		"bulk_subscribe_profiles":                 bulkSubscribe,
		"request_profile_deletion":                requestDeletion,
	}
}
