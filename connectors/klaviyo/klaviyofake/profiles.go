package klaviyofake

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// profileAttributes renders a profile's attributes; with subscriptions when asked for via
// additional-fields[profile]=subscriptions, limited to a sparse fieldset when one is given.
func (s *Server) profileResource(c *call, p *profile, withSubs bool) map[string]any {
	attrs := map[string]any{
		"email":           p.email,
		"phone_number":    nil,
		"external_id":     nil,
		"first_name":      nilIfEmpty(p.firstName),
		"last_name":       nilIfEmpty(p.lastName),
		"organization":    nil,
		"locale":          nil,
		"title":           nil,
		"image":           nil,
		"created":         ts(p.created),
		"updated":         ts(p.updated),
		"last_event_date": nil,
		"location":        map[string]any{},
		"properties":      copyProps(p.props),
	}
	if withSubs {
		attrs["subscriptions"] = subscriptions(p)
	}
	if fs := sparse(c.query, "profile"); fs != nil {
		for k := range attrs {
			if !fs[k] {
				delete(attrs, k)
			}
		}
	}
	return map[string]any{
		"type":       "profile",
		"id":         p.id,
		"attributes": attrs,
		"relationships": map[string]any{
			"lists":    relLinks(c.base, "/api/profiles/"+p.id+"/relationships/lists"),
			"segments": relLinks(c.base, "/api/profiles/"+p.id+"/relationships/segments"),
		},
		"links": map[string]any{"self": c.base + "/api/profiles/" + p.id},
	}
}

func subscriptions(p *profile) map[string]any {
	supp := make([]any, 0, len(p.suppressions))
	for _, x := range p.suppressions {
		supp = append(supp, map[string]any{"reason": x.reason, "timestamp": ts(x.at)})
	}
	lsupp := make([]any, 0, len(p.listSuppressions))
	for _, x := range p.listSuppressions {
		lsupp = append(lsupp, map[string]any{"list_id": x.listID, "reason": x.reason, "timestamp": ts(x.at)})
	}
	marketing := map[string]any{
		"can_receive_email_marketing": len(p.suppressions) == 0 && p.consent != consentUnsubscribed,
		"consent":                     p.consent,
		"consent_timestamp":           ts(p.consentAt),
		"last_updated":                ts(p.consentAt),
		"method":                      nil,
		"method_detail":               "",
		"custom_method_detail":        nil,
		"double_optin":                nil,
		"suppression":                 supp,
		"list_suppressions":           lsupp,
	}
	return map[string]any{
		"email": map[string]any{"marketing": marketing},
		"sms": map[string]any{
			"marketing":     map[string]any{"can_receive_sms_marketing": false, "consent": consentNeverSubscribed, "consent_timestamp": nil, "method": nil, "method_detail": "", "last_updated": nil},
			"transactional": map[string]any{"can_receive_sms_transactional": false, "consent": consentNeverSubscribed, "consent_timestamp": nil, "method": nil, "method_detail": "", "last_updated": nil},
		},
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func copyProps(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// matchProfile evaluates filter conditions against a profile.
func matchProfile(p *profile, conds []condition) bool {
	for _, c := range conds {
		switch c.field {
		case "id":
			if !anyEqual(p.id, c.values, false) {
				return false
			}
		case "email":
			if !anyEqual(p.email, c.values, true) {
				return false
			}
		case "subscriptions.email.marketing.suppression.reason":
			ok := false
			for _, x := range p.suppressions {
				ok = ok || x.reason == c.values[0]
			}
			if !ok {
				return false
			}
		case "subscriptions.email.marketing.suppression.timestamp":
			t, err := time.Parse(time.RFC3339, c.values[0])
			if err != nil {
				return false
			}
			ok := false
			for _, x := range p.suppressions {
				ok = ok || compareTime(x.at, c.op, t)
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

func anyEqual(v string, values []string, fold bool) bool {
	for _, x := range values {
		if v == x || (fold && strings.EqualFold(v, x)) {
			return true
		}
	}
	return false
}

func compareTime(a time.Time, op string, b time.Time) bool {
	switch op {
	case "greater-than":
		return a.After(b)
	case "greater-or-equal":
		return !a.Before(b)
	case "less-than":
		return a.Before(b)
	case "less-or-equal":
		return !a.After(b)
	}
	return false
}

// getProfiles: GET /api/profiles, keyset-paged by id.
func getProfiles(s *Server, c *call) reply {
	conds, bad := checkFilter(c.query.Get("filter"), "profile")
	if bad != nil {
		return *bad
	}
	after := ""
	if cur := c.query.Get("page[cursor]"); cur != "" {
		var ok bool
		if after, ok = decodeCursor(cur); !ok {
			return paramError("invalid", "Invalid page cursor.", "page[cursor]")
		}
	}
	size := pageSize(c.query, 20)
	withSubs := hasValue(c.query, "additional-fields[profile]", "subscriptions")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleJobs(c.now)
	var page []any
	next := ""
	for _, p := range s.st.sortedProfiles() {
		if p.id <= after || !matchProfile(p, conds) {
			continue
		}
		if len(page) == size {
			next = encodeCursor(lastID(page))
			break
		}
		page = append(page, s.profileResource(c, p, withSubs))
	}
	if page == nil {
		page = []any{}
	}
	return reply{status: http.StatusOK, body: map[string]any{"data": page, "links": collectionLinks(c, next)}}
}

func lastID(page []any) string {
	return page[len(page)-1].(map[string]any)["id"].(string)
}

// profileInput is the part of a profile resource object the fake reads from requests.
type profileInput struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	Attributes struct {
		Email      *string        `json:"email"`
		FirstName  *string        `json:"first_name"`
		LastName   *string        `json:"last_name"`
		Properties map[string]any `json:"properties"`
	} `json:"attributes"`
	Meta struct {
		PatchProperties struct {
			Unset any `json:"unset"`
		} `json:"patch_properties"`
	} `json:"meta"`
}

// upsert applies one profile resource the way profile import does: match by id, else by
// email; create when missing; set the given fields; never touch consent. It returns the
// profile, whether it was created, or an error reply.
func (s *Server) upsert(in profileInput, now time.Time, pointer string) (*profile, bool, *reply) {
	var p *profile
	email := ""
	if in.Attributes.Email != nil {
		email = strings.TrimSpace(*in.Attributes.Email)
	}
	if in.ID != "" {
		if p = s.st.profiles[in.ID]; p == nil {
			r := errorReply(http.StatusNotFound, "not_found", "Not found.", "A profile with id "+in.ID+" does not exist.", pointer+"/id")
			return nil, false, &r
		}
	}
	if email != "" && !validEmail(email) {
		r := errorReply(http.StatusBadRequest, "invalid", "Invalid input.", "Invalid email address", pointer+"/attributes/email")
		return nil, false, &r
	}
	if p == nil && email != "" {
		p = s.st.profileByEmail(email)
	}
	if p != nil && in.ID != "" && email != "" {
		if other := s.st.profileByEmail(email); other != nil && other != p {
			r := duplicateProfile(other.id, pointer+"/attributes")
			return nil, false, &r
		}
	}
	created := false
	if p == nil {
		if email == "" {
			r := errorReply(http.StatusBadRequest, "invalid", "Invalid input.", "One of email, phone_number or external_id is required.", pointer+"/attributes")
			return nil, false, &r
		}
		p = s.st.newProfile(email, now)
		created = true
	}
	changed := created
	if in.Attributes.FirstName != nil && *in.Attributes.FirstName != p.firstName {
		p.firstName, changed = *in.Attributes.FirstName, true
	}
	if in.Attributes.LastName != nil && *in.Attributes.LastName != p.lastName {
		p.lastName, changed = *in.Attributes.LastName, true
	}
	for k, v := range in.Attributes.Properties {
		if old, ok := p.props[k]; !ok || !jsonEqual(old, v) {
			p.props[k], changed = v, true
		}
	}
	for _, k := range unsetKeys(in.Meta.PatchProperties.Unset) {
		if _, ok := p.props[k]; ok {
			delete(p.props, k)
			changed = true
		}
	}
	if changed {
		p.updated = now
		s.count(func(st *Stats) {
			if created {
				st.ProfilesCreated++
			} else {
				st.ProfilesUpdated++
			}
			if p.suppressed() {
				st.WritesToSuppressed++
			}
		})
	}
	return p, created, nil
}

func unsetKeys(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func duplicateProfile(id, pointer string) reply {
	r := errorReply(http.StatusConflict, "duplicate_profile", "Conflict.", "A profile already exists with one of these identifiers.", pointer)
	r.body.(errorDoc).Errors[0].Meta["duplicate_profile_id"] = id
	return r
}

// profileImport: POST /api/profile-import (create or update; 201 created, 200 updated).
func profileImport(s *Server, c *call) reply {
	var doc struct {
		Data profileInput `json:"data"`
	}
	if err := json.Unmarshal(c.body, &doc); err != nil {
		return errorReply(http.StatusBadRequest, "invalid", "Invalid input.", "Malformed JSON body.", "/data/")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleJobs(c.now)
	p, created, bad := s.upsert(doc.Data, c.now, "/data")
	if bad != nil {
		return *bad
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	withSubs := hasValue(c.query, "additional-fields[profile]", "subscriptions")
	return reply{status: status, body: map[string]any{"data": s.profileResource(c, p, withSubs), "links": map[string]any{"self": c.base + "/api/profile-import"}}}
}

// createProfile: POST /api/profiles; 409 duplicate_profile when the email exists.
func createProfile(s *Server, c *call) reply {
	var doc struct {
		Data profileInput `json:"data"`
	}
	if err := json.Unmarshal(c.body, &doc); err != nil {
		return errorReply(http.StatusBadRequest, "invalid", "Invalid input.", "Malformed JSON body.", "/data/")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleJobs(c.now)
	if doc.Data.Attributes.Email != nil {
		if p := s.st.profileByEmail(*doc.Data.Attributes.Email); p != nil {
			return duplicateProfile(p.id, "/data/attributes")
		}
	}
	p, _, bad := s.upsert(doc.Data, c.now, "/data")
	if bad != nil {
		return *bad
	}
	withSubs := hasValue(c.query, "additional-fields[profile]", "subscriptions")
	return reply{status: http.StatusCreated, body: map[string]any{"data": s.profileResource(c, p, withSubs), "links": map[string]any{"self": c.base + "/api/profiles/" + p.id}}}
}
