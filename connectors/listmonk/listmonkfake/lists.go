package listmonkfake

import (
	"net/http"
	"sort"
	"strings"
)

var getListsParams = map[string]bool{
	"query": true, "status": true, "tag": true, "order_by": true, "order": true,
	"page": true, "per_page": true, "minimal": true,
}

func (s *Server) listOutLocked(l *list, counts map[string]int) listOut {
	out := listOut{ID: l.id, CreatedAt: fmtTime(l.created), UpdatedAt: fmtTime(l.updated), UUID: l.uuid,
		Name: l.name, Type: l.typ, Optin: l.optin, Tags: l.tags, Description: l.description,
		SubscriberStatuses: map[string]int{}}
	for st, n := range counts {
		out.SubscriberCount += n
		out.SubscriberStatuses[st] = n
	}
	return out
}

func (s *Server) getLists(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		if !getListsParams[k] {
			s.violation("GET /api/lists: unknown query parameter %q", k)
		}
	}
	search := strings.ToLower(strings.TrimSpace(q.Get("query")))
	page, perPage := s.pagination(r)

	s.mu.Lock()
	defer s.mu.Unlock()
	counts := s.countsLocked()
	all := make([]*list, 0, len(s.lists))
	for _, l := range s.lists {
		if search == "" || strings.Contains(strings.ToLower(l.name), search) {
			all = append(all, l)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].id < all[j].id })
	total := len(all)
	if perPage > 0 {
		from := min((page-1)*perPage, len(all))
		all = all[from:min(from+perPage, len(all))]
	}
	results := make([]listOut, 0, len(all))
	for _, l := range all {
		results = append(results, s.listOutLocked(l, counts[l.id]))
	}
	writeData(w, pageOut{Results: results, Total: total, PerPage: perPage, Page: page})
}

func (s *Server) getList(w http.ResponseWriter, id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lists[id]
	if l == nil {
		writeError(w, http.StatusNotFound, "List not found.")
		return
	}
	writeData(w, s.listOutLocked(l, s.countsLocked()[id]))
}

func (s *Server) createList(w http.ResponseWriter, r *http.Request) {
	var in listIn
	if !s.decodeBody(w, r, &in) {
		return
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > stdInputMaxLen {
		writeError(w, http.StatusBadRequest, "Invalid name.")
		return
	}
	if in.Type != "public" && in.Type != "private" {
		writeError(w, http.StatusBadRequest, "Invalid list type.")
		return
	}
	if in.Optin != "single" && in.Optin != "double" {
		writeError(w, http.StatusBadRequest, "Invalid opt-in type.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.addListLocked(name, in.Type, in.Optin, append([]string{}, in.Tags...), in.Description)
	writeData(w, s.listOutLocked(l, nil))
}

func (s *Server) deleteList(w http.ResponseWriter, id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.lists, id)
	for _, sub := range s.subs {
		delete(sub.subs, id)
	}
	writeData(w, true)
}
