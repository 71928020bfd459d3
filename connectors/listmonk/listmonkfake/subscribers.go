package listmonkfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// stdInputMaxLen is listmonk's limit for names (cmd/handlers.go).
const stdInputMaxLen = 2000

var querySubscribersParams = map[string]bool{
	"query": true, "list_id": true, "subscription_status": true, "order_by": true,
	"order": true, "page": true, "per_page": true, "search": true,
}

// decodeBody decodes a JSON body into v. An unknown field is a violation (the connector
// should send only documented fields) but, like echo's Bind, not an error.
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return false
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.violation("%s %s: Content-Type %q, want application/json", r.Method, r.URL.Path, ct)
	}
	strict := json.NewDecoder(bytes.NewReader(body))
	strict.DisallowUnknownFields()
	if err := strict.Decode(v); err != nil {
		if strings.Contains(err.Error(), "unknown field") {
			s.violation("%s %s: %v", r.Method, r.URL.Path, err)
			if err := json.Unmarshal(body, v); err == nil {
				return true
			}
		}
		s.violation("%s %s: malformed body: %v", r.Method, r.URL.Path, err)
		writeError(w, http.StatusBadRequest, fmt.Sprintf("code=400, message=Syntax error: %v", err))
		return false
	}
	return true
}

// pagination reads page and per_page like knadh/paginator with listmonk's options
// (default 20, max MaxPerPage, "all" allowed). perPage 0 means all.
func (s *Server) pagination(r *http.Request) (page, perPage int) {
	q := r.URL.Query()
	page, _ = strconv.Atoi(q.Get("page"))
	if page < 1 {
		page = 1
	}
	if q.Get("per_page") == "all" {
		return page, 0
	}
	perPage, _ = strconv.Atoi(q.Get("per_page"))
	switch {
	case perPage < 1:
		perPage = 20
	case perPage > s.opts.MaxPerPage:
		perPage = s.opts.MaxPerPage
	}
	return page, perPage
}

func (s *Server) querySubscribers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		if !querySubscribersParams[k] {
			s.violation("GET /api/subscribers: unknown query parameter %q", k)
		}
	}
	pq, err := parseQueryIndexed(q.Get("query"))
	if err != nil {
		s.violation("GET /api/subscribers: query: %v", err)
		writeError(w, http.StatusBadRequest, "Error preparing subscriber query: pq: "+err.Error())
		return
	}
	var listIDs []int
	for _, v := range q["list_id"] {
		n, err := strconv.Atoi(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "Invalid ID.")
			return
		}
		listIDs = append(listIDs, n)
	}
	subStatus := q.Get("subscription_status")
	page, perPage := s.pagination(r)

	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int
	consider := func(id int, sub *subscriber) {
		if pq.match(sub) && inLists(sub, listIDs, subStatus) {
			ids = append(ids, id)
		}
	}
	if pq.emails != nil {
		seen := map[int]bool{}
		for _, e := range pq.emails {
			if id, ok := s.byEmail[e]; ok && !seen[id] {
				seen[id] = true
				consider(id, s.subs[id])
			}
		}
	} else {
		for id, sub := range s.subs {
			consider(id, sub)
		}
	}
	sort.Ints(ids)
	total := len(ids)
	if perPage > 0 {
		from := (page - 1) * perPage
		if from > len(ids) {
			from = len(ids)
		}
		to := min(from+perPage, len(ids))
		ids = ids[from:to]
	}
	results := make([]subscriberOut, 0, len(ids))
	for _, id := range ids {
		results = append(results, s.subscriberOutLocked(s.subs[id]))
	}
	writeData(w, pageOut{Results: results, Query: q.Get("query"), Total: total, PerPage: perPage, Page: page})
}

func inLists(sub *subscriber, listIDs []int, subStatus string) bool {
	if len(listIDs) == 0 {
		return true
	}
	for _, id := range listIDs {
		if r, ok := sub.subs[id]; ok && (subStatus == "" || r.status == subStatus) {
			return true
		}
	}
	return false
}

func (s *Server) getSubscriber(w http.ResponseWriter, id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[id]
	if sub == nil {
		writeError(w, http.StatusNotFound, "Subscriber not found.")
		return
	}
	writeData(w, s.subscriberOutLocked(sub))
}

// validEmail is a stand-in for listmonk's SanitizeEmail (net/mail parsing).
func validEmail(e string) bool {
	if e == "" || len(e) > 1000 || strings.ContainsAny(e, " \t\r\n<>") {
		return false
	}
	at := strings.LastIndexByte(e, '@')
	return at > 0 && at < len(e)-1
}

func decodeAttribs(raw json.RawMessage) (map[string]any, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, false
	}
	return m, true
}

func (s *Server) createSubscriber(w http.ResponseWriter, r *http.Request) {
	var in subscriberIn
	if !s.decodeBody(w, r, &in) {
		return
	}
	email := ""
	if in.Email != nil {
		email = strings.TrimSpace(*in.Email)
	}
	if !validEmail(email) {
		writeError(w, http.StatusBadRequest, "Invalid email.")
		return
	}
	name := ""
	if in.Name != nil {
		name = strings.TrimSpace(*in.Name)
	}
	if name == "" || len(name) > stdInputMaxLen {
		writeError(w, http.StatusBadRequest, "Invalid name.")
		return
	}
	status := StatusEnabled
	if in.Status != nil && *in.Status != "" {
		status = *in.Status
	}
	if status != StatusEnabled && status != StatusDisabled && status != StatusBlocklisted {
		writeError(w, http.StatusBadRequest, "Invalid status.")
		return
	}
	attribs, ok := decodeAttribs(in.Attribs)
	if !ok {
		writeError(w, http.StatusBadRequest, "Invalid JSON in attributes.")
		return
	}
	if in.ListUUIDs != nil && len(*in.ListUUIDs) > 0 {
		s.violation("POST /api/subscribers: list_uuids is not used by cohortd")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(email)
	if _, dup := s.byEmail[key]; dup {
		writeError(w, http.StatusConflict, "E-mail already exists.")
		return
	}
	now := s.opts.Now()
	sub := &subscriber{id: s.nextSubID, email: email, name: name, status: status, attribs: attribs,
		created: now, updated: now, subs: map[int]*subscription{}, writes: 1}
	if sub.attribs == nil {
		sub.attribs = map[string]any{}
	}
	sub.uuid = fakeUUID(2, sub.id)
	s.nextSubID++
	s.subs[sub.id] = sub
	s.byEmail[key] = sub.id

	subStatus := SubUnconfirmed
	if in.PreconfirmSubs {
		subStatus = SubConfirmed
	}
	if status == StatusBlocklisted {
		subStatus = SubUnsubscribed
	}
	optinList := 0
	if in.Lists != nil {
		for _, lid := range *in.Lists {
			l := s.lists[lid]
			if l == nil {
				continue // the listIDs CTE selects existing lists only
			}
			sub.subs[lid] = &subscription{status: subStatus, created: now, updated: now}
			if in.PreconfirmSubs {
				s.consentEventLocked("preconfirmed", sub, lid)
			}
			if l.optin == "double" && optinList == 0 {
				optinList = lid
			}
		}
	}
	if !in.PreconfirmSubs && !s.opts.NoOptinMails && optinList != 0 && status != StatusBlocklisted {
		s.consentEventLocked("optin_mail", sub, optinList)
	}
	writeData(w, s.subscriberOutLocked(sub))
}

// updateSubscriber is PUT (replace: lists, attribs and email as sent) or PATCH (listmonk
// v6.1+: only the fields sent; attribs merged key by key).
func (s *Server) updateSubscriber(w http.ResponseWriter, r *http.Request, id int, patch bool) {
	var in subscriberIn
	if !s.decodeBody(w, r, &in) {
		return
	}
	if in.ListUUIDs != nil && len(*in.ListUUIDs) > 0 {
		s.violation("%s /api/subscribers/%d: list_uuids is not used by cohortd", r.Method, id)
	}
	email := ""
	if in.Email != nil {
		email = strings.TrimSpace(*in.Email)
	}
	if (!patch || in.Email != nil) && !validEmail(email) {
		writeError(w, http.StatusBadRequest, "Invalid email.")
		return
	}
	if in.Name != nil && len(strings.TrimSpace(*in.Name)) > stdInputMaxLen {
		writeError(w, http.StatusBadRequest, "Invalid name.")
		return
	}
	status := ""
	if in.Status != nil {
		status = *in.Status
	}
	if status != "" && status != StatusEnabled && status != StatusDisabled && status != StatusBlocklisted {
		writeError(w, http.StatusBadRequest, "Invalid status.")
		return
	}
	attribs, ok := decodeAttribs(in.Attribs)
	if !ok {
		writeError(w, http.StatusBadRequest, "Invalid JSON in attributes.")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[id]
	if sub == nil {
		writeError(w, http.StatusNotFound, "Subscriber not found.")
		return
	}
	if email != "" && !strings.EqualFold(email, sub.email) {
		key := strings.ToLower(email)
		if _, dup := s.byEmail[key]; dup {
			writeError(w, http.StatusConflict, "E-mail already exists.")
			return
		}
		delete(s.byEmail, strings.ToLower(sub.email))
		s.byEmail[key] = sub.id
		sub.email = email
	}
	if in.Name != nil && strings.TrimSpace(*in.Name) != "" {
		sub.name = strings.TrimSpace(*in.Name)
	}
	now := s.opts.Now()
	switch {
	case patch && attribs != nil:
		for k, v := range attribs {
			sub.attribs[k] = v
		}
	case !patch:
		// core.UpdateSubscriberWithLists marshals an absent attribs as {}.
		if attribs == nil {
			attribs = map[string]any{}
		}
		sub.attribs = attribs
	}
	if !patch || in.Lists != nil {
		var want []int
		if in.Lists != nil {
			want = *in.Lists
		}
		s.replaceListsLocked(sub, want, in.PreconfirmSubs, status == StatusBlocklisted)
	}
	if status != "" {
		s.blocklistOrSetLocked(sub, status)
	} else {
		sub.writes++
	}
	sub.updated = now
	writeData(w, s.subscriberOutLocked(sub))
}

// replaceListsLocked is update-subscriber-with-lists with delete=true: rows not in want are
// deleted, wanted rows that exist keep their status, new ones are (un)confirmed.
func (s *Server) replaceListsLocked(sub *subscriber, want []int, preconfirm, blocklisted bool) {
	now := s.opts.Now()
	keep := map[int]bool{}
	for _, lid := range want {
		if s.lists[lid] != nil {
			keep[lid] = true
		}
	}
	for lid, row := range sub.subs {
		if !keep[lid] {
			if row.status == SubUnsubscribed {
				s.consentEventLocked("unsubscribed_row_removed", sub, lid)
			}
			delete(sub.subs, lid)
		}
	}
	for lid := range keep {
		row := sub.subs[lid]
		switch {
		case blocklisted:
			if row == nil {
				sub.subs[lid] = &subscription{status: SubUnsubscribed, created: now, updated: now}
			} else {
				row.status = SubUnsubscribed
			}
		case row == nil:
			st := SubUnconfirmed
			if preconfirm {
				st = SubConfirmed
				s.consentEventLocked("preconfirmed", sub, lid)
			}
			sub.subs[lid] = &subscription{status: st, created: now, updated: now}
		}
	}
}

func (s *Server) deleteSubscriber(w http.ResponseWriter, id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// delete-subscribers affects zero rows for an unknown id and still answers true.
	if sub := s.subs[id]; sub != nil {
		delete(s.byEmail, strings.ToLower(sub.email))
		delete(s.subs, id)
	}
	writeData(w, true)
}

func (s *Server) blocklistSubscriber(w http.ResponseWriter, id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub := s.subs[id]; sub != nil {
		s.blocklistOrSetLocked(sub, StatusBlocklisted)
	}
	writeData(w, true)
}

// manageLists is PUT /api/subscribers/lists (cmd/subscribers.go ManageSubscriberLists and
// the add-subscribers-to-lists, delete-subscriptions and
// unsubscribe-subscribers-from-lists queries).
func (s *Server) manageLists(w http.ResponseWriter, r *http.Request) {
	var in manageListsIn
	if !s.decodeBody(w, r, &in) {
		return
	}
	if len(in.IDs) == 0 {
		writeError(w, http.StatusBadRequest, "No IDs given.")
		return
	}
	if len(in.TargetListIDs) == 0 {
		writeError(w, http.StatusBadRequest, "No lists given.")
		return
	}
	switch in.Action {
	case "add", "remove", "unsubscribe":
	default:
		writeError(w, http.StatusBadRequest, "Invalid action.")
		return
	}
	if in.Action == "add" && in.Status != "" && in.Status != SubUnconfirmed && in.Status != SubConfirmed && in.Status != SubUnsubscribed {
		writeError(w, http.StatusInternalServerError,
			fmt.Sprintf("Error updating subscribers: pq: invalid input value for enum subscription_status: %q", in.Status))
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if in.Action == "add" {
		// One INSERT: a missing subscriber or list fails the whole statement.
		for _, id := range in.IDs {
			if s.subs[id] == nil {
				writeError(w, http.StatusInternalServerError,
					`Error updating subscribers: pq: insert or update on table "subscriber_lists" violates foreign key constraint "subscriber_lists_subscriber_id_fkey"`)
				return
			}
		}
		for _, lid := range in.TargetListIDs {
			if s.lists[lid] == nil {
				writeError(w, http.StatusInternalServerError,
					`Error updating subscribers: pq: insert or update on table "subscriber_lists" violates foreign key constraint "subscriber_lists_list_id_fkey"`)
				return
			}
		}
	}
	now := s.opts.Now()
	for _, id := range in.IDs {
		sub := s.subs[id]
		if sub == nil {
			continue
		}
		touched := false
		for _, lid := range in.TargetListIDs {
			row := sub.subs[lid]
			switch in.Action {
			case "add":
				touched = true
				if row == nil {
					st := SubUnconfirmed
					if in.Status != "" {
						st = in.Status
					}
					if st == SubConfirmed {
						s.consentEventLocked("preconfirmed", sub, lid)
					}
					sub.subs[lid] = &subscription{status: st, created: now, updated: now}
					continue
				}
				if in.Status != "" {
					if row.status == SubUnsubscribed && in.Status != SubUnsubscribed {
						s.consentEventLocked("resubscribed", sub, lid)
					} else if row.status != SubConfirmed && in.Status == SubConfirmed {
						s.consentEventLocked("preconfirmed", sub, lid)
					}
					row.status = in.Status
				}
			case "remove":
				if row == nil {
					continue
				}
				touched = true
				if row.status == SubUnsubscribed {
					s.consentEventLocked("unsubscribed_row_removed", sub, lid)
				}
				delete(sub.subs, lid)
			case "unsubscribe":
				if row == nil {
					continue
				}
				touched = true
				row.status = SubUnsubscribed
				row.updated = now
			}
		}
		if touched {
			sub.writes++
		}
	}
	writeData(w, true)
}
