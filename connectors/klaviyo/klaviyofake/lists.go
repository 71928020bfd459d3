package klaviyofake

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// MaxRelationshipProfiles is the most profiles one list relationship call accepts.
const MaxRelationshipProfiles = 1000

func listResource(c *call, l *list, withCount bool) map[string]any {
	attrs := map[string]any{
		"name":           l.name,
		"created":        ts(l.created),
		"updated":        ts(l.updated),
		"opt_in_process": l.optIn,
	}
	if withCount {
		attrs["profile_count"] = len(l.members)
	}
	if fs := sparse(c.query, "list"); fs != nil {
		for k := range attrs {
			if !fs[k] && !(k == "profile_count" && withCount) {
				delete(attrs, k)
			}
		}
	}
	return map[string]any{
		"type":       "list",
		"id":         l.id,
		"attributes": attrs,
		"relationships": map[string]any{
			"profiles":      relLinks(c.base, "/api/lists/"+l.id+"/relationships/profiles"),
			"tags":          relLinks(c.base, "/api/lists/"+l.id+"/relationships/tags"),
			"flow-triggers": relLinks(c.base, "/api/lists/"+l.id+"/relationships/flow-triggers"),
		},
		"links": map[string]any{"self": c.base + "/api/lists/" + l.id},
	}
}

func matchList(l *list, conds []condition) bool {
	for _, c := range conds {
		switch c.field {
		case "id":
			if !anyEqual(l.id, c.values, false) {
				return false
			}
		case "name":
			if !anyEqual(l.name, c.values, false) {
				return false
			}
		}
	}
	return true
}

// getLists: GET /api/lists, at most 10 per page.
func getLists(s *Server, c *call) reply {
	conds, bad := checkFilter(c.query.Get("filter"), "list")
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
	size := pageSize(c.query, 10)
	s.mu.Lock()
	defer s.mu.Unlock()
	var page []any
	next := ""
	for _, l := range s.st.sortedLists() {
		if l.id <= after || !matchList(l, conds) {
			continue
		}
		if len(page) == size {
			next = encodeCursor(lastID(page))
			break
		}
		page = append(page, listResource(c, l, false))
	}
	if page == nil {
		page = []any{}
	}
	return reply{status: http.StatusOK, body: map[string]any{"data": page, "links": collectionLinks(c, next)}}
}

// getList: GET /api/lists/{id}, with profile_count when asked.
func getList(s *Server, c *call) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleJobs(c.now)
	l := s.st.lists[c.params["id"]]
	if l == nil {
		return errorReply(http.StatusNotFound, "not_found", "Not found.", fmt.Sprintf("A list with id %s does not exist.", c.params["id"]), "/data/")
	}
	withCount := hasValue(c.query, "additional-fields[list]", "profile_count")
	return reply{status: http.StatusOK, body: map[string]any{"data": listResource(c, l, withCount), "links": map[string]any{"self": c.base + "/api/lists/" + l.id}}}
}

// createList: POST /api/lists. Klaviyo allows several lists with the same name.
func createList(s *Server, c *call) reply {
	var doc struct {
		Data struct {
			Attributes struct {
				Name         string `json:"name"`
				OptInProcess string `json:"opt_in_process"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(c.body, &doc); err != nil {
		return errorReply(http.StatusBadRequest, "invalid", "Invalid input.", "Malformed JSON body.", "/data/")
	}
	if doc.Data.Attributes.Name == "" {
		return errorReply(http.StatusBadRequest, "invalid", "Invalid input.", "A list name is required.", "/data/attributes/name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.st.newList(doc.Data.Attributes.Name, c.now)
	if doc.Data.Attributes.OptInProcess != "" {
		l.optIn = doc.Data.Attributes.OptInProcess
	}
	return reply{status: http.StatusCreated, body: map[string]any{"data": listResource(c, l, false), "links": map[string]any{"self": c.base + "/api/lists/" + l.id}}}
}

// listRelationship: POST (add) and DELETE (remove) /api/lists/{id}/relationships/profiles.
func listRelationship(add bool) handler {
	return func(s *Server, c *call) reply {
		var doc struct {
			Data []struct {
				Type string `json:"type"`
				ID   string `json:"id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(c.body, &doc); err != nil {
			return errorReply(http.StatusBadRequest, "invalid", "Invalid input.", "Malformed JSON body.", "/data/")
		}
		if len(doc.Data) > MaxRelationshipProfiles {
			return errorReply(http.StatusBadRequest, "invalid", "Invalid input.",
				fmt.Sprintf("This endpoint accepts a maximum of %d profiles per call; %d were given.", MaxRelationshipProfiles, len(doc.Data)), "/data")
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.settleJobs(c.now)
		l := s.st.lists[c.params["id"]]
		if l == nil {
			return errorReply(http.StatusNotFound, "not_found", "Not found.", fmt.Sprintf("A list with id %s does not exist.", c.params["id"]), "/data/")
		}
		var added, removed, noops, unknown, suppressed int64
		for _, r := range doc.Data {
			p := s.st.profiles[r.ID]
			if p == nil {
				unknown++
				continue
			}
			_, member := l.members[r.ID]
			switch {
			case add && !member:
				l.members[r.ID] = c.now
				added++
				if p.suppressed() {
					suppressed++
				}
			case !add && member:
				delete(l.members, r.ID)
				removed++
			default:
				noops++
			}
		}
		if added+removed > 0 {
			l.updated = c.now
		}
		s.count(func(st *Stats) {
			st.MembershipsAdded += added
			st.MembershipsRemoved += removed
			st.MembershipNoops += noops
			st.UnknownProfileIDs += unknown
			st.WritesToSuppressed += suppressed
		})
		return reply{status: http.StatusNoContent}
	}
}
