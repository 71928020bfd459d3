package mailchimpfake

import (
	"net/http"
	"sort"
)

// maxTagName is the longest tag name Mailchimp accepts.
const maxTagName = 100

func handlePostMemberTags(s *Server, c *call) response {
	var in struct {
		Tags []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"tags"`
		IsSyncing bool `json:"is_syncing"`
	}
	if err := c.decode(&in); err != nil {
		return jsonParseError()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, m, nf := s.existingMember(c)
	if nf != nil {
		return *nf
	}
	for _, t := range in.Tags {
		if t.Name == "" || len(t.Name) > maxTagName {
			return invalid("The resource submitted could not be validated. For field-specific details, see the 'errors' array.",
				fieldError{Field: "tags", Message: "Tag names must be between 1 and 100 characters."})
		}
	}
	now := s.opts.Now()
	for _, t := range in.Tags {
		switch t.Status {
		case "active":
			if _, ok := m.tags[t.Name]; !ok {
				l.tagNamed(t.Name, true, now).updated = now
				m.tags[t.Name] = now
			}
		case "inactive":
			if _, ok := m.tags[t.Name]; ok {
				delete(m.tags, t.Name)
				if tg := l.tags[t.Name]; tg != nil {
					tg.updated = now
				}
			}
		}
	}
	return noContent()
}

func handleGetMemberTags(s *Server, c *call) response {
	count, offset, bad := paging(c)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, m, nf := s.existingMember(c)
	if nf != nil {
		return *nf
	}
	names := make([]string, 0, len(m.tags))
	for name := range m.tags {
		names = append(names, name)
	}
	sort.Strings(names)
	page := []map[string]any{}
	for i := offset; i < len(names) && i < offset+count; i++ {
		id := 0
		if t := l.tags[names[i]]; t != nil {
			id = t.id
		}
		page = append(page, map[string]any{"id": id, "name": names[i], "date_added": fmtTime(m.tags[names[i]])})
	}
	return jsonOK(http.StatusOK, map[string]any{"tags": page, "total_items": len(names), "_links": []any{}})
}

// handleListSegments lists the audience's tags as the static segments they are at Mailchimp.
// member_count leaves out unsubscribed, cleaned and transactional members unless the
// include_* flags ask for them, and never counts archived members.
func handleListSegments(s *Server, c *call) response {
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
	include := map[string]bool{
		StatusSubscribed: true, StatusPending: true,
		StatusUnsubscribed:  c.query.Get("include_unsubscribed") == "true",
		StatusCleaned:       c.query.Get("include_cleaned") == "true",
		StatusTransactional: c.query.Get("include_transactional") == "true",
	}
	counts := map[string]int{}
	for _, m := range l.members {
		if !include[m.status] {
			continue
		}
		for name := range m.tags {
			counts[name]++
		}
	}
	var tags []*tag
	if typ := c.query.Get("type"); typ == "" || typ == "static" {
		for _, t := range l.tags {
			tags = append(tags, t)
		}
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].id < tags[j].id })
	page := []map[string]any{}
	for i := offset; i < len(tags) && i < offset+count; i++ {
		t := tags[i]
		page = append(page, map[string]any{
			"id": t.id, "name": t.name, "member_count": counts[t.name], "type": "static",
			"created_at": fmtTime(t.created), "updated_at": fmtTime(t.updated),
			"list_id": l.id, "_links": []any{},
		})
	}
	return jsonOK(http.StatusOK, map[string]any{"segments": page, "list_id": l.id, "total_items": len(tags), "_links": []any{}})
}
