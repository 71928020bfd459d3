package mailchimpfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// mailchimpTime is how Mailchimp writes date-times: ISO 8601 to the second, +00:00.
const mailchimpTime = "2006-01-02T15:04:05+00:00"

func fmtTime(t time.Time) string { return t.UTC().Format(mailchimpTime) }

// memberBody is what PUT, PATCH and POST .../members send (the fields the fake acts on).
type memberBody struct {
	EmailAddress string         `json:"email_address"`
	Status       string         `json:"status"`
	StatusIfNew  string         `json:"status_if_new"`
	MergeFields  map[string]any `json:"merge_fields"`
	Tags         []string       `json:"tags"`
}

func complianceProblem(email string) response {
	return problem(http.StatusBadRequest, TitleCompliance, fmt.Sprintf(
		"%s is already a list member in compliance state due to unsubscribe, bounce, or compliance review and cannot be subscribed.", email))
}

func forgottenProblem(email string) response {
	return problem(http.StatusBadRequest, TitleForgotten, fmt.Sprintf(
		"%s was permanently deleted and cannot be re-imported. The contact must re-subscribe to get back on the list.", email))
}

// suppressedStatus reports the statuses Mailchimp will not turn back into subscribed.
func suppressedStatus(st string) bool { return st == StatusUnsubscribed || st == StatusCleaned }

// validEmail is the fake's stand-in for Mailchimp's address checks: plain syntax, and the
// reserved ".invalid" top-level domain stands for addresses Mailchimp rejects as fake.
func validEmail(e string) bool {
	at := strings.LastIndexByte(e, '@')
	if at <= 0 || at == len(e)-1 || strings.ContainsAny(e, " \t\r\n,;<>") || strings.Count(e, "@") != 1 {
		return false
	}
	domain := strings.ToLower(e[at+1:])
	return strings.Contains(domain, ".") && !strings.HasSuffix(domain, ".invalid")
}

// checkMerge validates merge values against the audience's fields and converts them to what
// is stored (numbers as float64, text as string).
func (l *list) checkMerge(in map[string]any) (map[string]any, []fieldError) {
	out := map[string]any{}
	var errs []fieldError
	for key, v := range in {
		f := l.mergeField(key)
		if f == nil {
			errs = append(errs, fieldError{Field: key, Message: fmt.Sprintf("Merge field %q does not exist.", key)})
			continue
		}
		switch f.typ {
		case "number":
			switch x := v.(type) {
			case json.Number:
				n, err := x.Float64()
				if err != nil {
					errs = append(errs, fieldError{Field: key, Message: "Please enter a number"})
					continue
				}
				out[key] = n
			case string:
				if x == "" {
					out[key] = ""
					continue
				}
				n, err := strconv.ParseFloat(x, 64)
				if err != nil {
					errs = append(errs, fieldError{Field: key, Message: "Please enter a number"})
					continue
				}
				out[key] = n
			default:
				errs = append(errs, fieldError{Field: key, Message: "Please enter a number"})
			}
		case "address":
			out[key] = v
		default:
			switch x := v.(type) {
			case string:
				out[key] = x
			case json.Number:
				out[key] = x.String()
			default:
				errs = append(errs, fieldError{Field: key, Message: "Please enter a value"})
			}
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
	return out, errs
}

// memberJSON renders a member as Mailchimp's List Members object.
func (l *list) memberJSON(m *member) map[string]any {
	merge := map[string]any{}
	for _, f := range l.merge {
		if v, ok := m.merge[f.tag]; ok && v != nil {
			merge[f.tag] = v
		} else {
			merge[f.tag] = ""
		}
	}
	names := make([]string, 0, len(m.tags))
	for name := range m.tags {
		names = append(names, name)
	}
	sort.Strings(names)
	tags := make([]map[string]any, 0, len(names))
	for _, name := range names {
		id := 0
		if t := l.tags[name]; t != nil {
			id = t.id
		}
		tags = append(tags, map[string]any{"id": id, "name": name})
	}
	out := map[string]any{
		"id":               m.hash,
		"email_address":    m.email,
		"unique_email_id":  m.hash[:10],
		"contact_id":       m.hash,
		"web_id":           m.webID,
		"email_type":       "html",
		"status":           m.status,
		"merge_fields":     merge,
		"interests":        map[string]bool{},
		"stats":            map[string]any{"avg_open_rate": 0, "avg_click_rate": 0},
		"ip_signup":        "",
		"timestamp_signup": fmtTime(m.signup),
		"ip_opt":           "",
		"timestamp_opt":    fmtTime(m.signup),
		"member_rating":    2,
		"last_changed":     fmtTime(m.changed),
		"language":         "",
		"vip":              false,
		"email_client":     "",
		"location":         map[string]any{"latitude": 0, "longitude": 0, "gmtoff": 0, "dstoff": 0, "country_code": "", "timezone": ""},
		"source":           "API - Generic",
		"tags_count":       len(tags),
		"tags":             tags,
		"list_id":          l.id,
		"_links":           []any{},
	}
	if m.status == StatusUnsubscribed && m.unsubReason != "" {
		out["unsubscribe_reason"] = m.unsubReason
	}
	return out
}

// lookup returns the call's audience and member hash, or the 404 to answer.
// jsonParseError is Mailchimp's answer to a body that is not JSON.
func jsonParseError() response {
	return problem(http.StatusBadRequest, "JSON Parse Error", "We encountered an unspecified JSON parsing error.")
}

// existingMember is the list and member of a member route; the 404 answer when either is
// missing.
func (s *Server) existingMember(c *call) (*list, *member, *response) {
	l, hash, nf := s.lookup(c)
	if nf != nil {
		return nil, nil, nf
	}
	m := l.members[hash]
	if m == nil {
		r := notFound()
		return nil, nil, &r
	}
	return l, m, nil
}

func (s *Server) lookup(c *call) (*list, string, *response) {
	l := s.lists[c.params["list_id"]]
	if l == nil {
		r := notFound()
		return nil, "", &r
	}
	return l, strings.ToLower(c.params["subscriber_hash"]), nil
}

// setStatus applies an explicit status a client sent (PUT/PATCH "status"), under Mailchimp's
// rules: a cleaned address stays cleaned, an unsubscribed one cannot be set to subscribed
// (only to pending, which sends the person a confirmation email).
func setStatus(m *member, st string, now time.Time) *response {
	if st == "" || st == m.status {
		return nil
	}
	if m.status == StatusCleaned || (m.status == StatusUnsubscribed && st == StatusSubscribed) {
		r := complianceProblem(m.email)
		return &r
	}
	if st == StatusUnsubscribed {
		m.unsubReason = "N/A (Unsubscribed by an admin)"
	}
	m.status = st
	m.changed = now
	return nil
}

func handleGetMember(s *Server, c *call) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, m, nf := s.existingMember(c)
	if nf != nil {
		return *nf
	}
	return jsonOK(http.StatusOK, l.memberJSON(m))
}

func handlePutMember(s *Server, c *call) response {
	var in memberBody
	if err := c.decode(&in); err != nil {
		return jsonParseError()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, hash, nf := s.lookup(c)
	if nf != nil {
		return *nf
	}
	if SubscriberHash(in.EmailAddress) != hash {
		return invalid("The resource submitted could not be validated. For field-specific details, see the 'errors' array.",
			fieldError{Field: "email_address", Message: "The email address does not match the subscriber hash in the URL."})
	}
	if l.forgotten[hash] {
		return forgottenProblem(in.EmailAddress)
	}
	if !validEmail(in.EmailAddress) {
		return invalid(in.EmailAddress + " looks fake or invalid, please enter a real email address.")
	}
	merge, errs := l.checkMerge(in.MergeFields)
	if len(errs) > 0 {
		return invalid("Your merge fields were invalid.", errs...)
	}
	now := s.opts.Now()
	m := l.members[hash]
	wanted := in.Status
	if wanted == "" {
		wanted = in.StatusIfNew
	}
	switch {
	case m == nil:
		m = l.newMember(in.EmailAddress, wanted, now)
	case m.status == StatusArchived:
		// Re-adding an archived member: refused when it had unsubscribed or bounced.
		if suppressedStatus(m.before) {
			return complianceProblem(m.email)
		}
		m.status, m.before, m.changed = wanted, "", now
	case in.Status != "":
		if r := setStatus(m, in.Status, now); r != nil {
			return *r
		}
	case suppressedStatus(m.status) && (in.StatusIfNew == StatusSubscribed || in.StatusIfNew == StatusPending):
		// An upsert that would subscribe this address were it new: Mailchimp refuses it for
		// an address in compliance state rather than silently keeping the status.
		return complianceProblem(m.email)
	}
	for k, v := range merge {
		m.setMergeValue(k, v)
		m.changed = now
	}
	return jsonOK(http.StatusOK, l.memberJSON(m))
}

func handlePatchMember(s *Server, c *call) response {
	var in memberBody
	if err := c.decode(&in); err != nil {
		return jsonParseError()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, m, nf := s.existingMember(c)
	if nf != nil {
		return *nf
	}
	merge, errs := l.checkMerge(in.MergeFields)
	if len(errs) > 0 {
		return invalid("Your merge fields were invalid.", errs...)
	}
	now := s.opts.Now()
	if r := setStatus(m, in.Status, now); r != nil {
		return *r
	}
	for k, v := range merge {
		m.setMergeValue(k, v)
		m.changed = now
	}
	return jsonOK(http.StatusOK, l.memberJSON(m))
}

func handleCreateMember(s *Server, c *call) response {
	var in memberBody
	if err := c.decode(&in); err != nil {
		return jsonParseError()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lists[c.params["list_id"]]
	if l == nil {
		return notFound()
	}
	hash := SubscriberHash(in.EmailAddress)
	if l.forgotten[hash] {
		return forgottenProblem(in.EmailAddress)
	}
	if !validEmail(in.EmailAddress) {
		return invalid(in.EmailAddress + " looks fake or invalid, please enter a real email address.")
	}
	merge, errs := l.checkMerge(in.MergeFields)
	if len(errs) > 0 {
		return invalid("Your merge fields were invalid.", errs...)
	}
	now := s.opts.Now()
	m := l.members[hash]
	switch {
	case m == nil:
		m = l.newMember(in.EmailAddress, in.Status, now)
	case m.status == StatusArchived:
		if suppressedStatus(m.before) {
			return complianceProblem(m.email)
		}
		m.status, m.before, m.changed = in.Status, "", now
	default:
		return problem(http.StatusBadRequest, TitleMemberExists,
			in.EmailAddress+" is already a list member. Use PUT to insert or update list members.")
	}
	for k, v := range merge {
		m.setMergeValue(k, v)
	}
	for _, name := range in.Tags {
		l.tagNamed(name, true, now)
		m.tags[name] = now
	}
	return jsonOK(http.StatusOK, l.memberJSON(m))
}

// handleArchiveMember is DELETE .../members/{hash}: Mailchimp archives the member.
func handleArchiveMember(s *Server, c *call) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, hash, nf := s.lookup(c)
	if nf != nil {
		return *nf
	}
	m := l.members[hash]
	if m == nil || m.status == StatusArchived {
		return notFound()
	}
	m.before, m.status, m.changed = m.status, StatusArchived, s.opts.Now()
	return noContent()
}

// handleDeletePermanent erases the member; the address is then forgotten for good.
func handleDeletePermanent(s *Server, c *call) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, hash, nf := s.lookup(c)
	if nf != nil {
		return *nf
	}
	if l.members[hash] == nil {
		return notFound()
	}
	delete(l.members, hash)
	l.forgotten[hash] = true
	return noContent()
}

func handleListMembers(s *Server, c *call) response {
	count, offset, bad := paging(c)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lists[c.params["list_id"]]
	if l == nil {
		return notFound()
	}
	want := c.query.Get("status")
	var all []*member
	for _, m := range l.members {
		if (want == "" && m.status != StatusArchived) || m.status == want {
			all = append(all, m)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].webID < all[j].webID })
	page := []map[string]any{}
	for i := offset; i < len(all) && i < offset+count; i++ {
		page = append(page, l.memberJSON(all[i]))
	}
	return jsonOK(http.StatusOK, map[string]any{
		"members": page, "list_id": l.id, "total_items": len(all), "_links": []any{},
	})
}

// paging reads count (default 10, at most 1000: the spec enforces the maximum) and offset.
func paging(c *call) (count, offset int, bad *response) {
	count, offset = 10, 0
	if v := c.query.Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1000 {
			r := invalid("The resource submitted could not be validated.", fieldError{Field: "count", Message: "count must be between 0 and 1000"})
			return 0, 0, &r
		}
		count = n
	}
	if v := c.query.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			r := invalid("The resource submitted could not be validated.", fieldError{Field: "offset", Message: "offset must be 0 or more"})
			return 0, 0, &r
		}
		offset = n
	}
	return count, offset, nil
}

func handlePing(*Server, *call) response {
	return jsonOK(http.StatusOK, map[string]any{"health_status": "Everything's Chimpy!"})
}

func handleGetList(s *Server, c *call) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lists[c.params["list_id"]]
	if l == nil {
		return notFound()
	}
	counts := map[string]int{}
	for _, m := range l.members {
		counts[m.status]++
	}
	return jsonOK(http.StatusOK, map[string]any{
		"id": l.id, "web_id": 1, "name": l.name, "date_created": fmtTime(l.created),
		"double_optin": false, "email_type_option": false, "visibility": "prv",
		"stats": map[string]any{
			"member_count":      counts[StatusSubscribed],
			"unsubscribe_count": counts[StatusUnsubscribed],
			"cleaned_count":     counts[StatusCleaned],
			"total_contacts":    len(l.members),
			"merge_field_count": len(l.merge),
		},
		"_links": []any{},
	})
}
